"""The ProjectRemote row: URL, forge, encrypted token and deploy key, pinned host keys.

Owners (and admins) change it; every change is audited without secrets. The
plain token and private key leave this module only through :func:`opened`,
for one git or forge call made by the services of this package.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from clawweb.models import Project, ProjectRemote, User, iso_utc, utcnow
from clawweb.services import audit, crypto, forges
from clawweb.services.errors import InvalidInput
from clawweb.services.remotes import keys, urls
from clawweb.services.remotes.access import require_owner
from clawweb.services.remotes.errors import RemoteError
from clawweb.services.remotes.transport import Credentials

MAX_TOKEN = 4096
_USERNAME = re.compile(r"^[A-Za-z0-9._@+-]{0,64}$")
# What git sends as the Basic-auth user with a token, when none is set.
DEFAULT_TOKEN_USER = {"github": "x-access-token", "gitlab": "oauth2", "gitea": "git"}


def secret_aad(kind: str, project_id: int) -> str:
    return f"remote-{kind}:{project_id}"


def get_remote(session: Session, project_id: int) -> ProjectRemote | None:
    """The project's remote row, if it has one (no access check: callers do that)."""
    return session.get(ProjectRemote, project_id)


def _row(session: Session, project: Project) -> ProjectRemote:
    row = get_remote(session, project.id)
    if row is None:
        row = ProjectRemote(project_id=project.id, url=_url_from_source(project))
    return row


def _url_from_source(project: Project) -> str:
    try:
        return urls.parse(project.source_url).raw if project.source_url else ""
    except RemoteError:
        return ""


def audit_view(row: ProjectRemote) -> dict[str, Any]:
    return {"url": row.url, "forge": row.forge, "forge_api_url": row.forge_api_url,
            "token_username": row.token_username, "token_hint": row.token_hint,
            "deploy_key": keys.fingerprint(row.ssh_public_key),
            "host_keys": [e["fingerprint"] for e in keys.known_hosts_entries(row.known_hosts)],
            "sync_before_task": row.sync_before_task}


def _commit(session: Session, user: User | None, row: ProjectRemote, action: str,
            before: dict | None, ip: str, detail: str = "") -> ProjectRemote:
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session=session, actor=user, action=action, object_type="project",
                 object_id=row.project_id, before=before, after=audit_view(row), ip=ip,
                 detail=detail, actor_name="" if user else "clawweb")
    session.commit()
    return row


def _only_alias(known_hosts: str, alias: str) -> str:
    lines = [ln for ln in known_hosts.splitlines() if ln.split(" ", 1)[0] == alias]
    return "".join(ln + "\n" for ln in lines)


def save_settings(*, session: Session, user: User | None, project_id: int, url: str,
                  forge: str = "", forge_api_url: str = "", token_username: str = "",
                  sync_before_task: bool = False, ip: str = "") -> ProjectRemote:
    """Owner: set the remote URL, the forge (``""`` = guess) and the sync option.

    A URL naming another host drops the host keys pinned for the old one.

    Raises:
        RemoteError: a ``remotes.url_*`` key; InvalidInput: ``remotes.forge_invalid``,
            ``remotes.username_invalid``.
    """
    project = require_owner(session=session, user=user, project_id=project_id)
    parsed = urls.parse(url) if (url or "").strip() else None
    if forge not in ("", *forges.KINDS):
        raise InvalidInput("remotes.forge_invalid")
    api = forges.check_api_url(forge_api_url) if (forge_api_url or "").strip() else ""
    if not _USERNAME.match(token_username or ""):
        raise InvalidInput("remotes.username_invalid")
    existing = get_remote(session, project_id)
    before = audit_view(existing) if existing else None
    row = existing or _row(session, project)
    row.url = parsed.raw if parsed else ""
    row.forge, row.forge_api_url, row.token_username = forge, api, token_username or ""
    row.sync_before_task = bool(sync_before_task)
    row.known_hosts = _only_alias(row.known_hosts, parsed.host_key_alias) if parsed else ""
    return _commit(session, user, row, "remote.update", before, ip)


def clean_token(token: str) -> str:
    token = (token or "").strip()
    if not token:
        raise InvalidInput("remotes.token_empty")
    if len(token) > MAX_TOKEN:
        raise InvalidInput("remotes.token_too_long")
    # It ends up in an HTTP header: no whitespace or control characters.
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise InvalidInput("remotes.token_bad_characters")
    return token


def set_token(*, session: Session, user: User | None, project_id: int, token: str,
              ip: str = "") -> ProjectRemote:
    """Owner: store (or replace) the access token, encrypted."""
    project = require_owner(session=session, user=user, project_id=project_id)
    token = clean_token(token)
    row = _row(session, project)
    before = audit_view(row)
    row.token_ciphertext = crypto.encrypt(token, aad=secret_aad("token", project.id))
    row.token_hint = token[-4:] if len(token) >= 12 else ""
    return _commit(session, user, row, "remote.token_set", before, ip)


def delete_token(*, session: Session, user: User | None, project_id: int,
                 ip: str = "") -> ProjectRemote:
    """Owner: forget the access token."""
    project = require_owner(session=session, user=user, project_id=project_id)
    row = _row(session, project)
    before = audit_view(row)
    row.token_ciphertext, row.token_hint = "", ""
    return _commit(session, user, row, "remote.token_delete", before, ip)


def generate_deploy_key(*, session: Session, user: User | None, project_id: int,
                        ip: str = "") -> str:
    """Owner: make a new ed25519 deploy key (replacing any); its public line."""
    project = require_owner(session=session, user=user, project_id=project_id)
    row = _row(session, project)
    before = audit_view(row)
    key = keys.generate(f"clawweb-{project.slug}")
    row.ssh_key_ciphertext = crypto.encrypt(key.private, aad=secret_aad("ssh-key", project.id))
    row.ssh_public_key = key.public
    _commit(session, user, row, "remote.key_generate", before, ip)
    return key.public


def delete_deploy_key(*, session: Session, user: User | None, project_id: int,
                      ip: str = "") -> ProjectRemote:
    """Owner: forget the deploy key (remove it from the forge too)."""
    project = require_owner(session=session, user=user, project_id=project_id)
    row = _row(session, project)
    before = audit_view(row)
    row.ssh_key_ciphertext, row.ssh_public_key = "", ""
    return _commit(session, user, row, "remote.key_delete", before, ip)


def forget_host_keys(*, session: Session, user: User | None, project_id: int,
                     ip: str = "") -> ProjectRemote:
    """Owner: drop the pinned host keys; the next connection pins anew."""
    project = require_owner(session=session, user=user, project_id=project_id)
    row = _row(session, project)
    before = audit_view(row)
    row.known_hosts = ""
    return _commit(session, user, row, "remote.host_key_forget", before, ip)


def pin_host_keys(session: Session, project_id: int, known_hosts: str,
                  user: User | None = None, ip: str = "") -> None:
    """Record host keys learned on first use (audited, with their fingerprints)."""
    row = get_remote(session, project_id)
    if row is None or known_hosts == row.known_hosts:
        return
    before = audit_view(row)
    row.known_hosts = known_hosts
    fingerprints = ", ".join(e["fingerprint"] for e in keys.known_hosts_entries(known_hosts))
    _commit(session, user, row, "remote.host_key_pin", before, ip, detail=fingerprints)


def opened(session: Session, project_id: int) -> tuple[urls.RemoteURL, Credentials, str]:
    """The remote's URL, its opened credentials and the forge kind ("" unknown).

    Callers check the caller's right first.

    Raises:
        RemoteError: ``remotes.not_configured`` without a URL; a ``remotes.url_*``
            key when the stored URL is no longer allowed.
        crypto.SecretUnreadable: a secret cannot be opened.
    """
    row = get_remote(session, project_id)
    if row is None or not row.url:
        raise RemoteError("remotes.not_configured")
    url = urls.parse(row.url)
    kind = row.forge or forges.guess_kind(url.host)
    token = crypto.decrypt(row.token_ciphertext, aad=secret_aad("token", project_id)) \
        if row.token_ciphertext else ""
    key = crypto.decrypt(row.ssh_key_ciphertext, aad=secret_aad("ssh-key", project_id)) \
        if row.ssh_key_ciphertext else ""
    if url.is_ssh and not key:
        raise RemoteError("remotes.no_deploy_key")
    user_name = row.token_username or DEFAULT_TOKEN_USER.get(kind, "git")
    return url, Credentials(token=token, token_username=user_name, ssh_private_key=key,
                            known_hosts=row.known_hosts), kind


def view(*, session: Session, user: User | None, project_id: int) -> dict[str, Any]:
    """Owner: what the settings section shows (no secret, only hints and public keys)."""
    project = require_owner(session=session, user=user, project_id=project_id)
    row = get_remote(session, project_id) or ProjectRemote(project_id=project_id,
                                                           url=_url_from_source(project))
    try:
        parsed = urls.parse(row.url) if row.url else None
    except RemoteError:
        parsed = None
    alias = parsed.host_key_alias if parsed and parsed.is_ssh else ""
    return {
        "url": row.url, "forge": row.forge, "forge_api_url": row.forge_api_url,
        "forge_guess": forges.guess_kind(parsed.host) if parsed else "",
        "transport": parsed.scheme if parsed else "",
        "token_username": row.token_username,
        "has_token": bool(row.token_ciphertext), "token_hint": row.token_hint,
        "public_key": row.ssh_public_key, "key_fingerprint": keys.fingerprint(row.ssh_public_key),
        "host_keys": [e for e in keys.known_hosts_entries(row.known_hosts)
                      if not alias or e["host"] == alias],
        "sync_before_task": row.sync_before_task,
        "last_sync_at": iso_utc(row.last_sync_at), "last_sync_result": row.last_sync_result,
        "last_sync_params": dict(row.last_sync_params or {}),
    }
