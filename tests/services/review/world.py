"""A project with owner, editor, viewer and a stranger, and finished tasks on real branches."""

from __future__ import annotations

from dataclasses import dataclass

from clawweb.models import ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services.projects import service as projects
from tests.services.review.builder import RepoBuilder


@dataclass
class World:
    session: object
    owner: User
    editor: User
    viewer: User
    stranger: User
    project: object
    builder: RepoBuilder

    def task(self, files: dict | None = None, *, user: User | None = None, kind: str = "shell",
             status: TaskStatus = TaskStatus.succeeded, command: str = "make it so",
             **kw) -> Task:
        """A finished task whose branch commits ``files`` (no commit when None)."""
        task = Task(project_id=self.project.id, created_by=(user or self.editor).id,
                    kind=kind, command=command, title=command[:80], status=status, **kw)
        self.session.add(task)
        self.session.flush()
        task.branch = task.branch or f"clawweb/task-{task.id}"
        if files is not None:
            task.commit_sha = self.builder.commit(task.branch, files, f"task {task.id}")
        self.session.add(task)
        self.session.commit()
        return task


def make_world(session, tmp_path, settings) -> World:
    users = {}
    for name in ("owner", "editor", "viewer", "stranger"):
        users[name] = User(username=name, display_name=name.title(),
                           email=f"{name}@example.invalid")
        session.add(users[name])
    session.commit()
    project = projects.create_project(session=session, user=users["owner"], name="Ship")
    for name, role in (("editor", ProjectRole.editor), ("viewer", ProjectRole.viewer)):
        session.add(ProjectMember(project_id=project.id, user_id=users[name].id, role=role))
    session.commit()
    builder = RepoBuilder(tmp_path, bare=projects.project_repo_path(project))
    builder.commit("main", {"a.txt": "one\ntwo\nthree\n"}, "base")
    return World(session=session, project=project, builder=builder, **users)
