"""Users, projects and tasks for the agent-area service tests."""

from __future__ import annotations

from clawweb.models import Project, ProjectMember, ProjectRole, Role, Task, User


def make_user(session, name: str, role: Role = Role.member) -> User:
    user = User(username=name, role=role)
    session.add(user)
    session.commit()
    return user


def make_project(session, owner: User, name: str = "demo", **members: ProjectRole) -> Project:
    project = Project(name=name, slug=name, created_by=owner.id)
    session.add(project)
    session.commit()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.owner))
    session.commit()
    return project


def add_member(session, project: Project, user: User, role: ProjectRole) -> None:
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=role))
    session.commit()


def make_task(session, project: Project, user: User, **kw) -> Task:
    task = Task(project_id=project.id, created_by=user.id, kind="claude",
                command=kw.pop("command", "do it"), **kw)
    session.add(task)
    session.commit()
    return task
