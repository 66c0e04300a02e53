"""Schedules and webhooks over the REST API (the routers of clawweb/rest/schedules.py and
webhooks_admin.py, mounted in a FastAPI app of this test): editors change schedules,
viewers read them, owners alone see webhooks; a read-only token changes nothing, a
project-bound token reaches nothing else, strangers get 404; bad input is 422 with
the service's message key."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from fastapi import FastAPI, Request
from sqlmodel import select
from starlette.testclient import TestClient

from clawweb.db import session_scope
from clawweb.models import (Project, ProjectMember, ProjectRole, Schedule, ScheduleRun, User,
                            WebhookDelivery)
from clawweb.services.webhooks import intake
from tests.fixtures import webhook_payloads as wp
from tests.support import rest_standin

NIGHTLY = {"name": "nightly", "command": "make test", "cron": "0 3 * * *",
           "timezone": "Asia/Shanghai"}


@pytest.fixture
def people(session):
    users = {n: User(username=n) for n in ("owner", "editor", "viewer", "stranger")}
    project, other = Project(name="P", slug="p"), Project(name="Q", slug="q")
    session.add_all([*users.values(), project, other])
    session.flush()
    for name, role in (("owner", "owner"), ("editor", "editor"), ("viewer", "viewer")):
        session.add(ProjectMember(project_id=project.id, user_id=users[name].id,
                                  role=ProjectRole(role)))
    session.add(ProjectMember(project_id=other.id, user_id=users["stranger"].id,
                              role=ProjectRole.owner))
    session.commit()
    return {n: u.id for n, u in users.items()}, project.id, other.id


@pytest.fixture
def api(engine, fake_redis):
    rest_standin.ensure()
    from clawweb.rest import deps, errors
    from clawweb.rest import schedules as schedules_api
    from clawweb.rest import webhooks_admin

    app = FastAPI()
    errors.install(app)
    for module in (schedules_api, webhooks_admin):
        app.include_router(module.router)

    def caller_for(scope):
        def dependency(request: Request):
            scopes = request.headers.get("x-test-scopes", "read tasks").split()
            if scope not in scopes:
                raise errors.ApiError(403, "api.scope_missing", scope=scope)
            with session_scope() as s:
                user = s.get(User, int(request.headers["x-test-user"]))
            bound = request.headers.get("x-test-project")
            token = SimpleNamespace(id=1, project_id=int(bound)) if bound else None
            return deps.Caller(user=user, token=token, ip="198.51.100.7")
        return dependency

    for module in (schedules_api, webhooks_admin):
        app.dependency_overrides[module.READ] = caller_for("read")
        app.dependency_overrides[module.CHANGE] = caller_for("tasks")
    with TestClient(app) as client:
        yield client


def as_(user_id, scopes="read tasks", project=None) -> dict:
    headers = {"x-test-user": str(user_id), "x-test-scopes": scopes}
    if project:
        headers["x-test-project"] = str(project)
    return headers


def test_an_editor_manages_a_schedule_end_to_end(api, people):
    ids, pid, _ = people
    me = as_(ids["editor"])
    resp = api.post(f"/projects/{pid}/schedules", json=NIGHTLY, headers=me)
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert (made["cron"], made["timezone"], made["runs_as"], made["paused"]) == (
        "0 3 * * *", "Asia/Shanghai", "editor", False)
    assert made["missed_policy"] == "once" and made["overlap_policy"] == "skip"
    assert made["max_retries"] == 2 and len(made["next_runs"]) == 5
    assert all(t.endswith("T19:00:00+00:00") for t in made["next_runs"])  # 03:00 in Shanghai
    sid = made["id"]
    assert [s["id"] for s in api.get(f"/projects/{pid}/schedules",
                                     headers=me).json()["items"]] == [sid]
    changed = api.patch(f"/schedules/{sid}", json={"cron": "", "interval_seconds": 3600,
                                                   "overlap_policy": "queue"}, headers=me)
    assert changed.status_code == 200 and changed.json()["interval_seconds"] == 3600
    paused = api.post(f"/schedules/{sid}/pause", headers=me).json()
    assert paused["paused"] is True and paused["next_runs"] == []
    assert api.post(f"/schedules/{sid}/resume", headers=me).json()["paused"] is False
    run = api.post(f"/schedules/{sid}/run", headers=me)
    assert run.status_code == 202 and run.json()["trigger"] == "run_now"
    runs = api.get(f"/schedules/{sid}/runs", headers=me).json()
    assert [r["id"] for r in runs["items"]] == [run.json()["id"]]
    assert api.delete(f"/schedules/{sid}", headers=me).status_code == 204
    assert api.get(f"/schedules/{sid}", headers=me).status_code == 404


def test_run_history_pages_by_cursor(api, people, session):
    ids, pid, _ = people
    sid = api.post(f"/projects/{pid}/schedules", json=NIGHTLY,
                   headers=as_(ids["editor"])).json()["id"]
    for i in range(5):
        api.post(f"/schedules/{sid}/run", headers=as_(ids["editor"]))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/schedules/{sid}/runs", params=params,
                       headers=as_(ids["viewer"])).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 5
    bad = api.get(f"/schedules/{sid}/runs", params={"cursor": "!!"}, headers=as_(ids["viewer"]))
    assert bad.status_code == 422


def test_viewers_read_but_do_not_change(api, people):
    ids, pid, _ = people
    sid = api.post(f"/projects/{pid}/schedules", json=NIGHTLY,
                   headers=as_(ids["editor"])).json()["id"]
    viewer = as_(ids["viewer"])
    assert api.get(f"/schedules/{sid}", headers=viewer).status_code == 200
    for method, path in (("post", f"/projects/{pid}/schedules"), ("patch", f"/schedules/{sid}"),
                         ("post", f"/schedules/{sid}/pause"), ("post", f"/schedules/{sid}/run"),
                         ("delete", f"/schedules/{sid}")):
        resp = api.request(method.upper(), path, json=NIGHTLY if method != "delete" else None,
                           headers=viewer)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["error"]["code"] == "errors.forbidden"


def _schedule_routes(pid, sid):
    return [("GET", f"/projects/{pid}/schedules"), ("POST", f"/projects/{pid}/schedules"),
            ("GET", f"/schedules/{sid}"), ("PATCH", f"/schedules/{sid}"),
            ("DELETE", f"/schedules/{sid}"), ("POST", f"/schedules/{sid}/pause"),
            ("POST", f"/schedules/{sid}/resume"), ("POST", f"/schedules/{sid}/run"),
            ("GET", f"/schedules/{sid}/runs")]


def test_strangers_and_other_projects_tokens_get_404(api, people, session):
    ids, pid, other = people
    sid = api.post(f"/projects/{pid}/schedules", json=NIGHTLY,
                   headers=as_(ids["editor"])).json()["id"]
    for who in (as_(ids["stranger"]), as_(ids["editor"], project=other)):
        for method, path in _schedule_routes(pid, sid):
            resp = api.request(method, path, json=NIGHTLY if method in ("POST", "PATCH") else None,
                               headers=who)
            assert resp.status_code == 404, (who, method, path, resp.text)
    session.expire_all()
    assert len(session.exec(select(Schedule)).all()) == 1
    assert session.exec(select(ScheduleRun)).all() == []


def test_a_read_only_token_changes_nothing(api, people, session):
    ids, pid, _ = people
    sid = api.post(f"/projects/{pid}/schedules", json=NIGHTLY,
                   headers=as_(ids["editor"])).json()["id"]
    for method, path in _schedule_routes(pid, sid):
        resp = api.request(method, path, json=NIGHTLY if method in ("POST", "PATCH") else None,
                           headers=as_(ids["owner"], scopes="read"))
        assert resp.status_code == (200 if method == "GET" else 403), (method, path)
    session.expire_all()
    assert session.exec(select(ScheduleRun)).all() == []


@pytest.mark.parametrize("body, code", [
    ({**NIGHTLY, "cron": "0 3 * *"}, "schedules.bad_cron"),
    ({**NIGHTLY, "timezone": "Nowhere/Land"}, "schedules.bad_timezone"),
    ({**NIGHTLY, "interval_seconds": 600}, "schedules.cron_or_interval"),
    ({**NIGHTLY, "cron": "* * * * *"}, "schedules.too_often"),
    ({**NIGHTLY, "kind": "claude"}, "agent_tasks.no_credential"),
    ({**NIGHTLY, "missed_policy": "sometimes"}, "api.request_invalid"),
    ({"cron": "0 3 * * *"}, "api.request_invalid"),
])
def test_bad_schedules_are_422_with_the_reason(api, people, body, code, monkeypatch):
    monkeypatch.setenv("CLAWWEB_SCHEDULE_MIN_INTERVAL_SECONDS", "120")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    ids, pid, _ = people
    resp = api.post(f"/projects/{pid}/schedules", json=body, headers=as_(ids["editor"]))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == code


def test_a_claude_schedule_s_model_and_mode_round_trip(api, people, session):
    from clawweb.models import AgentSettings
    from clawweb.services.agents import credentials

    ids, pid, _ = people
    session.add(AgentSettings(project_id=pid, permission_mode="acceptEdits",
                              allowed_models=["claude-opus-4-1"]))
    session.commit()
    credentials.set_user_credential(session=session, user=session.get(User, ids["editor"]),
                                    kind="api_key", secret="sk-ant-api03-" + "z" * 40)
    me = as_(ids["editor"])
    body = {**NIGHTLY, "kind": "claude", "model": "claude-opus-4-1", "permission_mode": "plan"}
    made = api.post(f"/projects/{pid}/schedules", json=body, headers=me)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    read = api.get(f"/schedules/{sid}", headers=as_(ids["viewer"])).json()
    listed = api.get(f"/projects/{pid}/schedules", headers=me).json()["items"]
    for shown in (made.json(), read, listed[0]):
        assert (shown["model"], shown["permission_mode"]) == ("claude-opus-4-1", "plan")
    changed = api.patch(f"/schedules/{sid}", json={"model": "", "permission_mode": "acceptEdits"},
                        headers=me)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["model"], changed.json()["permission_mode"]) == ("", "acceptEdits")
    refused = api.patch(f"/schedules/{sid}", json={"model": "claude-haiku-9"}, headers=me)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "agent_tasks.model_not_allowed"
    bad_mode = api.post(f"/projects/{pid}/schedules", json={**body, "permission_mode": "yolo"},
                        headers=me)
    assert bad_mode.status_code == 422
    shell = api.post(f"/projects/{pid}/schedules", json={**NIGHTLY, "model": "claude-opus-4-1"},
                     headers=me).json()
    assert (shell["model"], shell["permission_mode"]) == ("", "")
    session.expire_all()
    assert (session.get(Schedule, sid).model, session.get(Schedule, sid).permission_mode) == (
        "", "acceptEdits")


# -- webhooks ------------------------------------------------------------------------

def test_an_owner_creates_a_webhook_sees_its_secret_once_and_reads_its_log(api, people,
                                                                           session):
    ids, pid, _ = people
    owner = as_(ids["owner"])
    made = api.post(f"/projects/{pid}/webhooks", json={"forge": "gitea", "name": "CI"},
                    headers=owner)
    assert made.status_code == 201, made.text
    hook = made.json()
    secret = hook["secret"]
    assert len(secret) >= 40 and re.fullmatch(r"http://.+/api/hooks/gitea/[0-9a-f]{32}",
                                              hook["url"])
    wid = hook["id"]
    read = api.get(f"/webhooks/{wid}", headers=owner).json()
    listed = api.get(f"/projects/{pid}/webhooks", headers=owner).json()["items"]
    assert "secret" not in read and all("secret" not in h for h in listed)
    assert secret not in str(read) + str(listed)
    rules = api.patch(f"/webhooks/{wid}", json={"push_enabled": True, "push_command": "make"},
                      headers=owner)
    assert rules.status_code == 200 and rules.json()["push_enabled"] is True
    # A delivery signed with the secret from the answer is accepted, and logged.
    key = read["url"].rsplit("/", 1)[1]
    headers, body = wp.gitea(secret, "push", wp.gitea_push(time.time()))
    with session_scope() as s:
        answer = intake.receive(session=s, forge="gitea", key=key,
                                headers={k.lower(): v for k, v in headers.items()}, body=body,
                                ip="192.0.2.1", now=time.time())
    assert answer.status == 202
    log = api.get(f"/webhooks/{wid}/deliveries", headers=owner).json()["items"]
    assert [(d["status"], d["event"], d["ip"]) for d in log] == [("accepted", "push", "192.0.2.1")]
    new = api.post(f"/webhooks/{wid}/rotate-secret", headers=owner).json()["secret"]
    assert new != secret
    assert api.delete(f"/webhooks/{wid}", headers=owner).status_code == 204
    session.expire_all()
    assert session.exec(select(WebhookDelivery)).all() == []


def test_webhooks_are_for_owners_only(api, people):
    ids, pid, other = people
    made = api.post(f"/projects/{pid}/webhooks", json={"forge": "github"},
                    headers=as_(ids["owner"])).json()
    wid, secret = made["id"], made["secret"]
    routes = [("GET", f"/projects/{pid}/webhooks"), ("POST", f"/projects/{pid}/webhooks"),
              ("GET", f"/webhooks/{wid}"), ("PATCH", f"/webhooks/{wid}"),
              ("POST", f"/webhooks/{wid}/rotate-secret"), ("DELETE", f"/webhooks/{wid}"),
              ("GET", f"/webhooks/{wid}/deliveries")]
    body = {"forge": "github", "name": "x"}
    for who, expected in ((as_(ids["editor"]), 403), (as_(ids["viewer"]), 403),
                          (as_(ids["stranger"]), 404), (as_(ids["owner"], project=other), 404)):
        for method, path in routes:
            resp = api.request(method, path, json=body if method in ("POST", "PATCH") else None,
                               headers=who)
            assert resp.status_code == expected, (who, method, path, resp.text)
            assert secret not in resp.text and "url" not in resp.json()
    assert api.get(f"/webhooks/{wid}", headers=as_(ids["owner"])).status_code == 200


def test_webhook_rules_are_checked(api, people):
    ids, pid, _ = people
    owner = as_(ids["owner"])
    wid = api.post(f"/projects/{pid}/webhooks", json={"forge": "github"}, headers=owner).json()["id"]
    for body, code in (({"comment_enabled": True}, "webhooks.comment_users_required"),
                       ({"push_enabled": True}, "webhooks.push_command_required"),
                       ({"comment_command": "clawweb"}, "webhooks.bad_comment_command"),
                       ({"push_branches": "main; rm -rf /"}, "webhooks.bad_branch_pattern")):
        resp = api.patch(f"/webhooks/{wid}", json=body, headers=owner)
        assert resp.status_code == 422 and resp.json()["error"]["code"] == code, body
    assert api.post(f"/projects/{pid}/webhooks", json={"forge": "svn"},
                    headers=owner).status_code == 422
