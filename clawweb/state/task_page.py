"""The task page's actions: load it, cancel, run again; interrupt and follow up (Claude).

What the page shows (header, terminal, conversation) is kept by the live loop,
:class:`~clawweb.state.task_live.TaskLiveState`, this state's parent. The page's
``on_load`` checks access, shows the header at once and starts the loop with
it, so the header is read from the database once per page load.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.live import feed
from clawweb.services.agents import tasks as agent_tasks
from clawweb.services.errors import ServiceError
from clawweb.services.tasks import input as task_input, service as task_service, views as task_views
from clawweb.state import offload
from clawweb.state.access import signed_in
from clawweb.state.base import new_key, route_id
from clawweb.state.task_live import TaskLiveState


class TaskPageState(TaskLiveState):
    rerun_key: str = ""
    followup_key: str = ""

    def _load_detail(self, task_id: int) -> dict:
        """Runs in the handler pool; raises ServiceError without access."""
        return feed.load_detail(self.require_user(), task_id)

    @rx.event
    @signed_in
    async def load_task(self):
        """/tasks/<id>: check access, show the header at once, then follow the output."""
        task_id = route_id(self, "task_id")
        if self._arrived(task_id):  # submitted from this tab a moment ago
            self._set_keys()
            return None
        self._reset_page()
        if not task_id:
            self.task_error = self.tr("errors.not_found")
            return None
        try:
            detail = await offload.run(offload.HANDLERS, self._load_detail, task_id)
        except ServiceError as exc:
            self.task_error = self.tr(exc.key, **exc.params)
            return None
        self._open(task_id, detail)
        self._set_keys()
        return TaskLiveState.start_live(task_id)

    def _set_keys(self) -> None:
        self.rerun_key = self.rerun_key or new_key()
        self.followup_key = self.followup_key or new_key()

    @rx.event
    @signed_in
    def cancel_task(self):
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            task = task_service.cancel_task(session=s, user=user, task_id=self._task_id,
                                            ip=self.client_ip)
            self._show(task.id, task_views.task_detail(s, task, user=user))
        return rx.toast.info(self.tr("ui_tasks.cancel_sent"))

    @rx.event
    @signed_in
    def rerun_task(self, form: dict):
        """Run the same command again; the key rendered with the button makes it one task."""
        user = self.require_user()
        if not self._task_id:
            return None
        key = str(form.get("idempotency_key", ""))[:64]
        with session_scope() as s:
            new = task_service.rerun_task(session=s, user=user, task_id=self._task_id,
                                          idempotency_key=key, ip=self.client_ip)
            new_id = new.id
        self.rerun_key = new_key()
        return [rx.toast.success(self.tr("ui_tasks.submitted", id=new_id)),
                rx.redirect(routes.task(new_id))]

    # -- Claude tasks -------------------------------------------------------------
    @rx.event
    @signed_in
    def interrupt_task(self) -> Any:
        """Stop Claude's current turn; the conversation can be continued afterwards."""
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            agent_tasks.interrupt(session=s, user=user, task_id=self._task_id,
                                  ip=self.client_ip)
        return rx.toast.info(self.tr("ui_conv.interrupt_sent"))

    @rx.event
    @signed_in
    def follow_up(self, form: dict) -> Any:
        """Continue the finished conversation; the rendered key makes a double send one task."""
        user = self.require_user()
        if not self._task_id:
            return None
        key = str(form.get("idempotency_key", ""))[:64]
        # Pending uploads of the task's project (the service checks they are the caller's).
        attached = [i for i in str(form.get("attachment_ids", "")).split(",") if i][:50]
        with session_scope() as s:
            new = agent_tasks.follow_up(session=s, user=user, task_id=self._task_id,
                                        prompt=str(form.get("prompt", "")),
                                        idempotency_key=key, ip=self.client_ip,
                                        # prompt-c: checked by the service.
                                        model=str(form.get("model", ""))[:100],
                                        permission_mode=str(form.get("permission_mode", ""))[:32],
                                        attachment_ids=attached)
            new_id = new.id
        self.followup_key = new_key()
        return [rx.toast.success(self.tr("ui_conv.follow_up_sent", id=new_id)),
                rx.redirect(routes.task(new_id))]

    # -- stdin-s: input to a running shell task ------------------------------------
    @rx.event
    @signed_in
    def send_input(self, form: dict) -> Any:
        """One line for the command's stdin; the worker echoes it into the output."""
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            task_input.send_line(session=s, user=user, task_id=self._task_id,
                                 line=str(form.get("line", "")), ip=self.client_ip)
        return None

    @rx.event
    @signed_in
    def send_ctrl_c(self) -> Any:
        """Ctrl-C: SIGINT to the command's process group in its container."""
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            task_input.send_interrupt(session=s, user=user, task_id=self._task_id,
                                      ip=self.client_ip)
        return rx.toast.info(self.tr("ui_task_input.ctrl_c_sent"))

    @rx.event
    @signed_in
    def send_ctrl_d(self) -> Any:
        """Ctrl-D: close the command's stdin (it reads end of file)."""
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            task_input.send_eof(session=s, user=user, task_id=self._task_id, ip=self.client_ip)
        return None
