"""Shipping a finished task: merge, discard, download, ask the agent to resolve.

Each action checks the project's ``ship_role`` for the caller, works on the
exact commit the caller reviewed (``expected_head``: a branch that moved since
is refused), and writes an audit event when it acts (a merge conflict too;
refused calls change nothing and are not audited). Project settings for
shipping are changed here too (owners).
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from clawweb.i18n import t
from clawweb.models import Project, ProjectRole, Task, User, utcnow
from clawweb.services import audit
from clawweb.services.agents import credentials, tasks as agent_tasks
from clawweb.services.projects import service as projects
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.tasks import service as task_service
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.review import commit_message, gitobj, merge
from clawweb.services.review.access import SHIP_ROLES, require_ship
from clawweb.services.review.service import Target, branch_commits, finished, load_target

EXPORTS = ("patch", "bundle")
MAX_CONFLICT_FILES = 50


def _shippable(session: Session, user: User | None, task_id: int,
               expected_head: str) -> Target:
    target = load_target(session=session, user=user, task_id=task_id)
    require_ship(session=session, user=user, project_id=target.project.id)
    if not finished(target) or target.busy:
        raise InvalidInput("review.not_finished")
    if target.head is None:
        raise InvalidInput("review.no_branch")
    if expected_head != target.head:
        raise InvalidInput("review.branch_moved", branch=target.branch)
    return target


def _audit(session: Session, user: User, action: str, target: Target, ip: str,
           after: dict | None = None, detail: str = "") -> None:
    audit.record(session=session, actor=user, action=action, object_type="task",
                 object_id=target.task.id, ip=ip, detail=detail,
                 before={"branch": target.branch, "head": target.head,
                         "default_branch": target.project.default_branch,
                         "default_tip": target.target_tip},
                 after=after)


def merge_message(session: Session, target: Target, strategy: str) -> str:
    """The message of the merge or squash commit for ``target``."""
    task = target.task
    if strategy == "squash":
        body = commit_message.task_commit_message(task_id=task.id, prompt=task.command)
        subjects = [f"* {c['subject']}" for c in branch_commits(target)[:50]]
        return body.rstrip("\n") + ("\n\n" + "\n".join(subjects) if subjects else "") + "\n"
    title = (task.title or f"task {task.id}").strip()
    return f"Merge branch '{target.branch}' (task #{task.id}: {title})\n"


def _mark_branch(session: Session, target: Target, values: dict) -> None:
    rows = session.exec(select(Task).where(Task.project_id == target.project.id,
                                           Task.branch == target.branch)).all()
    for row in rows:
        if row.merge_state == "merged" and values.get("merge_state") == "discarded":
            continue  # a merged task stays merged when its branch is deleted later
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.add(row)


def merge_task(*, session: Session, user: User | None, task_id: int, strategy: str,
               expected_head: str, ip: str = "") -> merge.MergeResult:
    """Merge a finished task's branch into the project's default branch.

    Args:
        strategy: ``ff``, ``merge``, ``squash``, or "" for the project's default.
        expected_head: The branch tip the caller reviewed.

    Raises:
        merge.MergeConflict: with the conflicting files (audited, nothing moved).
        InvalidInput / GitError: not finished, branch moved, not fast-forward, ...
        PermissionDenied: ``review.ship_forbidden``.
    """
    target = _shippable(session, user, task_id, expected_head)
    strategy = strategy or target.project.merge_strategy
    if strategy not in merge.STRATEGIES:
        raise InvalidInput("review.strategy_invalid")
    try:
        result = merge.merge(
            target.repo, target=target.project.default_branch, head=target.head,
            strategy=strategy, message=merge_message(session, target, strategy),
            author=commit_message.author_for(user), expected_target=target.target_tip)
    except merge.MergeConflict as exc:
        _audit(session, user, "task.merge_conflict", target, ip,
               after={"strategy": strategy, "files": exc.files[:MAX_CONFLICT_FILES]})
        session.commit()
        raise
    _mark_branch(session, target, {"merge_state": "merged", "merged_sha": result.sha,
                                   "merge_base_sha": target.base or "",
                                   "merged_at": utcnow()})
    _audit(session, user, "task.merge", target, ip,
           after={"strategy": strategy, "default_tip": result.sha})
    session.commit()
    return result


def discard_task(*, session: Session, user: User | None, task_id: int, expected_head: str,
                 ip: str = "") -> None:
    """Delete a finished task's branch (it must still be at ``expected_head``)."""
    target = _shippable(session, user, task_id, expected_head)
    merge.discard(target.repo, branch=target.branch, expected=target.head,
                  protected=target.project.default_branch)
    _mark_branch(session, target, {"merge_state": "discarded"})
    _audit(session, user, "task.discard", target, ip, after={"branch": None})
    session.commit()


def export_change(*, session: Session, user: User | None, task_id: int, kind: str,
                  directory: Path, expected_head: str, ip: str = "") -> tuple[Path, str]:
    """Write the task's change as a patch or bundle into ``directory`` (ours, empty).

    Allowed whenever the branch exists (also before a follow-up on it finishes,
    or after a merge), but only of the tip the caller reviewed.

    Args:
        expected_head: The branch tip the review page showed.

    Returns:
        (the file, a download name such as ``task-5.patch``).

    Raises:
        InvalidInput: ``review.branch_moved`` when the branch is no longer at
            ``expected_head``; ``review.no_branch``; ``review.nothing_to_export``.
    """
    if kind not in EXPORTS:
        raise NotFound()
    target = load_target(session=session, user=user, task_id=task_id)
    require_ship(session=session, user=user, project_id=target.project.id)
    if target.head is None or target.base is None:
        raise InvalidInput("review.no_branch")
    if expected_head != target.head:
        raise InvalidInput("review.branch_moved", branch=target.branch)
    if kind == "patch":
        if target.base == gitobj.empty_tree(target.repo):
            raise InvalidInput("review.nothing_to_export")
        path = merge.export_patch(target.repo, base=target.base, head=target.head,
                                  directory=directory)
    else:
        base = None if target.base == gitobj.empty_tree(target.repo) else target.base
        path = merge.export_bundle(target.repo, branch=target.branch, base=base,
                                   directory=directory)
    _audit(session, user, "task.download", target, ip, after={"kind": kind}, detail=kind)
    session.commit()
    return path, f"task-{target.task.id}.{kind}"


def _latest_claude(session: Session, target: Target) -> Task | None:
    rows = session.exec(select(Task).where(
        Task.project_id == target.project.id, Task.branch == target.branch,
        Task.kind == "claude").order_by(Task.id.desc())).all()
    return next((r for r in rows if r.agent_session_id), None)


def _check_credential(session: Session, user: User, project_id: int) -> None:
    try:
        found = credentials.resolve(session=session, project_id=project_id, user_id=user.id)
    except SecretUnreadable as exc:
        raise InvalidInput("agent_tasks.credential_unreadable") from exc
    if found is None:
        raise InvalidInput("agent_tasks.no_credential")


def resolve_conflicts(*, session: Session, user: User | None, task_id: int,
                      idempotency_key: str, lang: str = "en", ip: str = "") -> Task:
    """Start a Claude run on the branch that rebases it and resolves the conflicts.

    The conflicting files are computed again here (never taken from the
    browser). A Claude thread continues as a follow-up of its latest task;
    anything else gets a new Claude task on the same branch.

    Raises:
        InvalidInput: ``review.no_conflict`` when the branch now merges cleanly,
            ``agent_tasks.no_credential``, or as the task services.
    """
    target = load_target(session=session, user=user, task_id=task_id)
    require_ship(session=session, user=user, project_id=target.project.id)
    if not finished(target) or target.busy or target.head is None or not target.target_tip:
        raise InvalidInput("review.not_finished")
    tree_id, files = merge.conflicts(target.repo, target.target_tip, target.head)
    if tree_id is not None:
        raise InvalidInput("review.no_conflict")
    prompt = t("review.resolve_prompt", lang, branch=target.project.default_branch,
               files=", ".join(files[:MAX_CONFLICT_FILES]))
    parent = _latest_claude(session, target)
    if parent is not None:
        return agent_tasks.follow_up(session=session, user=user, task_id=parent.id,
                                     prompt=prompt, idempotency_key=idempotency_key, ip=ip)
    _check_credential(session, user, target.project.id)
    return task_service.submit_task(
        session=session, user=user, project_id=target.project.id, command=prompt,
        idempotency_key=idempotency_key, kind="claude", ip=ip, branch=target.branch,
        parent_id=None)


def update_ship_settings(*, session: Session, user: User | None, project_id: int,
                         merge_strategy: str, ship_role: str, ip: str = "") -> Project:
    """Owner: the default merge strategy and who may ship.

    Raises:
        InvalidInput: ``review.strategy_invalid`` or ``review.ship_role_invalid``.
    """
    project = projects.get_project(session=session, user=user, project_id=project_id,
                                   at_least=ProjectRole.owner)
    if merge_strategy not in merge.STRATEGIES:
        raise InvalidInput("review.strategy_invalid")
    if ship_role not in SHIP_ROLES:
        raise InvalidInput("review.ship_role_invalid")
    before = {"merge_strategy": project.merge_strategy, "ship_role": project.ship_role}
    project.merge_strategy, project.ship_role = merge_strategy, ship_role
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, actor=user, action="project.update", object_type="project",
                 object_id=project.id, before=before,
                 after={"merge_strategy": merge_strategy, "ship_role": ship_role}, ip=ip)
    session.commit()
    return project

