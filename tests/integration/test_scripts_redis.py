"""The Redis that scripts/up starts (scripts/lib.sh's ensure_redis), asked for real:
AOF on, no eviction, loopback, a password; and `clawweb.manage check` telling an
operator when a Redis lacks them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as redis_lib

from clawweb import manage
from tests.support.services import free_port, need, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not _gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


@pytest.fixture
def lib_redis(tmp_path):
    """Run ensure_redis in bash as scripts/up does; yields (url, data dir); stops it."""
    need(shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None,
         "redis-server and redis-cli", "apt-get install redis-server redis-tools")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWWEB_")}
    env.update(CLAWWEB_DATA_DIR=str(data), CLAWWEB_REDIS_PORT=str(free_port()),
               CLAWWEB_VENV=sys.prefix)
    script = 'source scripts/lib.sh; ensure_redis; echo "$CLAWWEB_REDIS_URL ${STARTED_PIDS[*]}"'
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    url, *pids = out.stdout.strip().splitlines()[-1].split()
    assert len(pids) == 1, "ensure_redis did not start a redis-server of its own"
    yield url, data
    _stop(int(pids[0]))


def test_ensure_redis_runs_redis_with_aof_and_noeviction(lib_redis):
    url, data = lib_redis
    r = redis_lib.Redis.from_url(url, decode_responses=True)
    assert r.config_get("appendonly") == {"appendonly": "yes"}
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert r.config_get("bind") == {"bind": "127.0.0.1"}
    assert Path(r.config_get("dir")["dir"]) == (data / "redis").resolve()
    port = r.connection_pool.connection_kwargs["port"]
    with pytest.raises(redis_lib.AuthenticationError):
        redis_lib.Redis(host="127.0.0.1", port=port).ping()
    assert manage.redis_warnings(url) == []


def test_check_names_a_redis_without_aof_or_with_eviction(tmp_path):
    need(shutil.which("redis-server") is not None, "redis-server",
         "apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--appendonly", "no", "--maxmemory-policy", "allkeys-lru",
                             "--dir", str(tmp_path), "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        text = "\n".join(manage.redis_warnings(f"redis://127.0.0.1:{port}/0"))
    finally:
        proc.terminate()
        proc.wait(10)
    assert "appendonly=no" in text and "maxmemory-policy=allkeys-lru" in text
