"""The prompt box's choices through the real handlers: offered, sent, refused by the service."""

from __future__ import annotations

import asyncio

import uuid

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session, select

from clawweb.models import AgentSettings, Task
from tests.state.test_agent_ui_state import _state, world  # noqa: F401

SECRET = "sk-ant-api03-state-" + "p" * 30


def _ready(engine, project_id, user_id):
    from clawweb.models import User
    from clawweb.services.agents import credentials

    with Session(engine) as s:
        s.add(AgentSettings(project_id=project_id, permission_mode="default", model="m1",
                            allowed_models=["m2"]))
        s.commit()
        credentials.set_user_credential(session=s, user=s.get(User, user_id), kind="api_key",
                                        secret=SECRET)


def test_the_box_offers_the_projects_choices(world, engine):
    from clawweb.state.prompt_choices import PromptChoicesState

    token, user_id, project_id = world
    _ready(engine, project_id, user_id)
    _, state = _state(PromptChoicesState, token, f"/projects/{project_id}")
    PromptChoicesState.event_handlers["load_for_project"].fn(state)
    assert (state.choice_modes, state.choice_models) == (["default", "plan"], ["m1", "m2"])
    assert (state.choice_mode, state.choice_model) == ("default", "m1")


def test_submit_sends_the_choice_and_a_disallowed_one_is_refused(world, engine):
    from clawweb.state.task_list import TasksState

    token, user_id, project_id = world
    _ready(engine, project_id, user_id)
    _, state = _state(TasksState, token, f"/projects/{project_id}")
    state.list_project, state.submit_mode = project_id, "claude"
    def submit(state, form):
        return asyncio.run(TasksState.event_handlers["submit_task"].fn(state, form))

    # A client that adds bypass to the form: the service refuses it.
    submit(state, {"command": "Do it", "idempotency_key": uuid.uuid4().hex,
                   "permission_mode": "bypassPermissions", "model": "m1"})
    assert "does not allow that permission mode" in state.submit_error
    submit(state, {"command": "Plan it", "idempotency_key": uuid.uuid4().hex,
                   "permission_mode": "plan", "model": "m2"})
    assert state.submit_error == ""
    with Session(engine) as s:
        (task,) = s.exec(select(Task)).all()
        assert (task.command, task.model, task.permission_mode) == ("Plan it", "m2", "plan")


def test_the_owner_saves_the_extra_models(world, engine):
    from clawweb.state.project_agent import ProjectAgentState

    token, _, project_id = world
    _, state = _state(ProjectAgentState, token, f"/projects/{project_id}/settings")
    handlers = ProjectAgentState.event_handlers
    handlers["load_agent_settings"].fn(state)
    handlers["save_agent_settings"].fn(state, {**state.agent, "allowed_models": "m2\nm3"})
    assert state.agent_error == ""
    with Session(engine) as s:
        assert s.get(AgentSettings, project_id).allowed_models == ["m2", "m3"]
