"""The task page: header, Cancel / Run again, and the live terminal.

One background event per open page follows the task: history from the
database, then Redis from the last seq (``task_output.read_after`` does both),
fed into a :class:`TermWindow` that lives in the loop, not in state. At most
every 50 ms the loop takes the state lock once to update a few small vars and
send the browser one op (new chunks of safe HTML, chunks to drop). A reload,
a task switch, or a browser that missed an op starts a new generation, which
replays from the start: nothing missing, nothing repeated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.components.terminal import TERM_JS
from clawweb.db import session_scope
from clawweb.services import task_output, task_views
from clawweb.services.conversation import PAGE_ITEMS, Conversation
from clawweb.services import tasks as task_service
from clawweb.services.errors import ServiceError
from clawweb.services.term_window import TermWindow
from clawweb.state.access import signed_in, streaming
from clawweb.state.approvals import pending_rows
from clawweb.state.base import AppState
from clawweb.state.tasks import new_key

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05  # ≤ 20 browser updates per second
READ_LIMIT = 500
RECHECK_SECONDS = 4.0
GONE_AFTER_SECONDS = 60.0  # a client away this long stops its loop (the watchdog restarts it)
LOOP_STALE_SECONDS = 12.0


CONV_FLUSH_SECONDS = 0.3  # the conversation list is resent whole: fewer, larger updates
AGENT_EVENTS = ("agent.approval", "agent.approval_answer")


def _detail(user, task_id: int) -> dict:
    with session_scope() as s:
        task = task_service.get_task(session=s, user=user, task_id=task_id)
        detail = task_views.task_detail(s, task)
        detail.update(model=task.model, turns=task.turns, input_tokens=task.input_tokens,
                      output_tokens=task.output_tokens, cost_usd=task.cost_usd,
                      has_session=bool(task.agent_session_id))
        return detail


def _thread_row(task, current: int) -> dict:
    return {"id": task.id, "prompt": (task.command or "")[:2000], "status": task.status.value,
            "current": task.id == current}


def _claude_extra(user, task_id: int) -> dict:
    """Pending approvals the user may answer, and the conversation thread around the task."""
    from clawweb.services import agent_tasks

    with session_scope() as s:
        chain = agent_tasks.thread(session=s, user=user, task_id=task_id)
        rows = [_thread_row(t, task_id) for t in chain]
    at = next((i for i, r in enumerate(rows) if r["current"]), len(rows))
    return {"approvals": pending_rows(user, task_id), "before": rows[:at],
            "after": rows[at + 1:]}


async def _refold(task_id: int, limit: int, upto: int) -> Conversation:
    """A conversation with a larger window, folded again from the first event."""
    conv = Conversation(limit=limit)
    while conv.cursor < upto:
        events = await task_output.read_after(task_id, conv.cursor, block_ms=0,
                                              limit=READ_LIMIT)
        events = [e for e in events if e.seq <= upto]
        if not events:
            break
        conv.add_all(events)
    return conv


def _earlier(task_id: int, before_seq: int) -> tuple[list, bool]:
    with session_scope() as s:
        events = task_views.events_before(s, task_id, before_seq, max_events=READ_LIMIT)
    return events, len(events) >= READ_LIMIT


def _script(gen: int, op: dict, install: bool = False):
    call = f"window.clawwebTerm&&window.clawwebTerm.apply({gen},{json.dumps(op)})"
    return rx.call_script((TERM_JS + ";" + call) if install else call)


def client_connected(state: rx.State) -> bool:
    """Whether this state's browser tab still has a socket (True when unknown)."""
    try:
        from reflex.utils import prerequisites

        app = prerequisites.get_and_validate_app().app
        return state.router.session.client_token in app.event_namespace.token_to_sid
    except Exception:  # noqa: BLE001 - no app (tests) or an internal change: assume yes
        return True


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
        self.task = detail
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
            self._show_stats({}, detail)

    def _show_stats(self, stats: dict, detail: dict) -> None:
        # Live totals from the events; the task row has the final ones.
        def pick(key):
            return stats.get(key) or detail.get(key) or 0
        self.conv_model = str(stats.get("model") or detail.get("model") or "")
        self.conv_turns = int(pick("turns"))
        self.conv_tokens = f"{int(pick('input_tokens')):,} / {int(pick('output_tokens')):,}"
        self.conv_cost = f"${float(pick('cost_usd')):.4f}"

    def _show_conv(self, conv: Conversation, detail: dict) -> None:
        self.conv_items = [dict(i) for i in conv.items]
        self.conv_has_earlier = conv.has_earlier
        self.waiting_approval = any(i["status"] == "waiting" for i in conv.items) \
            and detail.get("status") == "awaiting_approval"
        self._show_stats(conv.stats, detail)

    def _show_extra(self, extra: dict | None) -> None:
        if extra is not None:
            self.approvals = extra["approvals"]
            self.thread_before, self.thread_after = extra["before"], extra["after"]

    # -- the live loop --------------------------------------------------------
    @rx.event(background=True)
    @streaming
    async def start_live(self, task_id: int):
        """Follow one task's output and status for this browser tab."""
        async with self:
            user = self.current_user()
            if user is None:
                return
            self._gen += 1
            gen = self._gen
            label = self.tr("ui_tasks.term.truncated_marker")
        try:
            detail = await asyncio.to_thread(_detail, user, task_id)
        except Exception:  # noqa: BLE001 - no right, no task: show nothing
            return
        path = routes.task(task_id).rstrip("/")
        async with self:
            if gen != self._gen:
                return
            self._show(task_id, detail)
            self.line_count, self.has_earlier = 0, False
            self._beat, self._gone_since = time.time(), 0.0
            yield _script(gen, {"reset": 1, "prev": 0, "cursor": 0}, install=True)
        window = TermWindow(truncated_label=label)
        conv = Conversation() if detail.get("kind") == "claude" else None
        state = {"detail": detail, "checked": time.monotonic(), "flushed": 0.0,
                 "conv_v": -1, "conv_at": 0.0, "conv": conv, "extra": None}
        caught_up = False
        while True:
            events = await self._read(task_id, window.cursor,
                                      0 if not caught_up else 500, detail)
            for ev in events:
                window.add(ev)
            if state["conv"] is not None:
                state["conv"].add_all(events)
            if not caught_up and len(events) >= READ_LIMIT:
                continue  # still replaying history: one op at the end, not hundreds
            if not await self._recheck(user, task_id, state, events):
                async with self:
                    if gen == self._gen:
                        self._reset_page()
                return
            if state["conv"] is not None and (
                    not caught_up or state.get("fresh")
                    or any(e.type in AGENT_EVENTS for e in events)):
                state["extra"] = await self._extra(user, task_id)
            caught_up = True
            wait = state["flushed"] + FLUSH_SECONDS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with self:
                if gen != self._gen or not self._on_page(path):
                    return
                if self._gone(time.monotonic()):
                    return
                yield self._apply(gen, window, state)
                want_earlier, want_live = self._want_earlier, self._want_live
                want_conv = self._want_conv_earlier
                self._want_earlier = self._want_live = self._want_conv_earlier = False
            state["flushed"] = time.monotonic()
            if want_conv and state["conv"] is not None:
                old = state["conv"]
                state["conv"] = await _refold(task_id, old.limit + PAGE_ITEMS, old.cursor)
                state["conv_v"] = -1
            if want_live:
                window.follow_live()
            if want_earlier:
                events, more = await asyncio.to_thread(_earlier, task_id, window.first_seq)
                op = window.prepend(events, more)
                async with self:
                    if gen != self._gen:
                        return
                    self.earlier_loading, self.has_earlier = False, window.has_earlier
                    if op:
                        yield _script(gen, op)
            detail = state["detail"]

    async def _extra(self, user, task_id: int) -> dict | None:
        try:
            return await asyncio.to_thread(_claude_extra, user, task_id)
        except Exception:  # noqa: BLE001 - access loss is caught by _recheck
            log.warning("task %s: approvals/thread refresh failed", task_id, exc_info=True)
            return None

    async def _read(self, task_id: int, after: int, block_ms: int, detail: dict) -> list:
        if detail.get("finished") and block_ms:
            # Finished and replayed: nothing new can come; idle cheaply for
            # "Load earlier output" and the access re-check.
            await asyncio.sleep(0.25)
            block_ms = 0
        try:
            return await task_output.read_after(task_id, after, block_ms=block_ms,
                                                limit=READ_LIMIT)
        except Exception:  # noqa: BLE001 - Redis or DB blip: retry, the cursor is kept
            log.warning("task %s: reading output failed; retrying", task_id, exc_info=True)
            await asyncio.sleep(1)
            return []

    async def _recheck(self, user, task_id: int, state: dict, events: list) -> bool:
        """Refresh the header on status changes and re-check access every few seconds."""
        now = time.monotonic()
        if not any(e.type == "status" for e in events) and now - state["checked"] < RECHECK_SECONDS:
            return True
        state["checked"] = now
        try:
            state["detail"] = await asyncio.to_thread(_detail, user, task_id)
        except ServiceError:
            return False
        except Exception:  # noqa: BLE001 - a DB blip is not a revocation
            log.warning("task %s: header refresh failed", task_id, exc_info=True)
        state["fresh"] = True
        return True

    def _on_page(self, path: str) -> bool:
        current = (self.router.url.path or "").rstrip("/")
        return not current or current == path  # no path: not from a browser (tests)

    def _gone(self, now: float) -> bool:
        if client_connected(self):
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
        self._apply_conv(state)
        op = window.flush()
        return _script(gen, op) if op else None

    def _apply_conv(self, state: dict) -> None:
        conv, now, extra = state["conv"], time.monotonic(), state.pop("extra", None)
        self._show_extra(extra)
        state["extra"] = None
        if conv is None or conv.version == state["conv_v"]:
            return
        if now - state["conv_at"] < CONV_FLUSH_SECONDS and state["conv_v"] >= 0 \
                and extra is None:
            return  # streaming text: at most ~3 list updates a second (cards: at once)
        state["conv_v"], state["conv_at"] = conv.version, now
        self._show_conv(conv, state["detail"])

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
        from clawweb.services import agent_tasks

        user = self.require_user()
        if not self._task_id:
            return None
        with session_scope() as s:
            agent_tasks.interrupt(session=s, user=user, task_id=self._task_id,
                                  ip=self.client_ip)
        return rx.toast.info(self.tr("ui_conv.interrupt_sent"))

    @rx.event
    @signed_in
    def follow_up(self, form: dict):
        """Continue the finished conversation; the rendered key makes a double send one task."""
        from clawweb.services import agent_tasks

        user = self.require_user()
        if not self._task_id:
            return None
        key = str(form.get("idempotency_key", ""))[:64]
        with session_scope() as s:
            new = agent_tasks.follow_up(session=s, user=user, task_id=self._task_id,
                                        prompt=str(form.get("prompt", "")),
                                        idempotency_key=key, ip=self.client_ip)
            new_id = new.id
        self.followup_key = new_key()
        return [rx.toast.success(self.tr("ui_conv.follow_up_sent", id=new_id)),
                rx.redirect(routes.task(new_id))]
