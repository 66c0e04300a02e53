"""Every API call that changes something is audited with the token's id (issue 12).

The changing operations come from the live OpenAPI document, as in the route-access
test: each one is called over HTTP so that it succeeds, and every audit row it wrote
must name the token. A new changing route without a recipe here fails the test, so
it cannot go unaudited unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from tests.rest.conftest import (client, make_approval, make_project, make_task, make_token,
                                 make_user, token_id)

CHANGING = ("post", "put", "patch", "delete")
SCHEDULE = {"name": "nightly", "command": "make test", "cron": "0 3 * * *"}


def _schedule(ctx) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.schedules import store

    with session_scope() as s:
        return store.create(session=s, user=s.get(User, ctx["user"]),
                            project_id=ctx["project"], values=SCHEDULE).id


def _webhook(ctx) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.webhooks import store

    with session_scope() as s:
        return store.create(session=s, user=s.get(User, ctx["user"]),
                            project_id=ctx["project"], forge="github")[0].id


def _paused_schedule(ctx) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.schedules import store

    schedule_id = _schedule(ctx)
    with session_scope() as s:
        store.set_paused(session=s, user=s.get(User, ctx["user"]), schedule_id=schedule_id,
                         paused=True)
    return schedule_id


def _claude_parent(ctx) -> int:
    return make_task(ctx["project"], ctx["user"], kind="claude", command="Fix it",
                     agent_session_id="session-audit")


def _approval(ctx) -> int:
    return make_approval(make_task(ctx["project"], ctx["user"], status="awaiting_approval"))


# operationId -> what to call, given a fresh object where it needs one: (path, body).
RECIPES: dict[str, Callable[[dict], tuple[str, dict | None]]] = {
    "submitTask": lambda c: (f"/projects/{c['project']}/tasks",
                             {"kind": "shell", "command": "echo audited"}),
    "cancelTask": lambda c: (f"/tasks/{make_task(c['project'], c['user'], status='queued')}"
                             "/cancel", None),
    "rerunTask": lambda c: (f"/tasks/{make_task(c['project'], c['user'])}/rerun", None),
    "followUpTask": lambda c: (f"/tasks/{_claude_parent(c)}/follow-up", {"prompt": "more"}),
    "decideApproval": lambda c: (f"/approvals/{_approval(c)}/decision", {"decision": "allow"}),
    "createSchedule": lambda c: (f"/projects/{c['project']}/schedules", SCHEDULE),
    "updateSchedule": lambda c: (f"/schedules/{_schedule(c)}", {"overlap_policy": "queue"}),
    "deleteSchedule": lambda c: (f"/schedules/{_schedule(c)}", None),
    "pauseSchedule": lambda c: (f"/schedules/{_schedule(c)}/pause", None),
    "resumeSchedule": lambda c: (f"/schedules/{_paused_schedule(c)}/resume", None),
    "runSchedule": lambda c: (f"/schedules/{_schedule(c)}/run", None),
    "createWebhook": lambda c: (f"/projects/{c['project']}/webhooks", {"forge": "gitea"}),
    "updateWebhook": lambda c: (f"/webhooks/{_webhook(c)}", {"name": "renamed"}),
    "rotateWebhookSecret": lambda c: (f"/webhooks/{_webhook(c)}/rotate-secret", None),
    "deleteWebhook": lambda c: (f"/webhooks/{_webhook(c)}", None),
}


def _changing_operations(doc: dict) -> list[tuple[str, str]]:
    return [(method, op["operationId"]) for item in doc["paths"].values()
            for method, op in item.items() if method in CHANGING]


def _audit_rows_after(last_id: int) -> list:
    from clawweb.db import session_scope
    from clawweb.models import AuditEvent

    with session_scope() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.id > last_id)))


def _last_audit_id() -> int:
    rows = _audit_rows_after(0)
    return max((r.id for r in rows), default=0)


@pytest.fixture
def owner_token(api_server):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials

    user = make_user()
    project = make_project(user)
    with session_scope() as s:  # a follow-up needs a Claude credential
        credentials.set_user_credential(session=s, user=s.get(User, user), kind="api_key",
                                        secret="sk-ant-api03-" + "x" * 40)
    return {"user": user, "project": project,
            "token": make_token(user, ["read", "tasks", "approvals"])}


def test_every_changing_call_is_audited_with_its_token(api_server, owner_token):
    with client(api_server) as c:
        doc = c.get("/openapi.json").json()
    operations = _changing_operations(doc)
    missing = sorted(op for _, op in operations if op not in RECIPES)
    assert not missing, f"changing operations without a recipe here: {missing}"
    tid = token_id(owner_token["token"])
    with client(api_server, owner_token["token"]) as c:
        for method, op in operations:
            path, body = RECIPES[op](owner_token)
            before = _last_audit_id()
            resp = c.request(method.upper(), path, json=body)
            assert resp.status_code < 300, (op, resp.status_code, resp.text)
            rows = _audit_rows_after(before)
            assert rows, f"{op}: no audit row"
            assert all(r.api_token_id == tid for r in rows), \
                (op, [(r.action, r.api_token_id) for r in rows])
