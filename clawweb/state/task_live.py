"""The task page's live loop: header, terminal and conversation, for one browser tab.

One background event per open page follows the task: history from the
database, then Redis from the last seq (:mod:`clawweb.live.feed` reads, off
the lock), fed into a :class:`TermWindow` that lives in the loop, not in
state, and for a Claude task into a :class:`Conversation`; the loop's own
bookkeeping is a :class:`~clawweb.live.feed.LiveCursor`. At most every 50 ms
the loop takes the state lock once to update a few small vars, then sends the
browser one op (new chunks of safe HTML, chunks to drop) for the terminal
script (``assets/term.js``). A reload, a task switch, or a browser that missed
an op starts a new generation, which replays from the start: nothing missing,
nothing repeated.

Caught up, the loop reads only the task's Redis stream (a blocking XREAD; status
changes arrive as ``status`` events) and asks the database nothing per tick.
It re-checks its caller on the server whenever access may have changed
(:class:`~clawweb.state.live_access.Caller`: session, user, the task's project
role); when that fails it clears the page (state and terminal) and stops. A
tab gone for a few seconds ends it too (:mod:`clawweb.state.live_loops`); the
page's watchdog restarts it when the tab is back. The conversation's newest
item is a var of its own, so a streaming reply sends only that item.

The page's own actions (load, cancel, run again, follow up) are
:class:`~clawweb.state.task_page.TaskPageState`, a substate of this one.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.i18n import stored
from clawweb.live import feed, task_facts, task_view
from clawweb.live.feed import READ_LIMIT, LiveCursor
from clawweb.live.term_window import TermWindow
from clawweb.state import live_loops
from clawweb.state.access import server_only, signed_in, streaming
from clawweb.state.base import AppState
from clawweb.state.live_access import SIGNED_OUT, Caller

FLUSH_SECONDS = 0.05  # ≤ 20 browser updates per second
LOOP_STALE_SECONDS = 12.0
# A task just submitted from this tab is followed from the submit on; its page
# has this long to be drawn before the loop gives up on it.
OPENING_SECONDS = 10.0
RESET = {"reset": 1, "prev": 0, "cursor": 0}


def _script(gen: int, op: dict):
    """One op for the page's terminal (``assets/term.js``, loaded by every page's head)."""
    return rx.call_script(f"window.clawwebTerm&&window.clawwebTerm.apply({gen},{json.dumps(op)})")


class TaskLiveState(AppState):
    task: dict = {}
    task_error: str = ""
    wait_text: str = ""
    elapsed: str = ""
    summary: list[str] = []  # the phone summary row's facts after the project, none empty
    line_count: int = 0
    has_earlier: bool = False
    earlier_loading: bool = False
    dropped_bytes: int = 0
    is_claude: bool = False
    conv_items: list[dict[str, Any]] = []  # all but the newest item (sent when they change)
    conv_tail: list[dict[str, Any]] = []   # the newest item, alone: it grows while streaming
    conv_has_earlier: bool = False
    conv_model: str = ""
    conv_turns: int = 0
    conv_tokens: str = ""
    conv_cost: str = ""
    conv_total_tokens: str = ""  # the whole conversation ("" for a single turn)
    conv_total_cost: str = ""
    _chain_usage: list[dict[str, Any]] = []
    approvals: list[dict[str, Any]] = []
    waiting_approval: bool = False
    thread_before: list[dict[str, Any]] = []
    thread_after: list[dict[str, Any]] = []
    _task_id: int = 0
    _detail: dict = {}  # the header as loaded (``task`` holds it as shown)
    _detail_fresh: bool = False  # just loaded by the page: the loop starts from it
    _gen: int = 0
    _beat: float = 0.0
    _want_earlier: bool = False
    _want_live: bool = False
    _want_conv_earlier: bool = False
    _opening: str = ""  # the task page this tab is on its way to (submit, then redirect)
    _opening_from: str = ""
    _opening_until: float = 0.0

    # -- what the page shows ------------------------------------------------------
    def _reset_page(self) -> None:
        self.task, self.task_error, self.wait_text, self.elapsed = {}, "", "", ""
        self.summary = []
        self.line_count, self.has_earlier, self.dropped_bytes = 0, False, 0
        self.is_claude, self.conv_items, self.conv_has_earlier = False, [], False
        self.conv_tail = []
        self.approvals, self.waiting_approval = [], False
        self.thread_before, self.thread_after = [], []
        self.conv_model, self.conv_turns, self.conv_tokens, self.conv_cost = "", 0, "", ""
        self.conv_total_tokens, self.conv_total_cost, self._chain_usage = "", "", []
        self._task_id, self._detail, self._detail_fresh = 0, {}, False
        self._opening, self._opening_from, self._opening_until = "", "", 0.0
        self._gen += 1  # any loop of the previous page stops at its next step

    def _show(self, task_id: int, detail: dict) -> None:
        self._task_id, self._detail = task_id, detail
        # The worker stores reasons as message keys: shown in this reader's language.
        self.task = {**detail, "failure_reason": stored.render(
            detail.get("failure_reason") or "", self.lang)}
        self._set_elapsed(detail)
        self.dropped_bytes = max(self.dropped_bytes, detail.get("dropped_bytes", 0))
        reason = detail.get("wait_reason") or ""
        self.wait_text = self.tr(reason, **(detail.get("wait_params") or {})) if reason else ""
        self.is_claude = detail.get("kind") == "claude"
        if self.is_claude and not self.conv_items and not self.conv_tail:
            self._set(task_view.conv_stats({}, detail, self._chain_usage))
        self._summarize()

    def _set_elapsed(self, detail: dict) -> None:
        elapsed = task_facts.elapsed_text(detail, self.tr)
        if elapsed != self.elapsed:
            self.elapsed = elapsed
            self._summarize()

    def _summarize(self) -> None:
        facts = task_facts.summary(self._detail, self.elapsed, self.conv_cost, self.tr)
        if facts != self.summary:
            self.summary = facts

    def _open(self, task_id: int, detail: dict) -> None:
        """Show a header the page has just loaded; the next loop starts from it."""
        self._show(task_id, detail)
        self._detail_fresh = True

    @server_only
    def open_submitted(self, task_id: int, detail: dict) -> None:
        """A task this tab has just submitted: its header now, its loop before its page.

        The submit returns ``start_live`` with the redirect, so the first line is
        already on its way while the browser draws the task page; that page's
        load then keeps this loop (``_arrived``) instead of starting another.
        """
        here = (self.router.url.path or "").rstrip("/")
        self._reset_page()
        self._open(task_id, detail)
        self._opening, self._opening_from = routes.task(task_id).rstrip("/"), here
        self._opening_until, self._beat = time.time() + OPENING_SECONDS, time.time()

    def _arrived(self, task_id: int) -> bool:
        """The page of the task this tab submitted has loaded: its loop runs already."""
        if not task_id or task_id != self._task_id \
                or self._opening != routes.task(task_id).rstrip("/"):
            return False
        self._opening = self._opening_from = ""
        return time.time() - self._beat < LOOP_STALE_SECONDS

    def _set(self, values: dict) -> None:
        """Set what changed only (so a streaming reply sends its own item, not the
        items before it)."""
        self._set_changed(values)
        if "conv_cost" in values:
            self._summarize()

    # -- the live loop --------------------------------------------------------
    @rx.event(background=True)
    @streaming
    async def start_live(self, task_id: int):
        """Follow one task's output and status for this browser tab."""
        with live_loops.counted("task"):
            async for op in self._live(task_id):
                yield op

    async def _live(self, task_id: int):
        async with self:
            caller = Caller.of(self, feed.may_see(task_id))
            self._gen += 1
            gen, lang = self._gen, self.lang
            label = self.tr("ui_tasks.term.truncated_marker")
            loaded = self._detail if self._detail_fresh and self._task_id == task_id else None
            self._detail_fresh = False
        detail = await self._first_detail(caller, task_id, loaded)
        if detail is None:
            return
        async with self:
            if gen != self._gen:
                return
            if loaded is None:
                self._show(task_id, detail)
            self.line_count, self.has_earlier = 0, False
            self._beat = time.time()
        yield _script(gen, RESET)
        window = TermWindow(truncated_label=label, lang=lang)
        async for op in self._follow(gen, caller, task_id, window,
                                     LiveCursor.start(detail, lang)):
            yield op

    @staticmethod
    async def _first_detail(caller: Caller, task_id: int, loaded: dict | None):
        """The header the page loaded a moment ago (checked again here), else a fresh one."""
        if loaded is None:
            return await feed.first_detail(caller, task_id)
        return loaded if await caller.allowed() else None

    async def _follow(self, gen: int, caller: Caller, task_id: int, window: TermWindow,
                      cursor: LiveCursor):
        """Read, re-check the caller, flush at most every 50 ms; until the page moves on."""
        path = routes.task(task_id).rstrip("/")
        caught_up, presence = False, live_loops.Presence()
        while True:
            events = await feed.read(task_id, window.cursor, feed.block_ms(cursor, caught_up),
                                     cursor)
            for ev in events:
                window.add(ev)
            if cursor.conv is not None:
                cursor.conv.add_all(events)
            if not await caller.allowed() \
                    or not await feed.recheck(caller.user, task_id, cursor, events):
                async for op in self._access_lost(gen, caller):
                    yield op
                return
            if not caught_up and len(events) >= READ_LIMIT:
                continue  # still replaying history: one op at the end, not hundreds
            if feed.wants_extra(cursor, events, caught_up):
                cursor.extra = await feed.fetch_extra(caller.user, task_id)
            caught_up = True
            flushed = await self._flush(gen, path, window, cursor, presence)
            if flushed is None:
                return
            op, wants = flushed
            if op is not None:
                yield op
            async for op in self._serve(gen, task_id, window, cursor, wants):
                yield op

    async def _flush(self, gen: int, path: str, window: TermWindow, cursor: LiveCursor,
                     presence: live_loops.Presence):
        """At most every 50 ms: the vars under the lock; (op, requests), None to stop."""
        wait = cursor.flushed + FLUSH_SECONDS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        async with self:
            if gen != self._gen or not self._on_page(path):
                return None
            if presence.gone(self):
                self._beat = 0.0  # the tab's next watchdog tick starts a new loop
                return None
            op = self._apply(gen, window, cursor)
            wants = (self._want_earlier, self._want_live, self._want_conv_earlier)
            self._want_earlier = self._want_live = self._want_conv_earlier = False
        cursor.flushed = time.monotonic()
        return op, wants

    async def _serve(self, gen: int, task_id: int, window: TermWindow, cursor: LiveCursor,
                     wants: tuple[bool, bool, bool]):
        """What the browser asked for since the last flush: earlier output, live, paging."""
        want_earlier, want_live, want_conv = wants
        if want_conv and cursor.conv is not None:
            await feed.page_earlier(task_id, cursor)
        if want_live:
            window.follow_live()
        if not want_earlier:
            return
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
            new_gen = self._gen
            leave = self.deny_anonymous() if caller.lost == SIGNED_OUT else None
        yield _script(new_gen, RESET)
        if leave is not None:
            yield leave

    def _on_page(self, path: str) -> bool:
        current = (self.router.url.path or "").rstrip("/")
        if not current or current == path:  # no path: not from a browser (tests)
            return True
        # Submitted from here and on the way to its page: still where it was.
        return self._opening == path and current == self._opening_from \
            and time.time() < self._opening_until

    def _apply(self, gen: int, window: TermWindow, cursor: LiveCursor):
        """Inside the lock: small vars; returns the browser op (if any) to send after."""
        if cursor.fresh:
            cursor.fresh = False
            self._show(self._task_id, cursor.detail)
        self._set_elapsed(cursor.detail)
        self.line_count = window.line_count
        self.dropped_bytes = max(self.dropped_bytes, window.dropped_bytes)
        if not self.earlier_loading:
            self.has_earlier = window.has_earlier
        self._beat = time.time()
        self._apply_conv(cursor)
        op = window.flush()
        return _script(gen, op) if op else None

    def _apply_conv(self, cursor: LiveCursor) -> None:
        """Approvals/thread at once, the item list at most ~3 times a second."""
        extra, cursor.extra = cursor.extra, None
        conv, now = cursor.conv, time.monotonic()
        if extra is not None:
            self._set(task_view.extra_view(extra))
            if conv is not None:  # the conversation totals follow the fresh thread rows
                self._set(task_view.conv_stats(conv.stats, cursor.detail, self._chain_usage))
        if conv is None or conv.version == cursor.conv_version:
            return
        if extra is None and feed.conv_held(cursor, now):
            return  # streaming text: the next read wakes when it is due (feed.block_ms)
        cursor.conv_version, cursor.conv_sent_at = conv.version, now
        cursor.conv_appended = conv.appended
        self._set(task_view.conv_view(conv, cursor.detail, self._chain_usage))

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
    def load_conv_earlier(self):
        """Page in older conversation items (the loop folds again with a larger window)."""
        if self._task_id and self.conv_has_earlier:
            self._want_conv_earlier = True
