"""Schedule rows: what editors may change, defaults, and a project that goes takes them along."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import (Project, ProjectMember, ProjectRole, Schedule, ScheduleRun, Task,
                            User, Webhook, WebhookDelivery, utcnow)
from clawweb.services import git
from clawweb.services.projects import deletion, service as projects
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.schedules import store
from clawweb.services.webhooks import store as hooks


@pytest.fixture
def world(session):
    people = {n: User(username=n) for n in ("olive", "eddie", "vic", "mallory")}
    project = Project(name="P", slug="p")
    session.add_all([*people.values(), project])
    session.flush()
    for name, role in (("olive", "owner"), ("eddie", "editor"), ("vic", "viewer")):
        session.add(ProjectMember(project_id=project.id, user_id=people[name].id,
                                  role=ProjectRole(role)))
    session.commit()
    return people, project


VALUES = {"command": "make test", "cron": "0 3 * * *", "timezone": "Asia/Shanghai"}


def test_defaults_are_the_documented_ones(session, world):
    people, project = world
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values=VALUES)
    assert (row.missed_policy, row.missed_cap, row.overlap_policy, row.max_retries,
            row.retry_delay_seconds, row.kind, row.paused) == ("once", 5, "skip", 2, 60,
                                                               "shell", False)
    assert row.name == "make test" and row.created_by == people["eddie"].id
    assert row.next_run_at is not None and row.next_run_at > utcnow()


def test_pausing_someone_elses_schedule_leaves_it_running_as_them(session, claude_project):
    # olive has no model key: were a pause a save, it would be refused, or the
    # schedule would run as olive from then on.
    people, project = claude_project
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values={**VALUES, "kind": "claude", "command": "review"})
    store.set_paused(session=session, user=people["olive"], schedule_id=row.id, paused=True)
    store.set_paused(session=session, user=people["olive"], schedule_id=row.id, paused=False)
    session.refresh(row)
    assert (row.paused, row.created_by) == (False, people["eddie"].id)
    assert row.next_run_at is not None


def test_who_may_do_what(session, world):
    people, project = world
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values=VALUES)
    with pytest.raises(PermissionDenied):
        store.create(session=session, user=people["vic"], project_id=project.id, values=VALUES)
    with pytest.raises(PermissionDenied):
        store.run_now(session=session, user=people["vic"], schedule_id=row.id)
    with pytest.raises(NotFound):
        store.get_schedule(session=session, user=people["mallory"], schedule_id=row.id)
    assert [s.id for s in store.list_for_project(session=session, user=people["vic"],
                                                 project_id=project.id)] == [row.id]
    updated = store.update(session=session, user=people["olive"], schedule_id=row.id,
                           values={"name": "nightly"})
    assert updated.created_by == people["olive"].id  # it now runs as whoever saved it


def test_a_claude_schedule_needs_a_credential(session, world):
    people, project = world
    with pytest.raises(InvalidInput) as err:
        store.create(session=session, user=people["eddie"], project_id=project.id,
                     values={**VALUES, "kind": "claude"})
    assert err.value.key == "agent_tasks.no_credential"
    assert session.exec(select(Schedule)).all() == []


def test_deleting_the_project_removes_its_schedules_and_webhooks(session, world):
    people, project = world
    git.init_empty(projects.project_repo_path(project))
    sched = store.create(session=session, user=people["olive"], project_id=project.id,
                         values=VALUES)
    hook, _ = hooks.create(session=session, user=people["olive"], project_id=project.id,
                           forge="github")
    task = Task(project_id=project.id, created_by=people["olive"].id, command="x",
                status="succeeded")
    session.add(task)
    session.flush()
    session.add(ScheduleRun(schedule_id=sched.id, due_at=utcnow(), task_id=task.id,
                            status="succeeded"))
    session.add(WebhookDelivery(webhook_id=hook.id, task_id=task.id, status="done"))
    session.commit()
    deletion.delete_project(session=session, user=people["olive"], project_id=project.id,
                            confirm_name="P")
    for model in (Schedule, ScheduleRun, Webhook, WebhookDelivery, Task):
        assert session.exec(select(model)).all() == [], model


def test_deleting_a_schedule_removes_its_runs_without_warnings(session, world):
    import warnings

    from sqlalchemy.exc import SAWarning

    people, project = world
    schedule = store.create(session=session, user=people["eddie"], project_id=project.id,
                            values=VALUES)
    session.add_all([ScheduleRun(schedule_id=schedule.id, due_at=utcnow(), attempt=n,
                                 status="succeeded") for n in (1, 2)])
    session.commit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)  # rows the flush found already gone
        store.delete(session=session, user=people["eddie"], schedule_id=schedule.id)
    session.expire_all()
    assert session.exec(select(Schedule)).all() == []
    assert session.exec(select(ScheduleRun)).all() == []


@pytest.fixture
def claude_project(session, world):
    """The project allows plan..acceptEdits and one extra model; eddie has a credential."""
    from clawweb.models import AgentSettings
    from clawweb.services.agents import credentials

    people, project = world
    session.add(AgentSettings(project_id=project.id, model="", permission_mode="acceptEdits",
                              allowed_models=["claude-opus-4-1"]))
    session.commit()
    credentials.set_user_credential(session=session, user=people["eddie"], kind="api_key",
                                    secret="sk-ant-api03-" + "z" * 40)
    return people, project


def test_a_claude_schedule_keeps_the_model_and_mode_it_was_given(session, claude_project):
    people, project = claude_project
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values={**VALUES, "kind": "claude", "model": "claude-opus-4-1",
                               "permission_mode": "plan"})
    assert (row.model, row.permission_mode) == ("claude-opus-4-1", "plan")
    plain = store.create(session=session, user=people["eddie"], project_id=project.id,
                         values={**VALUES, "kind": "claude"})
    assert (plain.model, plain.permission_mode) == ("", "")  # the project's, at each run
    changed = store.update(session=session, user=people["eddie"], schedule_id=row.id,
                           values={"model": ""})
    assert (changed.model, changed.permission_mode) == ("", "plan")
    assert store.view(session, changed)["permission_mode"] == "plan"


@pytest.mark.parametrize("choice, key", [
    ({"model": "claude-haiku-9"}, "agent_tasks.model_not_allowed"),
    ({"permission_mode": "bypassPermissions"}, "agent_tasks.mode_not_allowed"),
    ({"permission_mode": "sometimes"}, "agent_tasks.mode_not_allowed"),
])
def test_a_claude_schedule_refuses_a_choice_the_project_does_not_offer(session, claude_project,
                                                                       choice, key):
    people, project = claude_project
    with pytest.raises(InvalidInput) as err:
        store.create(session=session, user=people["eddie"], project_id=project.id,
                     values={**VALUES, "kind": "claude", **choice})
    assert err.value.key == key
    assert session.exec(select(Schedule)).all() == []
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values={**VALUES, "kind": "claude"})
    with pytest.raises(InvalidInput) as err:
        store.update(session=session, user=people["eddie"], schedule_id=row.id, values=choice)
    assert err.value.key == key
    session.refresh(row)
    assert (row.model, row.permission_mode) == ("", "")


def test_a_shell_schedule_stores_no_model_or_mode(session, claude_project):
    people, project = claude_project
    row = store.create(session=session, user=people["eddie"], project_id=project.id,
                       values={**VALUES, "model": "claude-opus-4-1", "permission_mode": "plan"})
    assert (row.kind, row.model, row.permission_mode) == ("shell", "", "")
    claude = store.create(session=session, user=people["eddie"], project_id=project.id,
                          values={**VALUES, "kind": "claude", "model": "claude-opus-4-1",
                                  "permission_mode": "plan"})
    shell = store.update(session=session, user=people["eddie"], schedule_id=claude.id,
                         values={"kind": "shell"})
    assert (shell.model, shell.permission_mode) == ("", "")
