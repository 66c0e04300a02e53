"""Failures of automated work (schedules, webhooks) reach the person who set it up.

:func:`failed` is the one call schedules and webhooks make. It records an
audit event (so the failure is visible in the admin audit log whatever else
happens) and hands the notice to :func:`deliver`, which passes it to the
notifications package (``clawweb.services.notify``) when that package offers
``hooks.automation_failed``: the lead wires that entry point at merge.
Best effort: a notification problem never fails the schedule or the delivery.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sqlmodel import Session

from clawweb.models import User
from clawweb.services import audit

log = logging.getLogger(__name__)


def deliver(notice: dict[str, Any]) -> bool:
    """Pass ``notice`` to the notifications package if it takes it; False if not."""
    try:
        hooks = importlib.import_module("clawweb.services.notify.hooks")
    except ImportError:
        return False
    entry = getattr(hooks, "automation_failed", None)
    if entry is None:
        return False
    entry(notice)
    return True


def failed(*, session: Session, user_id: int | None, project_id: int, source: str,
           object_id: int, reason: str, params: dict[str, Any] | None = None,
           link: str = "", task_id: int | None = None) -> dict[str, Any]:
    """Tell ``user_id`` that automated work of ``source`` ("schedule" | "webhook") failed.

    Args:
        reason: a message key (translated in the reader's language, not here).
        link: the page to open (the schedule, the webhook's log, or the task).

    Returns:
        The notice that was recorded and handed on.
    """
    notice = {"event": f"{source}.failed", "user_id": user_id, "project_id": project_id,
              "object_id": object_id, "reason": reason, "params": dict(params or {}),
              "link": link, "task_id": task_id}
    try:
        user = session.get(User, user_id) if user_id else None
        audit.record(session=session, actor=None, actor_name="clawweb",
                     action=f"{source}.failed_notice", object_type=source,
                     object_id=object_id, after={**notice, "notify": user.username if user else ""})
        session.commit()
    except Exception:  # noqa: BLE001 - the failure itself is already recorded
        session.rollback()
        log.exception("could not record the %s failure notice", source)
    try:
        if not deliver(notice):
            log.info("%s %s failed (%s); notice recorded for user %s", source, object_id,
                     reason, user_id)
    except Exception:  # noqa: BLE001
        log.exception("notification of a %s failure failed", source)
    return notice
