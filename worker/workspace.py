"""A task's working copy: thin glue around ``clawweb.services.git_workdir``.

Lives under ``settings.workspaces_dir/task-<id>`` on branch ``clawweb/task-<id>``
(a follow-up continues its parent's branch). All git calls go through the
hardened git service: the working copy is hostile once the task has run.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from clawweb.models import Project, Task
from clawweb.services import git, git_workdir
from clawweb.settings import get_settings

log = logging.getLogger(__name__)
_DIR_RE = re.compile(r"^task-(\d+)$")


@dataclass
class Outcome:
    commit_sha: str = ""
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0


def workdir_for(task_id: int) -> Path:
    return get_settings().workspaces_dir / f"task-{task_id}"


def _repo(project: Project) -> Path:
    from clawweb.services import projects  # late: keeps import order loose

    return Path(projects.project_repo_path(project))


def prepare(task: Task, project: Project, parent: Task | None = None) -> tuple[Path, str | None]:
    """A fresh working copy for ``task``; returns (path, base sha for the diff)."""
    workdir = workdir_for(task.id)
    remove(workdir)  # a previous attempt's leftovers
    workdir.parent.mkdir(parents=True, exist_ok=True)
    repo = _repo(project)
    base = project.default_branch
    # A follow-up continues its parent's branch; if the parent committed
    # nothing, that branch was never published and the chain still starts
    # from the default branch.
    if parent is not None and parent.branch and git.branch_exists(repo, parent.branch):
        base = parent.branch
    base_sha = git_workdir.prepare_workdir(repo, workdir, base_branch=base,
                                           task_branch=task.branch or f"clawweb/task-{task.id}")
    _give_to_sandbox(workdir)
    return workdir, base_sha


def _give_to_sandbox(workdir: Path) -> None:
    # The container runs as uid 1000, usually not the worker's uid. Opening the
    # modes (rather than chowning) keeps the directories ours, so host-side git
    # does not refuse them as "dubious ownership".
    for root, dirs, files in os.walk(workdir):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o666)
    os.chmod(workdir, 0o777)


def finish(task: Task, project: Project, workdir: Path, base_sha: str | None) -> Outcome:
    """Commit what the task changed, measure it, and publish the task branch."""
    message = f"clawweb task {task.id}: {task.title or 'task'}"
    sha = git_workdir.commit_all(workdir, message)
    out = Outcome()
    if sha is None:
        return out
    out.commit_sha = sha
    if base_sha:
        out.files_changed, out.insertions, out.deletions = git_workdir.diff_stat(
            workdir, base_sha)
    git_workdir.publish_branch(workdir, _repo(project),
                               task.branch or f"clawweb/task-{task.id}")
    return out


def remove(workdir: Path) -> None:
    if workdir.is_symlink():
        workdir.unlink()
    elif workdir.exists():
        shutil.rmtree(workdir, ignore_errors=True)


def remove_orphans(keep_task_ids: set[int]) -> list[Path]:
    """Delete working copies of tasks not running on a live worker here."""
    root = get_settings().workspaces_dir
    if not root.is_dir():
        return []
    removed = []
    for entry in root.iterdir():
        m = _DIR_RE.match(entry.name)
        if m and int(m.group(1)) not in keep_task_ids:
            remove(entry)
            removed.append(entry)
    return removed
