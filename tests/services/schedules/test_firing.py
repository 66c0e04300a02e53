"""The schedule loop's step with a controllable clock: due times fire once (cron in a
non-UTC zone across DST), each missed-run and overlap policy, retry with back-off
then notify, pause/resume, run now. Tasks are real rows and RQ jobs (fakeredis);
their endings are set the way a worker would set them."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from clawweb.models import (AuditEvent, Project, ProjectMember, ProjectRole, Schedule,
                            ScheduleRun, Task, TaskStatus, User)
from clawweb.services import automation_notify
from clawweb.services.agents import credentials
from clawweb.services.schedules import firing, store, timing

UTC = timezone.utc
T0 = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def world(session, fake_redis):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=10)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    return alice, project


@pytest.fixture
def notices(monkeypatch):
    sent = []
    monkeypatch.setattr(automation_notify, "deliver", lambda n: sent.append(n) or True)
    return sent


def make(session, world, first: datetime, **values) -> Schedule:
    alice, project = world
    values = {"command": "make nightly", "interval_seconds": 3600, **values}
    schedule = store.create(session=session, user=alice, project_id=project.id, values=values)
    schedule.next_run_at = first  # as if created just before ``first`` on the test's clock
    session.add(schedule)
    session.commit()
    return schedule


def runs(session, schedule) -> list[ScheduleRun]:
    session.expire_all()
    return list(session.exec(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)
                             .order_by(ScheduleRun.due_at, ScheduleRun.attempt,
                                       ScheduleRun.id)))


def shape(session, schedule) -> list[tuple]:
    return [(timing.as_utc(r.due_at), r.attempt, r.trigger, r.status) for r in runs(session,
                                                                                   schedule)]


def end_task(session, task_id: int, status: TaskStatus, exit_code: int | None = None) -> None:
    session.execute(update(Task).where(Task.id == task_id).values(status=status,
                                                                  exit_code=exit_code))
    session.commit()


def test_each_due_time_fires_once_however_often_the_loop_looks(session, world):
    schedule = make(session, world, T0)
    for now in (T0 - timedelta(seconds=1), T0, T0 + timedelta(seconds=2),
                T0 + timedelta(minutes=30)):
        firing.tick(session=session, now=now)
    (run,) = runs(session, schedule)
    assert (timing.as_utc(run.due_at), run.status, run.trigger) == (T0, "queued", "schedule")
    task = session.get(Task, run.task_id)
    assert (task.command, task.trigger, task.kind, task.created_by) == (
        "make nightly", "schedule", "shell", world[0].id)
    assert task.idempotency_key == f"schedule-run-{run.id}"
    session.refresh(schedule)
    assert timing.as_utc(schedule.next_run_at) == T0 + HOUR


def test_cron_in_a_non_utc_zone_fires_at_local_nine_across_the_dst_change(session, world):
    schedule = make(session, world, datetime(2026, 3, 28, 8, tzinfo=UTC), interval_seconds=0,
                    cron="0 9 * * *", timezone="Europe/Berlin", overlap_policy="queue")
    clock = datetime(2026, 3, 28, 7, 59, tzinfo=UTC)
    while clock < datetime(2026, 3, 31, 12, tzinfo=UTC):
        firing.tick(session=session, now=clock)
        clock += timedelta(minutes=15)
    due = [timing.as_utc(r.due_at) for r in runs(session, schedule)]
    assert due == [datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC),
                   datetime(2026, 3, 30, 7, tzinfo=UTC), datetime(2026, 3, 31, 7, tzinfo=UTC)]
    assert {d.astimezone(timing.zone("Europe/Berlin")).strftime("%H:%M") for d in due} == {"09:00"}


DOWN = T0 + 5 * HOUR + timedelta(minutes=30)  # back after 5.5 hours: T0 .. T0+5h were all missed


def test_missed_runs_skip(session, world):
    schedule = make(session, world, T0, missed_policy="skip")
    firing.tick(session=session, now=DOWN)
    (summary,) = runs(session, schedule)
    assert (summary.status, summary.reason, summary.params) == (
        "skipped", "schedules.missed_skipped", {"count": 6, "policy": "skip"})
    assert session.exec(select(Task)).all() == []
    session.refresh(schedule)
    assert timing.as_utc(schedule.next_run_at) == T0 + 6 * HOUR


def test_missed_runs_run_once(session, world):
    schedule = make(session, world, T0)  # the default policy
    assert schedule.missed_policy == "once"
    firing.tick(session=session, now=DOWN)
    assert shape(session, schedule) == [(T0, 1, "missed", "skipped"),
                                        (T0 + 5 * HOUR, 1, "missed", "queued")]
    assert runs(session, schedule)[0].params == {"count": 5, "policy": "once"}


def test_missed_runs_run_once_is_the_on_time_run_when_there_is_one(session, world):
    schedule = make(session, world, T0)
    firing.tick(session=session, now=T0 + 5 * HOUR + timedelta(seconds=30))
    assert shape(session, schedule) == [(T0, 1, "missed", "skipped"),
                                        (T0 + 5 * HOUR, 1, "schedule", "queued")]


def test_missed_runs_run_each_up_to_the_cap(session, world):
    schedule = make(session, world, T0, missed_policy="each", missed_cap=3,
                    overlap_policy="queue")
    firing.tick(session=session, now=DOWN)
    assert shape(session, schedule) == [
        (T0, 1, "missed", "skipped"), (T0 + 3 * HOUR, 1, "missed", "queued"),
        (T0 + 4 * HOUR, 1, "missed", "waiting"), (T0 + 5 * HOUR, 1, "missed", "waiting")]
    assert runs(session, schedule)[0].params["count"] == 3
    # They run one after the other, each once.
    for _ in range(3):
        active = [r for r in runs(session, schedule) if r.status == "queued"]
        assert len(active) == 1
        end_task(session, active[0].task_id, TaskStatus.succeeded, 0)
        firing.tick(session=session, now=DOWN + timedelta(seconds=10))
    assert [r.status for r in runs(session, schedule)] == ["skipped"] + ["succeeded"] * 3
    assert len(session.exec(select(Task)).all()) == 3


def _two_due(session, world, policy):
    schedule = make(session, world, T0, overlap_policy=policy)
    firing.tick(session=session, now=T0)
    first = runs(session, schedule)[0]
    firing.tick(session=session, now=T0 + HOUR)
    return schedule, first


def test_overlap_skip(session, world):
    schedule, first = _two_due(session, world, "skip")
    assert shape(session, schedule) == [(T0, 1, "schedule", "queued"),
                                        (T0 + HOUR, 1, "schedule", "skipped")]
    assert runs(session, schedule)[1].reason == "schedules.overlap_skipped"
    assert len(session.exec(select(Task)).all()) == 1


def test_overlap_queue(session, world):
    schedule, first = _two_due(session, world, "queue")
    assert [r.status for r in runs(session, schedule)] == ["queued", "waiting"]
    firing.tick(session=session, now=T0 + HOUR + timedelta(seconds=5))
    assert [r.status for r in runs(session, schedule)] == ["queued", "waiting"]
    end_task(session, first.task_id, TaskStatus.succeeded, 0)
    firing.tick(session=session, now=T0 + HOUR + timedelta(seconds=10))
    assert [r.status for r in runs(session, schedule)] == ["succeeded", "queued"]


def test_overlap_cancel(session, world):
    schedule, first = _two_due(session, world, "cancel")
    assert session.get(Task, first.task_id).status == TaskStatus.cancelled
    firing.tick(session=session, now=T0 + HOUR + timedelta(seconds=5))
    assert [(r.status, r.reason) for r in runs(session, schedule)] == [
        ("cancelled", "schedules.task_cancelled"), ("queued", "")]
    assert len(session.exec(select(Task)).all()) == 2


def test_an_interrupted_task_ends_its_run_and_frees_the_next(session, world, notices):
    # Someone stopped the agent's turn: the run is over (not retried, nobody notified),
    # and a queued run behind it starts.
    schedule, first = _two_due(session, world, "queue")
    end_task(session, first.task_id, TaskStatus.interrupted)
    firing.tick(session=session, now=T0 + HOUR + timedelta(seconds=5))
    assert [(r.status, r.reason) for r in runs(session, schedule)] == [
        ("cancelled", "schedules.task_interrupted"), ("queued", "")]
    assert notices == []


def test_a_failure_is_retried_with_back_off_then_the_owner_is_notified(session, world,
                                                                       notices):
    schedule = make(session, world, T0, retry_delay_seconds=60, interval_seconds=86400)
    assert schedule.max_retries == 2  # the default: at most three attempts
    firing.tick(session=session, now=T0)
    clock = T0
    for attempt, delay in ((1, 60), (2, 120)):
        (active,) = [r for r in runs(session, schedule) if r.status == "queued"]
        assert active.attempt == attempt
        end_task(session, active.task_id, TaskStatus.failed, 2)
        clock += timedelta(seconds=5)
        firing.tick(session=session, now=clock)
        retry = runs(session, schedule)[-1]
        assert (retry.attempt, retry.trigger, retry.status) == (attempt + 1, "retry", "pending")
        assert timing.as_utc(retry.not_before) == clock + timedelta(seconds=delay)
        firing.tick(session=session, now=clock + timedelta(seconds=delay - 1))
        assert runs(session, schedule)[-1].status == "pending"  # still backing off
        clock += timedelta(seconds=delay)
        firing.tick(session=session, now=clock)
        assert runs(session, schedule)[-1].status == "queued"
    assert notices == []
    last = runs(session, schedule)[-1]
    end_task(session, last.task_id, TaskStatus.timed_out)
    firing.tick(session=session, now=clock + timedelta(seconds=5))
    firing.tick(session=session, now=clock + timedelta(hours=1, seconds=-1))
    assert [(r.attempt, r.status) for r in runs(session, schedule)] == [
        (1, "failed"), (2, "failed"), (3, "failed")]
    (notice,) = notices
    assert (notice["event"], notice["user_id"], notice["reason"], notice["task_id"]) == (
        "schedule.failed", world[0].id, "schedules.task_failed", last.task_id)
    assert notice["params"]["attempts"] == 3 and notice["params"]["status"] == "timed_out"
    assert notice["link"] == f"/projects/{world[1].id}/schedules"
    assert len(session.exec(select(AuditEvent).where(
        AuditEvent.action == "schedule.failed_notice")).all()) == 1
    # Each attempt is its own task on its own branch; none of them was merged.
    tasks = session.exec(select(Task).order_by(Task.id)).all()
    assert len({t.branch for t in tasks}) == 3 and all(t.merge_state == "" for t in tasks)


def test_two_loops_settling_the_same_failure_retry_it_once(session, world, engine, notices):
    schedule = make(session, world, T0, max_retries=0)
    firing.tick(session=session, now=T0)
    (run,) = runs(session, schedule)
    end_task(session, run.task_id, TaskStatus.failed, 1)
    with Session(engine) as other:
        firing.settle(session=other, now=T0 + timedelta(seconds=5))
    firing.settle(session=session, now=T0 + timedelta(seconds=5))
    assert [r.status for r in runs(session, schedule)] == ["failed"]
    assert len(notices) == 1


def test_loops_racing_on_one_due_time_fire_it_once(session, world, engine):
    schedule = make(session, world, T0, overlap_policy="queue")
    barrier = threading.Barrier(6)
    errors = []

    def loop():
        try:
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                firing.fire_due(session=s, now=T0 + timedelta(seconds=1))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert shape(session, schedule) == [(T0, 1, "schedule", "pending")]


def test_paused_schedules_do_not_fire_and_resume_starts_from_now(session, world):
    alice, _ = world
    schedule = make(session, world, T0)
    store.set_paused(session=session, user=alice, schedule_id=schedule.id, paused=True)
    assert schedule.next_run_at is None
    firing.tick(session=session, now=T0 + 10 * HOUR)
    assert runs(session, schedule) == []
    store.set_paused(session=session, user=alice, schedule_id=schedule.id, paused=False)
    session.refresh(schedule)
    assert schedule.next_run_at is not None and runs(session, schedule) == []


def test_run_now_runs_once_even_while_paused(session, world):
    alice, _ = world
    schedule = make(session, world, T0)
    store.set_paused(session=session, user=alice, schedule_id=schedule.id, paused=True)
    run = store.run_now(session=session, user=alice, schedule_id=schedule.id)
    firing.tick(session=session, now=T0)
    firing.tick(session=session, now=T0 + timedelta(seconds=5))
    (only,) = runs(session, schedule)
    assert (only.id, only.trigger, only.status) == (run.id, "run_now", "queued")


def test_redis_down_keeps_the_run_pending_until_it_is_back(session, world, monkeypatch):
    from clawweb.services.tasks import service as task_service
    from clawweb.services.errors import Unavailable

    schedule = make(session, world, T0)
    real, is_down = task_service._ping_redis, [True]

    def ping():
        if is_down[0]:
            raise Unavailable()
        return real()

    monkeypatch.setattr(task_service, "_ping_redis", ping)
    firing.tick(session=session, now=T0)
    assert [r.status for r in runs(session, schedule)] == ["pending"]
    assert session.exec(select(Task)).all() == []
    is_down[0] = False
    firing.tick(session=session, now=T0 + timedelta(seconds=5))
    assert [r.status for r in runs(session, schedule)] == ["queued"]


def test_the_owner_s_rights_of_today_decide(session, world, notices):
    alice, _ = world
    schedule = make(session, world, T0)
    member = session.exec(select(ProjectMember)).one()
    member.role = ProjectRole.viewer
    session.add(member)
    session.commit()
    firing.tick(session=session, now=T0)
    (run,) = runs(session, schedule)
    assert (run.status, run.reason, run.task_id) == ("failed", "errors.forbidden", None)
    assert len(notices) == 1 and notices[0]["reason"] == "errors.forbidden"
    firing.tick(session=session, now=T0 + timedelta(minutes=5))
    assert len(runs(session, schedule)) == 1  # not retried: it would fail the same way


def test_a_claude_schedule_runs_a_claude_task(session, world):
    alice, _ = world
    credentials.set_user_credential(session=session, user=alice, kind="api_key",
                                    secret="sk-ant-api03-" + "z" * 40)
    schedule = make(session, world, T0, kind="claude", command="Update the changelog",
                    timeout_seconds=600, priority="low")
    firing.tick(session=session, now=T0)
    task = session.get(Task, runs(session, schedule)[0].task_id)
    assert (task.kind, task.command, task.timeout_seconds, task.priority.value, task.trigger) \
        == ("claude", "Update the changelog", 600, "low", "schedule")


@pytest.fixture
def offer(session, world):
    """The project offers its default and one extra model, modes up to acceptEdits."""
    from clawweb.models import AgentSettings

    alice, project = world
    conf = AgentSettings(project_id=project.id, model="claude-sonnet-4-5",
                         permission_mode="acceptEdits", allowed_models=["claude-opus-4-1"])
    session.add(conf)
    session.commit()
    credentials.set_user_credential(session=session, user=alice, kind="api_key",
                                    secret="sk-ant-api03-" + "z" * 40)
    return conf


def test_a_claude_schedule_s_task_runs_with_its_model_and_mode(session, world, offer):
    chosen = make(session, world, T0, kind="claude", command="Tidy up",
                  model="claude-opus-4-1", permission_mode="plan")
    plain = make(session, world, T0, kind="claude", command="Tidy up too")
    firing.tick(session=session, now=T0)
    task = session.get(Task, runs(session, chosen)[0].task_id)
    assert (task.model, task.permission_mode) == ("claude-opus-4-1", "plan")
    task = session.get(Task, runs(session, plain)[0].task_id)
    assert (task.model, task.permission_mode) == ("claude-sonnet-4-5", "acceptEdits")


def test_a_model_the_project_withdrew_falls_back_to_its_default(session, world, offer,
                                                                 notices):
    schedule = make(session, world, T0, kind="claude", command="Tidy up",
                    model="claude-opus-4-1", permission_mode="plan")
    offer.allowed_models = []
    session.add(offer)
    session.commit()
    firing.tick(session=session, now=T0)
    (run,) = runs(session, schedule)
    assert run.status == "queued" and notices == []
    task = session.get(Task, run.task_id)
    assert (task.model, task.permission_mode) == ("claude-sonnet-4-5", "plan")


def test_a_mode_the_project_withdrew_fails_the_run_as_a_re_run_would(session, world, offer,
                                                                      notices):
    schedule = make(session, world, T0, kind="claude", command="Tidy up",
                    permission_mode="acceptEdits")
    offer.permission_mode = "default"
    session.add(offer)
    session.commit()
    firing.tick(session=session, now=T0)
    (run,) = runs(session, schedule)
    assert (run.status, run.reason, run.task_id) == (
        "failed", "agent_tasks.mode_not_allowed", None)
    assert [n["reason"] for n in notices] == ["agent_tasks.mode_not_allowed"]
