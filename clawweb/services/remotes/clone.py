"""Private repositories when a project is created: clone with a token, or start
an empty repository and a deploy key that the first sync fills.

A deploy key has to be added to the forge before it can clone, so a project
created with one begins with an unborn repository; :func:`sync.sync_now`
then fetches the remote's default branch into it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlmodel import Session

from clawweb.models import Project, ProjectRemote, User
from clawweb.services import audit, crypto, forges, git
from clawweb.services.git import GitError, run_git
from clawweb.services.projects.service import project_repo_path
from clawweb.services.remotes import keys, net, urls
from clawweb.services.remotes.errors import RemoteError
from clawweb.services.remotes.store import (DEFAULT_TOKEN_USER, audit_view, clean_token,
                                            secret_aad)
from clawweb.services.remotes.transport import Credentials


def check_source(url: str, *, token: str, deploy_key: bool) -> urls.RemoteURL:
    """Validate a private clone's URL against the chosen credential.

    Raises:
        RemoteError: a ``remotes.url_*`` key, ``remotes.deploy_key_needs_ssh`` or
            ``remotes.ssh_needs_deploy_key``.
    """
    parsed = urls.parse(url)
    if deploy_key and not parsed.is_ssh:
        raise RemoteError("remotes.deploy_key_needs_ssh")
    if parsed.is_ssh and not deploy_key:
        raise RemoteError("remotes.ssh_needs_deploy_key")
    if token:
        clean_token(token)
    return parsed


def _staging(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.parent / f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}"


def clone_for_project(url: urls.RemoteURL, dest: Path, *, token: str, deploy_key: bool,
                      timeout: float = 600) -> None:
    """Fill ``dest`` (a new bare repository): cloned with ``token``, or unborn for a key.

    Nothing remains at ``dest`` on failure.

    Raises:
        RemoteError: the classified clone failure; GitError: ``git.dest_exists``.
    """
    if dest.exists():
        raise GitError("git.dest_exists")
    tmp = _staging(dest)
    try:
        if deploy_key:
            run_git(["init", "--bare", "--quiet", "--template=", "-b", "main", str(tmp)])
        else:
            # The default Basic-auth user for a token: guess the forge from the host.
            user = DEFAULT_TOKEN_USER.get(forges.guess_kind(url.host), "git")
            net.run(["clone", "--bare", "--no-local", "--template=", "--quiet", "--", url.raw,
                     str(tmp)], url=url, creds=Credentials(token=token, token_username=user),
                    timeout=timeout)
        if dest.exists():
            raise GitError("git.dest_exists")
        os.rename(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def attach(session: Session, *, project: Project, user: User, url: urls.RemoteURL,
           token: str, deploy_key: bool, ip: str = "") -> ProjectRemote:
    """Add the new project's remote row (committed with the project by the caller)."""
    # What the remote's default branch is known to be: the commit just cloned.
    known = git.resolve(project_repo_path(project), f"refs/heads/{project.default_branch}")
    row = ProjectRemote(project_id=project.id, url=url.raw, default_pushed_sha=known or "")
    if token:
        row.token_ciphertext = crypto.encrypt(token, aad=secret_aad("token", project.id))
        row.token_hint = token[-4:] if len(token) >= 12 else ""
    if deploy_key:
        key = keys.generate(f"clawweb-{project.slug}")
        row.ssh_key_ciphertext = crypto.encrypt(key.private, aad=secret_aad("ssh-key", project.id))
        row.ssh_public_key = key.public
    session.add(row)
    audit.record(session=session, actor=user, action="remote.update", object_type="project",
                 object_id=project.id, after=audit_view(row), ip=ip)
    return row
