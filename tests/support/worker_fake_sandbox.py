"""``python -m tests.support.worker_fake_sandbox``: ``python -m worker`` with the fake sandbox.

For fleet tests about what happens around tasks (the schedule loop every
worker runs, dispatch), where running each task in a container would only
add minutes: every task "runs" at once and exits 0. Everything else is the
real worker: RQ, Redis, the database, git working copies, the loops.
"""

from __future__ import annotations

import sys


def main() -> int:
    from worker import jobs
    from worker.__main__ import main as worker_main

    jobs.SANDBOX_BACKEND = "fake"
    return worker_main()


if __name__ == "__main__":
    sys.exit(main())
