"""Submit-to-first-output for `echo hi`, against `docker run` of the same image and command.

    python -m bench.first_output [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.common import Deployment, docker_run, follow, median


def baseline_once() -> float:
    t0 = time.perf_counter()
    proc = docker_run("echo hi")
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait()
    assert line.strip() == b"hi", line
    return elapsed


async def ours_once(dep: Deployment) -> float:
    t0 = time.perf_counter()
    task_id = await asyncio.to_thread(dep.submit, "echo hi")
    seen = {}

    def on_event(ev):
        if ev.type == "output" and "hi" in ev.data.get("text", ""):
            seen["t"] = time.perf_counter()
            return False
        return None

    await follow(task_id, on_event)
    assert "t" in seen, "no output event"
    return seen["t"] - t0


async def measure(dep: Deployment, runs: int) -> tuple[list[float], list[float]]:
    await asyncio.to_thread(baseline_once)  # warm the image cache for both sides
    await ours_once(dep)
    base, ours = [], []
    for _ in range(runs):  # interleaved so drift hits both sides alike
        base.append(await asyncio.to_thread(baseline_once))
        ours.append(await ours_once(dep))
    return base, ours


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with Deployment(workers=1) as dep:
        base, ours = asyncio.run(measure(dep, args.runs))
    b, o = median(base), median(ours)
    print(f"docker run echo hi, to first line (median of {args.runs}): {b * 1000:.0f} ms")
    print(f"clawweb submit to first output event at a client:        {o * 1000:.0f} ms")
    print(f"overhead: {(o - b) * 1000:+.0f} ms   ratio ours/docker: {o / b:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
