"""RQ jobs of inbound webhooks: ``process_delivery(delivery_id)``.

Enqueued by path (``"worker.webhook_jobs.process_delivery"``) with the JSON
serializer by ``clawweb.services.webhooks.intake``, on the high queue: the job
only starts a task, so it should not wait behind one.
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb import db
from clawweb.services.webhooks import processing


def process_delivery(delivery_id: int) -> str:
    """Match the delivery's rules and start its task; safe to run twice (the second does nothing).

    Returns:
        "done", "ignored", "failed", or "not-accepted" when it was not for this job.
    """
    with Session(db.get_engine(), expire_on_commit=False) as session:
        return processing.process(session=session, delivery_id=int(delivery_id))
