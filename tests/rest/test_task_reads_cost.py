"""What a REST task read and a task list cost in SQL statements, and that the cheaper
path shows a task exactly as before.

The app runs in this process against the package's database and redis-server
(as ``test_token_cache``), so every statement it sends can be counted.
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from tests.rest.conftest import make_project, make_task, make_token, make_user


@contextlib.contextmanager
def statements():
    from clawweb.db import get_engine

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)


@pytest.fixture
def api(api_server):
    from clawweb.rest import token_cache
    from clawweb.rest.app import build_app

    token_cache.clear()
    with TestClient(build_app(), base_url="http://127.0.0.1") as c:
        yield c
    token_cache.clear()


def _get(api, token, url):
    response = api.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_task_read_is_three_statements_with_the_token_check(api):
    """The token's check, the task with its access check, the task's attachments."""
    owner = make_user()
    task = make_task(make_project(owner), owner)
    token = make_token(owner, ["read"])
    _get(api, token, f"/tasks/{task}")  # the first use authenticates in full
    with statements() as seen:
        assert _get(api, token, f"/tasks/{task}")["id"] == task
    assert len(seen) <= 3, seen


def test_a_page_of_tasks_costs_the_same_statements_whatever_its_length(api):
    owner = make_user()
    project = make_project(owner)
    token = make_token(owner, ["read"])
    _get(api, token, "/tasks")
    counts = []
    for n in (1, 30):
        for _ in range(n):
            make_task(project, owner)
        with statements() as seen:
            page = _get(api, token, f"/tasks?project_id={project}&limit=50")
        counts.append((len(page["items"]), len(seen)))
        with statements() as seen:
            _get(api, token, "/tasks?limit=50")
        counts.append((None, len(seen)))
    assert counts == [(1, 2), (None, 2), (31, 2), (None, 2)], counts


def test_a_task_reads_the_same_in_a_list_as_alone_and_as_built_from_the_row(api):
    from clawweb.db import session_scope
    from clawweb.i18n import stored
    from clawweb.models import Task
    from clawweb.rest.schemas import task_out

    owner, other = make_user(), make_user()
    project = make_project(owner)
    task = make_task(project, owner, command="false", status="failed", exit_code=3,
                     failure_reason=stored.encode("tasks.ended.exit_code", code=3),
                     cancel_requested_by=other, parent_id=None, insertions=4, deletions=2,
                     files_changed=1, commit_sha="abc123", cost_usd=0.25, input_tokens=7,
                     output_tokens=9, attempt=2, trigger="api")
    running = make_task(project, owner, status="running", cancel_requested_by=other,
                        parent_id=task)
    token = make_token(owner, ["read"])
    listed = {t["id"]: t for t in _get(api, token, f"/tasks?project_id={project}")["items"]}
    with session_scope() as s:
        orm = {i: task_out(s.get(Task, i)).model_dump(mode="json") for i in (task, running)}
    for task_id in (task, running):
        alone = _get(api, token, f"/tasks/{task_id}")
        assert alone == listed[task_id] == orm[task_id]
    failed = listed[task]
    assert (failed["failure_text"], failed["cancel_requested"], failed["exit_code"]) == (
        "exited with code 3", False, 3)
    assert failed["finished_at"].endswith(("Z", "+00:00"))
    assert listed[running]["cancel_requested"] is True
    assert listed[running]["parent_id"] == task


def test_a_stranger_reads_none_of_it(api):
    owner, stranger = make_user(), make_user()
    project = make_project(owner)
    task = make_task(project, owner, command="echo secret-of-the-owner")
    token = make_token(stranger, ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/tasks/{task}", headers=headers).status_code == 404
    assert api.get(f"/tasks?project_id={project}", headers=headers).status_code == 404
    assert "secret-of-the-owner" not in api.get("/tasks?limit=200", headers=headers).text
