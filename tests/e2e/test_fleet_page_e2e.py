"""The workers page on a phone: a worker process runs several tasks at once, and the
page lists each of them and how many of its slots are taken."""

from __future__ import annotations

import time
import uuid

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import Heartbeat

PASSWORD = "fleet page e2e password 1"


def test_a_worker_card_lists_every_running_task_and_its_slots(app_env, new_context):
    from clawweb import redis_conn, streams
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, User, utcnow
    from clawweb.services.projects import service as projects

    name = f"fleet-{uuid.uuid4().hex[:6]}"
    user_id = make_user(name, PASSWORD)
    make_user(f"{name}-admin", PASSWORD, role="admin")
    with session_scope() as s:
        project_id = projects.create_project(session=s, user=s.get(User, user_id),
                                             name=f"Fleet {name}").id
        tasks = [Task(project_id=project_id, created_by=user_id, command=f"sleep {i}",
                      status=TaskStatus.running, started_at=utcnow()) for i in range(2)]
        s.add_all(tasks)
        s.flush()
        task_ids = [t.id for t in tasks]
    beat = Heartbeat(task_ids)  # one "worker" running both
    r = redis_conn.get_redis()
    try:
        r.set(streams.worker_slots_key(beat.name), 16, ex=60)
        r.zadd(streams.workers_known_key(), {beat.name: time.time()})
        page = new_context("phone").new_page()
        sign_in(page, f"{name}-admin", PASSWORD)
        page.goto("/admin/workers/")
        card = page.get_by_test_id("worker-card").filter(has_text=beat.name)
        card.wait_for()
        assert card.get_by_test_id("worker-slots").inner_text().strip() == "2 / 16"
        for task_id in task_ids:
            assert card.get_by_role("link", name=f"#{task_id}").count() == 1
        no_hscroll(page)
        screenshot(page, "fleet-phone-several-tasks")
    finally:
        beat.stop()
