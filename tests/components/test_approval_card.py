"""The approval card offers "Always allow" only with a narrow rule, and shows that rule.

The card is checked in its compiled form (what the browser runs), the handler
through the state class, as tests/state does: no browser needed.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlmodel import Session

from clawweb.i18n import t
from clawweb.models import Approval, TaskStatus
from clawweb.services import approvals
from tests.services.agent_fixtures import make_project, make_task
from tests.support.reflex_state import new_state


def _compiled_card() -> str:
    import reflex as rx

    from clawweb.components.approvals import approval_card
    from clawweb.state.task_live import TaskLiveState

    return str(rx.foreach(TaskLiveState.approvals, approval_card))


# The compiled form of rx.cond(row["rule"] != "", ...).
RULE_SET = re.compile(r'\(!\(\(row_rx_state_\?\.\["rule"\]\?\.valueOf\?\.\(\) === ""\?\.valueOf\?\.\(\)\)\)$')


def _guard_before(js: str, marker: str) -> str:
    """The condition of the innermost ``cond ? (...)`` that opens before ``marker``."""
    at = js.index(marker)
    opening = js.rfind("?(jsx(", 0, at)
    assert opening != -1, f"{marker} is not inside any condition"
    return js[max(0, opening - 120):opening]


def test_always_button_is_shown_only_when_the_row_has_a_rule():
    js = _compiled_card()
    assert js.count('"approval-always"') == 1
    assert RULE_SET.search(_guard_before(js, '"approval-always"'))


def test_the_rule_text_is_on_the_card_not_in_a_tooltip():
    js = _compiled_card()
    assert '"approval-rule"' in js and '"approval-no-rule"' in js
    assert RULE_SET.search(_guard_before(js, '"approval-rule"'))
    rule_text = js[js.index('"approval-rule"'):js.index('"approval-no-rule"')]
    assert "Always allow: " in rule_text and 'row_rx_state_?.["rule"]' in rule_text
    assert "title:" not in js  # phones have no hover: nothing hides in a title


@pytest.fixture
def signed_in(engine, fake_redis, fast_hashing):
    from clawweb.models import User
    from clawweb.services.accounts import auth_sessions, passwords

    with Session(engine, expire_on_commit=False) as s:
        user = User(username="olive", password_hash=passwords.hash_password("olive pw 12345"))
        s.add(user)
        s.commit()
        project = make_project(s, user)
        task = make_task(s, project, user, status=TaskStatus.awaiting_approval)
        wide = approvals.create_request(session=s, task=task, tool_use_id="toolu_w",
                                        tool_name="Bash", timeout_seconds=600,
                                        tool_input={"command": "make && make install"})
        narrow = approvals.create_request(session=s, task=task, tool_use_id="toolu_n",
                                          tool_name="Bash", timeout_seconds=600,
                                          tool_input={"command": "npm test"})
        _, token = auth_sessions.sign_in(session=s, username="olive", password="olive pw 12345",
                                         ip="", user_agent="")
        s.commit()
        return dict(token=token, user=user, task=task, wide=wide.id, narrow=narrow.id)


def test_rows_carry_the_rule_or_nothing(signed_in):
    from clawweb.live.approval_rows import pending_rows

    rows = {r["id"]: r["rule"] for r in pending_rows(signed_in["user"], signed_in["task"].id)}
    assert rows == {signed_in["wide"]: "", signed_in["narrow"]: "Bash(npm test)"}


def _error_toast(spec) -> str:
    """The message of an ``rx.toast.error`` event spec, decoded from the JS it runs."""
    code = {str(name): str(value) for name, value in spec.args}["function"]
    match = re.fullmatch(r"""\(\(\) => \(refs\['__toast'\]\?\.\["error"\]\((".*")\)\)\)""", code)
    assert match, code
    return json.loads(match.group(1))


def test_handler_refuses_always_without_a_rule_with_a_clear_message(signed_in, engine):
    from clawweb.state.approvals import ApprovalsState

    _, state = new_state(ApprovalsState, signed_in["token"])
    handler = ApprovalsState.event_handlers["allow_always"].fn
    result = asyncio.run(handler(state, signed_in["wide"]))
    assert _error_toast(result) == t("approvals.no_rule")
    with Session(engine) as s:
        assert s.get(Approval, signed_in["wide"]).decision == ""
