"""The loop's step on the real clock: schedules fire, and webhook deliveries that never
reached a worker (Redis was down) are handed to RQ by the sweep; the web app's
variant (``run_in_web``) does the same off the event loop."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import update
from sqlmodel import select

from clawweb import streams
from clawweb.models import (Project, ProjectMember, ProjectRole, Schedule, ScheduleRun, User,
                            WebhookDelivery, utcnow)
from clawweb.services.schedules import loop, store
from clawweb.services.webhooks import intake
from clawweb.services.webhooks import store as hooks
from tests.fixtures import webhook_payloads as wp


@pytest.fixture
def world(session, fake_redis):
    alice = User(username="alice")
    project = Project(name="P", slug="p")
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    return alice, project


def _due_now(session, world) -> Schedule:
    alice, project = world
    row = store.create(session=session, user=alice, project_id=project.id,
                       values={"command": "make", "interval_seconds": 3600})
    session.execute(update(Schedule).where(Schedule.id == row.id)
                    .values(next_run_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    return row


def test_a_step_fires_due_schedules(session, world):
    row = _due_now(session, world)
    counts = loop.step()
    assert counts["fired"] == 1 and counts["started"] == 1
    (run,) = session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == row.id)).all()
    assert run.status == "queued" and run.task_id


def test_a_step_enqueues_deliveries_redis_missed(session, world, fake_redis, monkeypatch):
    alice, project = world
    hook, secret = hooks.create(session=session, user=alice, project_id=project.id,
                                forge="github")
    real, down = intake.enqueue, [True]
    monkeypatch.setattr(intake, "enqueue", lambda d: False if down[0] else real(d))
    headers, body = wp.github(secret, "ping", {"zen": "Keep it simple.", "hook_id": 1})
    answer = intake.receive(session=session, forge="github", key=hook.key,
                            headers={k.lower(): v for k, v in headers.items()}, body=body,
                            ip="", now=time.time())
    assert answer.status == 202
    down[0] = False  # Redis is back
    queue = Queue(streams.queue_name("high"), connection=fake_redis, serializer=JSONSerializer)
    assert queue.count == 0
    assert loop.step()["webhooks"] == 0  # too fresh: its own enqueue may still be on the way
    session.execute(update(WebhookDelivery).values(
        received_at=utcnow() - timedelta(seconds=intake.STUCK_SECONDS + 1)))
    session.commit()
    assert loop.step()["webhooks"] == 1
    assert [j.args for j in queue.get_jobs()] == [[answer.body["delivery"]]]
    assert loop.step()["webhooks"] == 0  # queued already: not twice


def test_the_web_variant_runs_the_step_off_the_event_loop(session, world, monkeypatch):
    monkeypatch.setenv("CLAWWEB_SCHEDULE_LOOP_SECONDS", "0.2")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    row = _due_now(session, world)

    async def main():
        task = asyncio.create_task(loop.run_in_web())
        ticks = 0
        while True:  # the event loop stays free while the step runs in a thread
            await asyncio.sleep(0.05)
            ticks += 1
            session.expire_all()
            if session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == row.id)).all():
                break
            assert ticks < 200, "the web loop never fired the schedule"
        task.cancel()
        return ticks

    assert asyncio.run(main()) >= 1
