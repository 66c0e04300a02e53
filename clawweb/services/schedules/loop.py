"""The schedule loop: :func:`step` on a timer, wherever it runs.

Every worker runs it on a thread (``worker/schedule_loop.py``); with
``CLAWWEB_SCHEDULE_LOOP_IN_WEB`` the web app runs it too (:func:`run_in_web`,
a lifespan task), and ``python -m clawweb.services.schedules.loop`` runs it on
its own. Any number of them may run at once: firing is a compare-and-set in
the database (see :mod:`.firing`). Each step also re-enqueues webhook
deliveries that never reached a worker (``webhooks.intake.sweep``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from sqlmodel import Session

from clawweb import db
from clawweb.services.schedules import firing
from clawweb.services.webhooks import intake
from clawweb.settings import get_settings

log = logging.getLogger(__name__)


def step() -> dict[str, int]:
    """One pass over schedules and stray webhook deliveries (own session, real clock)."""
    with Session(db.get_engine(), expire_on_commit=False) as session:
        counts = firing.tick(session=session)
        counts["webhooks"] = len(intake.sweep(session=session))
    return counts


def _safe_step() -> None:
    try:
        step()
    except Exception:  # noqa: BLE001 - the next pass tries again
        log.exception("schedule loop step failed")


async def run_in_web() -> None:
    """The loop as an asyncio task beside the web app; the step runs off the event loop."""
    interval = max(0.2, get_settings().schedule_loop_seconds)
    while True:
        await asyncio.to_thread(_safe_step)
        await asyncio.sleep(interval)


def main() -> int:
    """``python -m clawweb.services.schedules.loop``: :func:`run_in_web`'s loop on its own
    process (the same code a web process runs), until SIGTERM or SIGINT."""
    logging.basicConfig(level=os.environ.get("CLAWWEB_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def until_stopped() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        task = asyncio.create_task(run_in_web())
        await stop.wait()
        task.cancel()

    asyncio.run(until_stopped())
    return 0


if __name__ == "__main__":
    sys.exit(main())
