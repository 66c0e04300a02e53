"""A Claude task's ``agent.*`` events folded into a bounded list of view items.

The task page shows these items instead of the raw terminal. Folding happens
on the server, in the page's live loop, so the browser only ever holds a
capped number of small plain dicts (``MAX_ITEMS`` items, each text capped);
older items are dropped from the front and come back on demand by re-folding
from the start with a larger window (``Conversation(limit=...)``).

Item kinds: ``text`` (assistant markdown; ``streaming`` while deltas come in),
``thinking``, ``tool`` (one card per call: name, summary, status running /
done / error / denied / waiting / withdrawn / interrupted / unfinished (the
run ended before the call did), input, result, diff lines, todos),
``result`` (the final summary), ``notice`` (stopped, egress refused, the
budget stop, approval answers, status changes, the worker's system notes).
Texts are kept as text: the page renders markdown with raw HTML disabled, so
nothing here needs escaping.

Notices whose words come from the worker (system notes, the egress proxy's
refusals and budget stop) are rendered here, from the catalog, in the reader's
language (``lang``); the component shows their ``text`` (and, for a refusal,
the reason in ``summary``) as it is.
"""

from __future__ import annotations

from typing import Any, Iterable

from clawweb.i18n import DEFAULT_LANGUAGE, stored
from clawweb.live import egress_notices
from clawweb.live.tool_input import INPUT_CAP, diff_lines, input_text, todos
from clawweb.models import TERMINAL_STATUSES
from clawweb.services.agents.tool_summary import SUMMARY_CAP, cap, summary_of

MAX_ITEMS = 100
PAGE_ITEMS = 100
MAX_LIMIT = 1200
TEXT_CAP = 20_000
RESULT_CAP = 4_000


def _item(kind: str, seq: int, **fields: Any) -> dict[str, Any]:
    base = {"key": f"{kind}-{seq}", "kind": kind, "seq": seq, "text": "", "streaming": False,
            "name": "", "summary": "", "status": "", "input": "", "result": "",
            "truncated": False, "diff": [], "todos": [], "is_error": False, "tool_id": "",
            "approval_id": 0, "why": ""}
    base.update(fields)
    return base


class Conversation:
    """Folds one task's events, in seq order, into at most ``limit`` items.

    Args:
        limit: how many items to keep (the newest); the page raises it to page in
            older items.
    """

    def __init__(self, limit: int = MAX_ITEMS, lang: str = DEFAULT_LANGUAGE) -> None:
        self.limit = max(1, min(limit, MAX_LIMIT))
        self.lang = lang  # system notes are stored as keys, shown in the reader's language
        self.items: list[dict[str, Any]] = []
        self.stats: dict[str, Any] = {"model": "", "turns": 0, "input_tokens": 0,
                                      "output_tokens": 0, "cost_usd": 0.0}
        self.cursor = 0  # the last folded seq
        self.dropped = 0  # items dropped from the front (older ones exist)
        self.version = 0  # bumped on every change, so the loop knows when to flush
        self.appended = 0  # items added so far (a change that is not only growth)
        self._tools: dict[str, dict[str, Any]] = {}
        self._streams: dict[Any, dict[str, Any]] = {}
        self._whys: dict[str, str] = {}  # why a call ran unasked, before its card arrived

    @property
    def has_earlier(self) -> bool:
        return self.dropped > 0

    def add_all(self, events: Iterable[Any]) -> None:
        for ev in events:
            self.add(ev)

    def add(self, ev: Any) -> None:
        """Fold one ``streams.Event`` (anything with seq, type, data)."""
        if ev.seq <= self.cursor:
            return  # replayed: folding is not idempotent, so skip what we have
        self.cursor = ev.seq
        handler = _HANDLERS.get(ev.type)
        if handler is not None:
            data = ev.data if isinstance(ev.data, dict) else {}
            if handler(self, ev.seq, data) is not False:
                self.version += 1

    # -- helpers ---------------------------------------------------------------
    def _append(self, item: dict[str, Any]) -> dict[str, Any]:
        self.items.append(item)
        self.appended += 1
        while len(self.items) > self.limit:
            old = self.items.pop(0)
            self.dropped += 1
            if old["kind"] == "tool":
                self._tools.pop(old.get("tool_id", ""), None)
            self._streams = {k: v for k, v in self._streams.items() if v is not old}
        return item

    def _text_delta(self, seq: int, data: dict) -> None:
        # Every delta has its own message_id (the stream event's uuid), so blocks
        # are told apart by their index until the finished text closes them.
        key = data.get("index", 0)
        item = self._streams.get(key)
        if item is None:
            item = self._streams[key] = self._append(_item("text", seq, streaming=True))
        item["text"] = cap(item["text"] + str(data.get("text", "")), TEXT_CAP)[0]

    def _text(self, seq: int, data: dict) -> None:
        text = cap(data.get("text", ""), TEXT_CAP)[0]
        # The finished block supersedes its deltas: the oldest still-streaming item.
        for key, item in list(self._streams.items()):
            self._streams.pop(key)
            item.update(text=text, streaming=False)
            return
        self._append(_item("text", seq, text=text))

    def _thinking(self, seq: int, data: dict) -> None:
        self._append(_item("thinking", seq, text=cap(data.get("text", ""), TEXT_CAP)[0]))

    def _close_streams(self) -> None:
        # A turn that never sent its finished text (interrupted): stop "typing".
        for item in self._streams.values():
            item["streaming"] = False
        self._streams = {}

    def _tool_use(self, seq: int, data: dict) -> None:
        self._close_streams()
        tool_id, name = str(data.get("id", "")), str(data.get("name", "") or "tool")
        raw = data.get("input")
        item = self._append(_item(
            "tool", seq, tool_id=tool_id, name=name, status="running",
            summary=summary_of(name, raw), input=input_text(raw), diff=diff_lines(name, raw),
            todos=todos(raw.get("todos")) if name == "TodoWrite" and isinstance(raw, dict)
            else []))
        if tool_id:
            self._tools[tool_id] = item
            item["why"] = self._whys.pop(tool_id, "")

    def _tool_why(self, seq: int, data: dict) -> bool:
        tool_id = str(data.get("tool_use_id", ""))
        why = cap(stored.render(data.get("why") or "", self.lang), SUMMARY_CAP)[0]
        item = self._tools.get(tool_id)
        if item is None:
            if tool_id and len(self._whys) < 100:
                self._whys[tool_id] = why
            return False
        item["why"] = why
        return True

    def _todo(self, seq: int, data: dict) -> bool:
        item = self._tools.get(str(data.get("id", "")))
        if item is None:
            return False
        item["todos"] = todos(data.get("todos"))
        return True

    def _tool_result(self, seq: int, data: dict) -> bool:
        item = self._tools.get(str(data.get("id", "")))
        if item is None:
            return False  # its card was paged out
        text, cut = cap(data.get("content", ""), RESULT_CAP)
        item["result"], item["truncated"] = text, cut or bool(data.get("truncated"))
        cut_off = bool(data.get("is_error")) and _CLI_INTERRUPTED in text
        item["is_error"] = bool(data.get("is_error")) and not cut_off  # no red for an interrupt
        if item["status"] not in ("denied", "withdrawn"):
            item["status"] = ("interrupted" if cut_off
                              else "error" if item["is_error"] else "done")
        return True

    def _approval(self, seq: int, data: dict) -> bool:
        item = self._tools.get(str(data.get("tool_use_id", "")))
        if item is not None:
            item["status"] = "waiting"
            item["why"] = ""  # it was asked after all
            item["approval_id"] = int(data.get("approval_id") or 0)
            plan = (data.get("input") or {}).get("plan") if data.get("tool") == "ExitPlanMode" \
                else None
            if isinstance(plan, str) and plan:  # prompt-c: the plan stays readable on its card
                item["summary"] = cap(plan, INPUT_CAP)[0]
            return True
        return False

    def _approval_answer(self, seq: int, data: dict) -> None:
        decision = str(data.get("decision", ""))
        approval_id = int(data.get("approval_id") or 0)
        for item in self._tools.values():
            if item.get("approval_id") == approval_id and item["status"] == "waiting":
                item["status"] = ("running" if decision.startswith("allow")
                                  else "withdrawn" if decision == "withdrawn" else "denied")
        self._append(_item("notice", seq, name=f"approval.{decision or 'deny'}",
                           text=cap(data.get("message", ""), SUMMARY_CAP)[0]))

    def _usage(self, seq: int, data: dict) -> None:
        for key in ("turns", "input_tokens", "output_tokens"):
            self.stats[key] = int(data.get(key) or self.stats[key] or 0)
        self.stats["cost_usd"] = float(data.get("cost_usd") or self.stats["cost_usd"] or 0)

    def _init(self, seq: int, data: dict) -> None:
        self.stats["model"] = str(data.get("model", "") or self.stats["model"])

    def _result(self, seq: int, data: dict) -> None:
        self._close_streams()
        self._usage(seq, {k: data.get(k) for k in ("turns", "cost_usd")})
        text = cap(data.get("result", ""), TEXT_CAP)[0]
        last = next((i for i in reversed(self.items) if i["kind"] == "text"), None)
        if last is not None and last["text"].strip() == text.strip():
            text = ""  # the summary repeats the last message: show it once
        self._append(_item("result", seq, text=text,
                           is_error=bool(data.get("is_error")),
                           name=str(data.get("subtype", "")),
                           summary=_duration(data.get("duration_ms"))))

    def _status(self, seq: int, data: dict) -> bool:
        status = str(data.get("status", ""))
        if status not in _ENDED:
            return False
        # The run is over: a request still waiting was withdrawn with it.
        for item in self._tools.values():
            if item["status"] == "waiting":
                item["status"] = "withdrawn"
            elif item["status"] == "running":  # cut off: it will never finish now
                item["status"] = "interrupted" if status == "interrupted" else "unfinished"
        if status == "interrupted":
            # The CLI reports an interrupted turn as an error; it is its own outcome.
            for item in reversed(self.items):
                if item["kind"] == "result":
                    item.update(is_error=False, name="interrupted")
                    break
        return True

    def _stopped(self, seq: int, data: dict) -> None:
        self._append(_item("notice", seq, name="stopped",
                           text=cap(stored.render(data.get("reason", ""), self.lang),
                                    SUMMARY_CAP)[0]))

    def _system(self, seq: int, data: dict) -> None:
        self._append(_item("notice", seq, name="system",
                           text=cap(stored.render(data, self.lang), SUMMARY_CAP)[0]))

    def _egress(self, seq: int, data: dict) -> None:
        text, reason = egress_notices.refusal(data, self.lang)
        self._append(_item("notice", seq, name="egress", text=text, summary=reason))

    def _budget_stopped(self, seq: int, data: dict) -> None:
        self._append(_item("notice", seq, name="budget",
                           text=egress_notices.budget_stopped(data, self.lang)))


def _duration(ms: Any) -> str:
    try:
        secs = int(ms or 0) // 1000
    except (TypeError, ValueError):
        return ""
    return f"{secs // 60}:{secs % 60:02d}" if secs else ""


_HANDLERS = {
    "agent.text_delta": Conversation._text_delta,
    "agent.text": Conversation._text,
    "agent.thinking": Conversation._thinking,
    "agent.tool_use": Conversation._tool_use,
    "agent.todo": Conversation._todo,
    "agent.tool_result": Conversation._tool_result,
    "agent.approval": Conversation._approval,
    "agent.tool_why": Conversation._tool_why,
    "agent.approval_answer": Conversation._approval_answer,
    "agent.usage": Conversation._usage,
    "agent.init": Conversation._init,
    "agent.result": Conversation._result,
    "agent.stopped": Conversation._stopped,
    "egress.refused": Conversation._egress,
    "agent.budget_stopped": Conversation._budget_stopped,
    "system": Conversation._system,
    "status": Conversation._status,
}
# What Claude Code answers for a tool call an interrupt cut off (an is_error result).
_CLI_INTERRUPTED = "Request interrupted by user"
_ENDED = frozenset(s.value for s in TERMINAL_STATUSES)
