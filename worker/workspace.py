"""A task's files on the host: its size-limited disk, its working copy, its Claude config dir.

Each task gets its own filesystem (:mod:`worker.taskfs`, ``settings.task_disk_mb``)
at ``settings.workspaces_dir/task-<id>``, holding the working copy (``workspace/``,
mounted at /workspace, on branch ``clawweb/task-<id>``; a follow-up continues
its parent's branch) and Claude Code's config dir (``claude/``). All git calls
go through the hardened git service, and only once the task's container is gone
(the job makes sure): the working copy is hostile once the task has run.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from clawweb.db import session_scope
from clawweb.models import Project, Task
from clawweb.services import git
from worker import git_workdir
from clawweb.services.review.commit_message import task_author, task_commit_message
from clawweb.settings import get_settings
from worker import taskfs

log = logging.getLogger(__name__)

WORKSPACE_SUBDIR = "workspace"
CLAUDE_SUBDIR = "claude"


@dataclass
class Outcome:
    commit_sha: str = ""
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    # Why no branch was published (a message key), "" when one was.
    unpublished: str = ""


@dataclass
class Prepared:
    """A task's files while it runs; :func:`release` them when it ends."""

    fs: taskfs.TaskFs
    workdir: Path
    base_sha: str | None


def workdir_for(task_id: int) -> Path:
    return get_settings().workspaces_dir / f"task-{task_id}" / WORKSPACE_SUBDIR


def claude_dir(workdir: Path) -> Path:
    """The Claude config dir that belongs with a working copy: its sibling on the task's disk."""
    return Path(workdir).parent / CLAUDE_SUBDIR


def _repo(project: Project) -> Path:
    from clawweb.services.projects import service as projects

    return Path(projects.project_repo_path(project))


def prepare(task: Task, project: Project, parent: Task | None = None) -> Prepared:
    """A fresh disk and working copy for ``task``, with the base sha for the diff.

    Raises:
        TaskFsError: the disk could not be set up (see :func:`worker.taskfs.create`),
            or ``workspace.disk_full`` when the repository does not fit on it.
        GitError: the clone failed (the disk is removed again).
    """
    settings = get_settings()
    fs = taskfs.create(settings.workspaces_dir, task.id, settings.task_disk_mb,
                       (WORKSPACE_SUBDIR, CLAUDE_SUBDIR))
    try:
        repo = _repo(project)
        base = project.default_branch
        # A follow-up continues its parent's branch; if the parent committed
        # nothing, that branch was never published and the chain still starts
        # from the default branch.
        if parent is not None and parent.branch and git.branch_exists(repo, parent.branch):
            base = parent.branch
        workdir = fs.root / WORKSPACE_SUBDIR
        base_sha = git_workdir.prepare_workdir(
            repo, workdir, base_branch=base,
            task_branch=task.branch or f"clawweb/task-{task.id}")
        _give_to_sandbox(workdir)
    except BaseException as exc:
        # (git removes its half-written clone, so ask its words too, not only the disk)
        full = isinstance(exc, Exception) and (
            fs.is_full() or "No space left on device" in getattr(exc, "stderr", ""))
        fs.destroy()
        if full:  # the repository alone does not fit the task's disk
            raise taskfs.TaskFsError("workspace.disk_full",
                                     limit_mb=settings.task_disk_mb) from exc
        raise
    return Prepared(fs=fs, workdir=workdir, base_sha=base_sha)


def _give_to_sandbox(workdir: Path) -> None:
    # The container runs as uid 1000, usually not the worker's uid. Opening the
    # modes (rather than chowning) keeps the directories ours, so host-side git
    # does not refuse them as "dubious ownership". A committed symlink
    # (x -> /etc/cron.d) is neither followed nor changed: each entry is looked
    # at with lstat, and only real directories and regular files are opened,
    # with O_NOFOLLOW, and fchmod-ed.
    for _dirpath, dirs, files, dir_fd in os.fwalk(workdir, follow_symlinks=False):
        for name in dirs + files:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                _fchmod_at(dir_fd, name, 0o777, st, os.O_DIRECTORY)
            elif stat.S_ISREG(st.st_mode):
                _fchmod_at(dir_fd, name, stat.S_IMODE(st.st_mode) | 0o666, st, 0)
    os.chmod(workdir, 0o777)


def _fchmod_at(dir_fd: int, name: str, mode: int, seen: os.stat_result, flags: int) -> None:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | flags, dir_fd=dir_fd)
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) == (seen.st_dev, seen.st_ino):
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def finish(task: Task, project: Project, workdir: Path, base_sha: str | None, *,
           summary: str = "") -> Outcome:
    """Commit what the task left, measure against the base, and publish the task branch.

    Publishes whenever HEAD differs from the base: an agent that committed its
    own work and left a clean tree (Claude Code does when asked to commit) has
    nothing for :func:`git_workdir.commit_all` to do, but its commits count.
    Call only once the task's container is gone.
    """
    # Says what was done (the prompt, the agent's summary); authored by whoever
    # asked for it, committed by clawweb.
    message = task_commit_message(task_id=task.id, prompt=task.command, summary=summary)
    with session_scope() as session:
        name, email = task_author(session, task)
    git_workdir.commit_all(workdir, message, author_name=name, author_email=email)
    head = git_workdir.head(workdir)
    if head is None or head == base_sha:
        return Outcome(unpublished="workspace.nothing_changed")
    files, ins, dels = git_workdir.diff_stat(workdir, base_sha)
    git_workdir.publish_branch(workdir, _repo(project),
                               task.branch or f"clawweb/task-{task.id}")
    return Outcome(commit_sha=head, files_changed=files, insertions=ins, deletions=dels)


def disk_full(prepared: Prepared) -> bool:
    """Whether the task used up its disk (the limit, ``settings.task_disk_mb``)."""
    return prepared.fs.is_full()


def release(prepared: Prepared) -> None:
    """Unmount and delete the task's disk, working copy and config dir included."""
    prepared.fs.destroy()


def remove_orphans(keep_task_ids: set[int]) -> list[Path]:
    """Delete the disks of tasks not running here (never one a live process holds)."""
    return taskfs.remove_orphans(get_settings().workspaces_dir, keep_task_ids)
