"""Structured logs: JSON lines with bound ids, and nothing that looks like a secret."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from clawweb.observe import logs


@pytest.fixture
def captured(settings):
    out = io.StringIO()
    logs.configure("web", level="INFO", fmt="json", stream=out)
    yield out
    logging.getLogger().handlers[:] = []
    structlog.reset_defaults()


def lines(out) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_stdlib_and_structlog_lines_are_json_with_bound_ids(captured):
    logs.bind(task_id=7, project_id=3, user_id=2)
    try:
        logging.getLogger("some.lib").warning("hello %s", "there")
        structlog.get_logger("clawweb.x").info("event.happened", n=1)
    finally:
        logs.unbind(["task_id", "project_id", "user_id"])
    logging.getLogger("some.lib").warning("after")
    a, b, c = lines(captured)
    assert a["event"] == "hello there" and a["level"] == "warning" and a["component"] == "web"
    assert (a["task_id"], a["project_id"], a["user_id"]) == (7, 3, 2)
    assert b["event"] == "event.happened" and b["n"] == 1 and b["task_id"] == 7
    assert "task_id" not in c


@pytest.mark.parametrize("text, secret", [
    ("redis://:pw-in-url-123@127.0.0.1:6379/0", "pw-in-url-123"),
    ("postgresql+psycopg://claw:pg-Secret-9@db/claw", "pg-Secret-9"),
    ("Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"),
    ("key sk-ant-api03-AbCdEf123456_xyz", "sk-ant-api03-AbCdEf123456_xyz"),
    ("pushed with ghp_0123456789abcdefABCDEF", "ghp_0123456789abcdefABCDEF"),
    ("login password=letmein99 ok", "letmein99"),
])
def test_secret_looking_text_is_masked(captured, text, secret):
    logging.getLogger("x").warning("saw %s", text)
    (line,) = lines(captured)
    assert secret not in json.dumps(line) and logs.MASK in line["event"]


def test_sensitive_keys_remembered_values_and_tracebacks_are_masked(captured):
    logs.remember_secret("plain-remembered-value")
    structlog.get_logger().info("x", password="p4ssw0rd!", api_key="k-123456")
    try:
        raise RuntimeError("failed with plain-remembered-value inside")
    except RuntimeError:
        logging.getLogger("x").exception("boom")
    text = captured.getvalue()
    for secret in ("p4ssw0rd!", "k-123456", "plain-remembered-value"):
        assert secret not in text
    assert "RuntimeError" in text, "the traceback itself must still be there"


def test_configured_secrets_are_remembered(settings, monkeypatch):
    from tests.conftest import clear_process_caches

    monkeypatch.setenv("CLAWWEB_SECRET_KEY", "configured-secret-key-42")
    clear_process_caches()
    out = io.StringIO()
    logs.configure("worker", stream=out)
    try:
        logging.getLogger("x").warning("key is configured-secret-key-42")
    finally:
        logging.getLogger().handlers[:] = []
        structlog.reset_defaults()
    assert "configured-secret-key-42" not in out.getvalue()


def test_decrypted_values_are_never_logged(captured):
    from clawweb.services import crypto

    sealed = crypto.encrypt("sealed-credential-xyz")
    assert crypto.decrypt(sealed) == "sealed-credential-xyz"
    logging.getLogger("x").warning("using sealed-credential-xyz now")
    assert "sealed-credential-xyz" not in captured.getvalue()


def test_a_handler_that_resolves_the_caller_binds_their_user_id(session, settings, fake_redis):
    from clawweb.services.accounts import auth_sessions
    from clawweb.state.admin_ops import OpsState
    from tests.services.agent_fixtures import make_user
    from tests.support.reflex_state import new_state

    alice = make_user(session, "alice")
    token = auth_sessions.open_session(session=session, user=alice, ip="", user_agent="")
    session.commit()
    _, state = new_state(OpsState, token)
    out = io.StringIO()
    logs.configure("web", stream=out)  # after Reflex's import, which sets up its own
    try:
        state.current_user()
        logging.getLogger("x").warning("did something")
    finally:
        logs.unbind(["user_id"])
        logging.getLogger().handlers[:] = []
        structlog.reset_defaults()
    assert lines(out)[-1]["user_id"] == alice.id
