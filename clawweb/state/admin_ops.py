"""Admin: queues, workers (with drain), usage and per-agent KPIs.

Every handler is ``admin_only``; the views are plain reads of
``clawweb.services.ops``, refreshed by the page's buttons.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from clawweb import redis_conn
from clawweb.db import session_scope
from clawweb.services.errors import Unavailable
from clawweb.services.ops import queues, usage, workers
from clawweb.state.access import admin_only
from clawweb.state.base import AppState


def _rows(items) -> list:
    return [dataclasses.replace(i) for i in items]


class OpsState(AppState):
    depths: list[queues.QueueDepth] = []
    waiting: list[queues.Waiting] = []
    fleet: list[workers.WorkerInfo] = []
    usage_rows: list[usage.UsageRow] = []
    usage_days: list[dict] = []  # {day, tokens, cost}: what the chart draws
    kpis: list[usage.AgentKpi] = []
    ops_loaded: bool = False
    ops_error: str = ""

    def _redis_read(self, read):
        """``read(session, redis)``; a Redis outage becomes a note, not an exception."""
        self.ops_error = ""
        try:
            with session_scope() as s:
                return read(s, redis_conn.get_redis())
        except Unavailable:
            self.ops_error = self.tr("admin.ops_redis_down")
        except Exception as exc:  # noqa: BLE001 - redis-py's errors: show, do not crash
            if "redis" not in type(exc).__module__:
                raise
            self.ops_error = self.tr("admin.ops_redis_down")
        return None

    @rx.event
    @admin_only
    def load_queues(self):
        found = self._redis_read(lambda s, r: (queues.depths(session=s, redis=r),
                                               queues.waiting(session=s, redis=r)))
        if found:
            self.depths, self.waiting = _rows(found[0]), _rows(found[1])
        self.ops_loaded = True

    @rx.event
    @admin_only
    def load_workers(self):
        self._reload_fleet()
        self.ops_loaded = True

    @rx.event
    @admin_only
    def drain_worker(self, name: str):
        """Ask a live worker listed on the page to finish its task and stop."""
        name = str(name)
        if not any(w.name == name and w.alive for w in self.fleet):
            return None
        self._redis_read(lambda _s, r: workers.drain(r, name))
        self._reload_fleet()
        return rx.toast.success(self.tr("admin.drain_done", name=name))

    @rx.event
    @admin_only
    def undrain_worker(self, name: str):
        name = str(name)
        if not any(w.name == name for w in self.fleet):
            return None
        self._redis_read(lambda _s, r: workers.undrain(r, name))
        self._reload_fleet()
        return None

    def _reload_fleet(self) -> None:
        found = self._redis_read(lambda s, r: workers.fleet(session=s, redis=r))
        if found is not None:
            self.fleet = _rows(found)

    @rx.event
    @admin_only
    def load_usage(self):
        with session_scope() as s:
            rows = usage.usage(session=s)
            self.kpis = _rows(usage.agent_kpis(session=s))
        self.usage_rows = _rows(rows)
        self.usage_days = usage.per_day(rows)
        self.ops_loaded = True
