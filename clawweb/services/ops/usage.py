"""Model usage (tokens, cost) per user, project and day, and per-agent KPIs.

A task's usage counts on the day it was queued (UTC). Durations are from
``started_at`` to ``finished_at`` of finished tasks.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import statistics
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, func, select

from clawweb.models import TERMINAL_STATUSES, Project, Task, TaskStatus, User

USAGE_DAYS = 30


@dataclasses.dataclass
class UsageRow:
    day: str = ""
    user: str = ""
    project: str = ""
    tasks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclasses.dataclass
class AgentKpi:
    kind: str = ""
    tasks: int = 0
    finished: int = 0
    success_rate: float = 0.0  # succeeded / finished, 0..1
    median_seconds: float = 0.0
    tokens_per_task: float = 0.0


def usage(*, session: Session, days: int = USAGE_DAYS,
          now: datetime | None = None) -> list[UsageRow]:
    """Tokens and cost by day, user and project over the last ``days`` days, newest first."""
    now = now or datetime.now(timezone.utc)
    day = func.date(Task.queued_at)
    q = (select(day, User.username, Project.name, func.count(), func.sum(Task.input_tokens),
                func.sum(Task.output_tokens), func.sum(Task.cost_usd))
         .join(Project, Project.id == Task.project_id)
         .outerjoin(User, User.id == Task.created_by)
         .where(Task.queued_at >= now - timedelta(days=days))
         .group_by(day, User.username, Project.name)
         .order_by(day.desc(), User.username, Project.name))
    return [UsageRow(day=str(d), user=u or "", project=p, tasks=n, input_tokens=int(i or 0),
                     output_tokens=int(o or 0), cost_usd=round(float(c or 0), 4))
            for d, u, p, n, i, o, c in session.exec(q).all()]


def per_day(rows: list[UsageRow]) -> list[dict]:
    """Totals per day, oldest first: what the chart draws."""
    totals: dict[str, dict] = {}
    for r in rows:
        t = totals.setdefault(r.day, {"day": r.day, "tokens": 0, "cost": 0.0})
        t["tokens"] += r.input_tokens + r.output_tokens
        t["cost"] = round(t["cost"] + r.cost_usd, 4)
    return [totals[d] for d in sorted(totals)]


def usage_csv(rows: list[UsageRow]) -> str:
    """The usage rows as CSV; cells that a spreadsheet would run as formulas are quoted inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    fields = [f.name for f in dataclasses.fields(UsageRow)]
    writer.writerow(fields)
    for r in rows:
        writer.writerow([_inert(getattr(r, f)) for f in fields])
    return out.getvalue()


def _inert(value):
    # User and project names are typed by people: "=HYPERLINK(...)" must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def agent_kpis(*, session: Session) -> list[AgentKpi]:
    """Per agent kind: tasks, success rate, median duration and tokens per task."""
    rows = session.exec(select(Task.kind, Task.status, Task.started_at, Task.finished_at,
                               Task.input_tokens + Task.output_tokens)).all()
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    return [_kpi(kind, items) for kind, items in sorted(by_kind.items())]


def _kpi(kind: str, items: list) -> AgentKpi:
    done = [r for r in items if TaskStatus(r[1]) in TERMINAL_STATUSES]
    won = sum(1 for r in done if TaskStatus(r[1]) == TaskStatus.succeeded)
    durations = [(r[3] - r[2]).total_seconds() for r in done if r[2] and r[3]]
    return AgentKpi(kind=kind, tasks=len(items), finished=len(done),
                    success_rate=round(won / len(done), 3) if done else 0.0,
                    median_seconds=round(statistics.median(durations), 1) if durations else 0.0,
                    tokens_per_task=round(sum(r[4] or 0 for r in items) / len(items), 1))
