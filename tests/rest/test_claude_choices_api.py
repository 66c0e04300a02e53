"""A Claude task submitted over the API may pick its model and permission mode, within
what the project allows, as the new-task form does; a choice the project does not
allow is 422 with the service's key, and nothing is queued."""

from __future__ import annotations

import pytest

from tests.rest.conftest import client, make_project, make_token, make_user


@pytest.fixture
def editor(api_server):
    from clawweb.db import session_scope
    from clawweb.models import AgentSettings, User
    from clawweb.services.agents import credentials

    user = make_user()
    project = make_project(user)
    with session_scope() as s:
        s.merge(AgentSettings(project_id=project, model="", permission_mode="acceptEdits",
                              allowed_models=["claude-opus-4-1"]))
        credentials.set_user_credential(session=s, user=s.get(User, user), kind="api_key",
                                        secret="sk-ant-api03-" + "x" * 40)
    return api_server, project, make_token(user, ["read", "tasks"])


def _stored(task_id: int) -> tuple[str, str]:
    from clawweb.db import session_scope
    from clawweb.models import Task

    with session_scope() as s:
        task = s.get(Task, task_id)
        return task.model, task.permission_mode


def _ask(c, project, **choices):
    return c.post(f"/projects/{project}/tasks",
                  json={"kind": "claude", "prompt": "Fix it", **choices})


def test_a_claude_task_runs_with_the_model_and_mode_it_asks_for(editor):
    server, project, token = editor
    with client(server, token) as c:
        chosen = _ask(c, project, model="claude-opus-4-1", permission_mode="plan")
        default = _ask(c, project)
    assert chosen.status_code == 201, chosen.text
    assert _stored(chosen.json()["id"]) == ("claude-opus-4-1", "plan")
    assert default.status_code == 201, default.text
    assert _stored(default.json()["id"]) == ("", "acceptEdits")  # the project's


def test_a_task_read_and_list_say_which_model_and_mode_it_runs_with(editor):
    server, project, token = editor
    with client(server, token) as c:
        made = _ask(c, project, model="claude-opus-4-1", permission_mode="plan").json()
        read = c.get(f"/tasks/{made['id']}").json()
        listed = c.get("/tasks", params={"project_id": project}).json()["items"]
    for shown in (made, read, listed[0]):
        assert (shown["model"], shown["permission_mode"]) == ("claude-opus-4-1", "plan")


def test_a_choice_the_project_does_not_allow_is_refused(editor):
    server, project, token = editor
    with client(server, token) as c:
        model = _ask(c, project, model="claude-unlisted")
        mode = _ask(c, project, permission_mode="bypassPermissions")
        listed = c.get("/tasks", params={"project_id": project}).json()["items"]
    assert (model.status_code, model.json()["error"]["code"]) == (
        422, "agent_tasks.model_not_allowed")
    assert (mode.status_code, mode.json()["error"]["code"]) == (
        422, "agent_tasks.mode_not_allowed")
    assert listed == []


def test_the_documented_modes_are_the_services():
    from typing import get_args

    from clawweb.rest.schemas import PermissionMode
    from clawweb.services.agents.choices import MODE_RANK

    assert set(get_args(PermissionMode)) == {"", *MODE_RANK}
