"""``python -m tests.support.worker_no_dns``: ``python -m worker`` whose egress proxy asks no DNS.

Integration tests run real worker processes, which a test's monkeypatch cannot
reach, and a Claude task's egress proxy resolves allow-listed names with the
system's resolver. This launcher runs the very same worker (``worker.__main__``)
with that default resolver replaced by one that answers no name and writes each
name it was asked to ``$TEST_EGRESS_RESOLVER_LOG``. Tests that list no host
check the file stays empty: a name asked means an allow-list check let one
through, and even then nothing was looked up or dialled.
"""

from __future__ import annotations

import os
import sys

from worker.egress import dial


async def _no_dns(host: str, port: int) -> list[str]:
    path = os.environ.get("TEST_EGRESS_RESOLVER_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{host}:{port}\n")
    raise OSError(f"test worker: no DNS for {host!r}")


def main() -> int:
    dial.system_resolver = _no_dns  # EgressProxy reads it when a task builds one
    from worker.__main__ import main as worker_main

    return worker_main()


if __name__ == "__main__":
    sys.exit(main())
