"""Pending approval requests as the rows the browser shows (badge, task page cards)."""

from __future__ import annotations

from clawweb.db import session_scope
from clawweb.live.tool_input import input_text
from clawweb.live.plan_view import plan_html
from clawweb.services import approvals as approval_service
from clawweb.services.agents.tool_summary import summary_of


def pending_rows(user, task_id: int | None = None) -> list[dict]:
    """Pending requests the user may answer, as plain dicts for state.

    ``approvals.pending_for`` filters by the caller's project roles.
    """
    with session_scope() as s:
        rows = approval_service.pending_for(session=s, user=user, task_id=task_id)
        return [_row(r) for r in rows]


def _row(row) -> dict:
    public = approval_service.as_public(row)
    return {"id": public["id"], "task_id": public["task_id"], "tool": public["tool"],
            "summary": summary_of(public["tool"], public["input"]),
            "input": input_text(public["input"]), "expires_at": public["expires_at"],
            "rule": public["rule"],
            # prompt-c: a plan to approve ("" for any other request), see components.plan_card.
            "plan_html": plan_html(public["tool"], public["input"])}
