"""The schedules page and the webhooks section on their real routes (no browser): editors
manage schedules, owners manage webhooks and see a new secret once; viewers and
strangers calling any of their handlers with the victim's ids change nothing and
see nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from clawweb.models import (Project, ProjectMember, ProjectRole, Schedule, ScheduleRun, User,
                            Webhook, WebhookDelivery, utcnow)
from tests.support.reflex_state import new_state, visit

import reflex as rx  # a missing Reflex fails these tests, never skips them
SECRETS = ("victim-secret-schedule", "victim-secret-command", "victim-secret-hook")
TABLES = ("schedule", "schedulerun", "webhook", "webhookdelivery", "task")


def _sign_in(s, name: str) -> str:
    from clawweb.services.accounts import auth_sessions

    _, token = auth_sessions.sign_in(session=s, username=name, password=f"{name} pw 123456",
                                     ip="", user_agent="")
    s.commit()
    return token


@pytest.fixture
def world(engine, fake_redis, fast_hashing):
    from clawweb.services import crypto
    from clawweb.services.accounts import passwords

    with Session(engine) as s:
        people = {n: User(username=n, password_hash=passwords.hash_password(f"{n} pw 123456"))
                  for n in ("olive", "eddie", "vic", "mallory")}
        s.add_all(people.values())
        project = Project(name="P", slug="p")
        s.add(project)
        s.flush()
        for name, role in (("olive", "owner"), ("eddie", "editor"), ("vic", "viewer")):
            s.add(ProjectMember(project_id=project.id, user_id=people[name].id,
                                role=ProjectRole(role)))
        sched = Schedule(project_id=project.id, name="victim-secret-schedule",
                         command="echo victim-secret-command", interval_seconds=3600,
                         created_by=people["olive"].id, next_run_at=utcnow() + timedelta(hours=1))
        hook = Webhook(project_id=project.id, key="k" * 32, forge="github",
                       name="victim-secret-hook", created_by=people["olive"].id)
        s.add_all([sched, hook])
        s.flush()
        hook.secret_ciphertext = crypto.encrypt("s3cr3t-victim", aad=f"webhook-secret:{hook.id}")
        s.add(ScheduleRun(schedule_id=sched.id, due_at=utcnow(), status="succeeded"))
        s.add(WebhookDelivery(webhook_id=hook.id, status="refused",
                              reason="webhooks.refused_signature"))
        s.commit()
        tokens = {n: _sign_in(s, n) for n in people}
        return tokens, project.id, sched.id, hook.id


def _state(cls, token: str, path: str):
    root, state = new_state(cls, token)
    visit(state, path)
    return root, state


def _call(cls, state, name, *args):
    return cls.event_handlers[name].fn(state, *args)


def _snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {t: sorted(map(repr, conn.execute(SQLModel.metadata.tables[t].select()).all()))
                for t in TABLES}


SCHEDULE_FORM = {"name": "nightly", "kind": "shell", "command": "make test", "timing": "cron",
                 "cron": "30 2 * * *", "timezone": "Europe/Berlin", "interval_minutes": "",
                 "priority": "normal", "timeout_minutes": "", "missed_policy": "each",
                 "missed_cap": "3", "overlap_policy": "queue", "max_retries": "1",
                 "retry_delay_seconds": "30"}


def test_an_editor_manages_schedules_from_the_page(world, engine):
    from clawweb.state.schedules import SchedulesState as S

    tokens, pid, sid, _ = world
    _, state = _state(S, tokens["eddie"], f"/projects/{pid}/schedules")
    _call(S, state, "load_schedules")
    assert state.sched_loaded and state.can_edit and len(state.schedules) == 1
    _call(S, state, "save_schedule", SCHEDULE_FORM)
    assert state.form_error == ""
    new = next(r for r in state.schedules if r["name"] == "nightly")
    assert new["when"] == "cron 30 2 * * * · Europe/Berlin" and "CE" in new["next"]
    assert new["runs_as"] == "eddie"
    _call(S, state, "edit_schedule", int(new["id"]))
    assert state.editing_id == int(new["id"]) and state.form["overlap_policy"] == "queue"
    _call(S, state, "save_schedule", {**SCHEDULE_FORM, "timing": "interval",
                                      "interval_minutes": "90"})
    assert next(r for r in state.schedules if r["id"] == new["id"])["when"] == "90 min"
    _call(S, state, "pause_schedule", int(new["id"]))
    assert next(r for r in state.schedules if r["id"] == new["id"])["paused"] == "1"
    _call(S, state, "run_schedule", int(new["id"]))
    _call(S, state, "show_history", int(new["id"]))
    assert [(h["trigger"], h["status"]) for h in state.history] == [("run_now", "pending")]
    _call(S, state, "save_schedule", {**SCHEDULE_FORM, "cron": "61 * * * *"})
    assert state.form_error != "" and "cron" in state.form_error.lower()
    _call(S, state, "delete_schedule", int(new["id"]))
    with Session(engine) as s:
        assert s.get(Schedule, int(new["id"])) is None and s.get(Schedule, sid) is not None


def test_an_editor_picks_a_claude_schedule_s_model_and_mode(world, engine):
    from clawweb.models import AgentSettings
    from clawweb.services.agents import credentials
    from clawweb.state.schedules import SchedulesState as S

    tokens, pid, _, _ = world
    with Session(engine) as s:
        s.add(AgentSettings(project_id=pid, permission_mode="acceptEdits",
                            allowed_models=["claude-opus-4-1"]))
        s.commit()
        eddie = s.exec(select(User).where(User.username == "eddie")).one()
        credentials.set_user_credential(session=s, user=eddie, kind="api_key",
                                        secret="sk-ant-api03-" + "z" * 40)
    _, state = _state(S, tokens["eddie"], f"/projects/{pid}/schedules")
    _call(S, state, "load_schedules")
    assert state.form_kind == "shell"
    _call(S, state, "set_form_kind", "claude")
    assert state.form_kind == "claude"  # the form now shows the model and mode selects
    form = {**SCHEDULE_FORM, "name": "tidy", "kind": "claude", "command": "Tidy up",
            "model": "claude-opus-4-1", "permission_mode": "plan"}
    _call(S, state, "save_schedule", form)
    assert state.form_error == ""
    row = next(r for r in state.schedules if r["name"] == "tidy")
    assert (row["model"], row["permission_mode"]) == ("claude-opus-4-1", "plan")
    _call(S, state, "edit_schedule", int(row["id"]))
    assert (state.form_kind, state.form["model"], state.form["permission_mode"]) == (
        "claude", "claude-opus-4-1", "plan")
    _call(S, state, "save_schedule", {**form, "model": "claude-haiku-9"})
    assert state.form_error == "This project does not allow that model."
    with Session(engine) as s:
        saved = s.get(Schedule, int(row["id"]))
        assert (saved.model, saved.permission_mode) == ("claude-opus-4-1", "plan")
    _call(S, state, "new_schedule")
    assert state.form_kind == "shell"


def test_an_owner_manages_webhooks_and_sees_the_secret_once(world, engine):
    from clawweb.services.webhooks import store
    from clawweb.state.webhooks import WebhooksState as S

    tokens, pid, _, hook_id = world
    root, state = _state(S, tokens["olive"], f"/projects/{pid}/settings")
    _call(S, state, "load_webhooks")
    assert [h["name"] for h in state.hooks] == ["victim-secret-hook"]
    _call(S, state, "create_webhook", {"forge": "gitlab", "name": "CI"})
    assert len(state.hooks) == 2 and len(state.new_secret) > 30
    new = state.hooks[-1]
    with Session(engine) as s:
        assert store.open_secret(s.get(Webhook, int(new["id"]))) == state.new_secret
    secret = state.new_secret
    _call(S, state, "forget_secret")
    assert state.new_secret == "" and secret not in json.dumps(root.dict(), default=str)
    _call(S, state, "save_rules", {"webhook_id": new["id"], "name": "CI", "enabled": "on",
                                   "comment_enabled": "on", "comment_command": "/claw",
                                   "comment_users": "root"})
    assert state.hooks_error == ""
    saved = next(h for h in state.hooks if h["id"] == new["id"])
    assert (saved["comment_enabled"], saved["comment_command"], saved["push_enabled"]) == (
        "1", "/claw", "")
    _call(S, state, "save_rules", {"webhook_id": new["id"], "push_enabled": "on"})
    assert state.hooks_error != ""  # a push rule needs a command
    _call(S, state, "show_log", hook_id)
    assert [(d["status"], d["reason"]) for d in state.log] == [
        ("refused", "The signature does not match the webhook's secret.")]
    _call(S, state, "rotate_secret", int(new["id"]))
    assert state.new_secret and state.new_secret != secret
    _call(S, state, "delete_webhook", int(new["id"]))
    assert [h["id"] for h in state.hooks] == [str(hook_id)] and state.new_secret == ""


def _all_calls(cls, sid: int, hook_id: int):
    ids = {"schedule_id": sid, "webhook_id": hook_id}
    for name, handler in cls.event_handlers.items():
        if handler.fn.__qualname__.split(".")[0] != cls.__name__:
            continue
        import inspect

        params = list(inspect.signature(handler.fn).parameters)[1:]
        args = []
        for p in params:
            if p == "form":
                args.append({**SCHEDULE_FORM, "webhook_id": str(hook_id), "forge": "github",
                             "push_enabled": "on", "push_command": "rm -rf /"})
            else:
                args.append(ids.get(p, sid))
        yield name, args


@pytest.mark.parametrize("who", ["vic", "mallory", "eddie"])
def test_no_one_else_changes_or_sees_anything(world, engine, who):
    from clawweb.state.schedules import SchedulesState
    from clawweb.state.webhooks import WebhooksState

    tokens, pid, sid, hook_id = world
    for cls, path in ((SchedulesState, f"/projects/{pid}/schedules"),
                      (WebhooksState, f"/projects/{pid}/settings")):
        if cls is SchedulesState and who == "eddie":
            continue  # an editor may change schedules (the test above)
        for name, args in _all_calls(cls, sid, hook_id):
            before = _snapshot(engine)
            root, state = _state(cls, tokens[who], path)
            _call(cls, state, name, *args)
            assert _snapshot(engine) == before, f"{cls.__name__}.{name} as {who} changed data"
            text = json.dumps(root.dict(), default=str)
            leaked = [s for s in SECRETS if s in text]
            if who == "vic" and cls is SchedulesState:
                continue  # a viewer may see the project's schedules
            assert not leaked, f"{cls.__name__}.{name} as {who} leaked {leaked}"
