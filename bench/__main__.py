"""Run every benchmark in turn with its default arguments: ``python -m bench``."""

from __future__ import annotations

import runpy
import sys

ALL = ("bench.first_output", "bench.browser_first_output", "bench.throughput",
       "bench.concurrency", "bench.claude_overhead", "bench.api_load")


def main() -> int:
    failed = []
    for name in ALL:
        print(f"\n== {name}", flush=True)
        sys.argv = [name]
        try:
            runpy.run_module(name, run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed.append(name)
    if failed:
        print("\nfailed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
