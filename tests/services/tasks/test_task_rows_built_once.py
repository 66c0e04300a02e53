"""The REST list's rows (``reads.list_task_rows``) from a statement built once per shape
of filters: the same tasks, in the same order, to the same people as ``list_tasks``."""

from __future__ import annotations

import itertools

import pytest

from clawweb.models import Project, ProjectMember, ProjectRole, Role, Task, TaskStatus, User
from clawweb.services.errors import NotFound
from clawweb.services.tasks import reads, service as tasks


@pytest.fixture
def people(session):
    vera, mallory = User(username="vera"), User(username="mallory")
    root = User(username="root", role=Role.admin)
    mine, other = Project(name="P", slug="p"), Project(name="O", slug="o")
    session.add_all([vera, mallory, root, mine, other])
    session.flush()
    session.add(ProjectMember(project_id=mine.id, user_id=vera.id, role=ProjectRole.viewer))
    statuses = itertools.cycle([TaskStatus.failed, TaskStatus.succeeded, TaskStatus.queued])
    session.add_all([Task(project_id=(mine if i % 3 else other).id, command=f"c{i}",
                          status=next(statuses)) for i in range(12)])
    session.commit()
    return {"vera": vera, "mallory": mallory, "root": root}, mine, other


def _shapes(mine: Project, other: Project):
    for project_id in (None, mine.id, other.id):
        for status in (None, "failed", ["failed", "queued"]):
            for before in (None, "middle"):
                for limit in (1, 3, 50):
                    yield dict(project_id=project_id, status=status, limit=limit), before


def test_rows_are_the_tasks_list_tasks_shows_for_every_filter_and_caller(session, people):
    users, mine, other = people
    middle = sorted(t.id for t in session.query(Task))[6]
    for user in users.values():
        for filters, before in _shapes(mine, other):
            filters["before_id"] = middle if before else None
            try:
                want = [{n: getattr(t, n) for n in reads.ROW_COLUMNS}
                        for t in tasks.list_tasks(session=session, user=user, **filters)]
            except NotFound:
                with pytest.raises(NotFound):
                    reads.list_task_rows(session=session, user=user, **filters)
                continue
            got = [dict(r) for r in reads.list_task_rows(session=session, user=user, **filters)]
            assert got == want, (user.username, filters)
    assert not reads.list_task_rows(session=session, user=users["mallory"])


def test_the_list_statement_is_built_once_per_shape_of_filters(session, people):
    users, mine, _ = people
    reads._row_query.cache_clear()
    for user in (users["vera"], users["root"], users["vera"], users["root"]):
        for before_id in (None, 10**6, None):
            reads.list_task_rows(session=session, user=user, project_id=mine.id,
                                 status="failed", before_id=before_id, limit=7)
    info = reads._row_query.cache_info()
    assert (info.misses, info.hits) == (4, 8), info  # admin or not x before or not
