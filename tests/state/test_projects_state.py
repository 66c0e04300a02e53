"""The project page never shows a project it has not loaded (no blank name, no "Viewer")."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session

from clawweb.models import User
from tests.support.reflex_state import BackgroundProxy, new_state, run_handler, visit

import reflex as rx  # a missing Reflex fails these tests, never skips them


@pytest.fixture
def signed_in(engine, fake_redis, fast_hashing):
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine) as s:
        s.add(User(username="olive", password_hash=passwords.hash_password("olive pw 123456")))
        s.commit()
        _, token = auth_sessions.sign_in(session=s, username="olive", password="olive pw 123456",
                                         ip="", user_agent="")
        s.commit()
    return token


def test_a_new_project_opens_on_a_spinner_not_a_blank_viewer_project(signed_in):
    from clawweb.state.projects import ProjectsState as S

    _, state = new_state(S, signed_in)
    visit(state, "/projects/")
    S.event_handlers["load_projects"].fn(state)
    assert state.loaded and not state.project_ready  # the list page loaded no project
    state.project = {"id": "9", "name": "Opened before", "role": "viewer"}  # an earlier page
    visit(state, "/projects/new/")
    S.event_handlers["load_new_project"].fn(state)
    asyncio.run(run_handler(S.event_handlers["create_project"], BackgroundProxy(state),
                            {"source": "empty", "name": "Fresh", "description": ""}))
    assert state.create_error == ""
    # Until the project page's own load, it shows the spinner (not a blank name and a
    # "Viewer" badge made of an empty project).
    assert not state.project_ready
    visit(state, "/projects/1/")
    S.event_handlers["load_project"].fn(state)
    assert state.project_ready and state.project["name"] == "Fresh"
    assert state.project["role"] == "owner"
