"""Every worker's schedule loop thread fires due schedules (started by worker/__main__.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from clawweb.models import (Project, ProjectMember, ProjectRole, Schedule, ScheduleRun, User,
                            utcnow)
from clawweb.services.schedules import store
from worker import schedule_loop


def test_the_thread_fires_a_due_schedule(session, engine, fake_redis, settings):
    alice, project = User(username="alice"), Project(name="P", slug="p")
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    row = store.create(session=session, user=alice, project_id=project.id,
                       values={"command": "make", "interval_seconds": 3600})
    session.execute(update(Schedule).where(Schedule.id == row.id)
                    .values(next_run_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    thread = schedule_loop.ScheduleLoop("w-test", interval=0.1)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.expire_all()
            runs = session.exec(select(ScheduleRun)).all()
            if runs and runs[0].status == "queued":
                break
            time.sleep(0.05)
    finally:
        thread.stop()
        thread.join(5)
    assert [(r.schedule_id, r.status) for r in runs] == [(row.id, "queued")]
    assert not thread.is_alive()
