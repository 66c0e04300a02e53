"""What a task has spent on the model, measured where the agent cannot interfere.

Every model reply passes through the egress proxy, so the proxy reads each
``/v1/messages`` reply's ``usage`` as it streams past (``UsageMeter``), prices
it (``worker.egress.pricing``) and adds it to the task's ``SpendLedger``. Once
the ledger reaches the budget, the proxy refuses further model calls. The
CLI's own ``--max-budget-usd`` stays as a second line, but the CLI runs in the
container, and whatever runs there can call the API without it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from worker.egress.pricing import cost_usd

log = logging.getLogger(__name__)

_MAX_JSON = 16 * 1024 * 1024  # a non-streaming reply bigger than this is not parsed
_MAX_EVENT = 1024 * 1024  # an SSE event bigger than this cannot be a usage event


class UsageMeter:
    """Reads one ``/v1/messages`` reply in pieces and keeps its model and usage.

    Streaming replies (``text/event-stream``) carry usage in ``message_start``
    (``message.usage``) and in each ``message_delta`` (``usage``, cumulative
    counts that replace the earlier ones). A JSON reply carries it at the top.
    Only bounded state is kept, whatever the reply's size.
    """

    def __init__(self, content_type: str):
        self.sse = "event-stream" in (content_type or "").lower()
        self.model = ""
        self.usage: dict[str, Any] = {}
        self._buf = bytearray()
        self._skipping = False
        self._too_big = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        """The next piece of the reply body (decoded, not compressed)."""
        if not data:
            return
        if not self.sse:
            if not self._too_big:
                self._buf += data
                if len(self._buf) > _MAX_JSON:
                    self._too_big, self._buf = True, bytearray()
            return
        self._buf += data.replace(b"\r", b"")
        while (end := self._buf.find(b"\n\n")) >= 0:
            event = bytes(self._buf[:end])
            del self._buf[:end + 2]
            if self._skipping:
                self._skipping = False
            else:
                self._sse_event(event)
        if len(self._buf) > _MAX_EVENT:
            # Keep the last byte: it may be the first "\n" of the separator.
            self._skipping, self._buf = True, self._buf[-1:]

    def finish(self) -> bool:
        """Parse what a JSON reply left; True when some usage was found."""
        if not self.sse and self._buf and not self._too_big:
            try:
                body = json.loads(bytes(self._buf))
            except ValueError:
                body = None
            if isinstance(body, dict):
                self.model = str(body.get("model") or "")
                self._update(body.get("usage"))
        self._buf = bytearray()
        return bool(self.usage)

    def _sse_event(self, event: bytes) -> None:
        lines = [line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
        if not lines:
            return
        try:
            data = json.loads(b"\n".join(lines))
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("type") == "message_start" and isinstance(data.get("message"), dict):
            self.model = str(data["message"].get("model") or self.model)
            self._update(data["message"].get("usage"))
        elif data.get("type") == "message_delta":
            self._update(data.get("usage"))

    def _update(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self.usage.update({k: v for k, v in usage.items() if v is not None})


class SpendLedger:
    """One task's running total against its budget (None: no budget, only metering)."""

    def __init__(self, budget_usd: float | None,
                 on_budget: Callable[[float, float], None] = lambda spent, budget: None):
        self.budget_usd = budget_usd if budget_usd and budget_usd > 0 else None
        self.spent_usd = 0.0
        self.replies = 0
        self.unmetered = 0
        self._on_budget = on_budget
        self._told = False

    @property
    def exhausted(self) -> bool:
        return self.budget_usd is not None and self.spent_usd >= self.budget_usd

    def add(self, meter: UsageMeter) -> float:
        """Price one finished reply and add it; returns what it cost."""
        if not meter.finish():
            # Replies come from the model API, not the container, and the proxy
            # asks for them uncompressed; a reply without usage is a broken
            # reply. Counted and logged, so it is seen, not silently free.
            self.unmetered += 1
            log.warning("egress: a model reply carried no usage; not priced")
            return 0.0
        cost = cost_usd(meter.model, meter.usage)
        self.spent_usd += cost
        self.replies += 1
        return cost

    def refuse(self) -> None:
        """Record a refused call; the first one tells ``on_budget``."""
        if not self._told:
            self._told = True
            try:
                self._on_budget(self.spent_usd, self.budget_usd or 0.0)
            except Exception:  # noqa: BLE001 - reporting must not break the proxy
                log.exception("egress: on_budget failed")
