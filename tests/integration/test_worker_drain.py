"""Drain a real ``python -m worker``: it finishes the task it runs, takes no new one,
and exits 0; and its report of the sandbox image (dockerd, clawweb-runner, real
redis-server)."""

from __future__ import annotations

import time

from clawweb import redis_conn
from clawweb.models import TaskStatus
from clawweb.services.ops import workers
from tests.integration.fleet import (  # noqa: F401  (fixtures)
    finished, fleet, started_in_container, stdout, submit, task_now, wait_for, world,
)


def rq_loops(name: str) -> int:
    """How many of the worker's RQ work loops are registered with RQ."""
    from rq import Worker

    return sum(1 for w in Worker.all(connection=redis_conn.get_redis())
               if w.name.startswith(f"{name}."))


def test_a_drained_worker_finishes_its_task_then_stops(session, world, fleet):
    alice, project = world
    name = fleet.start("w")
    proc = fleet.procs[name]
    running = submit(session, alice, project, "sleep 4; echo finished")
    started_in_container(session, running.id, [name])

    workers.drain(redis_conn.get_redis(), name)
    assert [w.draining for w in workers.fleet(session=session, redis=redis_conn.get_redis())
            if w.name == name] == [True]
    # Its idle work loops (worker/loops.py) stop taking jobs; only the busy one stays.
    wait_for(lambda: rq_loops(name) == 1, 20, "the idle loops to stop")
    waiting = submit(session, alice, project, "echo second")
    code = proc.wait(60)

    done = finished(session, running.id, timeout=5)
    assert (done.status, stdout(session, running.id).strip()) == (TaskStatus.succeeded,
                                                                 "finished")
    assert task_now(session, waiting.id).status == TaskStatus.queued, "took a new job"
    assert code == 0


def test_an_idle_drained_worker_stops_at_once(session, world, fleet):
    name = fleet.start("w")
    workers.drain(redis_conn.get_redis(), name)
    assert fleet.procs[name].wait(30) == 0


def test_a_worker_reports_whether_its_dockerd_has_the_sandbox_image(session, world, fleet,
                                                                    monkeypatch):
    from clawweb import streams

    r = redis_conn.get_redis()

    def report(worker: str) -> bytes | None:
        # The first report runs in its own thread beside the heartbeat: a
        # worker that beats may still be asking its dockerd.
        deadline = time.monotonic() + 20
        while (value := r.get(streams.worker_image_key(worker))) is None \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    name = fleet.start("w")
    assert report(name) == b"ok"
    monkeypatch.setenv("CLAWWEB_RUNNER_IMAGE", "clawweb-no-such-image-o2")
    other = fleet.start("x")
    assert report(other) == b"missing"
