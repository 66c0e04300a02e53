"""A whole run's logs carry no credential: a real ``python -m worker`` runs a real task
(dockerd, clawweb-runner, real redis-server with a password) while the web side signs a
user in and opens a sealed remote token; every line written is JSON and none of the
credentials used appears in any of them."""

from __future__ import annotations

import io
import json
import logging

import structlog
from starlette.testclient import TestClient

from clawweb.models import Role, TaskStatus, User
from clawweb.observe import logs
from clawweb.services import crypto
from clawweb.services.accounts import passwords
from tests.conftest import clear_process_caches
from tests.integration.fleet import finished, fleet, submit, world  # noqa: F401  (fixtures)

API_KEY = "sk-ant-api03-O2knownApiKeyForTheLogTest_0123456789"
REMOTE_TOKEN = "ghp_O2knownRemoteToken0123456789abcdef"
SECRET_KEY = "o2-known-secret-key-for-the-log-test-0123456789"
SIGN_IN_PW = "o2-known-sign-in-password"
REDIS_PW = "test-redis-pw"  # tests.support.services.RedisServer's


def test_a_whole_runs_logs_contain_none_of_its_credentials(session, world, fleet, monkeypatch,
                                                           tmp_path, redis_url):
    alice, project = world
    monkeypatch.setenv("CLAWWEB_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    monkeypatch.setenv("CLAWWEB_PASSWORD_HASH_FAST", "1")
    monkeypatch.setenv("CLAWWEB_LOG_LEVEL", "DEBUG")
    clear_process_caches()
    web_log = io.StringIO()
    logs.configure("web", stream=web_log)
    try:
        name = fleet.start("w")
        task = submit(session, alice, project, "echo working; exit 3")
        assert finished(session, task.id).status == TaskStatus.failed
        _sign_in_and_use_a_sealed_token(session)
    finally:
        logging.getLogger().handlers[:] = []
        structlog.reset_defaults()
    fleet.stop()
    worker_log = (tmp_path / f"{fleet.prefix}-w.log").read_text()
    assert f"task_id\": {task.id}" in worker_log, "the run's lines carry the task id"
    assert name in worker_log and "redis://" in worker_log, "the worker logged its start"
    everything = worker_log + web_log.getvalue()
    for line in everything.splitlines():
        if line.startswith("{"):
            json.loads(line)
    found = [s for s in (API_KEY, REMOTE_TOKEN, SECRET_KEY, SIGN_IN_PW, REDIS_PW)
             if s in everything]
    assert found == [], f"credentials in the logs: {found}"


def _sign_in_and_use_a_sealed_token(session) -> None:
    from clawweb import api

    session.add(User(username="bob", role=Role.member,
                     password_hash=passwords.hash_password(SIGN_IN_PW)))
    session.commit()
    client = TestClient(api.router(), base_url="http://127.0.0.1:3000")
    for pw in ("wrong-" + SIGN_IN_PW, SIGN_IN_PW):
        client.post("/api/auth/sign-in", json={"username": "bob", "password": pw},
                    headers={"Origin": "http://127.0.0.1:3000"})
    token = crypto.decrypt(crypto.encrypt(REMOTE_TOKEN, aad="remote:1"), aad="remote:1")
    logging.getLogger("clawweb.remotes").info("pushing with %s", token)
