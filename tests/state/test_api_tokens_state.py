"""API tokens on the account and admin pages: made and shown once, listed, revoked;
a member revokes only their own, an admin sees and revokes everyone's."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from clawweb.models import ApiToken, Project, ProjectMember, ProjectRole, Role, User

from tests.support.reflex_state import new_state, run_handler

PW = "violet-tractor-sings"


@pytest.fixture
def people(engine, fake_redis, fast_hashing):
    """ann (member, one project), bob (member), root (admin): signed-in tokens."""
    from clawweb.services.accounts import auth_sessions, passwords

    tokens = {}
    with Session(engine) as s:
        for name, role in (("ann", Role.member), ("bob", Role.member), ("root", Role.admin)):
            s.add(User(username=name, role=role, password_hash=passwords.hash_password(PW)))
        s.flush()
        s.add(Project(id=1, name="ann's project", slug="anns"))
        s.flush()
        s.add(ProjectMember(project_id=1, user_id=1, role=ProjectRole.owner))
        s.commit()
        for name in ("ann", "bob", "root"):
            _, tokens[name] = auth_sessions.sign_in(session=s, username=name, password=PW,
                                                    ip="", user_agent="")
            s.commit()
    return tokens


def call(state, name, *args):
    from clawweb.state.api_tokens import ApiTokensState

    return asyncio.run(run_handler(ApiTokensState.event_handlers[name], state, *args))


def page_of(token):
    from clawweb.state.api_tokens import ApiTokensState

    return new_state(ApiTokensState, token)[1]


def stored(engine) -> list[ApiToken]:
    with Session(engine) as s:
        return list(s.exec(select(ApiToken).order_by(ApiToken.id)))


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(people, engine):
    from clawweb.services.accounts.auth_sessions import hash_token

    ann = page_of(people["ann"])
    call(ann, "load_tokens")
    assert ann.project_choices == [["1", "ann's project"]]
    call(ann, "create_token", {"name": "laptop", "scope_read": "on", "scope_tasks": "on",
                               "project": "1", "expiry": "30"})
    raw = ann.new_token
    assert ann.create_error == "" and raw.startswith("cwt_")
    [row] = stored(engine)
    assert row.token_hash == hash_token(raw) and raw not in repr(row.model_dump())
    assert (row.scopes, row.project_id, row.user_id) == (["read", "tasks"], 1, 1)
    assert row.expires_at is not None
    assert [(t.name, t.scopes, t.project) for t in ann.tokens] == [
        ("laptop", "read · tasks", "ann's project")]
    call(ann, "set_new_token_open", False)
    call(ann, "load_tokens")
    assert ann.new_token == "" and raw not in repr(ann.dict())


def test_the_form_refuses_what_the_service_refuses(people, engine):
    ann = page_of(people["ann"])
    call(ann, "load_tokens")
    call(ann, "create_token", {"name": "x", "scope_admin": "on"})
    assert "administrators" in ann.create_error and ann.new_token == ""
    call(ann, "create_token", {"name": "", "scope_read": "on"})
    assert ann.create_error and not stored(engine)


def test_a_member_revokes_their_own_token_and_nobody_elses(people, engine):
    ann, bob = page_of(people["ann"]), page_of(people["bob"])
    call(ann, "create_token", {"name": "ann-laptop", "scope_read": "on"})
    call(bob, "load_tokens")
    [anns] = stored(engine)
    call(bob, "ask_revoke_token", anns.id)
    assert bob.revoke_token_id == 0 and bob.revoke_token_name == ""  # not in bob's list
    bob.revoke_token_id = anns.id  # a forged client state
    call(bob, "confirm_revoke_token")
    assert stored(engine)[0].revoked_at is None
    call(ann, "load_tokens")
    call(ann, "ask_revoke_token", anns.id)
    assert ann.revoke_token_name == "ann-laptop"
    call(ann, "confirm_revoke_token")
    assert stored(engine)[0].revoked_at is not None and ann.tokens == []


def test_an_admin_sees_and_revokes_everyones_tokens(people, engine):
    ann, root, bob = page_of(people["ann"]), page_of(people["root"]), page_of(people["bob"])
    call(ann, "create_token", {"name": "ann-ci", "scope_read": "on"})
    call(bob, "load_all_tokens")
    assert bob.all_tokens == [] and not bob.all_tokens_loaded
    call(root, "load_all_tokens")
    assert [(t.name, t.owner) for t in root.all_tokens] == [("ann-ci", "ann")]
    call(root, "ask_revoke_token", root.all_tokens[0].id)
    call(root, "confirm_revoke_token")
    assert stored(engine)[0].revoked_at is not None and root.all_tokens == []
    assert stored(engine)[0].revoked_by == 3


def test_the_sections_render_on_their_pages():
    from clawweb.pages.account import account_page
    from clawweb.pages.admin import users_page

    assert "api-tokens" in str(account_page())
    assert "all-api-tokens" in str(users_page())
