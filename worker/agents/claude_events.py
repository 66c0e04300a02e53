"""SDK messages -> the task's ``agent.*`` events (the UI's conversation view).

Event types and payloads (all JSON):

* ``agent.init`` {session_id, model, permission_mode}
* ``agent.text_delta`` {message_id, index, text}: streamed piece of assistant text
* ``agent.text`` {message_id, text}: the finished text block (supersedes its deltas)
* ``agent.thinking`` {message_id, text}
* ``agent.tool_use`` {id, name, input}: ``input`` strings capped at 20 kB
* ``agent.todo`` {id, todos: [{content, status, activeForm}]}: from TodoWrite
* ``agent.tool_result`` {id, is_error, content, truncated}: content capped at 20 kB
* ``agent.usage`` {input_tokens, output_tokens, cost_usd, turns}: running totals; the
  cost in these is the CLI's own report, except in the last one of a run, which
  ``ClaudeAgent`` emits with the egress proxy's metered cost (what the task records)
* ``agent.result`` {subtype, is_error, turns, cost_usd, usage, duration_ms, session_id, result,
  terminal_reason, api_error_status}: ``cost_usd`` as the CLI reported it
* ``agent.approval`` {approval_id, tool_use_id, tool, input, expires_at}
* ``agent.approval_answer`` {approval_id, decision, message}: decision ``withdrawn``
  when the turn was interrupted while the request waited
* ``agent.tool_why`` {tool_use_id, why}: a call ran without asking a person; ``why`` a
  stored message (``approvals.why.*``), from ``claude_hooks`` / ``claude_approvals``
* ``agent.stopped`` {reason}: budget, max turns, interrupt, API failure

Emitted by the task's egress proxy (``worker.egress``), not from SDK messages:

* ``egress.refused`` {host, reason[, path][, more]}: ``reason`` is one of
  ``not_listed``, ``bad_target``, ``host_mismatch``, ``private_address``,
  ``model_path`` (with ``path``, "METHOD /path"); ``more`` (K > 0) marks a
  rate-limited summary: K further refusals, the last of them to ``host``
* ``agent.budget_stopped`` {spent_usd, budget_usd}: the proxy refused a model call
  because the task's budget is spent (once per run)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claude_agent_sdk import (
    AssistantMessage, ResultMessage, StreamEvent, SystemMessage, TextBlock, ThinkingBlock,
    ToolResultBlock, ToolUseBlock, UserMessage,
)

CAP = 20_000


def cap_text(value: str, limit: int = CAP) -> tuple[str, bool]:
    if len(value) <= limit:
        return value, False
    return value[:limit] + f"\n… [{len(value) - limit} more characters]", True


def cap_input(value: Any, limit: int = CAP) -> Any:
    """A tool input with every long string shortened (a Write of a big file)."""
    if isinstance(value, str):
        return cap_text(value, limit)[0]
    if isinstance(value, dict):
        return {k: cap_input(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [cap_input(v, limit) for v in value]
    return value


def _result_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for item in content:
        if isinstance(item, dict) and item.get("type") == "text":
            parts.append(item.get("text", ""))
        elif isinstance(item, dict):
            parts.append(f"[{item.get('type', 'content')}]")
    return "\n".join(parts)


@dataclass
class Tally:
    """Running usage for one run; assistant messages are counted once per message id."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    turns: int = 0
    session_id: str = ""
    model: str = ""
    _seen: set[str] = field(default_factory=set)

    def add_assistant(self, msg: AssistantMessage) -> bool:
        key = msg.message_id or msg.uuid or str(id(msg))
        if key in self._seen or not msg.usage or msg.parent_tool_use_id:
            return False
        self._seen.add(key)
        self.turns += 1
        self.input_tokens += int(msg.usage.get("input_tokens") or 0) + int(
            msg.usage.get("cache_read_input_tokens") or 0) + int(
            msg.usage.get("cache_creation_input_tokens") or 0)
        self.output_tokens += int(msg.usage.get("output_tokens") or 0)
        self.model = msg.model or self.model
        return True

    def add_result(self, msg: ResultMessage) -> None:
        usage = msg.usage or {}
        if usage:
            self.input_tokens = int(usage.get("input_tokens") or 0) + int(
                usage.get("cache_read_input_tokens") or 0) + int(
                usage.get("cache_creation_input_tokens") or 0)
            self.output_tokens = int(usage.get("output_tokens") or 0)
        self.cost_usd = float(msg.total_cost_usd or 0.0)
        self.turns = max(self.turns, int(msg.num_turns or 0))
        self.session_id = msg.session_id or self.session_id

    def as_usage(self) -> dict[str, Any]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": round(self.cost_usd, 6), "turns": self.turns,
                "agent_session_id": self.session_id, "model": self.model}


def events_for(msg: Any, tally: Tally) -> list[tuple[str, dict[str, Any]]]:
    """The events one SDK message becomes (and the tally updated)."""
    if isinstance(msg, StreamEvent):
        return _stream_event(msg)
    if isinstance(msg, SystemMessage):
        if msg.subtype == "init":
            tally.session_id = msg.data.get("session_id", "") or tally.session_id
            tally.model = msg.data.get("model", "") or tally.model
            return [("agent.init", {"session_id": tally.session_id, "model": tally.model,
                                    "permission_mode": msg.data.get("permissionMode", "")})]
        return []
    if isinstance(msg, AssistantMessage):
        out = _assistant_blocks(msg)
        if tally.add_assistant(msg):
            out.append(("agent.usage", _usage(tally)))
        return out
    if isinstance(msg, UserMessage) and isinstance(msg.content, list):
        return [_tool_result(b) for b in msg.content if isinstance(b, ToolResultBlock)]
    if isinstance(msg, ResultMessage):
        tally.add_result(msg)
        text, _ = cap_text(msg.result or "")
        return [("agent.usage", _usage(tally)),
                ("agent.result", {"subtype": msg.subtype, "is_error": msg.is_error,
                                  "turns": tally.turns, "cost_usd": round(tally.cost_usd, 6),
                                  "usage": msg.usage or {}, "duration_ms": msg.duration_ms,
                                  "session_id": msg.session_id, "result": text,
                                  "terminal_reason": msg.terminal_reason,
                                  "api_error_status": msg.api_error_status})]
    return []


def _usage(tally: Tally) -> dict[str, Any]:
    return {"input_tokens": tally.input_tokens, "output_tokens": tally.output_tokens,
            "cost_usd": round(tally.cost_usd, 6), "turns": tally.turns}


def _stream_event(msg: StreamEvent) -> list[tuple[str, dict[str, Any]]]:
    ev = msg.event or {}
    if msg.parent_tool_use_id or ev.get("type") != "content_block_delta":
        return []
    delta = ev.get("delta") or {}
    if delta.get("type") != "text_delta" or not delta.get("text"):
        return []
    return [("agent.text_delta", {"message_id": msg.uuid, "index": ev.get("index", 0),
                                  "text": delta["text"]})]


def _assistant_blocks(msg: AssistantMessage) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    mid = msg.message_id or msg.uuid or ""
    for block in msg.content:
        if isinstance(block, TextBlock) and block.text:
            out.append(("agent.text", {"message_id": mid, "text": cap_text(block.text, 200_000)[0]}))
        elif isinstance(block, ThinkingBlock):
            out.append(("agent.thinking", {"message_id": mid, "text": cap_text(block.thinking)[0]}))
        elif isinstance(block, ToolUseBlock):
            out.append(("agent.tool_use", {"id": block.id, "name": block.name,
                                           "input": cap_input(block.input),
                                           "parent_tool_use_id": msg.parent_tool_use_id}))
            if block.name == "TodoWrite":
                todos = block.input.get("todos") if isinstance(block.input, dict) else None
                out.append(("agent.todo", {"id": block.id, "todos": cap_input(todos or [])}))
    return out


def _tool_result(block: ToolResultBlock) -> tuple[str, dict[str, Any]]:
    text, truncated = cap_text(_result_text(block.content))
    return ("agent.tool_result", {"id": block.tool_use_id, "is_error": bool(block.is_error),
                                  "content": text, "truncated": truncated})
