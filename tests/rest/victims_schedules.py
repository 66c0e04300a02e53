"""Victim objects for the schedules and webhooks-admin routes (tests/rest/conftest.py
``more_victim_ids``): the victim's schedule, with a run, and webhook, with a delivery."""

from __future__ import annotations

from tests.rest.conftest import World


def victim_ids(world: World) -> dict[str, int]:
    """``schedule_id`` and ``webhook_id`` of objects of ``world.victim``."""
    from clawweb.db import session_scope
    from clawweb.models import ScheduleRun, User, WebhookDelivery, utcnow
    from clawweb.services.schedules import store as schedules
    from clawweb.services.webhooks import store as webhooks

    with session_scope() as s:
        user = s.get(User, world.victim)
        schedule = schedules.create(session=s, user=user, project_id=world.victim_project,
                                    values={"name": "victim-secret-command schedule",
                                            "cron": "0 3 * * *",
                                            "command": "echo victim-secret-command nightly"})
        s.add(ScheduleRun(schedule_id=schedule.id, due_at=utcnow(), status="succeeded"))
        hook, _secret = webhooks.create(session=s, user=user, project_id=world.victim_project,
                                        forge="github")
        webhooks.update(session=s, user=user, webhook_id=hook.id, values={
            "push_enabled": True, "push_command": "echo victim-secret-command push"})
        s.add(WebhookDelivery(webhook_id=hook.id, event="push", status="done"))
        return {"schedule_id": schedule.id, "webhook_id": hook.id}
