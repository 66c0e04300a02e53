"""Sync from remote: fetch the default branch and fast-forward the project's copy.

Local work is never overwritten: when the project's default branch has
commits the remote lacks (a merge not pushed yet), sync reports "ahead" or
"diverged" and leaves it. The first sync of a project created with a deploy
key (an unborn repository) takes the remote's default branch as its own.

``before_task`` is the worker's hook for projects that sync before each task:
one call, which never raises.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from clawweb.models import Project, User, utcnow
from clawweb.services import audit, git
from clawweb.services.errors import ServiceError
from clawweb.services.projects.service import project_repo_path
from clawweb.services.remotes import net, store
from clawweb.services.remotes.access import require_ship
from clawweb.services.remotes.errors import RemoteError

log = logging.getLogger(__name__)
TIMEOUT = 600


def _is_ancestor(repo, older: str, newer: str) -> bool:
    return git.run_git(net.bare(repo) + ["merge-base", "--is-ancestor", older, newer],
                       check=False).returncode == 0


def _adopt_remote_head(session: Session, project: Project, url, creds):
    """An unborn repository takes the remote's default branch name; new creds."""
    head, result = net.remote_head(url, creds)
    repo = project_repo_path(project)
    if head:
        git.check_branch_name(head)
        git.run_git(net.bare(repo) + ["symbolic-ref", "HEAD", f"refs/heads/{head}"])
        project.default_branch = head
        session.add(project)
    return replace(creds, known_hosts=result.known_hosts)


def _fast_forward(repo, branch: str, local: str | None, remote: str) -> str:
    ref = f"refs/heads/{branch}"
    if local == remote:
        return "remotes.sync_up_to_date"
    if local is None:
        git.run_git(net.bare(repo) + ["update-ref", ref, remote, ""])
        return "remotes.sync_updated"
    if _is_ancestor(repo, local, remote):
        # The old value makes this a compare-and-swap: a merge meanwhile wins.
        git.run_git(net.bare(repo) + ["update-ref", ref, remote, local])
        return "remotes.sync_updated"
    if _is_ancestor(repo, remote, local):
        return "remotes.sync_ahead"
    return "remotes.sync_diverged"


def _sync(session: Session, project: Project, user: User | None, ip: str) -> dict[str, Any]:
    url, creds, _ = store.opened(session, project.id)
    repo = project_repo_path(project)
    if not git.branches(repo):
        creds = _adopt_remote_head(session, project, url, creds)
    branch = project.default_branch
    git.check_branch_name(branch)
    result, _ = net.run(net.bare(repo) + [
        "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", url.raw,
        f"+refs/heads/{branch}:refs/remotes/origin/{branch}"], url=url, creds=creds,
        timeout=TIMEOUT)
    remote = git.resolve(repo, f"refs/remotes/origin/{branch}")
    local = git.resolve(repo, f"refs/heads/{branch}")
    key = _fast_forward(repo, branch, local, remote)
    store.pin_host_keys(session, project.id, result.known_hosts, user=user, ip=ip)
    row = store.get_remote(session, project.id)
    row.last_sync_at, row.last_sync_result, row.last_sync_params = utcnow(), key, {}
    row.default_pushed_sha = remote or ""  # what the remote is known to have
    session.add(row)
    audit.record(session=session, actor=user, action="remote.sync", object_type="project",
                 object_id=project.id, before={"branch": branch, "sha": local or ""},
                 after={"branch": branch, "sha": git.resolve(repo, f"refs/heads/{branch}")},
                 detail=key, ip=ip, actor_name="" if user else "clawweb")
    session.commit()
    return {"key": key, "branch": branch, "sha": remote or ""}


def sync_now(*, session: Session, user: User | None, project_id: int,
             ip: str = "") -> dict[str, Any]:
    """Someone who may ship: fetch the remote's default branch now.

    Returns:
        ``key`` (``remotes.sync_updated``, ``_up_to_date``, ``_ahead``,
        ``_diverged``), ``branch`` and the remote's ``sha``.

    Raises:
        RemoteError: the fetch failed (auth, host key, unreachable, …).
    """
    project = require_ship(session=session, user=user, project_id=project_id)
    try:
        return _sync(session, project, user, ip)
    except RemoteError as exc:
        _record_failure(session, project_id, exc)
        raise


def _record_failure(session: Session, project_id: int, exc: ServiceError) -> None:
    session.rollback()
    row = store.get_remote(session, project_id)
    if row is not None:
        row.last_sync_at, row.last_sync_result = utcnow(), exc.key
        row.last_sync_params = {k: str(v) for k, v in exc.params.items()}
        session.add(row)
        session.commit()


def before_task(*, session: Session, project_id: int) -> dict[str, Any] | None:
    """Worker hook: sync first when the project asks for it; never raises.

    Returns:
        None when the project does not sync before tasks; otherwise the sync
        result, or ``{"key": <error key>}`` when it failed (the task then
        runs on what the project already has).
    """
    row = store.get_remote(session, project_id)
    project = session.get(Project, project_id)
    if row is None or not row.sync_before_task or not row.url or project is None:
        return None
    try:
        return _sync(session, project, None, "")
    except ServiceError as exc:
        log.warning("sync before task failed for project %s: %s", project_id, exc.key)
        _record_failure(session, project_id, exc)
        return {"key": exc.key}
