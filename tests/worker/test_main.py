"""The worker process loop (``python -m worker``) on fakeredis: losing Redis mid-loop."""

from __future__ import annotations

import signal

import pytest
import redis as redis_lib
from rq import SimpleWorker

from worker import __main__ as worker_main


@pytest.fixture(autouse=True)
def signals_restored():
    """RQ installs SIGTERM/SIGINT handlers in the (pytest) main thread; put ours back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def fail_once(monkeypatch, method: str, before=None) -> list:
    """Make ``SimpleWorker.<method>`` raise ConnectionError on its first call."""
    calls = []
    orig = getattr(SimpleWorker, method)

    def flaky(self, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == 1:
            if before:
                before(self)
            raise redis_lib.ConnectionError("Redis went away (test)")
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(SimpleWorker, method, flaky)
    return calls


def births(monkeypatch) -> list:
    seen = []
    orig = SimpleWorker.register_birth

    def counted(self):
        seen.append(self.name)
        return orig(self)

    monkeypatch.setattr(SimpleWorker, "register_birth", counted)
    return seen


def test_losing_redis_mid_loop_reconnects_under_the_same_name(fake_redis, monkeypatch):
    # Redis drops while the loop runs, so RQ quits and cannot even record its
    # death; the registration it leaves behind is this very process's.
    fail_once(monkeypatch, "check_for_suspension")
    deaths = fail_once(monkeypatch, "register_death")
    born = births(monkeypatch)
    assert worker_main._work(fake_redis, "w1", burst=True) == 0
    assert born == ["w1", "w1"] and len(deaths) >= 2


def test_losing_redis_while_a_loop_is_made_waits_for_it_instead_of_crashing(fake_redis,
                                                                          monkeypatch):
    # RQ talks to Redis as the worker is constructed (it names its connection):
    # an outage just then, at start or right after a reconnect, used to end the
    # loop, and with it the whole worker process.
    monkeypatch.setattr("worker.loops.time.sleep", lambda s: None)
    made = fail_once(monkeypatch, "_set_ip_address")
    born = births(monkeypatch)
    assert worker_main._work(fake_redis, "w1", burst=True) == 0
    assert len(made) == 2 and born == ["w1"]


def test_a_stop_while_redis_is_away_at_start_ends_the_loop(fake_redis, monkeypatch):
    def unreachable(self, *args, **kwargs):
        raise redis_lib.ConnectionError("Redis is away (test)")

    monkeypatch.setattr(SimpleWorker, "_set_ip_address", unreachable)
    asked = []
    monkeypatch.setattr("worker.loops.time.sleep", lambda s: asked.append("stop"))
    assert worker_main._work(fake_redis, "w1", burst=False, stopping=lambda: bool(asked)) == 0


def test_sigterm_while_redis_is_away_exits_instead_of_reconnecting(fake_redis, monkeypatch):
    def sigterm(self, *args):
        self.request_stop(signal.SIGTERM, None)     # idle: RQ stops at once

    monkeypatch.setattr(SimpleWorker, "check_for_suspension", sigterm)
    fail_once(monkeypatch, "register_death")        # ... and Redis is gone for its teardown
    born = births(monkeypatch)
    assert worker_main._work(fake_redis, "w1", burst=False) == 0
    assert born == ["w1"], "the worker came back after it was told to stop"


@pytest.mark.timeout(30)  # a loop that missed the stop would wait for a job forever
def test_one_sigterm_stops_every_idle_loop_of_the_process(fake_redis):
    import os
    import threading
    import time

    from rq import Worker as RQWorker

    from worker.loops import LoopSet

    loops = LoopSet(fake_redis, "w1", 3, burst=False)
    registered = lambda: sorted(w.name for w in RQWorker.all(connection=fake_redis))  # noqa: E731

    def sigterm_once_all_listen():
        deadline = time.monotonic() + 10
        while registered() != ["w1.1", "w1.2", "w1.3"] and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=sigterm_once_all_listen, daemon=True).start()
    t0 = time.monotonic()
    assert loops.run() == 0
    assert time.monotonic() - t0 < 10, "idle loops kept waiting for a job"
    assert registered() == [], "a loop's RQ registration outlived the stop"


@pytest.mark.timeout(30)
def test_a_crashed_loop_stops_the_others_and_the_process_exits_non_zero(fake_redis,
                                                                        monkeypatch):
    from worker import loops as loops_mod

    real_work = loops_mod.work

    def work(redis, name, **kwargs):
        if name == "w1.2":
            raise RuntimeError("a bug in one loop (test)")
        return real_work(redis, name, **kwargs)

    monkeypatch.setattr(loops_mod, "work", work)
    assert loops_mod.LoopSet(fake_redis, "w1", 3, burst=False).run() == 1
