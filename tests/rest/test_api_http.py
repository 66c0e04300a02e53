"""The API over real HTTP: what each resource does, and that a token never grants
more than its user has today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.rest.conftest import (client, make_approval, make_project, make_task, make_token,
                                 make_user, token_id, unique)


@pytest.fixture
def team(api_server):
    """An owner, an editor and a viewer on one project; the editor's full token."""
    owner, editor, viewer = make_user(), make_user(), make_user()
    project = make_project(owner, members={editor: "editor", viewer: "viewer"})
    token = make_token(editor, ["read", "tasks", "approvals"])
    return {"owner": owner, "editor": editor, "viewer": viewer, "project": project,
            "token": token}


def _set_user(user_id: int, **values) -> None:
    from clawweb.db import session_scope
    from clawweb.models import User

    with session_scope() as s:
        user = s.get(User, user_id)
        for k, v in values.items():
            setattr(user, k, v)
        s.add(user)


def _audit(action: str, object_id) -> list:
    from clawweb.db import session_scope
    from clawweb.models import AuditEvent

    with session_scope() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action,
                                                    AuditEvent.object_id == str(object_id))))


def _submit(c, project, command="echo hi", **headers):
    return c.post(f"/projects/{project}/tasks", json={"kind": "shell", "command": command},
                  headers=headers)


def test_me_names_the_user_and_the_token(api_server, team):
    with client(api_server, team["token"]) as c:
        me = c.get("/me").json()
    assert me["id"] == team["editor"] and me["role"] == "member"
    assert me["token"]["scopes"] == ["read", "tasks", "approvals"]
    assert me["token"]["id"] == token_id(team["token"])
    assert team["token"] not in str(me) and "hash" not in str(me)


def test_submitting_a_shell_task_queues_it_once_per_key_and_audits_the_token(api_server, team):
    with client(api_server, team["token"]) as c:
        first = _submit(c, team["project"], "make test", **{"Idempotency-Key": "k-1"})
        again = _submit(c, team["project"], "make test", **{"Idempotency-Key": "k-1"})
        other = _submit(c, team["project"], "make test", **{"Idempotency-Key": "k-2"})
    assert first.status_code == 201, first.text
    task = first.json()
    assert (task["status"], task["kind"], task["trigger"], task["command"]) == \
        ("queued", "shell", "api", "make test")
    assert task["web_url"].endswith(f"/tasks/{task['id']}")
    assert again.json()["id"] == task["id"] and other.json()["id"] != task["id"]
    (event,) = _audit("task.submit", task["id"])
    assert event.api_token_id == token_id(team["token"]) and event.actor_id == team["editor"]


def test_tasks_list_by_project_and_status_in_pages(api_server, team):
    ids = [make_task(team["project"], team["owner"], command=f"echo {i}") for i in range(5)]
    failed = make_task(team["project"], team["owner"], status="failed")
    make_task(make_project(team["owner"]), team["owner"])  # another project
    seen = []
    with client(api_server, team["token"]) as c:
        cursor = None
        while True:
            page = c.get("/tasks", params={"project_id": team["project"], "limit": 2,
                                           **({"cursor": cursor} if cursor else {})}).json()
            assert len(page["items"]) <= 2
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        failed_only = c.get("/tasks", params={"project_id": team["project"],
                                              "status": ["failed"]}).json()["items"]
        bad = c.get("/tasks", params={"cursor": "not-a-cursor"})
    assert seen == sorted(set(seen), reverse=True)  # newest first, none twice
    assert set(ids) | {failed} <= set(seen)
    assert [t["id"] for t in failed_only] == [failed]
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "api.cursor_invalid"


def test_projects_list_in_pages_and_read_one(api_server, team):
    extra = [make_project(team["owner"], members={team["editor"]: "viewer"}) for _ in range(2)]
    with client(api_server, team["token"]) as c:
        first = c.get("/projects", params={"limit": 2}).json()
        rest = c.get("/projects", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        one = c.get(f"/projects/{extra[0]}").json()
    got = [p["id"] for p in first["items"] + rest["items"]]
    assert sorted(got) == sorted([team["project"], *extra]) and rest["next_cursor"] is None
    assert one["role"] == "viewer" and one["id"] == extra[0]


def test_cancel_and_rerun(api_server, team):
    with client(api_server, team["token"]) as c:
        task = _submit(c, team["project"], "sleep 100").json()
        cancelled = c.post(f"/tasks/{task['id']}/cancel")
        rerun = c.post(f"/tasks/{task['id']}/rerun")
        read = c.get(f"/tasks/{task['id']}").json()
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert read["status"] == "cancelled" and read["finished"] is True
    assert rerun.status_code == 201
    assert (rerun.json()["command"], rerun.json()["trigger"]) == ("sleep 100", "api")
    assert rerun.json()["id"] != task["id"]
    assert [e.api_token_id for e in _audit("task.cancel", task["id"])] == \
        [token_id(team["token"])]


def test_claude_tasks_and_follow_ups(api_server, team):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials

    with client(api_server, team["token"]) as c:
        refused = c.post(f"/projects/{team['project']}/tasks",
                         json={"kind": "claude", "prompt": "Fix it"})
        with session_scope() as s:
            credentials.set_user_credential(session=s, user=s.get(User, team["editor"]),
                                            kind="api_key",
                                            secret="sk-ant-api03-" + "x" * 40)
        asked = c.post(f"/projects/{team['project']}/tasks",
                       json={"kind": "claude", "prompt": "Fix it"})
        parent = make_task(team["project"], team["editor"], kind="claude", command="Fix it",
                           agent_session_id="session-1")
        follow = c.post(f"/tasks/{parent}/follow-up", json={"prompt": "And test it"})
        not_claude = c.post(f"/tasks/{make_task(team['project'], team['editor'])}/follow-up",
                            json={"prompt": "more"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "agent_tasks.no_credential"
    assert asked.status_code == 201 and asked.json()["kind"] == "claude"
    assert follow.status_code == 201, follow.text
    assert (follow.json()["parent_id"], follow.json()["trigger"]) == (parent, "api")
    assert not_claude.json()["error"]["code"] == "agent_tasks.not_claude"


def test_approvals_are_listed_for_editors_and_decided_once(api_server, team):
    task = make_task(team["project"], team["owner"], status="awaiting_approval")
    approval = make_approval(task)
    viewer_token = make_token(team["viewer"], ["read", "approvals"])
    with client(api_server, viewer_token) as c:
        assert approval not in [a["id"] for a in c.get("/approvals").json()["items"]]
        refused = c.post(f"/approvals/{approval}/decision", json={"decision": "allow"})
    with client(api_server, team["token"]) as c:
        listed = c.get("/approvals", params={"task_id": task}).json()["items"]
        decided = c.post(f"/approvals/{approval}/decision", json={"decision": "deny",
                                                                 "message": "not now"})
        twice = c.post(f"/approvals/{approval}/decision", json={"decision": "allow"})
    assert refused.status_code == 403
    assert [a["id"] for a in listed] == [approval] and listed[0]["tool"] == "Bash"
    assert decided.status_code == 200 and decided.json()["decision"] == "deny"
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "approvals.not_pending"
    (event,) = _audit("approval.decide", approval)
    assert event.api_token_id == token_id(team["token"])


def test_a_demoted_user_loses_the_right_at_once(api_server, team):
    from clawweb.db import session_scope
    from clawweb.models import ProjectMember, ProjectRole

    with client(api_server, team["token"]) as c:
        assert _submit(c, team["project"]).status_code == 201
        with session_scope() as s:
            member = s.exec(select(ProjectMember).where(
                ProjectMember.project_id == team["project"],
                ProjectMember.user_id == team["editor"])).one()
            member.role = ProjectRole.viewer
            s.add(member)
        refused = _submit(c, team["project"])
        still_reads = c.get(f"/projects/{team['project']}")
    assert refused.status_code == 403
    assert still_reads.status_code == 200 and still_reads.json()["role"] == "viewer"


def test_an_admin_demoted_to_member_loses_admin_rights_at_once(api_server, team):
    root = make_user(role="admin")
    token = make_token(root, ["read", "admin"])
    with client(api_server, token) as c:
        assert c.get(f"/projects/{team['project']}").status_code == 200
        _set_user(root, role="member")
        assert c.get(f"/projects/{team['project']}").status_code == 404
        assert c.get("/me").json()["acting_role"] == "member"


@pytest.mark.parametrize("change", ["disabled", "revoked", "expired", "password_reset"])
def test_a_disabled_user_or_a_revoked_or_expired_token_is_refused_at_once(api_server, team,
                                                                          change):
    from clawweb.db import session_scope
    from clawweb.models import ApiToken, User, utcnow
    from clawweb.services.accounts import api_tokens

    user = make_user()
    token = make_token(user, ["read"])
    with client(api_server, token) as c:
        assert c.get("/me").status_code == 200
        with session_scope() as s:
            row = s.get(ApiToken, token_id(token))
            if change == "disabled":
                _set_user(user, disabled=True)
            elif change == "revoked":
                api_tokens.revoke(session=s, actor=s.get(User, user), token_id=row.id)
            elif change == "expired":
                row.expires_at = utcnow() - timedelta(seconds=1)
                s.add(row)
            else:
                _set_user(user, must_change_password=True)
        resp = c.get("/me")
    if change == "password_reset":
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "api.password_change_required"
    else:
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "api.token_invalid"


def test_the_token_records_when_and_from_where_it_was_last_used(api_server, team):
    from clawweb.db import session_scope
    from clawweb.models import ApiToken

    token = make_token(team["viewer"], ["read"])
    with client(api_server, token) as c:
        c.get("/me")
    with session_scope() as s:
        row = s.get(ApiToken, token_id(token))
    assert row.last_used_ip == "127.0.0.1" and row.last_used_at is not None


def test_errors_have_one_shape_and_speak_the_callers_language(api_server, team):
    with client(api_server, team["token"], **{"Accept-Language": "zh-CN,zh;q=0.9"}) as c:
        missing = c.get("/tasks/2147483647")
        invalid = c.post(f"/projects/{team['project']}/tasks", json={"kind": "shell"})
        unknown = c.get("/no-such-route")
        empty = _submit(c, team["project"], "   ")
    from clawweb.i18n import t

    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "errors.not_found",
                                        "message": t("errors.not_found", "zh")}}
    assert t("errors.not_found", "zh") != t("errors.not_found", "en")
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "api.request_invalid"
    assert "command" in invalid.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "api.not_found"
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "tasks.error.command_empty"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in empty.json()["error"]["message"])


def test_history_of_events_after_a_seq(api_server, team):
    from clawweb.db import session_scope
    from clawweb.models import TaskEvent

    task = make_task(team["project"], team["owner"])
    with session_scope() as s:
        s.add(TaskEvent(task_id=task, seq=2, ts=1.0, type="status",
                        data={"status": "succeeded", "reason": "", "exit_code": 0}))
    with client(api_server, team["token"]) as c:
        everything = c.get(f"/tasks/{task}/events").json()
        later = c.get(f"/tasks/{task}/events", params={"after": 1}).json()
    assert [e["seq"] for e in everything["events"]] == [1, 2]
    assert everything["finished"] is True and everything["next_after"] == 2
    assert [e["type"] for e in later["events"]] == ["status"]


def test_openapi_and_the_docs_page_work_under_the_csp(api_server):
    with client(api_server) as c:
        doc = c.get("/openapi.json").json()
        page = c.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" in page.headers["content-security-policy"]
    assert "<script" not in page.text.lower() and "cdn" not in page.text.lower()
    for path in doc["paths"]:
        assert f"/api/v1{path}" in page.text.replace("&#x27;", "'")
    assert doc["servers"] == [{"url": "/api/v1"}]


def test_project_names_with_markup_stay_text_on_the_docs_page():
    from clawweb.rest import docs_page

    html = docs_page.render({"info": {"title": "<script>x</script>"},
                             "paths": {"/a": {"get": {"summary": "<img src=x>"}}}}, "/api/v1")
    assert "<script>x" not in html and "<img" not in html
