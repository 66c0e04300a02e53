"""Per-prompt model and permission mode: offered, defaulted and refused by the project's settings."""

from __future__ import annotations

import uuid

import pytest

from clawweb.models import AgentSettings, Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services.agents import choices, credentials, settings as agent_settings, tasks as agent_tasks
from clawweb.services.errors import InvalidInput

SECRET = "sk-ant-api03-unit-" + "c" * 30


@pytest.fixture
def world(session, fake_redis):
    alice, owner = User(username="alice"), User(username="olga")
    session.add_all([alice, owner])
    project = Project(name="P", slug="p", max_concurrent_tasks=5)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.editor))
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.owner))
    session.commit()
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=SECRET)
    return alice, owner, project


def _set(session, project, **values):
    row = session.get(AgentSettings, project.id) or AgentSettings(project_id=project.id)
    for k, v in values.items():
        setattr(row, k, v)
    session.add(row)
    session.commit()


def _ask(session, user, project, **kw):
    return agent_tasks.submit_prompt(session=session, user=user, project_id=project.id,
                                     prompt="Plan it", idempotency_key=uuid.uuid4().hex, **kw)


@pytest.mark.parametrize("project_mode,offered", [
    ("plan", ["plan"]),
    ("default", ["default", "plan"]),
    ("acceptEdits", ["default", "acceptEdits", "plan"]),
    ("bypassPermissions", ["default", "acceptEdits", "plan", "bypassPermissions"]),
])
def test_modes_offered_are_those_the_project_allows(project_mode, offered):
    conf = AgentSettings(project_id=1, permission_mode=project_mode)
    assert choices.allowed_modes(conf) == offered


def test_models_offered_are_the_projects_and_the_owners_extra_ones():
    conf = AgentSettings(project_id=1, model="claude-sonnet-4-5",
                         allowed_models=["claude-opus-4-1", "claude-sonnet-4-5"])
    assert choices.allowed_models(conf) == ["claude-sonnet-4-5", "claude-opus-4-1"]


def test_no_choice_takes_the_projects_settings(session, world):
    alice, _, project = world
    _set(session, project, model="claude-sonnet-4-5", permission_mode="acceptEdits")
    task = _ask(session, alice, project)
    assert (task.model, task.permission_mode) == ("claude-sonnet-4-5", "acceptEdits")


def test_an_allowed_choice_is_recorded_on_the_task(session, world):
    alice, _, project = world
    _set(session, project, model="claude-sonnet-4-5", permission_mode="acceptEdits",
         allowed_models=["claude-opus-4-1"])
    task = _ask(session, alice, project, model="claude-opus-4-1", permission_mode="plan")
    row = session.get(Task, task.id)
    assert (row.model, row.permission_mode) == ("claude-opus-4-1", "plan")


@pytest.mark.parametrize("kw,key", [
    ({"permission_mode": "bypassPermissions"}, "agent_tasks.mode_not_allowed"),
    ({"permission_mode": "acceptEdits"}, "agent_tasks.mode_not_allowed"),
    ({"permission_mode": "dontAsk"}, "agent_tasks.mode_not_allowed"),
    ({"model": "claude-opus-4-1"}, "agent_tasks.model_not_allowed"),
])
def test_a_choice_the_owner_did_not_allow_is_refused(session, world, kw, key):
    alice, _, project = world
    _set(session, project, permission_mode="default", model="claude-sonnet-4-5")
    with pytest.raises(InvalidInput) as err:
        _ask(session, alice, project, **kw)
    assert err.value.key == key
    assert session.query(Task).count() == 0


def test_follow_up_choices_are_checked_too(session, world):
    alice, _, project = world
    _set(session, project, permission_mode="default")
    parent = _ask(session, alice, project, permission_mode="plan")
    row = session.get(Task, parent.id)
    row.status, row.agent_session_id = TaskStatus.succeeded, "sess-1"
    session.add(row)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        agent_tasks.follow_up(session=session, user=alice, task_id=parent.id, prompt="go",
                              idempotency_key=uuid.uuid4().hex, permission_mode="acceptEdits")
    assert err.value.key == "agent_tasks.mode_not_allowed"
    new = agent_tasks.follow_up(session=session, user=alice, task_id=parent.id, prompt="go",
                                idempotency_key=uuid.uuid4().hex, permission_mode="default")
    assert session.get(Task, new.id).permission_mode == "default"


@pytest.mark.parametrize("project_mode,after", [
    ("plan", "default"), ("default", "default"), ("acceptEdits", "acceptEdits"),
    ("bypassPermissions", "acceptEdits"),
])
def test_an_approved_plan_continues_in_the_editing_mode_the_project_allows(project_mode, after):
    assert choices.mode_after_plan(AgentSettings(project_id=1, permission_mode=project_mode)) == after


def test_the_owner_sets_the_extra_models(session, world):
    _, owner, project = world
    row = agent_settings.update(session=session, user=owner, project=project,
                                values={"allowed_models": "claude-opus-4-1\nclaude-haiku-4-5"})
    assert row.allowed_models == ["claude-opus-4-1", "claude-haiku-4-5"]
    with pytest.raises(InvalidInput) as err:
        agent_settings.validate({"allowed_models": ["bad model;rm"]})
    assert err.value.key == "agents.bad_model"


def test_a_choice_withdrawn_before_the_run_is_found():
    conf = AgentSettings(project_id=1, permission_mode="default", model="m1")
    task = Task(project_id=1, kind="claude", command="x", model="m1", permission_mode="acceptEdits")
    with pytest.raises(InvalidInput):
        choices.for_run(conf, task)
    old = Task(project_id=1, kind="claude", command="x")  # made before per-prompt choices
    assert choices.for_run(conf, old) == ("m1", "default")


def test_the_box_offers_an_editor_the_projects_choices_and_refuses_others(session, world):
    from clawweb.services.errors import PermissionDenied
    alice, _, project = world
    _set(session, project, permission_mode="acceptEdits", model="m1", allowed_models=["m2"])
    got = choices.offer(session=session, user=alice, project_id=project.id)
    assert got == {"modes": ["default", "acceptEdits", "plan"], "models": ["m1", "m2"],
                   "mode": "acceptEdits", "model": "m1"}
    stranger = User(username="sam")
    session.add(stranger)
    session.commit()
    with pytest.raises((PermissionDenied, Exception)) as err:
        choices.offer(session=session, user=stranger, project_id=project.id)
    assert type(err.value).__name__ in ("PermissionDenied", "NotFound")


def test_run_again_keeps_the_prompts_choices_while_the_project_allows_them(session, world):
    from clawweb.services.tasks import service as task_service
    alice, _, project = world
    _set(session, project, permission_mode="acceptEdits", model="m1", allowed_models=["m2"])
    first = _ask(session, alice, project, model="m2", permission_mode="default")

    def again():
        return task_service.rerun_task(session=session, user=alice, task_id=first.id,
                                       idempotency_key=uuid.uuid4().hex)

    assert (again().model, again().permission_mode) == ("m2", "default")
    _set(session, project, allowed_models=[])  # m2 withdrawn: the project's model
    assert again().model == "m1"
    _set(session, project, permission_mode="plan")  # "ask" withdrawn: refused
    with pytest.raises(InvalidInput) as err:
        again()
    assert err.value.key == "agent_tasks.mode_not_allowed"
