"""The task page: header, Cancel / Run again, and the live terminal.

One background event per open page follows the task: history from the
database, then Redis from the last seq (``task_output.read_after`` does both),
fed into a :class:`TermWindow` that lives in the loop, not in state. At most
every 50 ms the loop takes the state lock once to update a few small vars and
send the browser one op (new chunks of safe HTML, chunks to drop). A reload,
a task switch, or a browser that missed an op starts a new generation, which
replays from the start: nothing missing, nothing repeated.

Every half second the loop re-checks its caller on the server
(:class:`~clawweb.state.live_access.Caller`: session, user, the task's project
role); when that fails it clears the page (state and terminal) and stops.

The loop's I/O off the lock lives in :mod:`clawweb.state.task_feed`, the Claude
conversation (folding, paging, approvals, interrupt, follow-up) in
:mod:`clawweb.state.task_conversation`; every handler stays on this class.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.i18n import stored
from clawweb.services.tasks import views as task_views
from clawweb.live.conversation import Conversation
from clawweb.services.tasks import service as task_service
from clawweb.live.term_window import TermWindow
from clawweb.state import task_conversation as claude, task_feed as feed
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState
from clawweb.state.live_access import SIGNED_OUT, Caller
from clawweb.state.task_feed import READ_LIMIT
from clawweb.state.tasks import new_key

FLUSH_SECONDS = 0.05  # ≤ 20 browser updates per second
GONE_AFTER_SECONDS = 60.0  # a client away this long stops its loop (the watchdog restarts it)
LOOP_STALE_SECONDS = 12.0


def _script(gen: int, op: dict):
    """One op for the page's terminal (``assets/term.js``, loaded by every page's head)."""
    return rx.call_script(f"window.clawwebTerm&&window.clawwebTerm.apply({gen},{json.dumps(op)})")


def _elapsed(detail: dict) -> str:
    start = detail.get("started_ts") or 0.0
    if not start:
        return ""
    end = detail.get("finished_ts") or time.time()
    secs = max(0, int(end - start))
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}" if secs >= 3600 \
        else f"{secs // 60}:{secs % 60:02d}"


class TaskLiveState(AppState):
    task: dict = {}
    task_error: str = ""
    wait_text: str = ""
    elapsed: str = ""
    line_count: int = 0
    has_earlier: bool = False
    earlier_loading: bool = False
    dropped_bytes: int = 0
    rerun_key: str = ""
    is_claude: bool = False
    conv_items: list[dict[str, Any]] = []
    conv_has_earlier: bool = False
    conv_model: str = ""
    conv_turns: int = 0
    conv_tokens: str = ""
    conv_cost: str = ""
    approvals: list[dict[str, Any]] = []
    waiting_approval: bool = False
    thread_before: list[dict[str, Any]] = []
    thread_after: list[dict[str, Any]] = []
    followup_key: str = ""
    _task_id: int = 0
    _gen: int = 0
    _beat: float = 0.0
    _want_earlier: bool = False
    _want_live: bool = False
    _want_conv_earlier: bool = False
    _gone_since: float = 0.0

    def _reset_page(self) -> None:
        self.task, self.task_error, self.wait_text, self.elapsed = {}, "", "", ""
        self.line_count, self.has_earlier, self.dropped_bytes = 0, False, 0
        self.is_claude, self.conv_items, self.conv_has_earlier = False, [], False
        self.approvals, self.waiting_approval = [], False
        self.thread_before, self.thread_after = [], []
        self.conv_model, self.conv_turns, self.conv_tokens, self.conv_cost = "", 0, "", ""
        self._task_id = 0
        self._gen += 1  # any loop of the previous page stops at its next step

    def _show(self, task_id: int, detail: dict) -> None:
        self._task_id = task_id
        # The worker stores reasons as message keys: shown in this reader's language.
        self.task = {**detail, "failure_reason": stored.render(
            detail.get("failure_reason") or "", self.lang)}
        self.elapsed = _elapsed(detail)
        self.dropped_bytes = max(self.dropped_bytes, detail.get("dropped_bytes", 0))
        reason = detail.get("wait_reason") or ""
        self.wait_text = self.tr(reason, **(detail.get("wait_params") or {})) if reason else ""
        if not self.rerun_key:
            self.rerun_key = new_key()
        if not self.followup_key:
            self.followup_key = new_key()
        self.is_claude = detail.get("kind") == "claude"
        if self.is_claude and not self.conv_items:
            claude.show_stats(self, {}, detail)

    # -- the live loop --------------------------------------------------------
    @rx.event(background=True)
    @streaming
    async def start_live(self, task_id: int):
        """Follow one task's output and status for this browser tab."""
        async with self:
            caller = Caller.of(self, feed.may_see(task_id))
            self._gen += 1
            gen = self._gen
            label = self.tr("ui_tasks.term.truncated_marker")
            lang = self.lang
        detail = await feed.first_detail(caller, task_id)
        if detail is None:
            return
        async with self:
            if gen != self._gen:
                return
            self._show(task_id, detail)
            self.line_count, self.has_earlier = 0, False
            self._beat, self._gone_since = time.time(), 0.0
            yield _script(gen, {"reset": 1, "prev": 0, "cursor": 0})
        conv = Conversation(lang=lang) if detail.get("kind") == "claude" else None
        state = {"detail": detail, "checked": time.monotonic(), "flushed": 0.0,
                 "conv_v": -1, "conv_at": 0.0, "conv": conv, "extra": None}
        async for op in self._follow(gen, caller, task_id, TermWindow(truncated_label=label, lang=lang),
                                     state):
            yield op

    async def _follow(self, gen: int, caller: Caller, task_id: int, window: TermWindow,
                      state: dict):
        """Read, re-check the caller, flush at most every 50 ms; until the page moves on."""
        path = routes.task(task_id).rstrip("/")
        caught_up = False
        while True:
            events = await feed.read(task_id, window.cursor, 0 if not caught_up else 500,
                                     state["detail"])
            for ev in events:
                window.add(ev)
            if state["conv"] is not None:
                state["conv"].add_all(events)
            if not await caller.allowed() \
                    or not await feed.recheck(caller.user, task_id, state, events):
                async for op in self._access_lost(gen, caller):
                    yield op
                return
            if not caught_up and len(events) >= READ_LIMIT:
                continue  # still replaying history: one op at the end, not hundreds
            if claude.wants_extra(state, events, caught_up):
                state["extra"] = await claude.fetch_extra(caller.user, task_id)
            caught_up = True
            wait = state["flushed"] + FLUSH_SECONDS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self:
                if gen != self._gen or not self._on_page(path) or self._gone(time.monotonic()):
                    return
                yield self._apply(gen, window, state)
                wants = (self._want_earlier, self._want_live, self._want_conv_earlier)
                self._want_earlier = self._want_live = self._want_conv_earlier = False
            state["flushed"] = time.monotonic()
            async for op in self._serve(gen, task_id, window, state, wants):
                yield op

    async def _serve(self, gen: int, task_id: int, window: TermWindow, state: dict,
                     wants: tuple[bool, bool, bool]):
        """What the browser asked for since the last flush: earlier output, live, paging."""
        want_earlier, want_live, want_conv = wants
        if want_conv and state["conv"] is not None:
            await claude.page_earlier(task_id, state, batch=READ_LIMIT)
        if want_live:
            window.follow_live()
        if want_earlier:
            events, more = await asyncio.to_thread(feed.earlier, task_id, window.first_seq)
            op = window.prepend(events, more)
            async with self:
                if gen != self._gen:
                    return
                self.earlier_loading, self.has_earlier = False, window.has_earlier
                if op:
                    yield _script(gen, op)

    async def _access_lost(self, gen: int, caller: Caller):
        """The caller lost the task: clear what the loop showed, here and in the browser.

        Signed out: off to the sign-in page too (a cooperative browser goes; the
        server has stopped sending either way).
        """
        async with self:
            if gen != self._gen:
                return  # a newer loop owns the page now
            self._reset_page()
            self.task_error = self.tr("errors.sign_in_required" if caller.lost == SIGNED_OUT
                                      else "errors.forbidden")
            yield _script(self._gen, {"reset": 1, "prev": 0, "cursor": 0})
            if caller.lost == SIGNED_OUT:
                yield self.deny_anonymous()

    def _on_page(self, path: str) -> bool:
        current = (self.router.url.path or "").rstrip("/")
        return not current or current == path  # no path: not from a browser (tests)

    def _gone(self, now: float) -> bool:
        if feed.client_connected(self):
            self._gone_since = 0.0
            return False
        self._gone_since = self._gone_since or now
        return now - self._gone_since > GONE_AFTER_SECONDS

    def _apply(self, gen: int, window: TermWindow, state: dict):
        """Inside the lock: small vars, then the browser op (if any)."""
        if state.pop("fresh", False):
            self._show(self._task_id, state["detail"])
        self.elapsed = _elapsed(state["detail"])
        self.line_count = window.line_count
        self.dropped_bytes = max(self.dropped_bytes, window.dropped_bytes)
        if not self.earlier_loading:
            self.has_earlier = window.has_earlier
        self._beat = time.time()
        claude.apply_conv(self, state)
        op = window.flush()
        return _script(gen, op) if op else None

    # -- browser requests -------------------------------------------------------
    @rx.event
    @signed_in
    def resync(self):
        """The browser missed an op (socket blip): replay from the start."""
        if self._task_id:
            return TaskLiveState.start_live(self._task_id)
        return None

    @rx.event
    @signed_in
    def ensure_live(self, _tick=None):
        """Watchdog tick from the page: restart a loop that stopped (client was away)."""
        if self._task_id and time.time() - self._beat > LOOP_STALE_SECONDS:
            self._beat = time.time()
            return TaskLiveState.start_live(self._task_id)
        return None

    @rx.event
    @signed_in
    def load_earlier(self):
        if self._task_id and self.has_earlier:
            self.earlier_loading = True
            self._want_earlier = True

    @rx.event
    @signed_in
    def jump_to_live(self):
        self._want_live = True

    @rx.event
    @signed_in
    def cancel_task(self):
        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            task = task_service.cancel_task(session=s, user=user, task_id=self._task_id,
                                            ip=self.client_ip)
            self._show(task.id, task_views.task_detail(s, task))
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
    def load_conv_earlier(self):
        """Page in older conversation items (the loop folds again with a larger window)."""
        if self._task_id and self.conv_has_earlier:
            self._want_conv_earlier = True

    @rx.event
    @signed_in
    def interrupt_task(self):
        """Stop Claude's current turn; the conversation can be continued afterwards."""
        return claude.interrupt(self)

    @rx.event
    @signed_in
    def follow_up(self, form: dict):
        """Continue the finished conversation; the rendered key makes a double send one task."""
        return claude.follow_up(self, form)
