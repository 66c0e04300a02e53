"""Counting a task list (clawweb.services.tasks.paging) with list_tasks' filters and access."""

from __future__ import annotations

import pytest

from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services.errors import NotFound, PermissionDenied
from clawweb.services.tasks import paging, service as tasks


@pytest.fixture
def world(session):
    vera, mallory = User(username="vera"), User(username="mallory")
    mine, other = Project(name="P", slug="p"), Project(name="O", slug="o")
    session.add_all([vera, mallory, mine, other])
    session.flush()
    session.add(ProjectMember(project_id=mine.id, user_id=vera.id, role=ProjectRole.viewer))
    session.add_all([Task(project_id=mine.id, command=str(i),
                          status=TaskStatus.failed if i < 3 else TaskStatus.succeeded)
                     for i in range(7)] + [Task(project_id=other.id, command="x")])
    session.commit()
    return vera, mallory, mine


def test_counts_match_what_the_list_would_page_through(session, world):
    vera, _, mine = world
    listed = tasks.list_tasks(session=session, user=vera, project_id=mine.id, limit=500)
    assert paging.count_tasks(session=session, user=vera, project_id=mine.id) == len(listed) == 7
    assert paging.count_tasks(session=session, user=vera) == 7  # only the projects she sees
    assert paging.count_tasks(session=session, user=vera, project_id=mine.id,
                              status="failed") == 3
    assert paging.count_tasks(session=session, user=vera, project_id=mine.id,
                              before_id=listed[2].id) == 4


def test_a_stranger_or_a_disabled_user_counts_nothing(session, world):
    vera, mallory, mine = world
    with pytest.raises(NotFound):  # as list_tasks: a project she is not in does not exist
        tasks.list_tasks(session=session, user=mallory, project_id=mine.id)
    with pytest.raises(NotFound):
        paging.count_tasks(session=session, user=mallory, project_id=mine.id)
    assert paging.count_tasks(session=session, user=mallory) == 0
    vera.disabled = True
    with pytest.raises(PermissionDenied):
        paging.count_tasks(session=session, user=vera)
