"""The review page's state against a real database and real git (no browser)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from datetime import timedelta

import pytest

from clawweb.models import AuthSession, Task, utcnow
from tests.services.review.world import make_world
from tests.support.reflex_state import new_state

import reflex as rx  # a missing Reflex fails these tests, never skips them


@pytest.fixture
def w(session, tmp_path, settings):
    return make_world(session, tmp_path, settings)


def _token(w, user) -> str:
    from clawweb.services.accounts import auth_sessions

    token = secrets.token_urlsafe(32)
    w.session.add(AuthSession(user_id=user.id, token_hash=auth_sessions.hash_token(token),
                              expires_at=utcnow() + timedelta(days=1)))
    w.session.commit()
    return token


def state_for(cls, w, user, page_path="/", **params):
    """A state signed in as ``user`` on a page whose route args and query are ``params``."""
    from urllib.parse import urlencode

    from reflex.istate.data import PageData

    from clawweb import clawweb  # noqa: F401 - installs the pages' route args

    root, state = new_state(cls, _token(w, user))
    query = {k: str(v) for k, v in params.items() if not k.endswith("_id")}
    url = type(state.router.url)(f"http://127.0.0.1{page_path}?{urlencode(query)}")
    state.router = dataclasses.replace(
        state.router, _page=PageData(params={k: str(v) for k, v in params.items()}), url=url)
    return root, state


def call(state, name, *args):
    fn = type(state).event_handlers[name].fn
    result = fn(state, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _review(w, user, task):
    from clawweb.state.review import ReviewState

    root, state = state_for(ReviewState, w, user, task_id=task.id)
    call(state, "load_review")
    return root, state


def test_a_viewer_sees_the_files_and_commits_but_merging_is_refused(w):
    task = w.task({"b.txt": "b\n", "a.txt": "one\ntwo\nTHREE\n"})
    _, state = _review(w, w.viewer, task)
    assert state.review_error == "" and state.review["can_ship"] is False
    assert [c["path"] for c in state.cards] == ["a.txt", "b.txt"]
    a = state.cards[0]
    assert a["status"] == "modified" and a["open"] and "cw-del" in a["html"]
    assert state.cards[1]["status"] == "added" and not state.cards[1]["open"]
    assert [c["sha"] for c in state.commits] == [task.commit_sha]
    before = w.builder.tip("main")
    result = call(state, "merge_task")
    assert "toast" in repr(result) and w.builder.tip("main") == before


def test_an_editor_merges_and_the_page_shows_it(w):
    task = w.task({"b.txt": "b\n"})
    _, state = _review(w, w.editor, task)
    assert state.review["may_act"] and state.strategy == "merge"
    call(state, "set_strategy", "squash")
    call(state, "set_strategy", "rebase")  # not a strategy: ignored
    result = call(state, "merge_task")
    assert "success" in repr(result)
    assert state.review["merge_state"] == "merged"
    tip = w.builder.tip("main")
    assert state.review["merged_short"] == tip[:10]
    from clawweb.services.review import gitobj

    assert gitobj.out(w.builder.bare, "log", "-1", "--format=%P", tip).count(" ") == 0
    assert [c["path"] for c in state.cards] == ["b.txt"]  # still shows what it changed


def test_a_branch_that_moved_after_loading_is_not_merged(w):
    task = w.task({"b.txt": "b\n"})
    _, state = _review(w, w.editor, task)
    w.builder.commit(task.branch, {"c.txt": "unseen\n"})
    before = w.builder.tip("main")
    result = call(state, "merge_task")
    assert "error" in repr(result) and w.builder.tip("main") == before


def test_the_download_links_name_the_reviewed_head(w):
    task = w.task({"b.txt": "b\n"})
    _, state = _review(w, w.editor, task)
    for kind in ("patch", "bundle"):
        assert state.review[f"{kind}_url"] == \
            f"/api/tasks/{task.id}/export/{kind}?head={task.commit_sha}"


def test_a_conflict_lists_the_files_and_the_follow_up_is_offered(w, fake_redis):
    from clawweb.services.agents import credentials

    task = w.task({"a.txt": "one\nTASK\nthree\n"})
    w.builder.commit("main", {"a.txt": "one\nMAIN\nthree\n"})
    credentials.set_user_credential(session=w.session, user=w.editor, kind="api_key",
                                    secret="sk-ant-api03-unit-" + "z" * 30)
    _, state = _review(w, w.editor, task)
    result = call(state, "merge_task")
    assert "warning" in repr(result) and state.conflict_files == ["a.txt"]
    key = state.resolve_key
    result = call(state, "resolve_conflicts", {"idempotency_key": key})
    w.session.expire_all()
    new = w.session.exec(
        __import__("sqlmodel").select(Task).where(Task.idempotency_key == key)).one()
    assert new.branch == task.branch and new.kind == "claude"
    assert f"/tasks/{new.id}" in repr(result)


def test_a_large_diff_stays_small_in_state_and_pages(w):
    big = "".join(f"line {i:06d} {'x' * 40}\n" for i in range(21000))
    many = {f"m/f{i:03d}.txt": f"c {i}\n" for i in range(60)}
    task = w.task({"big.txt": big, **many})
    root, state = _review(w, w.viewer, task)
    size = len(json.dumps(root.dict(), default=str))
    assert state.pages > 1 and size < 400_000, (state.pages, size)
    big_card = next(c for c in state.cards if c["path"] == "big.txt")
    assert big_card["start"] == 1 and big_card["has_next"] and big_card["total"] == 21001
    call(state, "file_window", big_card["index"], big_card["next_start"])
    moved = next(c for c in state.cards if c["path"] == "big.txt")
    assert moved["start"] == 401 and "line 000399" in moved["html"]
    shown = {c["path"] for c in state.cards}
    call(state, "show_page", 1)
    assert state.page == 1 and shown.isdisjoint({c["path"] for c in state.cards})
    call(state, "show_page", 99)
    assert state.page == state.pages - 1


def test_a_stranger_gets_an_error_and_no_data(w):
    task = w.task({"secret-file.txt": "b\n"})
    root, state = _review(w, w.stranger, task)
    assert state.review_error and state.cards == []
    assert "secret-file" not in json.dumps(root.dict(), default=str)


def test_the_file_browser_shows_directories_files_and_markdown_safely(w):
    from clawweb.state.review_files import FilesState

    task = w.task({"docs/readme.md": "# Hi\n\n<script>x()</script>\n\n![l](logo.png)\n",
                   "docs/logo.png": b"\x89PNG\r\n\x1a\n\0\0", "src/a.py": "x = 1\n"})
    _, state = state_for(FilesState, w, w.viewer, project_id=w.project.id, ref=task.branch)
    call(state, "load_files")
    assert state.files_error == ""
    assert [(e["name"], e["kind"]) for e in state.entries] == [
        ("docs", "dir"), ("src", "dir"), ("a.txt", "file")]
    assert [c["name"] for c in state.crumbs] == ["Ship"]
    _, state = state_for(FilesState, w, w.viewer, project_id=w.project.id, ref=task.branch,
                         path="docs/readme.md")
    call(state, "load_files")
    f = state.file
    assert f["kind"] == "markdown" and "<script" not in f["html"] and "&lt;script&gt;" in f["html"]
    assert f'/blob/{task.commit_sha}?path=docs%2Flogo.png' in f["html"]
    assert f["open_in_task"] == f"/projects/{w.project.id}?path=docs%2Freadme.md"
    assert [c["name"] for c in state.crumbs] == ["Ship", "docs", "readme.md"]
    assert state.where["parent"].endswith("path=docs")


def test_the_file_browser_refuses_strangers_and_bad_paths(w):
    from clawweb.state.review_files import FilesState

    for user, params in ((w.stranger, {}), (w.viewer, {"path": "../etc"}),
                         (w.viewer, {"ref": "no-such-branch"}), (w.viewer, {"path": "nope"})):
        _, state = state_for(FilesState, w, user, project_id=w.project.id, **params)
        call(state, "load_files")
        assert state.files_error and state.entries == [] and state.file == {}, (user, params)


def test_open_in_task_prefills_the_path(w):
    from clawweb.state.review_files import TaskPrefillState

    _, state = state_for(TaskPrefillState, w, w.editor, project_id=w.project.id,
                         path="src/a.py")
    call(state, "load_prefill")
    assert state.prefill == "src/a.py: "
    _, state = state_for(TaskPrefillState, w, w.editor, project_id=w.project.id)
    call(state, "load_prefill")
    assert state.prefill == ""


def test_ship_settings_are_saved_by_owners_only(w):
    from clawweb.state.review_settings import ShipSettingsState

    _, editor = state_for(ShipSettingsState, w, w.editor, project_id=w.project.id)
    call(editor, "load_ship_settings")
    assert (editor.ship_strategy, editor.ship_role, editor.ship_is_owner) == (
        "merge", "editor", False)
    call(editor, "save_ship_settings", {"merge_strategy": "ff", "ship_role": "owner"})
    assert editor.ship_error
    _, owner = state_for(ShipSettingsState, w, w.owner, project_id=w.project.id)
    call(owner, "load_ship_settings")
    call(owner, "save_ship_settings", {"merge_strategy": "ff", "ship_role": "owner"})
    assert owner.ship_error == "" and (owner.ship_strategy, owner.ship_role) == ("ff", "owner")


def test_the_commit_email_is_the_signed_in_users_own(w):
    from clawweb.models import User
    from clawweb.state.review_settings import CommitEmailState

    _, state = state_for(CommitEmailState, w, w.editor)
    call(state, "load_commit_email")
    assert state.commit_email == "editor@example.invalid"
    call(state, "save_commit_email", {"commit_email": "not an email"})
    assert state.commit_email_error
    result = call(state, "save_commit_email", {"commit_email": "ed@example.org"})
    assert "success" in repr(result) and state.commit_email == "ed@example.org"
    w.session.expire_all()
    assert w.session.get(User, w.editor.id).email == "ed@example.org"
    assert w.session.get(User, w.viewer.id).email == "viewer@example.invalid"
