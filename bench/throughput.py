"""Output throughput: 1,000,000 short lines to a client reading the task's live stream,
against reading the same container's stdout directly (`docker run`), and zero loss.

    python -m bench.throughput [--lines 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time

from bench.common import Deployment, docker_run, follow


def expected(n: int) -> bytes:
    return b"".join(b"%d\n" % i for i in range(1, n + 1))


def baseline(n: int) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = docker_run(f"seq 1 {n}")
    data = proc.stdout.read()
    elapsed = time.perf_counter() - t0
    proc.wait()
    return elapsed, data


def baseline_api(n: int) -> tuple[float, bytes]:
    """The same container's stdout through the Docker API (as a program would read it)."""
    import docker

    client = docker.from_env()
    t0 = time.perf_counter()
    c = client.containers.create("clawweb-runner", ["bash", "-lc", f"seq 1 {n}"],
                                 network_mode="none", init=True)
    try:
        sock = c.attach(stdout=True, stderr=False, stream=True, logs=True)
        c.start()
        data = b"".join(sock)
        elapsed = time.perf_counter() - t0
    finally:
        c.remove(force=True)
    return elapsed, data


async def ours(dep: Deployment, n: int) -> tuple[float, bytes, int]:
    t0 = time.perf_counter()
    task_id = await asyncio.to_thread(dep.submit, f"seq 1 {n}")
    parts: list[str] = []
    state = {"dropped": 0, "last": t0}

    def on_event(ev):
        if ev.type == "output" and ev.data.get("stream") == "stdout":
            parts.append(ev.data["text"])
            state["last"] = time.perf_counter()
        elif ev.type == "truncated":
            state["dropped"] = ev.data.get("dropped_bytes", 0)

    await follow(task_id, on_event)
    return state["last"] - t0, "".join(parts).encode(), state["dropped"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    n = args.lines
    want = expected(n)
    with Deployment(workers=1) as dep:
        cli_s, cli_data = baseline(n)
        b_s, b_data = baseline_api(n)
        o_s, o_data, dropped = asyncio.run(ours(dep, n))
    assert b_data == want and cli_data == want, "a baseline lost lines?"
    lost = "none" if o_data == want and not dropped else \
        f"MISMATCH ({len(o_data)} of {len(want)} bytes, dropped {dropped})"
    print(f"docker run seq 1 {n} (CLI), stdout piped: {cli_s:.2f} s = {n / cli_s:,.0f} lines/s")
    print(f"same container via Docker API attach:    {b_s:.2f} s = {n / b_s:,.0f} lines/s")
    print(f"clawweb, launch to last line at a client:   {o_s:.2f} s = {n / o_s:,.0f} lines/s")
    print(f"loss: {lost}  (sha256 {hashlib.sha256(o_data).hexdigest()[:16]})")
    print(f"throughput ratio ours/direct: {b_s / o_s:.2f} vs API attach, "
          f"{cli_s / o_s:.2f} vs CLI (target >= 0.5)")


if __name__ == "__main__":
    main()
