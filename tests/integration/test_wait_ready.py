"""``python -m clawweb.manage wait-ready`` (what scripts/up waits on before it says
"clawweb is up") against a real redis-server and a stand-in web app on loopback."""

from __future__ import annotations

import http.server
import threading

import pytest

from clawweb import manage, redis_conn
from clawweb import settings as settings_mod
from tests.support.services import free_port
from worker import heartbeat

LOG = "/srv/clawweb/data/logs/worker-*.log"


@pytest.fixture
def web_up(redis_url, monkeypatch):
    """Something answering /api/health on the configured port, as the web app would."""

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("CLAWWEB_PORT", str(port))
    settings_mod.get_settings.cache_clear()
    yield
    server.shutdown()
    server.server_close()


def wait_ready(*extra: str) -> int:
    return manage.main(["wait-ready", "--timeout", "5", "--worker-timeout", "3",
                        "--worker-log", LOG, *extra])


def test_no_worker_means_not_ready_and_names_the_worker_log(web_up, capsys):
    assert wait_ready() == 1
    err = capsys.readouterr().err
    assert "no worker" in err and LOG in err


def test_a_dead_workers_last_heartbeat_does_not_count(web_up, capsys):
    # A worker that beat once and died (its key outlives it by the TTL).
    heartbeat.beat(redis_conn.get_redis(), "vm-1-dead", 30)
    assert wait_ready() == 1
    assert LOG in capsys.readouterr().err


def test_a_beating_worker_and_the_web_app_are_ready(web_up):
    hb = heartbeat.Heartbeat(redis_conn.get_redis(), "vm-1-live", interval=0.5, ttl=5)
    hb.start()
    try:
        assert wait_ready() == 0
    finally:
        hb.stop()


def test_without_the_web_app_it_is_not_ready(redis_url, monkeypatch, capsys):
    monkeypatch.setenv("CLAWWEB_PORT", str(free_port()))
    settings_mod.get_settings.cache_clear()
    hb = heartbeat.Heartbeat(redis_conn.get_redis(), "vm-1-live", interval=0.5, ttl=5)
    hb.start()
    try:
        assert manage.main(["wait-ready", "--timeout", "2", "--worker-timeout", "3"]) == 1
    finally:
        hb.stop()
    assert "did not answer" in capsys.readouterr().err
