"""Credential and agent-settings handlers (no browser): the secret never reaches state,
"Test" asks the loopback fake endpoint, settings errors are shown and nothing is stored."""

from __future__ import annotations

import asyncio
import json

import pytest
import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session, select

from clawweb.models import AgentSettings, Credential, Project, ProjectMember, ProjectRole, User
from tests.fixtures.fake_anthropic import FakeAnthropic

from tests.support.reflex_state import BackgroundProxy, new_state, visit


SECRET = "sk-ant-api03-" + "Z9" * 20 + "wxyz"


@pytest.fixture
def world(engine, fake_redis, fast_hashing):
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        user = User(username="olive", password_hash=passwords.hash_password("olive pw 12345"))
        project = Project(name="P", slug="p")
        s.add_all([user, project])
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.owner))
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="olive", password="olive pw 12345",
                                         ip="", user_agent="")
        s.commit()
        return token, user.id, project.id


@pytest.fixture
def fake_api(monkeypatch, settings):
    from clawweb import settings as settings_mod

    api = FakeAnthropic(accept_keys={SECRET}).start()
    monkeypatch.setenv("CLAWWEB_ANTHROPIC_BASE_URL", api.url)
    settings_mod.get_settings.cache_clear()
    yield api
    api.stop()


def _state(cls, token: str, path: str = "/account"):
    root, state = new_state(cls, token)
    visit(state, path)
    assert state.router.url.path == path
    return root, state


def test_saved_secret_is_stored_encrypted_and_never_in_state(world, engine):
    from clawweb.state.account import AccountState

    token, user_id, _ = world
    root, state = _state(AccountState, token)
    result = AccountState.event_handlers["save_credential"].fn(
        state, {"kind": "api_key", "secret": SECRET})
    assert state.cred_error == ""
    assert state.cred["hint"] == "…wxyz"
    assert SECRET not in json.dumps(root.dict(), default=str)
    assert "credential_secret" in repr(result)  # the input is cleared in the browser
    with Session(engine) as s:
        row = s.exec(select(Credential).where(Credential.owner_id == user_id)).one()
        assert SECRET not in row.ciphertext


def test_bad_secret_is_refused_with_a_message(world, engine):
    from clawweb.state.account import AccountState

    token, _, _ = world
    _, state = _state(AccountState, token)
    AccountState.event_handlers["save_credential"].fn(state, {"kind": "api_key",
                                                               "secret": "has space"})
    assert state.cred_error and state.cred == {}
    with Session(engine) as s:
        assert s.exec(select(Credential)).first() is None


@pytest.mark.parametrize("secret,ok", [(SECRET, True), (SECRET[:-1] + "q", False)])
def test_test_button_asks_the_endpoint(world, fake_api, secret, ok):
    from clawweb.state.account import AccountState

    token, _, _ = world
    _, state = _state(AccountState, token)
    AccountState.event_handlers["save_credential"].fn(state, {"kind": "api_key",
                                                               "secret": secret})
    asyncio.run(AccountState.event_handlers["test_credential"].fn(BackgroundProxy(state)))
    assert state.cred_test_ok is ok
    assert not state.cred_testing
    assert state.cred_test_msg == ("The endpoint accepted this credential." if ok
                                   else "The endpoint rejected this credential.")


def test_project_test_uses_the_project_credential_only(world, fake_api):
    from clawweb.state.account import AccountState
    from clawweb.state.project_agent import ProjectAgentState

    token, _, project_id = world
    _, account = _state(AccountState, token)
    AccountState.event_handlers["save_credential"].fn(account, {"kind": "api_key",
                                                                 "secret": SECRET})
    _, state = _state(ProjectAgentState, token, f"/projects/{project_id}/settings")
    asyncio.run(ProjectAgentState.event_handlers["test_credential"].fn(BackgroundProxy(state)))
    assert state.cred_test_ok is False
    # The user's own key (which the fake accepts) is not the project's.
    assert state.cred_test_msg == "Store a credential first, then test it."


def test_agent_settings_invalid_rule_shows_error_then_valid_saves(world, engine):
    from clawweb.state.project_agent import ProjectAgentState

    token, _, project_id = world
    _, state = _state(ProjectAgentState, token, f"/projects/{project_id}/settings")
    handlers = ProjectAgentState.event_handlers
    handlers["load_agent_settings"].fn(state)
    assert state.agent_loaded and state.agent["max_turns"] == "50"
    form = {**state.agent, "allowed_tools": "Edit\nBash(rm (x))"}
    handlers["save_agent_settings"].fn(state, form)
    assert "Bash(rm (x))" in state.agent_error
    with Session(engine) as s:
        assert s.get(AgentSettings, project_id) is None
    form.update(allowed_tools="Edit\nBash(npm test:*)", approval_timeout_minutes="3")
    handlers["save_agent_settings"].fn(state, form)
    assert state.agent_error == ""
    assert state.allowed_rules == ["Edit", "Bash(npm test:*)"]
    handlers["remove_rule"].fn(state, "Edit")
    with Session(engine) as s:
        row = s.get(AgentSettings, project_id)
        assert row.allowed_tools == ["Bash(npm test:*)"]
        assert row.approval_timeout_seconds == 180
