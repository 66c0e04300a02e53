"""20 simultaneous `sleep 5; echo done` tasks: all succeed; wall time against the ideal.

    python -m bench.concurrency [--tasks 20] [--workers 20]
    python -m bench.concurrency --shipped    # the default deployment (bench/concurrency_shipped.py)

The ideal is the slowest single task measured alone in the same run (launch
overhead + 5 s) when there are as many workers as tasks; with fewer workers
it is that times the number of waves.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

from bench.common import Deployment, follow

COMMAND = "sleep 5; echo done"


async def one(dep: Deployment) -> tuple[str, str]:
    task_id = await asyncio.to_thread(dep.submit, COMMAND)
    box = {"status": "", "out": ""}

    def on_event(ev):
        if ev.type == "output":
            box["out"] += ev.data.get("text", "")
        elif ev.type == "status":
            box["status"] = ev.data.get("status", "")

    await follow(task_id, on_event)
    return box["status"], box["out"]


async def measure(dep: Deployment, n: int) -> tuple[float, float, list]:
    t0 = time.perf_counter()
    await one(dep)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = await asyncio.gather(*[one(dep) for _ in range(n)])
    return single, time.perf_counter() - t0, results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=20)
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--shipped", action="store_true",
                    help="worker settings as shipped; 20 shell + 6 Claude tasks waiting on "
                         "approvals, over projects with the default limit")
    args = ap.parse_args()
    if args.shipped:
        return shipped()
    with Deployment(workers=args.workers) as dep:
        single, wall, results = asyncio.run(measure(dep, args.tasks))
    ok = sum(1 for status, out in results if status == "succeeded" and out.strip() == "done")
    waves = math.ceil(args.tasks / args.workers)
    ideal = single * waves
    print(f"{args.tasks} tasks on {args.workers} workers: {ok}/{args.tasks} succeeded with 'done'")
    print(f"one task alone (submit to finish): {single:.2f} s; ideal for {waves} wave(s): "
          f"{ideal:.2f} s (pure sleep: {5 * waves} s)")
    print(f"wall time: {wall:.2f} s   ratio wall/ideal: {wall / ideal:.2f}   "
          f"wall/pure-sleep: {wall / (5 * waves):.2f}")
    if ok != args.tasks:
        raise SystemExit("not all tasks succeeded")


def shipped() -> None:
    """Run the shipped-deployment mode and print its figures next to the targets."""
    from bench import concurrency_shipped as cs
    from clawweb.settings import get_settings
    from tests.fixtures.fake_anthropic import FakeAnthropic

    api = FakeAnthropic(accept_keys={cs.KEY}).start()
    try:
        with Deployment(workers=get_settings().worker_slots,
                        extra_env={"CLAWWEB_ANTHROPIC_BASE_URL": api.url}) as dep:
            from clawweb.db import session_scope
            from clawweb.services.agents import credentials

            with session_scope() as s:
                credentials.set_user_credential(session=s, user=dep.user(), kind="api_key",
                                                secret=cs.KEY)
            slots = get_settings().worker_slots * get_settings().tasks_per_worker
            print(f"deployment: {get_settings().worker_slots} worker processes x "
                  f"{get_settings().tasks_per_worker} tasks = {slots} slots")
            r = asyncio.run(cs.measure(dep, api))
    finally:
        api.stop()
    report(r)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(r: dict) -> None:
    shell = r["shell"]
    ok = sum(1 for t in shell if t.get("status") == "succeeded")
    start = max(t.get("running", float("inf")) for t in shell)
    firsts = [t["output"] for t in shell if "output" in t]
    probes = [t["output"] for t in r["probes"] if "output" in t]
    from bench.concurrency_shipped import p95

    print(f"shell tasks succeeded: {ok}/{len(shell)}")
    print(f"all 20 shell tasks running {start:.2f} s after submit (target <= 3 s): "
          f"{_verdict(start <= 3.0)}")
    print(f"first output (sleep 5; echo done): idle {r['idle_shell']:.2f} s, under load p95 "
          f"{p95(firsts):.2f} s = {p95(firsts) / r['idle_shell']:.2f}x (target <= 2x): "
          f"{_verdict(p95(firsts) <= 2 * r['idle_shell'])}")
    gaps = sorted(t["output"] - t["running"] for t in shell if "output" in t and "running" in t)
    if gaps:
        print(f"  of which running -> first output (working copy, container start, sleep 5): "
              f"median {gaps[len(gaps) // 2]:.2f} s, max {gaps[-1]:.2f} s")
    if r["docker"]:
        d = r["docker"]
        print(f"  baseline, {len(d)} hardened `docker run` of it at once, no clawweb: first "
              f"output p95 {p95(d):.2f} s; clawweb p95 / that: {p95(firsts) / p95(d):.2f}")
    if probes:
        print(f"first output (echo hi probes): idle {r['idle_probe']:.2f} s, under load p95 "
              f"{p95(probes):.2f} s = {p95(probes) / r['idle_probe']:.2f}x (target <= 2x): "
              f"{_verdict(p95(probes) <= 2 * r['idle_probe'])}")
    m, n = r["memory"], max(1, r["active"])
    print(f"worker-side memory with {r['active']} tasks running ({m['processes']} processes): "
          f"RSS {m['rss']:.0f} MB, PSS {m['pss']:.0f} MB, USS {m['uss']:.0f} MB")
    print(f"per running task: RSS {m['rss'] / n:.1f} MB, PSS {m['pss'] / n:.1f} MB, "
          f"USS {m['uss'] / n:.1f} MB (target <= 30 MB): {_verdict(m['rss'] / n <= 30)}")


if __name__ == "__main__":
    main()
