"""How a task run ended, and recording that ending once (``worker.jobs`` runs the task).

``decide_ending`` turns what happened (a stop, an error, the agent's result) into an
:class:`Ending`; ``record_ending`` commits it with its ``status`` event, compare-and-set
on the attempt, so a reaper that already decided wins over a late finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from clawweb.i18n import stored
from clawweb.models import ACTIVE_STATUSES, Task, TaskEvent, TaskStatus, User
from clawweb.services import approvals
from clawweb.services.tasks import queue as task_queue
from worker.agents import AgentResult
from worker.control import StopFlag
from worker.output import OutputPipe

# What a run reports of its usage and cost, stored on the task row.
USAGE_FIELDS = ("agent_session_id", "model", "turns", "input_tokens", "output_tokens",
                "cost_usd")


# Why a run's open approval requests were withdrawn, by how it ended.
WITHDRAW_REASONS = {
    TaskStatus.succeeded: "approvals.withdrawn.finished",
    TaskStatus.failed: "approvals.withdrawn.failed",
    TaskStatus.timed_out: "approvals.withdrawn.failed",
    TaskStatus.cancelled: "approvals.withdrawn.cancelled",
    TaskStatus.interrupted: "approvals.withdrawn.interrupted",
}


@dataclass
class Ending:
    status: TaskStatus
    reason: str = ""
    exit_code: int | None = None
    values: dict = field(default_factory=dict)


def decide_ending(session: Session, task: Task, stop: StopFlag, result: AgentResult | None,
           error: str, values: dict) -> Ending:
    """How a run ended: a stop (cancel, timeout) first, then a worker error, then the result."""
    if result is not None:
        values.update({k: v for k, v in result.usage.items() if k in USAGE_FIELDS})
    code = result.exit_code if result is not None else None
    if stop.cancelled_by is not None:
        user = session.get(User, stop.cancelled_by) if stop.cancelled_by else None
        values["cancelled_by"] = user.id if user else None
        reason = (stored.encode("tasks.ended.cancelled_by", user=user.username) if user
                  else stored.encode("tasks.ended.cancelled"))
        return Ending(TaskStatus.cancelled, reason, code, values)
    if stop.timed_out:
        return Ending(TaskStatus.timed_out,
                      stored.encode("tasks.ended.timed_out", seconds=task.timeout_seconds),
                      code, values)
    if error:
        return Ending(TaskStatus.failed, error, code, values)
    if result.interrupted:
        return Ending(TaskStatus.interrupted, result.failure_reason, code, values)
    if result.failure_reason:
        return Ending(TaskStatus.failed, result.failure_reason, code, values)
    if code == 0:
        return Ending(TaskStatus.succeeded, "", 0, values)
    return Ending(TaskStatus.failed, stored.encode("tasks.ended.exit_code", code=code), code,
                  values)


def record_ending(session: Session, task: Task, pipe: OutputPipe, ending: Ending,
           values: dict) -> bool:
    """The terminal status and its ``status`` event, committed together; False if superseded.

    Readers stop at a terminal status. Committed before its event (as it once
    was), a reader could see "succeeded", read the stored events and stop one
    short. Stored before the status, the event of an attempt the reaper had
    already decided would stand as a second ending. In one transaction, whoever
    sees the status finds every event before it in the database (the output is
    stored by ``pipe.close``, or here if it could not be), and a superseded
    attempt leaves no ending at all.
    Redis gets the event right after the commit: it is the live copy, and
    readers go to the database first (``task_output.read_after``).
    """
    ev = pipe.last_event("status", {"status": ending.status.value, "reason": ending.reason,
                                    "exit_code": ending.exit_code, "attempt": task.attempt})
    won = task_queue.transition(session=session, task_id=task.id,
                                from_statuses=list(ACTIVE_STATUSES), to=ending.status,
                                attempt=task.attempt, values=values, commit=False)
    withdrawn: list[int] = []
    if won:
        # With any output close() could not store (the database blinked): then it
        # lands with the ending, or neither does.
        session.add_all([TaskEvent(task_id=task.id, seq=e.seq, ts=e.ts, type=e.type,
                                   data=e.data) for e in [*pipe.take_unstored(), ev]])
        # Open requests end with the run, in the same commit: a page that sees
        # the ending never finds a request it could still answer.
        withdrawn = approvals.withdraw_open(session=session, task_id=task.id,
                                            reason=WITHDRAW_REASONS[ending.status], commit=False)
    session.commit()
    if won:
        pipe.publish_last(ev)
        approvals.announce_withdrawn(session=session, task_id=task.id, ids=withdrawn)
    return won
