"""Task lists (per project and across projects) with live statuses, and the submit form.

Lists are pages ("Newer"/"Older" through ``list_tasks``' ``before_id``) read by
:mod:`clawweb.live.task_list_feed`, which checks the caller's project roles
every time; a background event follows the task-changes stream and reloads the
list when a task the page shows (or could show) changes, at most a few times a
second.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.live import feed as live_feed, task_list_feed as feed
from clawweb.live.task_list_feed import PAGE_SIZE, STATUS_FILTERS
from clawweb.models import Project
from clawweb.services.agents import tasks as agent_tasks
from clawweb.services.tasks import output as task_output, service as task_service
from clawweb.services.errors import InvalidInput, ServiceError
from clawweb.state import live_loops, offload
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, new_key, route_id
from clawweb.state.live_access import SIGNED_OUT, Caller
from clawweb.state.task_live import TaskLiveState

log = logging.getLogger(__name__)

PRIORITIES = ["high", "normal", "low"]
SUBMIT_MODES = ["claude", "shell"]
RELOAD_MIN_SECONDS = 0.3
RECHECK_SECONDS = 5.0  # reload the rows at least this often, changes or not
LIST_STALE_SECONDS = 5.0  # a loop this quiet has ended (it steps every half second)


def _path(state: rx.State) -> str:
    return (state.router.url.path or "").rstrip("/") or "/"


class TasksState(AppState):
    rows: list[dict] = []
    task_total: int = 0  # every task the list holds (all pages)
    page_first: int = 1  # the place of the page's first row, from the newest
    page_last: int = 0
    has_older: bool = False
    has_newer: bool = False
    status_filter: str = "all"
    list_project: int = 0  # 0: every project the user can see
    list_loaded: bool = False
    list_error: str = ""
    form_key: str = ""
    submit_error: str = ""
    submit_mode: str = "shell"
    needs_credential: bool = False  # the error is "no credential": link to the account page
    default_timeout_minutes: int = 30
    _list_gen: int = 0
    _list_path: str = ""
    _list_beat: float = 0.0  # when the list loop last stepped (wall clock)
    _pages: list[int] = []  # before_id of each page opened with "Older" (last: this one)

    # -- loading ------------------------------------------------------------
    def _before(self) -> int:
        return self._pages[-1] if self._pages else 0

    def _show_page(self, page: dict) -> None:
        self.rows, self.has_older = page["rows"], page["has_older"]
        self.task_total, self.page_first = page["task_total"], page["page_first"]
        self.page_last = self.page_first + len(self.rows) - 1
        self.has_newer = bool(self._pages)

    def _reload(self, user) -> None:
        self._show_page(feed.load_page(user, self.list_project, self.status_filter, self._before()))
        self.list_loaded = True
        self.list_error = ""

    def _start_list(self, user, project_id: int):
        self.list_project = project_id
        self._pages = []
        self._list_gen += 1
        self._list_path = _path(self)
        self.list_loaded = False
        self._reload(user)
        return TasksState.follow_list

    @rx.event
    @signed_in
    def load_tasks(self):
        """/tasks: tasks of every project the user can see."""
        return self._start_list(self.require_user(), 0)

    @rx.event
    @signed_in
    def load_project_tasks(self):
        """The project page's task panel: the form and this project's tasks."""
        user = self.require_user()
        project_id = route_id(self, "project_id")
        if not project_id:
            return None
        self.rows, self.submit_error, self.form_key = [], "", new_key()
        self.needs_credential = False
        chained = self._start_list(user, project_id)  # raises if the user may not see it
        with session_scope() as s:
            project = s.get(Project, project_id)
            if project is not None:
                self.default_timeout_minutes = max(1, project.task_timeout_seconds // 60)
        return chained

    @rx.event
    @signed_in
    def set_status_filter(self, value: str):
        self.status_filter = value if value in STATUS_FILTERS else "all"
        self._pages = []
        self._reload(self.require_user())

    @rx.event
    @signed_in
    def older_tasks(self):
        """The next page of older tasks (the list's access is checked by the load)."""
        user = self.require_user()
        if self.has_older and self.rows:
            self._pages = [*self._pages, int(self.rows[-1]["id"])]
            self._reload(user)

    @rx.event
    @signed_in
    def newer_tasks(self):
        """Back one page towards the newest."""
        user = self.require_user()
        if self._pages:
            self._pages = self._pages[:-1]
            self._reload(user)

    # -- submitting -----------------------------------------------------------
    @rx.event
    @signed_in
    def set_submit_mode(self, value: str | list[str]):
        """The form's "Claude prompt | Shell command" switch."""
        self.require_user()
        if value in SUBMIT_MODES:
            self.submit_mode = value
            self.submit_error, self.needs_credential = "", False

    def _submit(self, s, user, project_id: int, form: dict):
        key = str(form.get("idempotency_key", ""))[:64]
        priority = str(form.get("priority", "normal"))[:16]
        # attach-u: the form's pending uploads; the service checks each is the caller's.
        attached = [i for i in str(form.get("attachment_ids", "")).split(",") if i][:50]
        if self.submit_mode == "claude":
            return agent_tasks.submit_prompt(
                session=s, user=user, project_id=project_id,
                prompt=str(form.get("command", "")), priority=priority,
                idempotency_key=key, ip=self.client_ip,
                # prompt-c: the box's choices; the service refuses what the project does not allow.
                model=str(form.get("model", ""))[:100],
                permission_mode=str(form.get("permission_mode", ""))[:32],
                attachment_ids=attached)
        try:
            minutes = int(str(form.get("timeout_minutes", "") or self.default_timeout_minutes))
        except ValueError:
            minutes = -1
        return task_service.submit_task(
            session=s, user=user, project_id=project_id, command=str(form.get("command", "")),
            priority=priority, timeout_seconds=minutes * 60 if minutes > 0 else 0,
            idempotency_key=key, ip=self.client_ip, attachment_ids=attached)

    def _submit_and_view(self, project_id: int, form: dict) -> tuple[int, dict]:
        """Runs in the handler pool: the new task's id and its page's header."""
        user = self.require_user()
        if not project_id:
            raise InvalidInput("errors.not_found")
        with session_scope() as s:
            task_id = self._submit(s, user, project_id, form).id
        return task_id, live_feed.load_detail(user, task_id)

    @rx.event
    @signed_in
    async def submit_task(self, form: dict):
        """Start the task; the key rendered with the form makes a double click one task."""
        try:
            task_id, detail = await offload.run(offload.HANDLERS, self._submit_and_view,
                                                self.list_project, form)
        except ServiceError as exc:
            self.submit_error = self.tr(exc.key, **exc.params)
            self.needs_credential = exc.key == "agent_tasks.no_credential"
            return None
        self.submit_error, self.needs_credential = "", False
        self.form_key = new_key()
        # The task page's header and loop start here, before the browser has left
        # this page: its first line is on the way while the page is drawn.
        live = await self.get_state(TaskLiveState)
        live.open_submitted(task_id, detail)
        # The page the person waits for first; the toast and the cleared box after it.
        return [TaskLiveState.start_live(task_id), rx.redirect(routes.task(task_id)),
                rx.set_value("task-command", ""),
                rx.toast.success(self.tr("ui_tasks.submitted", id=task_id))]

    # -- live list ------------------------------------------------------------
    @rx.event(background=True)
    @streaming
    async def follow_list(self):
        """Reload the list when a task it concerns changes; stop when the page changes.

        The caller is re-checked every half second (session, user, and the
        project role, or the set of visible projects for the list of all): a
        lost project drops out of the list at once, a lost session ends it. A
        tab gone for a few seconds ends it too (``ensure_list`` restarts it).
        """
        with live_loops.counted("list"):
            return await self._follow_list()

    async def _follow_list(self):
        async with self:
            gen, project_id = self._list_gen, self.list_project
            caller = Caller.of(self, functools.partial(feed.list_scope, project_id))
            self._list_beat = time.time()
        if not await caller.allowed():
            return await self._list_lost(gen, caller)
        try:
            after = await task_output.latest_change_id()
        except Exception:  # noqa: BLE001 - Redis down: the list still shows, without live
            log.warning("task list: Redis unavailable, no live updates")
            return None
        shown_scope, loaded_at, presence = caller.scope, time.monotonic(), live_loops.Presence()
        while True:
            after, changes = await feed.next_changes(after)
            async with self:
                if self._list_gen != gen or _path(self) != self._list_path:
                    return None
                if presence.gone(self):
                    self._list_beat = 0.0  # the tab's next watchdog tick starts a new loop
                    return None
                status_filter, self._list_beat = self.status_filter, time.time()
                before = self._before()
            if not await caller.allowed():
                return await self._list_lost(gen, caller)
            if not feed.concerns(changes, project_id, caller.scope) \
                    and caller.scope == shown_scope \
                    and time.monotonic() - loaded_at < RECHECK_SECONDS:
                continue
            shown_scope = caller.scope
            try:
                page = await asyncio.to_thread(feed.load_page, caller.user, project_id,
                                               status_filter, before)
            except ServiceError:
                return await self._list_lost(gen, caller)
            loaded_at = time.monotonic()
            async with self:
                if self._list_gen != gen:
                    return None
                if (self.status_filter, self._before()) == (status_filter, before):
                    self._show_page(page)  # else the reader moved on: their load showed it
            await asyncio.sleep(RELOAD_MIN_SECONDS)

    @rx.event
    @signed_in
    def ensure_list(self, _tick=None):
        """Watchdog tick from a list page: restart a loop that stopped (the tab was away)."""
        if self._list_path and _path(self) == self._list_path \
                and time.time() - self._list_beat > LIST_STALE_SECONDS:
            self._list_beat = time.time()
            self._list_gen += 1  # a loop that was only slow stops: never two per tab
            return TasksState.follow_list
        return None

    async def _list_lost(self, gen: int, caller: Caller):
        """The caller lost the list: empty it; signed out, off to the sign-in page."""
        async with self:
            if self._list_gen != gen:
                return None
            self.rows, self.task_total, self.has_older, self.has_newer = [], 0, False, False
            return self.deny_anonymous() if caller.lost == SIGNED_OUT else None
