"""Shared helpers for the remote integration tests: users, a finished task with a
branch made the way the worker makes one, and a recorder of every git process."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from sqlmodel import Session

from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskStatus, User


def users(session: Session) -> dict[str, User]:
    made = {}
    for name in ("alice", "bob", "carol", "mallory"):
        user = User(username=name, password_hash="!")
        session.add(user)
        made[name] = user
    session.commit()
    return made


def add_member(session: Session, project: Project, user: User, role: ProjectRole) -> None:
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=role))
    session.commit()


def finished_task(session: Session, project: Project, user: User, files: dict[str, str],
                  prompt: str = "add a greeting") -> Task:
    """A succeeded task whose branch was published like worker/workspace.py does it."""
    from worker import git_workdir
    from clawweb.services.projects.service import project_repo_path

    task = Task(project_id=project.id, created_by=user.id, kind="shell", command=prompt,
                status=TaskStatus.succeeded)
    session.add(task)
    session.commit()
    task.branch = f"clawweb/task-{task.id}"
    repo = project_repo_path(project)
    work = Path(tempfile.mkdtemp(prefix="task-work-")) / "w"
    git_workdir.prepare_workdir(repo, work, base_branch=project.default_branch,
                                task_branch=task.branch)
    for name, text in files.items():
        (work / name).write_text(text)
    task.commit_sha = git_workdir.commit_all(work, f"Task {task.id}: {prompt}")
    git_workdir.publish_branch(work, repo, task.branch)
    session.add(task)
    session.commit()
    return task


def rev(repo: Path, ref: str) -> str:
    """The sha ``ref`` names in ``repo`` ("" when missing), read with plain git."""
    res = subprocess.run(["git", "-c", "safe.directory=*", "--git-dir", str(repo), "rev-parse",
                          "--verify", "--quiet", f"{ref}^{{commit}}"],
                         capture_output=True, text=True)
    return res.stdout.strip()


class PopenRecorder:
    """Records argv and environment of every process clawweb's run_git starts."""

    def __init__(self, monkeypatch):
        import clawweb.services.git.runner as git_mod

        self.calls: list[tuple[list[str], dict[str, str]]] = []
        real = git_mod.subprocess.Popen

        def spy(cmd, *args, **kwargs):
            self.calls.append((list(cmd), dict(kwargs.get("env") or {})))
            return real(cmd, *args, **kwargs)

        monkeypatch.setattr(git_mod.subprocess, "Popen", spy)

    def text(self) -> str:
        return "\n".join(" ".join(cmd) + "\n" + "\n".join(f"{k}={v}" for k, v in env.items())
                         for cmd, env in self.calls)


def grep_tree(root: Path, needles: list[str]) -> list[str]:
    """Files under ``root`` containing any needle (binary-safe, no link following)."""
    hits = []
    for path in Path(root).rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(n.encode() in data for n in needles if n):
                hits.append(str(path))
    return hits
