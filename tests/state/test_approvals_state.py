"""A late click on a withdrawn request is refused in words, never answered "Allowed."."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from clawweb.i18n import t
from clawweb.models import TaskStatus
from tests.services.agent_fixtures import make_project, make_task, make_user
from tests.support.reflex_state import new_state, run_handler


def _toast_code(result) -> str:
    from reflex_base.event import EventSpec

    events = list(result) if isinstance(result, (list, tuple)) else [result]
    toasts = [e for e in events if isinstance(e, EventSpec)
              and e.handler.fn.__qualname__ == "_call_function"]
    assert len(toasts) == 1, events
    return str(dict((str(k), v) for k, v in toasts[0].args)["function"])


@pytest.mark.asyncio
async def test_allow_once_after_the_task_ended_says_so(engine, fake_redis, fast_hashing):
    from clawweb.services import approvals
    from clawweb.services.accounts import auth_sessions, passwords
    from clawweb.state.approvals import ApprovalsState

    with Session(engine, expire_on_commit=False) as s:
        owner = make_user(s, "olga")
        owner.password_hash = passwords.hash_password("olga password 123")
        s.add(owner)
        s.commit()
        project = make_project(s, owner)
        task = make_task(s, project, owner, status=TaskStatus.awaiting_approval)
        row = approvals.create_request(session=s, task=task, tool_use_id="toolu_x",
                                       tool_name="Bash", tool_input={"command": "ls"},
                                       timeout_seconds=600)
        approvals.withdraw_open(session=s, task_id=task.id,
                                reason="approvals.withdrawn.cancelled")
        _, token = auth_sessions.sign_in(session=s, username="olga",
                                         password="olga password 123", ip="", user_agent="")
        s.commit()
    _, state = new_state(ApprovalsState, token)
    result = await run_handler(ApprovalsState.event_handlers["allow_once"], state, row.id)
    code = _toast_code(result)
    assert '"error"' in code and json.dumps(t("approvals.withdrawn")) in code
    assert json.dumps(t("ui_conv.approval.done.allow")) not in code
