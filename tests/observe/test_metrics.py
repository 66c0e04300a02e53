"""``/metrics``: who may read it, and what a scrape says about tasks, queues and workers
(real redis-server, SQLite)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_lib
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from clawweb import streams
from clawweb.models import Approval, TaskEvent, utcnow
from clawweb.services.tasks import queue as task_queue
from tests.services.agent_fixtures import make_project, make_task, make_user

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = ("127.0.0.1", 50000)


def app():
    from clawweb.http import monitoring
    from clawweb.observe.metrics import LatencyMiddleware

    return LatencyMiddleware(Starlette(routes=monitoring.routes()))


def scrape(client) -> dict:
    """{(sample name, frozen labels): value} of one scrape."""
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.text
    out = {}
    for fam in text_string_to_metric_families(resp.text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def loopback(engine, redis_url):
    return TestClient(app(), client=LOOPBACK)


def test_loopback_client_may_scrape_without_a_token(loopback):
    assert loopback.get("/metrics").status_code == 200


@pytest.mark.parametrize("header", ["x-forwarded-for", "forwarded", "x-real-ip"])
def test_a_proxied_request_is_not_loopback(loopback, header):
    assert loopback.get("/metrics", headers={header: "203.0.113.9"}).status_code == 403


def test_a_remote_client_is_refused_without_a_token(engine, redis_url):
    client = TestClient(app(), client=("192.0.2.7", 50000))
    assert client.get("/metrics").status_code == 403


def test_with_a_token_only_the_bearer_of_it_may_scrape(engine, redis_url, monkeypatch):
    from tests.conftest import clear_process_caches

    monkeypatch.setenv("CLAWWEB_METRICS_TOKEN", "s3cret-metrics-token")
    clear_process_caches()
    local = TestClient(app(), client=LOOPBACK)
    remote = TestClient(app(), client=("192.0.2.7", 50000))
    assert local.get("/metrics").status_code == 403, "loopback needs the token once one is set"
    assert remote.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
    assert remote.get("/metrics", headers={"authorization": "Basic s3cret-metrics-token"}
                      ).status_code == 403
    ok = remote.get("/metrics", headers={"authorization": "Bearer s3cret-metrics-token"})
    assert ok.status_code == 200 and "clawweb_tasks" in ok.text


def test_a_scrape_reports_tasks_queues_workers_approvals_usage_and_refusals(
        session, loopback, redis_url):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    now = utcnow()
    make_task(session, project, alice, status="queued", priority="high",
              queued_at=now - timedelta(seconds=120))
    make_task(session, project, alice, status="queued", priority="high",
              queued_at=now - timedelta(seconds=10), dispatched_at=now)
    running = make_task(session, project, alice, status="awaiting_approval",
                        worker_name="w-busy", queued_at=now - timedelta(seconds=50),
                        started_at=now - timedelta(seconds=40))
    make_task(session, project, alice, status="succeeded", input_tokens=1000,
              output_tokens=200, cost_usd=0.25, queued_at=now - timedelta(seconds=100),
              started_at=now - timedelta(seconds=90), finished_at=now - timedelta(seconds=20))
    session.add(Approval(task_id=running.id, tool_use_id="t1", tool_name="Bash",
                         created_at=now - timedelta(seconds=30),
                         expires_at=now + timedelta(seconds=600)))
    session.add_all([TaskEvent(task_id=running.id, seq=1, ts=0, type="egress.refused",
                               data={"host": "a"}),
                     TaskEvent(task_id=running.id, seq=2, ts=0, type="egress.refused",
                               data={"host": "a", "more": 7})])
    session.commit()
    r = redis_lib.Redis.from_url(redis_url)
    for name in ("w-busy", "w-idle"):
        r.set(streams.worker_alive_key(name), "host pid 1", ex=30)
        r.zadd(streams.workers_known_key(), {name: time.time()})
    task_queue.rq_queue(r, "high").push_job_id("task-2-0")

    s = scrape(loopback)
    assert value(s, "clawweb_tasks", status="queued") == 2
    assert value(s, "clawweb_tasks", status="awaiting_approval") == 1
    assert value(s, "clawweb_tasks", status="failed") == 0
    assert value(s, "clawweb_queue_depth", priority="high") == 2
    assert value(s, "clawweb_queue_depth", priority="low") == 0
    assert value(s, "clawweb_queue_rq_jobs", priority="high") == 1
    assert 115 <= value(s, "clawweb_queue_oldest_wait_seconds", priority="high") < 200
    assert value(s, "clawweb_workers_alive") == 2
    assert value(s, "clawweb_worker_slots", state="used") == 1
    assert value(s, "clawweb_worker_slots", state="free") == 1
    assert value(s, "clawweb_approvals_waiting") == 1
    assert 29 <= value(s, "clawweb_approval_oldest_wait_seconds") < 100
    assert value(s, "clawweb_egress_refusals_total") == 8
    assert value(s, "clawweb_model_tokens_total", direction="input") == 1000
    assert value(s, "clawweb_model_cost_usd_total") == 0.25
    assert value(s, "clawweb_task_duration_seconds_count") == 1
    assert value(s, "clawweb_task_duration_seconds_bucket", le="60.0") == 0
    assert value(s, "clawweb_task_duration_seconds_bucket", le="120.0") == 1
    assert value(s, "clawweb_task_wait_seconds_count", priority="normal") == 2
    assert value(s, "clawweb_scrape_error", source="redis") == 0


def test_http_latency_is_counted_per_route_group(loopback):
    loopback.get("/api/ready")
    s = scrape(loopback)
    assert [k for k in s if k[0] == "clawweb_http_request_duration_seconds_count"
            and ("route", "/api/ready") in k[1]], "the request to /api/ready was not timed"


def test_redis_down_is_reported_in_the_scrape_not_as_a_failed_scrape(engine, monkeypatch):
    from tests.conftest import clear_process_caches
    from tests.support.services import free_port

    monkeypatch.setenv("CLAWWEB_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    clear_process_caches()
    s = scrape(TestClient(app(), client=LOOPBACK))
    assert value(s, "clawweb_scrape_error", source="redis") == 1
    assert value(s, "clawweb_scrape_error", source="database") == 0


MULTI = """
import sys
from clawweb.observe.metrics import HTTP_LATENCY, render
if sys.argv[1] == "observe":
    HTTP_LATENCY.labels("GET", "/api/x", "200").observe(0.01)
else:
    class Empty:
        def collect(self):
            return []
    sys.stdout.write(render(Empty()).decode())
"""


def test_multiprocess_mode_answers_for_every_process(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", MULTI, "observe"], env=env, check=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", MULTI, "render"], env=env, check=True,
                         cwd=ROOT, capture_output=True, text=True).stdout
    counts = [s.value for f in text_string_to_metric_families(out) for s in f.samples
              if s.name == "clawweb_http_request_duration_seconds_count"]
    assert counts == [2.0], out


def test_the_backend_serves_metrics_and_ready_and_times_every_request(engine, redis_url):
    from clawweb import api
    from clawweb.observe.metrics import LatencyMiddleware

    paths = {getattr(r, "path", "") for r in api.router().routes}
    assert {"/metrics", "/api/ready", "/api/health"} <= paths
    assert api.transformers()[-1] is LatencyMiddleware, "latency must wrap everything"


@pytest.mark.parametrize("path, status, label", [
    ("/api/projects/12/blob/0123abcd9f", 200, "/api/projects/{id}/blob/{id}"),
    ("/api/tasks/7/export/patch", 200, "/api/tasks/{id}/export/patch"),
    ("/api/guess-one", 404, "unmatched"),
    ("/projects/3", 200, "page"),
    ("/_event/", 101, "/_event"),
])
def test_route_labels_stay_few(path, status, label):
    from clawweb.observe.metrics import route_label

    assert route_label(path, status) == label


def test_worker_slots_count_every_task_a_worker_process_runs_at_once(session, loopback,
                                                                     redis_url):
    """A process runs CLAWWEB_TASKS_PER_WORKER tasks: one live worker is not one slot."""
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    for _ in range(3):
        make_task(session, project, alice, status="running", worker_name="w-many")
    r = redis_lib.Redis.from_url(redis_url)
    r.set(streams.worker_alive_key("w-many"), "host pid 1", ex=30)
    r.set(streams.worker_slots_key("w-many"), 16, ex=30)
    r.zadd(streams.workers_known_key(), {"w-many": time.time()})

    s = scrape(loopback)
    assert value(s, "clawweb_worker_slots", state="used") == 3
    assert value(s, "clawweb_worker_slots", state="free") == 13
