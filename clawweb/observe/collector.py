"""Gauges computed at scrape time from the database and Redis.

Nothing here is updated inline where tasks change: the database is the source
of truth for tasks, approvals and usage, the heartbeats for workers, so one
scrape reads them and every web process answers the same. A source that is
down yields ``clawweb_scrape_error{source=...} 1`` instead of a failed scrape.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from prometheus_client.core import (
    CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
)
from prometheus_client.utils import floatToGoString
from sqlmodel import func, select

from clawweb.models import Approval, Priority, Task, TaskEvent, TaskStatus
from clawweb.services.ops import queues, workers

log = logging.getLogger(__name__)

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
WAIT_BUCKETS = (0.5, 1, 5, 15, 30, 60, 300, 900, 3600)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def histogram(name: str, doc: str, label: str, samples: dict[str, list[float]], buckets):
    """A Prometheus histogram family from raw observations, one series per label value."""
    fam = HistogramMetricFamily(name, doc, labels=[label] if label else [])
    for value, obs in sorted(samples.items()):
        counts = [(floatToGoString(b), sum(1 for o in obs if o <= b)) for b in buckets]
        counts.append(("+Inf", len(obs)))
        fam.add_metric([value] if label else [], counts, sum_value=sum(obs))
    return fam


class StateCollector:
    """The ``collect`` protocol of prometheus-client, over ``session_factory`` and ``redis``."""

    def __init__(self, session_factory, redis_factory):
        self.session_factory, self.redis_factory = session_factory, redis_factory

    def collect(self):
        errors = GaugeMetricFamily("clawweb_scrape_error",
                                   "1 when a source could not be read for this scrape",
                                   labels=["source"])
        for source, part in (("database", self._database), ("redis", self._redis)):
            try:
                yield from part()
                errors.add_metric([source], 0)
            except Exception:  # noqa: BLE001 - a scrape reports, it does not fail
                log.warning("metrics: %s unavailable", source, exc_info=True)
                errors.add_metric([source], 1)
        yield errors

    def _database(self):
        with self.session_factory() as s:
            yield from _task_metrics(s)
            yield from _approval_metrics(s)
            yield _refusals(s)

    def _redis(self):
        redis = self.redis_factory()
        with self.session_factory() as s:
            depth = queues.depths(session=s, redis=redis)
            fleet = workers.fleet(session=s, redis=redis)
        g = GaugeMetricFamily("clawweb_queue_depth", "Queued tasks by priority",
                              labels=["priority"])
        rq = GaugeMetricFamily("clawweb_queue_rq_jobs",
                               "Jobs handed to RQ, not yet taken by a worker",
                               labels=["priority"])
        wait = GaugeMetricFamily("clawweb_queue_oldest_wait_seconds",
                                 "How long the oldest queued task has waited",
                                 labels=["priority"])
        for d in depth:
            g.add_metric([d.priority], d.waiting)
            rq.add_metric([d.priority], d.in_rq)
            wait.add_metric([d.priority], d.oldest_wait)
        alive = [w for w in fleet if w.alive]
        used = sum(len(w.task_ids) for w in alive)
        slots = GaugeMetricFamily("clawweb_worker_slots",
                                  "Task slots of live workers (each runs several tasks)",
                                  labels=["state"])
        slots.add_metric(["used"], used)
        slots.add_metric(["free"], max(0, sum(w.slots for w in alive) - used))
        yield from (g, rq, wait, slots,
                    GaugeMetricFamily("clawweb_workers_alive", "Workers with a live heartbeat",
                                      value=len(alive)))


def _task_metrics(s):
    by_status = dict(s.exec(select(Task.status, func.count()).group_by(Task.status)).all())
    g = GaugeMetricFamily("clawweb_tasks", "Tasks by status", labels=["status"])
    for status in TaskStatus:
        g.add_metric([status.value], by_status.get(status, by_status.get(status.value, 0)))
    yield g
    rows = s.exec(select(Task.priority, Task.queued_at, Task.started_at, Task.finished_at)
                  .where(Task.started_at.is_not(None))).all()
    durations: dict[str, list[float]] = {"": []}
    waits: dict[str, list[float]] = {}
    for priority, queued, started, ended in rows:
        waits.setdefault(Priority(priority).value, []).append(
            max(0.0, (_aware(started) - _aware(queued)).total_seconds()))
        if ended:
            durations[""].append((_aware(ended) - _aware(started)).total_seconds())
    yield histogram("clawweb_task_duration_seconds", "Run time of finished tasks", "",
                    durations, DURATION_BUCKETS)
    yield histogram("clawweb_task_wait_seconds", "Time from queued to started", "priority",
                    waits, WAIT_BUCKETS)
    tin, tout, cost = s.exec(select(func.sum(Task.input_tokens), func.sum(Task.output_tokens),
                                    func.sum(Task.cost_usd))).one()
    tokens = CounterMetricFamily("clawweb_model_tokens", "Model tokens used by tasks",
                                 labels=["direction"])
    tokens.add_metric(["input"], int(tin or 0))
    tokens.add_metric(["output"], int(tout or 0))
    yield tokens
    yield CounterMetricFamily("clawweb_model_cost_usd", "Model cost of tasks (USD)",
                              value=float(cost or 0))


def _approval_metrics(s):
    pending = s.exec(select(func.count(), func.min(Approval.created_at))
                     .where(Approval.decision == "")).one()
    count, oldest = pending
    yield GaugeMetricFamily("clawweb_approvals_waiting", "Approvals nobody answered yet",
                            value=count)
    age = (datetime.now(timezone.utc) - _aware(oldest)).total_seconds() if oldest else 0.0
    yield GaugeMetricFamily("clawweb_approval_oldest_wait_seconds",
                            "Age of the oldest unanswered approval", value=max(0.0, age))


def _refusals(s):
    # A summary event stands for ``more`` refusals the rate limit held back.
    total = 0
    for data in s.exec(select(TaskEvent.data).where(TaskEvent.type == "egress.refused")
                       .execution_options(yield_per=500)):
        more = int((data or {}).get("more", 0) or 0)
        total += more or 1
    return CounterMetricFamily("clawweb_egress_refusals", "Egress requests refused",
                               value=total)
