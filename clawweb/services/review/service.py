"""Reading a task's change and a project's files, with the caller's rights checked.

Every function takes the signed-in user and checks their project role through
the projects service (viewer to read). The review target is resolved afresh
on every call: the branch tip and the default branch's tip come from the bare
repository, the base is their merge base (or, once merged, the base the merge
was reviewed against).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from clawweb.models import TERMINAL_STATUSES, Project, ProjectRole, Task, TaskStatus, User
from clawweb.services import access, git
from clawweb.services.projects import service as projects
from clawweb.services.tasks import service as task_service
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.git import GitError
from clawweb.services.review import diff, gitobj, tree
from clawweb.services.review.access import may_ship

BUSY = (TaskStatus.queued, TaskStatus.running, TaskStatus.awaiting_approval)


@dataclass(frozen=True)
class Target:
    """A task's branch as the review shows it."""

    task: Task
    project: Project
    repo: Path
    branch: str
    head: str | None  # the branch tip; None when nothing was committed or it was discarded
    base: str | None
    target_tip: str | None  # the default branch's tip
    role: ProjectRole
    can_ship: bool
    busy: bool  # a task on the branch is queued or running


def branch_busy(session: Session, task: Task) -> bool:
    """Whether any task on ``task``'s branch has not finished (it may still move it)."""
    if not task.branch:
        return False
    return session.exec(select(Task.id).where(
        Task.project_id == task.project_id, Task.branch == task.branch,
        Task.status.in_(BUSY))).first() is not None


def _base(repo: Path, task: Task, head: str | None, target_tip: str | None) -> str | None:
    if head is None:
        return None
    if task.merge_state == "merged" and gitobj.is_sha(task.merge_base_sha):
        return task.merge_base_sha
    if target_tip is None:
        return gitobj.empty_tree(repo)
    return gitobj.merge_base(repo, target_tip, head) or gitobj.empty_tree(repo)


def load_target(*, session: Session, user: User | None, task_id: int) -> Target:
    """The review target of ``task_id`` (viewer or better).

    Raises:
        NotFound: no such task, or the caller may not see its project.
    """
    task = task_service.get_task(session=session, user=user, task_id=task_id)
    role = access.require_role(session=session, user=user, project_id=task.project_id,
                               at_least=ProjectRole.viewer)
    project = session.get(Project, task.project_id)
    repo = projects.project_repo_path(project)
    if not repo.is_dir():
        raise NotFound()
    head = gitobj.branch_commit(repo, task.branch) if task.branch else None
    tip = gitobj.branch_commit(repo, project.default_branch)
    return Target(task=task, project=project, repo=repo, branch=task.branch, head=head,
                  base=_base(repo, task, head, tip), target_tip=tip, role=role,
                  can_ship=may_ship(role, project), busy=branch_busy(session, task))


def finished(target: Target) -> bool:
    """Whether the task has finished (its work may be shipped)."""
    return target.task.status in TERMINAL_STATUSES


def changed_files(target: Target) -> tuple[list[diff.FileChange], bool]:
    """The files the branch changed against its base (empty without a branch)."""
    if target.head is None or target.base is None:
        return [], False
    return diff.changed_files(target.repo, target.base, target.head)


def find_change(target: Target, path: str) -> diff.FileChange:
    """The change of one file, by its (new) path.

    Raises:
        NotFound: ``review.not_found`` when the branch did not change ``path``.
    """
    path = gitobj.clean_path(path)
    for change in changed_files(target)[0]:
        if change.path == path:
            return change
    raise NotFound("review.not_found")


def patch_window(target: Target, change: diff.FileChange, start: int = 0) -> diff.PatchWindow:
    """One window of a file's patch (see :func:`diff.patch_window`)."""
    return diff.patch_window(target.repo, target.base, target.head, change, start)


def branch_commits(target: Target) -> list[dict]:
    """The commits the branch adds to its base, newest first."""
    if target.head is None:
        return []
    base = target.base if target.base and target.base != gitobj.empty_tree(target.repo) \
        else None
    return diff.commits(target.repo, base, target.head)


# --- the file browser -----------------------------------------------------------

@dataclass(frozen=True)
class Browse:
    project: Project
    repo: Path
    ref: str  # branch name
    commit: str
    branches: list[str]


def open_ref(*, session: Session, user: User | None, project_id: int, ref: str = "") -> Browse:
    """A project's branch for the file browser (viewer); ``ref`` "" = the default branch.

    Raises:
        NotFound: no access; ``review.ref_missing`` when the branch has no commit.
    """
    project = projects.get_project(session=session, user=user, project_id=project_id)
    repo = projects.project_repo_path(project)
    ref = ref or project.default_branch
    try:
        git.check_branch_name(ref)
    except GitError:
        raise InvalidInput("review.ref_missing", ref=ref[:200]) from None
    commit = gitobj.branch_commit(repo, ref)
    if commit is None:
        raise NotFound("review.ref_missing", ref=ref[:200])
    return Browse(project=project, repo=repo, ref=ref, commit=commit,
                  branches=git.branches(repo))


def open_commit(*, session: Session, user: User | None, project_id: int,
                commit: str) -> tuple[Project, Path]:
    """A project and its repository, if ``commit`` is a full commit id in it (viewer).

    Downloads name commits, not branches, so a URL always shows the same bytes.

    Raises:
        NotFound: no access, or no such commit.
    """
    project = projects.get_project(session=session, user=user, project_id=project_id)
    repo = projects.project_repo_path(project)
    if not gitobj.is_sha(commit) or gitobj.commit_of(repo, commit) != commit:
        raise NotFound("review.not_found")
    return project, repo


def browse_dir(b: Browse, path: str) -> tuple[list[gitobj.Entry], bool]:
    """Entries of a directory on the branch (see :func:`tree.listing`)."""
    return tree.listing(b.repo, b.commit, path)


def browse_file(b: Browse, path: str) -> tree.FileView:
    """A file on the branch (see :func:`tree.view_file`)."""
    return tree.view_file(b.repo, b.commit, path)


def path_kind(b: Browse, path: str) -> str:
    """``dir`` for the root or a directory, else the entry's kind ("" when missing)."""
    if not path:
        return "dir"
    found = gitobj.entry(b.repo, b.commit, path)
    return found.kind if found else ""
