"""scripts/lib.sh's supervise_worker (what scripts/up starts workers under), for real:
every worker killed with kill -9 comes back; one that cannot start is retried
with a growing delay, not in a hot loop; a clean exit and SIGTERM are final.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from clawweb.models import TaskStatus
from tests.integration.fleet import ROOT, finished, stdout, submit, wait_for, world  # noqa: F401
from tests.integration.test_fleet_recovery import deployment  # noqa: F401  (fixture)


def test_every_worker_killed_with_kill_9_is_started_again(session, world, deployment):
    alice, project = world
    first = deployment.start()
    pids = deployment.worker_pids()
    assert len(pids) == 2
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    again = wait_for(lambda: n if len(n := deployment._live_names()) == 2
                     and not set(n) & set(first) else None, 30, "both workers to come back")
    assert not set(deployment.worker_pids()) & set(pids)
    deployment.seen.update(again)
    done = finished(session, submit(session, alice, project, "echo back").id, timeout=60)
    assert (done.status, stdout(session, done.id)) == (TaskStatus.succeeded, "back\n")
    assert done.worker_name in again


def fake_venv(tmp: Path, exit_code: int) -> tuple[Path, Path]:
    """A virtualenv whose python only notes when it was started, then exits."""
    venv, starts = tmp / "venv", tmp / "starts"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\ndate +%s.%N >> "{starts}"\nexit {exit_code}\n')
    python.chmod(0o755)
    return venv, starts


def supervise(tmp: Path, venv: Path, **env) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CLAWWEB_")}
    full.update(CLAWWEB_VENV=str(venv), CLAWWEB_DATA_DIR=str(tmp / "data"), **env)
    return subprocess.Popen(["bash", "-c", "source scripts/lib.sh; start_workers 1; wait"],
                            cwd=ROOT, env=full, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def start_times(path: Path) -> list[float]:
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def test_a_worker_that_cannot_start_is_retried_with_a_growing_delay(tmp_path):
    venv, starts = fake_venv(tmp_path, exit_code=3)
    proc = supervise(tmp_path, venv, CLAWWEB_RESTART_MAX_SECONDS="4")
    try:
        wait_for(lambda: len(start_times(starts)) >= 5, 30, "five starts")
        times = start_times(starts)[:5]
        gaps = [b - a for a, b in zip(times, times[1:])]
        for gap, want in zip(gaps, [1, 2, 4, 4]):   # doubling, capped at the maximum
            assert want - 0.2 <= gap <= want + 1.5, gaps
        os.killpg(proc.pid, signal.SIGTERM)          # as scripts/up's stop does
        proc.wait(10)
        count = len(start_times(starts))
        time.sleep(5)
        assert len(start_times(starts)) == count, "started again after SIGTERM"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_worker_that_exits_cleanly_is_not_started_again(tmp_path):
    venv, starts = fake_venv(tmp_path, exit_code=0)
    proc = supervise(tmp_path, venv)
    try:
        assert proc.wait(10) == 0, "the supervisor did not end with its worker"
        time.sleep(2)
        assert len(start_times(starts)) == 1
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
