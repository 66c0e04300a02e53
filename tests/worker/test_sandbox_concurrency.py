"""N tasks at once (RELIABILITY.md): each sees only its own processes and files,
while all of them run at the same time. Real dockerd, real runner image.
"""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor

from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    collect_later, container_gone, docker_sandbox, extra_workdir, host_processes_with, small,
    spec, wait_for_file,
)


def _task_script(token: str, i: int) -> str:
    # Each task leaves a marked process running, says it started, waits until
    # the test has seen every task start (so all run at once), then looks around.
    return f"""
    bash -c 'exec -a mark-{token}-{i} sleep 300' &
    touch /workspace/started
    while [ ! -e /workspace/go ]; do sleep 0.05; done
    echo PROBE_RAN
    ps -eo pid=,args= | sed 's/^ */PS:/'
    find / \\( -path /proc -o -path /sys \\) -prune -o -name 'own-{token}-*' -print 2>/dev/null \\
      | sed 's/^/FOUND:/'
    ls -A /workspace | sed 's/^/LS:/'
    echo "from task {i}" > /workspace/wrote-{token}-{i}
    kill %1
    """


def test_tasks_at_once_each_see_only_their_own_processes_and_files(docker_sandbox, tmp_path):
    n, token = 4, secrets.token_hex(6)
    workdirs = [extra_workdir(tmp_path, f"task{i}") for i in range(n)]
    for i, wd in enumerate(workdirs):
        (wd / f"own-{token}-{i}").write_text(f"task {i}'s file")
    with ThreadPoolExecutor(n) as pool:  # started together, as n workers would
        handles = list(pool.map(lambda i: docker_sandbox.start(spec(
            workdirs[i], _task_script(token, i), limits=small(), task_id=100 + i)), range(n)))
    try:
        drains = [collect_later(h) for h in handles]
        for wd in workdirs:
            wait_for_file(wd / "started")
        # Every task is running now, each holding its marked process: all at once.
        states = [docker_sandbox.api.inspect_container(h.id)["State"]["Running"] for h in handles]
        assert states == [True] * n
        for i in range(n):
            assert host_processes_with(f"mark-{token}-{i}")  # the host sees all of them
        for wd in workdirs:
            (wd / "go").touch()
        outputs = [d() for d in drains]
        exits = [h.wait().exit_code for h in handles]
    finally:
        for h in handles:
            h.remove()
    assert exits == [0] * n, outputs
    for i, (out, err) in enumerate(outputs):
        out = out.decode()
        assert "PROBE_RAN" in out, err
        ps = [line for line in out.splitlines() if line.startswith("PS:")]
        marks = {m for line in ps for m in re.findall(rf"mark-{token}-\d", line)}
        assert marks == {f"mark-{token}-{i}"}, ps  # its own marked process, no other task's
        assert len(ps) <= 8, ps  # init, shells, sleep, ps: nothing of the host or the others
        found = {line.removeprefix("FOUND:") for line in out.splitlines()
                 if line.startswith("FOUND:")}
        assert found == {f"/workspace/own-{token}-{i}"}
        listed = {line.removeprefix("LS:") for line in out.splitlines() if line.startswith("LS:")}
        assert listed == {f"own-{token}-{i}", "started", "go"}
    for i, wd in enumerate(workdirs):  # and each wrote into its own working copy only
        assert sorted(p.name for p in wd.iterdir()) == sorted(
            [f"own-{token}-{i}", "started", "go", f"wrote-{token}-{i}"])
    assert all(container_gone(docker_sandbox, h.id) for h in handles)
    for i in range(n):
        assert not host_processes_with(f"mark-{token}-{i}")
