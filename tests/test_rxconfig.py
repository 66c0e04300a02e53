"""rxconfig.py: tab states in memory for one web process, in Redis for several."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, os
from reflex_base.config import get_config
from reflex.istate.manager import StateManager
c = get_config()
print(json.dumps({"mode": c.state_manager_mode.value, "redis_url": c.redis_url,
                  "manager": type(StateManager.create()).__name__,
                  "granian_workers": os.environ.get("GRANIAN_WORKERS")}))
"""


def reflex_config(tmp_path, **env) -> dict:
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("CLAWWEB_", "REFLEX_", "GRANIAN_"))}
    full.update(CLAWWEB_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
                CLAWWEB_REDIS_URL="redis://:pw@127.0.0.1:6390/0", **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=full,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_web_process_keeps_tab_states_in_memory(tmp_path):
    got = reflex_config(tmp_path)
    assert (got["mode"], got["redis_url"], got["manager"]) == \
        ("memory", None, "StateManagerMemory")
    assert got["granian_workers"] is None


def test_several_web_processes_share_tab_states_in_redis(tmp_path):
    got = reflex_config(tmp_path, CLAWWEB_WEB_PROCESSES="3")
    assert (got["mode"], got["redis_url"], got["manager"]) == \
        ("redis", "redis://:pw@127.0.0.1:6390/0", "StateManagerRedis")
    assert got["granian_workers"] == "3"   # not Reflex's 2 * cores + 1


@pytest.mark.parametrize("var", ["CLAWWEB_STATE_REDIS_URL", "REFLEX_REDIS_URL"])
def test_a_state_redis_url_shares_them_for_backends_on_other_hosts(tmp_path, var):
    got = reflex_config(tmp_path, **{var: "redis://:pw@127.0.0.1:6390/1"})
    assert (got["mode"], got["redis_url"], got["manager"]) == \
        ("redis", "redis://:pw@127.0.0.1:6390/1", "StateManagerRedis")
    assert got["granian_workers"] == "1"
