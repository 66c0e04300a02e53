"""``python -m tests.support.worker_fake_sandbox``: ``python -m worker`` with the fake sandbox.

For fleet tests about what happens around tasks (the schedule loop every
worker runs, dispatch), where running each task in a container would only
add minutes: every task "runs" at once and exits 0. Everything else is the
real worker: RQ, Redis, the database, git working copies, the loops.
"""

from __future__ import annotations

import sys


def main() -> int:
    import os

    os.environ["CLAWWEB_SANDBOX_BACKEND"] = "fake"  # read by worker.jobs.make_sandbox
    from worker.__main__ import main as worker_main

    return worker_main()


if __name__ == "__main__":
    sys.exit(main())
