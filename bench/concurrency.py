"""20 simultaneous `sleep 5; echo done` tasks: all succeed; wall time against the ideal.

    python -m bench.concurrency [--tasks 20] [--workers 20]

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
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
