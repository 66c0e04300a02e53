"""Model credentials: a user's own Anthropic API key or Claude Code OAuth token,
and a project credential that members' tasks use instead.

Only ciphertext is stored (``crypto``), bound to its owner so a row copied onto
another owner does not open. The plain secret leaves this module in exactly two
places: ``resolve_for_task`` (called by the worker, which hands it to the egress
proxy, never to the container) and ``test_credential``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel import Session, select

from clawweb.models import PROJECT_ROLE_RANK, Credential, Project, ProjectMember, ProjectRole, Role, Task, User, utcnow
from clawweb.services import audit, crypto
from clawweb.services.errors import InvalidInput, PermissionDenied
from clawweb.settings import get_settings

KINDS = ("api_key", "oauth_token")
MAX_SECRET_LENGTH = 4096


@dataclass(frozen=True)
class ResolvedCredential:
    kind: str
    secret: str
    source: str  # "project" | "user"

    def __repr__(self) -> str:
        return f"ResolvedCredential(kind={self.kind!r}, source={self.source!r}, secret=<hidden>)"


def _aad(owner_type: str, owner_id: int) -> str:
    return f"credential:{owner_type}:{owner_id}"


def _clean(kind: str, secret: str) -> str:
    if kind not in KINDS:
        raise InvalidInput("credentials.bad_kind")
    secret = (secret or "").strip()
    if not secret:
        raise InvalidInput("credentials.empty")
    if len(secret) > MAX_SECRET_LENGTH:
        raise InvalidInput("credentials.too_long")
    # It goes into an HTTP header: no whitespace or control characters, or it
    # could smuggle extra headers.
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in secret):
        raise InvalidInput("credentials.bad_characters")
    return secret


def _hint(secret: str) -> str:
    return secret[-4:] if len(secret) >= 12 else ""


def _row(session: Session, owner_type: str, owner_id: int) -> Credential | None:
    return session.exec(select(Credential).where(
        Credential.owner_type == owner_type, Credential.owner_id == owner_id)).first()


def _store(*, session: Session, actor: User, owner_type: str, owner_id: int, kind: str,
           secret: str, ip: str) -> Credential:
    secret = _clean(kind, secret)
    row = _row(session, owner_type, owner_id)
    before = {"kind": row.kind, "hint": row.hint} if row else None
    if row is None:
        row = Credential(owner_type=owner_type, owner_id=owner_id, ciphertext="")
    row.kind = kind
    row.ciphertext = crypto.encrypt(secret, aad=_aad(owner_type, owner_id))
    row.hint = _hint(secret)
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session=session, actor=actor, action="credential.set", object_type=owner_type,
                 object_id=owner_id, before=before, after={"kind": kind, "hint": row.hint}, ip=ip)
    session.commit()
    return row


def _remove(*, session: Session, actor: User, owner_type: str, owner_id: int, ip: str) -> bool:
    row = _row(session, owner_type, owner_id)
    if row is None:
        return False
    audit.record(session=session, actor=actor, action="credential.delete", object_type=owner_type,
                 object_id=owner_id, before={"kind": row.kind, "hint": row.hint}, ip=ip)
    session.delete(row)
    session.commit()
    return True


def _require_project_owner(session: Session, user: User, project: Project) -> None:
    if user.role == Role.admin and not user.disabled:
        return
    member = session.exec(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)).first()
    if user.disabled or member is None or PROJECT_ROLE_RANK[ProjectRole(member.role)] < 3:
        raise PermissionDenied()


def set_user_credential(*, session: Session, user: User, kind: str, secret: str,
                        ip: str = "") -> Credential:
    """Store (or replace) the user's own key or token, encrypted."""
    return _store(session=session, actor=user, owner_type="user", owner_id=user.id,
                  kind=kind, secret=secret, ip=ip)


def delete_user_credential(*, session: Session, user: User, ip: str = "") -> bool:
    """Remove the user's credential; False when there was none."""
    return _remove(session=session, actor=user, owner_type="user", owner_id=user.id, ip=ip)


def set_project_credential(*, session: Session, user: User, project: Project, kind: str,
                           secret: str, ip: str = "") -> Credential:
    """Store the project's credential (project owners and admins only)."""
    _require_project_owner(session, user, project)
    return _store(session=session, actor=user, owner_type="project", owner_id=project.id,
                  kind=kind, secret=secret, ip=ip)


def delete_project_credential(*, session: Session, user: User, project: Project,
                              ip: str = "") -> bool:
    """Remove the project's credential (project owners and admins only)."""
    _require_project_owner(session, user, project)
    return _remove(session=session, actor=user, owner_type="project", owner_id=project.id, ip=ip)


def masked(row: Credential | None) -> dict[str, Any] | None:
    """What a browser may see of a credential: kind, last four characters, when."""
    if row is None:
        return None
    return {"kind": row.kind, "hint": f"…{row.hint}" if row.hint else "…",
            "updated_at": row.updated_at.isoformat()}


def user_credential_info(*, session: Session, user: User) -> dict[str, Any] | None:
    return masked(_row(session, "user", user.id))


def project_credential_info(*, session: Session, project: Project) -> dict[str, Any] | None:
    return masked(_row(session, "project", project.id))


def _open(session: Session, row: Credential, source: str) -> ResolvedCredential:
    aad = _aad(row.owner_type, row.owner_id)
    secret = crypto.decrypt(row.ciphertext, aad=aad)
    if crypto.needs_rotation(row.ciphertext):
        # Sealed under a previous key: re-seal under the current one.
        row.ciphertext = crypto.encrypt(secret, aad=aad)
        session.add(row)
        session.commit()
    return ResolvedCredential(kind=row.kind, secret=secret, source=source)


def resolve(*, session: Session, project_id: int | None = None,
            user_id: int | None = None) -> ResolvedCredential | None:
    """The project's credential if it has one, else the user's; None if neither.

    Callers check the right to use it first. Pass only ``user_id`` to open a
    user's own credential, only ``project_id`` for the project's.

    Raises:
        crypto.SecretUnreadable: the stored credential cannot be opened.
    """
    for owner_type, owner_id in (("project", project_id), ("user", user_id)):
        if owner_id is not None:
            row = _row(session, owner_type, owner_id)
            if row is not None:
                return _open(session, row, owner_type)
    return None


def resolve_for_task(*, session: Session, task: Task) -> ResolvedCredential | None:
    """The credential a task runs with: the project's, else its creator's; None if neither.

    Raises:
        crypto.SecretUnreadable: the stored credential cannot be opened.
    """
    return resolve(session=session, project_id=task.project_id, user_id=task.created_by)


Checker = Callable[[str, dict[str, str]], int]


def _http_check(url: str, headers: dict[str, str]) -> int:
    with httpx.Client(timeout=15, trust_env=False) as client:
        return client.get(url, headers=headers).status_code


def test_credential(*, kind: str, secret: str, base_url: str | None = None,
                    check: Checker = _http_check) -> tuple[bool, str]:
    """Ask the model endpoint whether the key or token is accepted.

    Args:
        kind: "api_key" or "oauth_token".
        secret: the plain credential (as typed, or from ``resolve_for_task``).
        base_url: endpoint; defaults to ``settings.anthropic_base_url``.
        check: does the request, ``(url, headers) -> HTTP status``; tests pass
            one that talks to the loopback fixture.

    Returns:
        (ok, message key): ``credentials.test_ok``, ``credentials.test_rejected``
        or ``credentials.test_unreachable``.
    """
    secret = _clean(kind, secret)
    base = (base_url or get_settings().anthropic_base_url).rstrip("/")
    headers = {"anthropic-version": "2023-06-01"}
    if kind == "oauth_token":
        headers.update({"authorization": f"Bearer {secret}", "anthropic-beta": "oauth-2025-04-20"})
    else:
        headers["x-api-key"] = secret
    try:
        status = check(f"{base}/v1/models?limit=1", headers)
    except (httpx.HTTPError, OSError):
        return False, "credentials.test_unreachable"
    if 200 <= status < 300:
        return True, "credentials.test_ok"
    if status in (401, 403):
        return False, "credentials.test_rejected"
    return False, "credentials.test_unreachable"


test_credential.__test__ = False  # a service, not a pytest test, when imported by name
