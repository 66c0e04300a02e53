"""Pull/merge requests for a task's branch, and the task page's view of shipping.

Opening pushes the branch first when the remote does not have its newest
commit, then asks the project's forge (:mod:`clawweb.services.forges`) for a
request from the task branch into the default branch. Title and body come
from the task: its prompt, the agent's final summary, a link back to the task
page. A task has at most one open request; a claim on the row (``opening``)
keeps two clicks from opening two.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, select

from clawweb import routes
from clawweb.i18n import t
from clawweb.models import TERMINAL_STATUSES, Project, Task, TaskEvent, User
from clawweb.services import audit, forges, git
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.forges import ForgeError
from clawweb.services.access import require_role
from clawweb.services.projects.service import project_repo_path
from clawweb.services.remotes import store
from clawweb.services.remotes.access import can_ship, require_ship
from clawweb.services.remotes.push import push_ref
from clawweb.settings import get_settings

MAX_TITLE = 72
MAX_PROMPT = 4000
MAX_SUMMARY = 20000
REOPENABLE = ("", "closed")


def _summary(session: Session, task_id: int) -> str:
    event = session.exec(select(TaskEvent).where(
        TaskEvent.task_id == task_id, TaskEvent.type == "agent.result")
        .order_by(TaskEvent.seq.desc()).limit(1)).first()
    return str((event.data or {}).get("result", "")) if event else ""


def _cut(text: str, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def request_text(session: Session, task: Task, lang: str = "en") -> tuple[str, str]:
    """(title, markdown body) of the request a task opens."""
    prompt = (task.command or "").strip()
    first = (task.title or prompt).splitlines()[0] if (task.title or prompt) else ""
    title = t("remotes.pr_title", lang, id=task.id, title=_cut(first, MAX_TITLE))
    quoted = "\n".join(f"> {line}" if line else ">" for line in
                       _cut(prompt, MAX_PROMPT).splitlines())
    link = get_settings().origin + routes.task(task.id)
    parts = [quoted]
    summary = _cut(_summary(session, task.id), MAX_SUMMARY)
    if summary:
        parts.append(summary)
    parts.append(f"---\nclawweb task #{task.id}: {link}")
    return title, "\n\n".join(parts)


def _task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound()
    return task


def _claim(session: Session, task: Task) -> None:
    """Mark the task ``opening`` if nobody else is opening or has opened a request."""
    if task.pr_state not in REOPENABLE:
        raise InvalidInput("remotes.pr_busy" if task.pr_state == "opening"
                           else "remotes.pr_exists")
    claimed = session.exec(update(Task).where(Task.id == task.id,
                                              Task.pr_state.in_(REOPENABLE))
                           .values(pr_state="opening")).rowcount
    session.commit()
    if claimed != 1:
        raise InvalidInput("remotes.pr_busy")
    session.refresh(task)


def _release(session: Session, task_id: int, state: str) -> None:
    session.rollback()
    session.exec(update(Task).where(Task.id == task_id, Task.pr_state == "opening")
                 .values(pr_state=state))
    session.commit()


def _safe_url(url: str) -> str:
    # The forge's answer becomes a link on our page: only http(s), never javascript:.
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ForgeError("forges.bad_response")
    return url


def _forge(session: Session, project: Project):
    url, creds, kind = store.opened(session, project.id)
    row = store.get_remote(session, project.id)
    return forges.for_remote(remote=url, kind=kind, token=creds.token,
                             api_url=row.forge_api_url)


def _open(session: Session, task: Task, project: Project, user: User, ip: str) -> None:
    forge = _forge(session, project)
    ref = f"refs/heads/{task.branch}"
    head = git.resolve(project_repo_path(project), ref)
    if head and head != task.pushed_sha:
        task.pushed_sha = push_ref(session, project, ref, ref, user, ip)
        audit.record(session=session, actor=user, action="remote.push", object_type="project",
                     object_id=project.id, after={"ref": ref, "sha": task.pushed_sha},
                     detail=ref, ip=ip)
    title, body = request_text(session, task, user.language or "en")
    pr = forge.open_request(head=task.branch, base=project.default_branch, title=title,
                            body=body)
    task.pr_url, task.pr_number, task.pr_state = _safe_url(pr.url), pr.number, pr.state
    session.add(task)
    audit.record(session=session, actor=user, action="remote.pr_open", object_type="project",
                 object_id=project.id, after={"task": task.id, "url": task.pr_url,
                                              "number": pr.number}, ip=ip)
    session.commit()


def open_for_task(*, session: Session, user: User | None, task_id: int,
                  ip: str = "") -> dict[str, Any]:
    """Someone who may ship: push if needed, then open the task's pull request.

    Raises:
        NotFound, PermissionDenied; InvalidInput: ``remotes.pr_exists``,
        ``remotes.pr_busy``, ``remotes.task_not_finished``,
        ``remotes.nothing_to_push``; RemoteError (push); ForgeError (forge).
    """
    task = _task(session, task_id)
    project = require_ship(session=session, user=user, project_id=task.project_id)
    if task.status not in TERMINAL_STATUSES:
        raise InvalidInput("remotes.task_not_finished")
    if not task.branch or not git.branch_exists(project_repo_path(project), task.branch):
        raise InvalidInput("remotes.nothing_to_push")
    previous = task.pr_state
    _claim(session, task)
    try:
        _open(session, task, project, user, ip)
    except BaseException:
        _release(session, task.id, previous)
        raise
    return ship_view(session=session, user=user, task_id=task.id)


def refresh(*, session: Session, user: User | None, task_id: int) -> dict[str, Any]:
    """Viewer: ask the forge for the request's current state and record it."""
    task = _task(session, task_id)
    project = session.get(Project, task.project_id)
    require_role(session=session, user=user, project_id=task.project_id, at_least="viewer")
    if not task.pr_number:
        raise InvalidInput("remotes.pr_none")
    pr = _forge(session, project).request_state(task.pr_number)
    task.pr_state, task.pr_url = pr.state, _safe_url(pr.url)
    session.add(task)
    session.commit()
    return ship_view(session=session, user=user, task_id=task.id)


def ship_view(*, session: Session, user: User | None, task_id: int) -> dict[str, Any]:
    """Viewer: what the task page's shipping section shows (no secrets)."""
    task = _task(session, task_id)
    require_role(session=session, user=user, project_id=task.project_id, at_least="viewer")
    project = session.get(Project, task.project_id)
    row = store.get_remote(session, project.id)
    repo = project_repo_path(project)
    head = git.resolve(repo, f"refs/heads/{task.branch}") if task.branch else None
    default_sha = git.resolve(repo, f"refs/heads/{project.default_branch}")
    return {
        "can_ship": can_ship(session=session, user=user, project_id=project.id),
        "has_remote": bool(row and row.url), "remote_url": row.url if row else "",
        "finished": task.status in TERMINAL_STATUSES, "branch": task.branch or "",
        "branch_exists": head is not None, "pushed": bool(head and head == task.pushed_sha),
        "pushed_short": (task.pushed_sha or "")[:12],
        "default_branch": project.default_branch,
        "default_unpushed": bool(row and row.url and default_sha
                                 and default_sha != row.default_pushed_sha),
        "pr_url": task.pr_url, "pr_number": task.pr_number, "pr_state": task.pr_state,
    }
