"""Remote settings and Ship handlers on their real routes (no browser): owners
configure, the token and private key never reach state, viewers and strangers
change nothing and see nothing; Push from the task page reaches a real remote."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import Session, select

from clawweb.models import (AuditEvent, Project, ProjectMember, ProjectRemote, ProjectRole,
                            Task, User)
from tests.support.reflex_state import BackgroundProxy, new_state, visit

import reflex as rx  # a missing Reflex fails these tests, never skips them

TOKEN = "ghp_stateTestSecretToken00000001"


def _sign_in(s, name: str) -> str:
    from clawweb.services.accounts import auth_sessions

    _, token = auth_sessions.sign_in(session=s, username=name, password=f"{name} pw 123456",
                                     ip="", user_agent="")
    s.commit()
    return token


@pytest.fixture
def world(engine, fake_redis, fast_hashing):
    from clawweb.services import git
    from clawweb.services.accounts import passwords
    from clawweb.services.projects import service as projects

    with Session(engine) as s:
        people = {n: User(username=n, password_hash=passwords.hash_password(f"{n} pw 123456"))
                  for n in ("olive", "vic", "sam")}
        s.add_all(people.values())
        project = Project(name="P", slug="p")
        s.add(project)
        s.flush()
        s.add(ProjectMember(project_id=project.id, user_id=people["olive"].id,
                            role=ProjectRole.owner))
        s.add(ProjectMember(project_id=project.id, user_id=people["vic"].id,
                            role=ProjectRole.viewer))
        s.commit()
        git.init_empty(projects.project_repo_path(project))
        tokens = {n: _sign_in(s, n) for n in people}
        return tokens, project.id, {n: u.id for n, u in people.items()}


def _state(cls, token: str, path: str):
    root, state = new_state(cls, token)
    visit(state, path)
    return root, state


def _call(cls, state, name, *args):
    return cls.event_handlers[name].fn(state, *args)


def test_owner_configures_and_no_secret_reaches_state(world, engine):
    from clawweb.services import crypto
    from clawweb.state.remotes import TOKEN_INPUT_ID, RemoteSettingsState as S

    tokens, project_id, _ = world
    root, state = _state(S, tokens["olive"], f"/projects/{project_id}/settings")
    _call(S, state, "load_remote")
    assert state.remote_loaded and state.remote["url"] == ""
    _call(S, state, "save_remote", {"url": "git@github.com:o/r.git", "forge": "auto",
                                    "forge_api_url": "", "token_username": "",
                                    "sync_before_task": "on"})
    assert state.remote_error == "" and state.remote["url"] == "git@github.com:o/r.git"
    assert state.remote["sync_before_task"] == "1" and state.remote["forge_guess"] == "github"
    result = _call(S, state, "save_token", {"token": TOKEN})
    assert TOKEN_INPUT_ID in repr(result)  # the browser's input is cleared
    _call(S, state, "generate_key")
    assert state.remote["public_key"].startswith("ssh-ed25519 ")
    with Session(engine) as s:
        row = s.get(ProjectRemote, project_id)
        private = crypto.decrypt(row.ssh_key_ciphertext, aad=f"remote-ssh-key:{project_id}")
    dumped = json.dumps(root.dict(), default=str)
    assert TOKEN not in dumped and private.splitlines()[1] not in dumped
    assert state.remote["token_hint"] == TOKEN[-4:]


def test_bad_url_is_shown_and_nothing_stored(world, engine):
    from clawweb.state.remotes import RemoteSettingsState as S

    tokens, project_id, _ = world
    _, state = _state(S, tokens["olive"], f"/projects/{project_id}/settings")
    _call(S, state, "save_remote", {"url": f"https://me:{TOKEN}@github.com/o/r.git"})
    assert "token" in state.remote_error.lower() and TOKEN not in state.remote_error
    with Session(engine) as s:
        assert s.get(ProjectRemote, project_id) is None


@pytest.mark.parametrize("who", ["vic", "sam"])
def test_viewers_and_strangers_change_and_see_nothing(world, engine, who, monkeypatch):
    from clawweb.state.remotes import RemoteSettingsState as S
    from tests.support.no_dns import refuse_dns

    asked = refuse_dns(monkeypatch)  # an access check that broke would fetch github.com
    tokens, project_id, _ = world
    owner_root, owner = _state(S, tokens["olive"], f"/projects/{project_id}/settings")
    _call(S, owner, "save_remote", {"url": "https://github.com/o/r.git", "forge": "auto"})
    _call(S, owner, "save_token", {"token": TOKEN})
    with Session(engine) as s:
        before = s.get(ProjectRemote, project_id).model_dump()
    root, state = _state(S, tokens[who], f"/projects/{project_id}/settings")
    for name, args in (("load_remote", ()), ("save_remote", ({"url": "https://x.org/a/b"},)),
                       ("save_token", ({"token": "ghp_otherTokenOtherToken1"},)),
                       ("delete_token", ()), ("generate_key", ()), ("delete_key", ()),
                       ("forget_host_keys", ())):
        _call(S, state, name, *args)
    asyncio.run(S.event_handlers["sync_now"].fn(BackgroundProxy(state)))
    with Session(engine) as s:
        s.expire_all()
        assert s.get(ProjectRemote, project_id).model_dump() == before
    dumped = json.dumps(root.dict(), default=str)
    assert "github.com/o/r" not in dumped and state.remote == {}
    assert asked == []


@pytest.fixture
def pushed_world(world, engine, tmp_path, monkeypatch):
    """The project's remote is a real smart-HTTP server; a finished task has a branch."""
    from worker import git_workdir
    from clawweb.services.projects import service as projects
    from clawweb.services.remotes import store
    from tests.support.git_servers import GitHttpServer, allow_loopback_remotes, \
        make_bare_repo

    tokens, project_id, ids = world
    allow_loopback_remotes(monkeypatch)
    server = GitHttpServer(tmp_path / "up", TOKEN).start()
    make_bare_repo(server.repo("app"), {"README.md": "x\n"})
    with Session(engine, expire_on_commit=False) as s:
        owner = s.get(User, ids["olive"])
        store.save_settings(session=s, user=owner, project_id=project_id,
                            url=server.url_for("app"))
        store.set_token(session=s, user=owner, project_id=project_id, token=TOKEN)
        project = s.get(Project, project_id)
        task = Task(project_id=project_id, created_by=owner.id, command="x",
                    status="succeeded", branch="clawweb/task-1")
        s.add(task)
        s.commit()
        work = tmp_path / "w"
        git_workdir.prepare_workdir(projects.project_repo_path(project), work,
                                    base_branch="main", task_branch=task.branch)
        (work / "f.txt").write_text("f\n")
        git_workdir.commit_all(work, "task")
        git_workdir.publish_branch(work, projects.project_repo_path(project), task.branch)
        task_id = task.id
    yield tokens, task_id, server
    server.stop()


def test_push_from_the_task_page(pushed_world, engine):
    from clawweb.state.ship import ShipState as S
    from tests.integration.remotes_support import rev

    tokens, task_id, server = pushed_world
    root, state = _state(S, tokens["olive"], f"/tasks/{task_id}")
    _call(S, state, "load_ship")
    assert state.ship["can_ship"] == "1" and state.ship["pushed"] == ""
    asyncio.run(S.event_handlers["push_branch"].fn(BackgroundProxy(state)))
    assert state.ship_error == "" and state.busy == ""
    assert state.ship["pushed"] == "1"
    assert rev(server.repo("app"), "refs/heads/clawweb/task-1") != ""
    assert TOKEN not in json.dumps(root.dict(), default=str)


def test_a_viewer_sees_no_buttons_and_the_handler_refuses(pushed_world, engine):
    from clawweb.state.ship import ShipState as S
    from tests.integration.remotes_support import rev

    tokens, task_id, server = pushed_world
    _, state = _state(S, tokens["vic"], f"/tasks/{task_id}")
    _call(S, state, "load_ship")
    assert state.ship_loaded and state.ship["can_ship"] == ""
    for name in ("push_branch", "push_default_branch", "open_pull_request"):
        asyncio.run(S.event_handlers[name].fn(BackgroundProxy(state)))
        assert state.ship_error  # refused, said plainly
    assert rev(server.repo("app"), "refs/heads/clawweb/task-1") == ""
    with Session(engine) as s:
        assert s.get(Task, task_id).pushed_sha == ""
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "remote.push")).all()
    _, stranger = _state(S, tokens["sam"], f"/tasks/{task_id}")
    _call(S, stranger, "load_ship")
    assert stranger.ship == {} and not stranger.ship_loaded
