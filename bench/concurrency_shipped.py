"""The shipped default deployment under load (``python -m bench.concurrency --shipped``).

Worker settings as shipped, started as ./scripts/up starts them
(``worker_slots`` processes of ``python -m worker``). At once: 6 Claude tasks,
each waiting on an approval (the scripted model API asks for a Bash command the
policy does not pre-approve), then 20 shell tasks ``sleep 5; echo done`` over
10 projects with the default per-project limit, and a few ``echo hi`` probes.

Prints, next to the targets: how soon after submit the 20 shell tasks ran,
first output p95 under load against the idle figure of the same run, and the
worker processes' memory (RSS, PSS, USS; total and per running task).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from pathlib import Path

from bench.common import Deployment, follow, hardened_docker_run

KEY = "sk-ant-api03-bench-000000000000000000000000000000000000"
SHELL = "sleep 5; echo done"
PROBE = "echo hi"
N_SHELL, N_PROJECTS, N_CLAUDE, N_PROBES = 20, 10, 6, 4
BASH = {"command": "touch /workspace/out.txt", "description": "write"}


def new_project(dep: Deployment, name: str) -> int:
    """A project with the default concurrency limit."""
    from clawweb.db import session_scope
    from clawweb.services.projects import service as projects

    with session_scope() as s:
        return projects.create_project(session=s, user=dep.user(), name=name).id


def submit_shell(dep: Deployment, project_id: int, command: str) -> int:
    from clawweb.db import session_scope
    from clawweb.services.tasks import service as tasks

    with session_scope() as s:
        return tasks.submit_task(session=s, user=dep.user(), project_id=project_id,
                                 command=command, idempotency_key=uuid.uuid4().hex).id


def submit_claude(dep: Deployment, project_id: int) -> int:
    from clawweb.db import session_scope
    from clawweb.services.agents import tasks as agent_tasks

    with session_scope() as s:
        return agent_tasks.submit_prompt(session=s, user=dep.user(), project_id=project_id,
                                         prompt="write the file",
                                         idempotency_key=uuid.uuid4().hex).id


async def timeline(task_id: int, t0: float, until: str = "done") -> dict:
    """Seconds from ``t0`` to the task's running status, first output and end (as a client
    reading its events sees them); ``until="approval"`` stops at its first approval card."""
    seen: dict = {}

    def on_event(ev):
        at = time.perf_counter() - t0
        if ev.type == "status" and ev.data.get("status") == "running":
            seen.setdefault("running", at)
        elif ev.type == "output":
            seen.setdefault("output", at)
        elif ev.type == "agent.approval":
            seen.setdefault("approval", at)
            if until == "approval":
                return False
        elif ev.type == "status":
            seen["end"], seen["status"] = at, ev.data.get("status")
        return None

    await follow(task_id, on_event)
    return seen


def memory(pids: list[int]) -> dict[str, float]:
    """RSS, PSS and USS in MB of the worker processes and everything they started."""
    every = set(pids) | _descendants(pids)
    total = {"rss": 0.0, "pss": 0.0, "uss": 0.0, "processes": len(every)}
    for pid in every:
        try:
            fields = _rollup(pid)
        except OSError:
            continue
        total["rss"] += fields.get("Rss", 0) / 1024
        total["pss"] += fields.get("Pss", 0) / 1024
        total["uss"] += (fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024
    return total


def _rollup(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        out[key] = int(rest.split()[0])
    return out


def _descendants(pids: list[int]) -> set[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), set(pids)
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) > 1 else xs[0]


async def idle_figures(dep: Deployment, probe_project: int) -> tuple[float, float]:
    """First output of ``echo hi`` (median of 3) and of one ``sleep 5; echo done``, alone."""
    probes = []
    for _ in range(3):
        t0 = time.perf_counter()
        task_id = await asyncio.to_thread(submit_shell, dep, probe_project, PROBE)
        probes.append((await timeline(task_id, t0))["output"])
    t0 = time.perf_counter()
    task_id = await asyncio.to_thread(submit_shell, dep, probe_project, SHELL)
    return statistics.median(probes), (await timeline(task_id, t0))["output"]


async def claude_waiting(dep: Deployment, api) -> list[int]:
    """Six Claude tasks over three projects, returned once each shows its approval card."""
    from tests.fixtures.fake_anthropic import tool_use

    for _ in range(N_CLAUDE):
        api.push(tool_use("Bash", BASH))
    projects = [await asyncio.to_thread(new_project, dep, f"claude-{i}") for i in range(3)]
    t0 = time.perf_counter()
    ids = [await asyncio.to_thread(submit_claude, dep, projects[i % 3]) for i in range(N_CLAUDE)]
    cards = await asyncio.gather(*[timeline(t, t0, until="approval") for t in ids])
    missing = [t for t, seen in zip(ids, cards) if "approval" not in seen]
    if missing:
        raise SystemExit(f"Claude tasks {missing} showed no approval card: {cards}")
    print(f"{N_CLAUDE} Claude tasks waiting on approvals "
          f"(last card {max(c['approval'] for c in cards):.1f} s after submit)")
    return ids


async def under_load(dep: Deployment, worker_pids: list[int]) -> dict:
    """20 shell tasks at once (and probes) beside the waiting Claude tasks."""
    projects = [await asyncio.to_thread(new_project, dep, f"shell-{i}")
                for i in range(N_PROJECTS)]
    probe_projects = [await asyncio.to_thread(new_project, dep, f"probe-{i}")
                      for i in range(N_PROBES // 2)]
    t0 = time.perf_counter()
    ids = await asyncio.gather(*[asyncio.to_thread(submit_shell, dep, projects[i % N_PROJECTS],
                                                   SHELL) for i in range(N_SHELL)])
    shell = asyncio.gather(*[timeline(t, t0) for t in ids])
    await asyncio.sleep(1.0)  # probes while the shell tasks start and run
    t_probe = time.perf_counter()
    probe_ids = await asyncio.gather(*[asyncio.to_thread(
        submit_shell, dep, probe_projects[i % len(probe_projects)], PROBE)
        for i in range(N_PROBES)])
    probes = asyncio.gather(*[timeline(t, t_probe) for t in probe_ids])
    await asyncio.sleep(2.0)
    mem, active = memory(worker_pids), await asyncio.to_thread(running_now)
    return {"shell": await shell, "probes": await probes, "memory": mem, "active": active}


def running_now() -> int:
    """Tasks a worker holds right now (running or waiting on an approval)."""
    from sqlmodel import func, select

    from clawweb.db import session_scope
    from clawweb.models import ACTIVE_STATUSES, Task

    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Task).where(
            Task.status.in_(list(ACTIVE_STATUSES)))).one()


async def cancel_all(dep: Deployment, task_ids: list[int]) -> None:
    from clawweb.db import session_scope
    from clawweb.services.tasks import service as tasks

    def cancel() -> None:
        with session_scope() as s:
            for t in task_ids:
                tasks.cancel_task(session=s, user=dep.user(), task_id=t)

    await asyncio.to_thread(cancel)
    await asyncio.gather(*[timeline(t, time.perf_counter()) for t in task_ids])


async def measure(dep: Deployment, api) -> dict:
    """The whole run: idle figures, then the Claude tasks waiting, then the load."""
    probe_project = await asyncio.to_thread(new_project, dep, "idle")
    idle_probe, idle_shell = await idle_figures(dep, probe_project)
    claude = await claude_waiting(dep, api)
    try:
        load = await under_load(dep, [p.pid for p in dep.procs])
    finally:
        await cancel_all(dep, claude)
    docker = await asyncio.to_thread(docker_baseline, N_SHELL)
    return {"idle_probe": idle_probe, "idle_shell": idle_shell, "docker": docker, **load}


def docker_baseline(n: int) -> list[float]:
    """Seconds to the first line of ``n`` hardened ``docker run`` of the shell command,
    all started at once (no clawweb at all): what dockerd on this machine gives."""
    import tempfile
    import threading

    dirs = [tempfile.mkdtemp(prefix="clawweb-bench-wd-") for _ in range(n)]
    for d in dirs:
        os.chmod(d, 0o777)
    t0, firsts = time.perf_counter(), []
    procs = [hardened_docker_run(SHELL, Path(d)) for d in dirs]

    def first_line(proc) -> None:
        if proc.stdout.readline():
            firsts.append(time.perf_counter() - t0)
        proc.wait()

    readers = [threading.Thread(target=first_line, args=(p,)) for p in procs]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    return firsts
