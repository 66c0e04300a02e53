"""The admin ops views: queues with reasons, the worker fleet, usage per day and per-agent
KPIs (real redis-server, SQLite); the CSV route and the handlers are admin-only."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
import redis as redis_lib
from starlette.testclient import TestClient

from clawweb import routes, streams
from clawweb.models import Role, Task, utcnow
from clawweb.services.accounts import auth_sessions
from clawweb.services.ops import queues, usage, workers
from tests.services.agent_fixtures import make_project, make_task, make_user


def _task(session, project, user, **kw):
    task = Task(project_id=project.id, created_by=user.id, **kw)
    session.add(task)
    session.commit()
    return task


def alive(r, name, host="hostA", task_busy=False, age=1.0):
    r.set(streams.worker_alive_key(name), f"{host} pid 42", ex=30)
    r.zadd(streams.workers_known_key(), {name: time.time() - age})


def test_a_worker_running_several_tasks_lists_them_and_is_not_busy_until_its_slots_are_full(
        session, redis_url, world):
    _, alice, project = world
    r = redis_lib.Redis.from_url(redis_url)
    alive(r, "w16")
    r.set(streams.worker_slots_key("w16"), 16, ex=30)
    running = [make_task(session, project, alice, status="running", worker_name="w16").id
               for _ in range(3)]
    handed = make_task(session, project, alice, status="queued", dispatched_at=utcnow())
    [w16] = workers.fleet(session=session, redis=r)
    assert (w16.task_ids, w16.task_id, w16.slots) == (running, running[0], 16)
    assert {w.task_id: w.reason for w in queues.waiting(session=session, redis=r)} == {
        handed.id: queues.STARTING}, "3 of 16 slots busy is not every worker busy"
    r.set(streams.worker_slots_key("w16"), 3, ex=30)
    assert {w.task_id: w.reason for w in queues.waiting(session=session, redis=r)} == {
        handed.id: queues.WORKERS_BUSY}


@pytest.fixture
def world(session):
    admin = make_user(session, "root", Role.admin)
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    return admin, alice, project


def test_waiting_tasks_say_why_they_wait(session, redis_url, world):
    _, alice, project = world
    r = redis_lib.Redis.from_url(redis_url)
    now = utcnow()
    limited = make_task(session, project, alice, status="queued",
                        queued_at=now - timedelta(seconds=60))
    handed = make_task(session, project, alice, status="queued", priority="high",
                       queued_at=now - timedelta(seconds=5), dispatched_at=now)
    assert {w.task_id: w.reason for w in queues.waiting(session=session, redis=r)} == {
        limited.id: queues.NO_WORKER, handed.id: queues.NO_WORKER}
    alive(r, "w1")
    got = queues.waiting(session=session, redis=r)
    assert [w.task_id for w in got] == [handed.id, limited.id], "high priority starts first"
    assert {w.task_id: w.reason for w in got} == {limited.id: queues.PROJECT_LIMIT,
                                                  handed.id: queues.STARTING}
    make_task(session, project, alice, status="running", worker_name="w1")
    assert {w.task_id: w.reason for w in queues.waiting(session=session, redis=r)}[handed.id] \
        == queues.WORKERS_BUSY
    high = next(d for d in queues.depths(session=session, redis=r) if d.priority == "high")
    assert (high.waiting, high.in_rq) == (1, 0) and 4 <= high.oldest_wait < 60


def test_the_fleet_shows_host_task_heartbeat_age_and_drain(session, redis_url, world):
    _, alice, project = world
    r = redis_lib.Redis.from_url(redis_url)
    alive(r, "w-busy", host="hostA", age=2)
    alive(r, "w-idle", host="hostB")
    r.zadd(streams.workers_known_key(), {"w-dead": time.time() - 120})
    task = make_task(session, project, alice, status="running", worker_name="w-busy")
    workers.drain(r, "w-idle")
    rows = {w.name: w for w in workers.fleet(session=session, redis=r)}
    assert [n for n in rows] == ["w-busy", "w-idle", "w-dead"], "alive first"
    assert (rows["w-busy"].host, rows["w-busy"].task_id, rows["w-busy"].alive) == (
        "hostA", task.id, True)
    assert 1.5 <= rows["w-busy"].heartbeat_age < 10
    assert rows["w-idle"].draining and not rows["w-busy"].draining
    assert not rows["w-dead"].alive and 119 <= rows["w-dead"].heartbeat_age < 200
    workers.undrain(r, "w-idle")
    assert not r.exists(streams.worker_drain_key("w-idle"))


def test_usage_per_day_user_project_and_agent_kpis(session, world):
    admin, alice, project = world
    now = utcnow()
    day = timedelta(days=1)
    for who, kind, status, tokens, cost, when, secs in [
            (alice, "claude", "succeeded", (100, 10), 0.5, now, 60),
            (alice, "claude", "failed", (50, 5), 0.25, now, 20),
            (admin, "claude", "succeeded", (10, 1), 0.1, now - day, 100),
            (alice, "shell", "succeeded", (0, 0), 0.0, now, 4)]:
        _task(session, project, who, kind=kind, status=status, input_tokens=tokens[0],
              output_tokens=tokens[1], cost_usd=cost, queued_at=when,
              started_at=when, finished_at=when + timedelta(seconds=secs))
    make_task(session, project, alice, status="succeeded", input_tokens=999,
              queued_at=now - 40 * day)  # outside the 30 days
    rows = usage.usage(session=session)
    today = next(r for r in rows if r.user == "alice" and r.input_tokens == 150)
    assert (today.tasks, today.output_tokens, today.cost_usd) == (3, 15, 0.75)
    assert sum(r.input_tokens for r in rows) == 160
    days = usage.per_day(rows)
    assert [d["tokens"] for d in days] == [11, 165], "oldest first"
    kpis = {k.kind: k for k in usage.agent_kpis(session=session)}
    assert (kpis["claude"].tasks, kpis["claude"].success_rate) == (4, 0.75)
    assert kpis["claude"].median_seconds == 60
    assert kpis["shell"].tokens_per_task == 0


def test_csv_cells_are_never_spreadsheet_formulas():
    rows = [usage.UsageRow(day="2026-12-01", user="=HYPERLINK(\"x\")", project="+p")]
    parsed = list(csv.reader(io.StringIO(usage.usage_csv(rows))))
    assert parsed[0][:3] == ["day", "user", "project"]
    assert parsed[1][1].startswith("'=") and parsed[1][2] == "'+p"


def test_usage_csv_route_is_for_admins_only(session, world, fake_redis):
    from clawweb import api

    admin, alice, project = world
    make_task(session, project, alice, status="succeeded", input_tokens=7, cost_usd=0.5)
    tokens = {u.username: auth_sessions.open_session(session=session, user=u, ip="",
                                                     user_agent="") for u in (admin, alice)}
    session.commit()
    client = TestClient(api.router(), base_url="http://127.0.0.1:3000")
    assert client.get(routes.API_ADMIN_USAGE_CSV).status_code == 401

    def as_(name):
        client.cookies.clear()
        from clawweb.http import session_cookie
        client.cookies.set(session_cookie.cookie_name(), tokens[name])
        return client.get(routes.API_ADMIN_USAGE_CSV)

    assert as_("alice").status_code == 403
    ok = as_("root")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/csv")
    assert "attachment" in ok.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(ok.text)))[1][1:4] == ["alice", "demo", "1"]


def test_drain_handler_is_admin_only_and_drains_a_listed_worker(session, world, redis_url):
    from clawweb.state.admin_ops import OpsState
    from tests.support.reflex_state import new_state

    admin, alice, _ = world
    r = redis_lib.Redis.from_url(redis_url)
    alive(r, "w1")
    member_token = auth_sessions.open_session(session=session, user=alice, ip="", user_agent="")
    admin_token = auth_sessions.open_session(session=session, user=admin, ip="", user_agent="")
    session.commit()
    _, member = new_state(OpsState, member_token)
    OpsState.event_handlers["load_workers"].fn(member)
    OpsState.event_handlers["drain_worker"].fn(member, "w1")
    assert member.fleet == [] and not r.exists(streams.worker_drain_key("w1"))
    _, state = new_state(OpsState, admin_token)
    OpsState.event_handlers["drain_worker"].fn(state, "w1")
    assert not r.exists(streams.worker_drain_key("w1")), "only a worker the page lists"
    OpsState.event_handlers["load_workers"].fn(state)
    OpsState.event_handlers["drain_worker"].fn(state, "w1")
    assert r.exists(streams.worker_drain_key("w1"))
    assert [w.draining for w in state.fleet] == [True]
