"""Approval requests in the browser: the shell's pending badge and the answer buttons.

The badge count comes from ``approvals.pending_for`` (which filters by the
caller's project roles), polled every second by the layout. The task page
lists its task's pending requests in ``TaskLiveState.approvals`` (refreshed by
the live loop when an ``agent.approval`` event arrives); the buttons here send
the decision through ``approvals.decide``, which checks rights and admits one
decision per request, and then refresh that list at once.
"""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.live.approval_rows import pending_rows
from clawweb.services import approvals as approval_service
from clawweb.state import offload
from clawweb.state.access import signed_in
from clawweb.state.base import AppState
from clawweb.state.task_live import TaskLiveState


class ApprovalsState(AppState):
    pending_count: int = 0
    pending_task: int = 0  # the oldest pending request's task (the badge links there)

    @rx.event
    @signed_in
    def poll_pending(self, _tick=None):
        """Heartbeat tick: how many requests wait for this user."""
        rows = pending_rows(self.require_user())
        self._set_changed({"pending_count": len(rows),  # a tick: redraw on change only
                           "pending_task": rows[0]["task_id"] if rows else 0})

    def _decide_sync(self, approval_id: int, decision: str, message: str) -> None:
        """Runs in the handler pool: the decision is a database write."""
        user = self.require_user()
        with session_scope() as s:
            approval_service.decide(session=s, user=user, approval_id=approval_id,
                                    decision=decision, message=message, ip=self.client_ip)

    def _pending_after(self, task_id: int) -> tuple[list[dict] | None, list[dict]]:
        """Runs in the handler pool: (the task page's rows, every pending row)."""
        user = self.require_user()
        return (pending_rows(user, task_id) if task_id else None), pending_rows(user)

    async def _decide(self, approval_id, decision: str, message: str = ""):
        try:
            approval_id = int(approval_id)
        except (TypeError, ValueError):
            return rx.toast.error(self.tr("errors.not_found"))
        await offload.run(offload.HANDLERS, self._decide_sync, approval_id, decision, message)
        live = await self.get_state(TaskLiveState)
        task_rows, rows = await offload.run(offload.HANDLERS, self._pending_after,
                                            live._task_id)
        if task_rows is not None:
            live.approvals = task_rows
        self.pending_count = len(rows)
        self.pending_task = rows[0]["task_id"] if rows else 0
        return rx.toast.success(self.tr(f"ui_conv.approval.done.{decision}"))

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
