"""The REST task read names the task's attachments (path and size)."""

from __future__ import annotations

from types import SimpleNamespace

from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskAttachment, User
from clawweb.rest import tasks as rest_tasks


def test_the_task_read_lists_its_attachments(session):
    user, project = User(username="u"), Project(name="P", slug="p")
    session.add_all([user, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.viewer))
    task = Task(project_id=project.id, command="cat attachments/a.txt")
    session.add(task)
    session.flush()
    session.add(TaskAttachment(upload_id="0" * 32, project_id=project.id, user_id=user.id,
                               task_id=task.id, name="a.txt", size=3))
    session.commit()
    out = rest_tasks._get(SimpleNamespace(user=user), task.id)
    assert [a.model_dump() for a in out.attachments] == [
        {"path": "attachments/a.txt", "name": "a.txt", "size": 3}]
