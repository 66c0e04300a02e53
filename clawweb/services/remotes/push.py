"""Push a task's branch, or the default branch after a merge, to the project's remote.

Never forced: a remote branch that moved (someone else pushed) is reported as
rejected and left as it is. Each push is audited; the pushed commit is
recorded on the task (or the remote row, for the default branch).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from clawweb.models import TERMINAL_STATUSES, Task, User, utcnow
from clawweb.services import audit, git
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.projects.service import project_repo_path
from clawweb.services.remotes import net, store
from clawweb.services.remotes.access import require_ship
from clawweb.services.remotes.errors import RemoteError
from clawweb.services.remotes.redact import tail

TIMEOUT = 600


def _outcome(stdout: str) -> tuple[str, str]:
    """(flag, summary) of the one ref line of ``git push --porcelain``."""
    for line in stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and len(parts[0]) == 1:
            return parts[0], parts[2]
    return "", ""


def push_ref(session: Session, project, local_ref: str, remote_ref: str,
             user: User | None, ip: str) -> str:
    """Push ``local_ref`` of the project's repository to ``remote_ref``; the sha pushed.

    Raises:
        RemoteError: ``remotes.push_rejected`` (the remote moved),
            ``remotes.push_refused`` (a hook or protection said no, with its
            reason), or the classified transport failure.
    """
    repo = project_repo_path(project)
    sha = git.resolve(repo, local_ref)
    if sha is None:
        raise InvalidInput("remotes.nothing_to_push")
    url, creds, _ = store.opened(session, project.id)
    result, code = net.run(net.bare(repo) + [
        "push", "--porcelain", "--no-verify", "--", url.raw, f"{sha}:{remote_ref}"],
        url=url, creds=creds, timeout=TIMEOUT, check=False)
    flag, summary = _outcome(result.stdout)
    if flag == "!":
        if "remote rejected" in summary:
            raise RemoteError("remotes.push_refused", detail=tail(summary, 300),
                              reason=tail(summary, 200))
        raise RemoteError("remotes.push_rejected", detail=tail(summary, 300))
    if code != 0 or not flag:
        raise net.error_for(result.stderr, [], net.pinned_fingerprints(url, creds.known_hosts))
    store.pin_host_keys(session, project.id, result.known_hosts, user=user, ip=ip)
    return sha


def _audit(session, user, project_id, ref: str, sha: str, ip: str) -> None:
    audit.record(session=session, actor=user, action="remote.push", object_type="project",
                 object_id=project_id, after={"ref": ref, "sha": sha}, detail=ref, ip=ip)


def push_task(*, session: Session, user: User | None, task_id: int,
              ip: str = "") -> dict[str, Any]:
    """Someone who may ship: push a finished task's branch under the same name.

    Raises:
        NotFound: no such task (or not visible); InvalidInput:
        ``remotes.task_not_finished`` / ``remotes.nothing_to_push``; RemoteError.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound()
    project = require_ship(session=session, user=user, project_id=task.project_id)
    if task.status not in TERMINAL_STATUSES:
        raise InvalidInput("remotes.task_not_finished")
    if not task.branch:
        raise InvalidInput("remotes.nothing_to_push")
    git.check_branch_name(task.branch)
    ref = f"refs/heads/{task.branch}"
    sha = push_ref(session, project, ref, ref, user, ip)
    task.pushed_sha, task.pushed_at = sha, utcnow()
    session.add(task)
    _audit(session, user, project.id, ref, sha, ip)
    session.commit()
    return {"branch": task.branch, "sha": sha}


def push_default(*, session: Session, user: User | None, project_id: int,
                 ip: str = "") -> dict[str, Any]:
    """Someone who may ship: push the project's default branch (after a merge)."""
    project = require_ship(session=session, user=user, project_id=project_id)
    git.check_branch_name(project.default_branch)
    ref = f"refs/heads/{project.default_branch}"
    sha = push_ref(session, project, ref, ref, user, ip)
    row = store.get_remote(session, project.id)
    row.default_pushed_sha = sha
    session.add(row)
    _audit(session, user, project.id, ref, sha, ip)
    session.commit()
    return {"branch": project.default_branch, "sha": sha}
