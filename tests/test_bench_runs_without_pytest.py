"""The benchmarks run from the venv ``./scripts/up`` makes, which has no pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_imports_without_pytest_and_can_start_redis(tmp_path):
    # sys.modules[name] = None makes any import of it fail, as in a venv without it.
    code = (
        "import sys\n"
        "for m in ('pytest', '_pytest'): sys.modules[m] = None\n"
        "import bench.__main__ as b, importlib\n"
        "for name in b.ALL: importlib.import_module(name)\n"
        "from tests.support.services import RedisServer\n"
        f"r = RedisServer(__import__('pathlib').Path({str(tmp_path)!r})).start()\n"
        "import redis; assert redis.Redis.from_url(r.url).ping(); r.stop()\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
