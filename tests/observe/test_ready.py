"""``/api/ready``: database, Redis, a live worker and the sandbox image (real redis-server,
real dockerd); a failing answer names checks, never a URL or a password."""

from __future__ import annotations

import pytest
import redis as redis_lib
from starlette.applications import Starlette
from starlette.testclient import TestClient

from clawweb import streams
from tests.conftest import clear_process_caches
from tests.support.services import free_port, need_docker


def client():
    from clawweb.http import monitoring

    return TestClient(Starlette(routes=monitoring.routes()))


def beat(url: str, name: str = "w1") -> None:
    redis_lib.Redis.from_url(url).set(streams.worker_alive_key(name), "h pid 1", ex=30)


def test_ready_when_database_redis_a_worker_and_the_image_are_there(engine, redis_url):
    need_docker()
    beat(redis_url)
    resp = client().get("/api/ready")
    assert (resp.status_code, resp.json()) == (200, {"ready": True, "failing": []})


def test_not_ready_without_a_live_worker(engine, redis_url):
    resp = client().get("/api/ready")
    assert resp.status_code == 503
    assert "worker" in resp.json()["failing"]


def test_not_ready_when_the_sandbox_image_is_missing(engine, redis_url, monkeypatch):
    need_docker()
    beat(redis_url)
    monkeypatch.setenv("CLAWWEB_RUNNER_IMAGE", "clawweb-no-such-image-o2")
    clear_process_caches()
    resp = client().get("/api/ready")
    assert (resp.status_code, resp.json()["failing"]) == (503, ["sandbox_image"])


def test_redis_down_is_named_without_its_url_or_password(engine, monkeypatch):
    password = "hunter2-redis-password"
    monkeypatch.setenv("CLAWWEB_REDIS_URL", f"redis://:{password}@127.0.0.1:{free_port()}/0")
    clear_process_caches()
    resp = client().get("/api/ready")
    assert resp.status_code == 503
    assert {"redis", "worker"} <= set(resp.json()["failing"])
    assert password not in resp.text and "127.0.0.1" not in resp.text


@pytest.mark.parametrize("reports, failing", [({"w1": "ok"}, []),
                                               ({"w1": "missing"}, ["sandbox_image"]),
                                               ({}, ["sandbox_image"])])
def test_without_a_docker_socket_the_image_is_taken_from_the_workers_reports(
        engine, redis_url, tmp_path, reports, failing):
    from clawweb.db import get_engine
    from clawweb.observe import ready

    r = redis_lib.Redis.from_url(redis_url)
    beat(redis_url, "w1")
    for name, state in reports.items():
        r.set(streams.worker_image_key(name), state, ex=30)
    r.set(streams.worker_image_key("gone"), "ok", ex=30)  # no heartbeat: does not count
    assert ready.run_checks(engine=get_engine(), redis=r, image="clawweb-runner",
                            socket_path=str(tmp_path / "docker.sock")) == failing


@pytest.mark.parametrize("path", ["/api/ready"])
def test_ready_is_not_cached(engine, redis_url, path):
    assert client().get(path).headers["cache-control"] == "no-store"
