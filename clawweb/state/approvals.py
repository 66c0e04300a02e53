"""Approval requests in the browser: the shell's pending badge and the answer buttons.

The badge count comes from ``approvals.pending_for`` (which filters by the
caller's project roles), polled with the layout's 3 s heartbeat. The task page
lists its task's pending requests in ``TaskLiveState.approvals`` (refreshed by
the live loop when an ``agent.approval`` event arrives); the buttons here send
the decision through ``approvals.decide``, which checks rights and admits one
decision per request, and then refresh that list at once.
"""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.services import approvals as approval_service
from clawweb.services.conversation import input_text, summary_of
from clawweb.state.access import signed_in
from clawweb.state.base import AppState


def pending_rows(user, task_id: int | None = None) -> list[dict]:
    """Pending requests the user may answer, as plain dicts for state."""
    with session_scope() as s:
        rows = approval_service.pending_for(session=s, user=user, task_id=task_id)
        return [_row(r) for r in rows]


def _row(row) -> dict:
    public = approval_service.as_public(row)
    return {"id": public["id"], "task_id": public["task_id"], "tool": public["tool"],
            "summary": summary_of(public["tool"], public["input"]),
            "input": input_text(public["input"]), "expires_at": public["expires_at"],
            "rule": public["rule"]}




class ApprovalsState(AppState):
    pending_count: int = 0
    pending_task: int = 0  # the oldest pending request's task (the badge links there)

    @rx.event
    @signed_in
    def poll_pending(self, _tick=None):
        """Heartbeat tick: how many requests wait for this user."""
        rows = pending_rows(self.require_user())
        self.pending_count = len(rows)
        self.pending_task = rows[0]["task_id"] if rows else 0

    async def _after_decision(self, user, key: str):
        from clawweb.state.task_live import TaskLiveState

        live = await self.get_state(TaskLiveState)
        if live._task_id:
            live.approvals = pending_rows(user, live._task_id)
        rows = pending_rows(user)
        self.pending_count = len(rows)
        self.pending_task = rows[0]["task_id"] if rows else 0
        return rx.toast.success(self.tr(key))

    async def _decide(self, approval_id, decision: str, message: str = ""):
        user = self.require_user()
        try:
            approval_id = int(approval_id)
        except (TypeError, ValueError):
            return rx.toast.error(self.tr("errors.not_found"))
        with session_scope() as s:
            approval_service.decide(session=s, user=user, approval_id=approval_id,
                                    decision=decision, message=message, ip=self.client_ip)
        return await self._after_decision(user, f"ui_conv.approval.done.{decision}")

    @rx.event
    @signed_in
    async def allow_once(self, approval_id: int):
        return await self._decide(approval_id, "allow")

    @rx.event
    @signed_in
    async def allow_always(self, approval_id: int):
        return await self._decide(approval_id, "allow_always")

    @rx.event
    @signed_in
    async def deny(self, form: dict):
        """The deny form: the request id and an optional message for the agent."""
        return await self._decide(form.get("approval_id"), "deny",
                                  str(form.get("message", "") or "")[:2000])

    @rx.var
    def pending_href(self) -> str:
        return routes.task(self.pending_task) if self.pending_task else routes.TASKS
