"""Inbound webhooks over HTTP (the routes clawweb.api mounts): a valid generic delivery
is accepted (202, logged, handed to RQ), a tampered, replayed or stale one is refused
and logged with why, an oversized one is refused before it is read. The same promises
for GitHub, GitLab and Gitea, with their documented payloads: test_webhook_documented."""

from __future__ import annotations

import json
import time

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from sqlmodel import select
from starlette.testclient import TestClient

from clawweb import routes, streams
from clawweb.models import Project, ProjectMember, ProjectRole, User, WebhookDelivery
from clawweb.services.webhooks import signatures, store
from tests.fixtures import webhook_payloads as wp



@pytest.fixture
def client(engine, fake_redis):
    from clawweb import api

    with TestClient(api.router(), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def owner(session):
    alice = User(username="alice")
    project = Project(name="P", slug="p")
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    return alice, project


def make_hook(session, owner, forge, **rules):
    alice, project = owner
    hook, secret = store.create(session=session, user=alice, project_id=project.id, forge=forge)
    if rules:
        store.update(session=session, user=alice, webhook_id=hook.id, values=rules)
    return hook, secret


def post(client, hook, headers, body):
    return client.post(routes.webhook(hook.forge, hook.key), headers=headers, content=body)


def log(session, hook) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == hook.id).order_by(WebhookDelivery.id)))


def queued_jobs(fake_redis) -> list:
    q = Queue(streams.queue_name("high"), connection=fake_redis, serializer=JSONSerializer)
    return [(j.func_name, list(j.args)) for j in q.get_jobs()]


def delivery(forge, secret, at, text="/clawweb hello", delivery_id=""):
    return wp.comment_delivery(forge, secret, at, text, "octocat", delivery=delivery_id)


def test_githubs_documented_test_vector():
    # "Validating webhook deliveries": secret, payload and the signature GitHub computes.
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signatures.hmac_hex(secret, body) == expected
    ok = signatures.verify("github", secret, {"x-hub-signature-256": "sha256=" + expected,
                                              "x-github-delivery": "d-1",
                                              "x-github-event": "ping"}, body, now=0)
    assert (ok.delivery_id, ok.event) == ("d-1", "ping")
    with pytest.raises(signatures.Refused) as err:
        signatures.verify("github", secret, {"x-hub-signature-256": "sha256=" + "0" * 64},
                          body, now=0)
    assert err.value.reason == "webhooks.refused_signature"


@pytest.mark.parametrize("forge", ["generic"])  # forges: test_webhook_documented
def test_a_valid_delivery_is_accepted_logged_and_queued(client, session, owner, fake_redis,
                                                        forge):
    hook, secret = make_hook(session, owner, forge)
    headers, body = delivery(forge, secret, time.time(), delivery_id=f"{forge}-d1")
    resp = post(client, hook, headers, body)
    assert resp.status_code == 202, resp.text
    (row,) = log(session, hook)
    assert resp.json() == {"ok": True, "delivery": row.id}
    assert (row.status, row.delivery_id, row.dedupe_id) == ("accepted", f"{forge}-d1",
                                                            f"{forge}-d1")
    assert json.loads(row.payload) == json.loads(body)
    assert queued_jobs(fake_redis) == [("worker.webhook_jobs.process_delivery", [row.id])]


def _tampered(forge, secret, at):
    headers, body = delivery(forge, secret, at)
    return headers, body.replace(b"hello", b"rm -rf")


@pytest.mark.parametrize("forge", ["generic"])  # forges: test_webhook_documented
def test_a_tampered_delivery_is_refused_and_logged(client, session, owner, fake_redis, forge):
    hook, secret = make_hook(session, owner, forge)
    headers, body = _tampered(forge, secret, time.time())
    resp = post(client, hook, headers, body)
    assert resp.status_code == 401
    assert resp.json() == {"ok": False, "error": "webhooks.refused_signature"}
    (row,) = log(session, hook)
    assert (row.status, row.reason, row.dedupe_id, row.payload) == (
        "refused", "webhooks.refused_signature", None, "")
    assert queued_jobs(fake_redis) == []


@pytest.mark.parametrize("forge", ["generic"])  # forges: test_webhook_documented
def test_a_replayed_delivery_is_refused(client, session, owner, fake_redis, forge):
    hook, secret = make_hook(session, owner, forge)
    headers, body = delivery(forge, secret, time.time())
    assert post(client, hook, headers, body).status_code == 202
    assert_replay_refused(client, session, hook, headers, body, fake_redis)


def assert_replay_refused(client, session, hook, headers, body, fake_redis) -> None:
    """The same delivery again: refused as a duplicate, logged, and never queued twice."""
    again = post(client, hook, headers, body)
    assert again.status_code == 409
    assert again.json()["error"] == "webhooks.refused_duplicate"
    assert [(r.status, r.reason) for r in log(session, hook)] == [
        ("accepted", ""), ("refused", "webhooks.refused_duplicate")]
    assert len(queued_jobs(fake_redis)) == 1


@pytest.mark.parametrize("forge", ["generic"])  # forges: test_webhook_documented
def test_a_stale_delivery_is_refused(client, session, owner, fake_redis, forge):
    hook, secret = make_hook(session, owner, forge)
    # The signed timestamp is six minutes old (past the five-minute tolerance).
    at = time.time() - 360
    headers, body = delivery(forge, secret, at)
    resp = post(client, hook, headers, body)
    assert resp.status_code == 401
    assert resp.json()["error"] == "webhooks.refused_stale"
    (row,) = log(session, hook)
    assert (row.status, row.reason) == ("refused", "webhooks.refused_stale")
    assert queued_jobs(fake_redis) == []
    # Just inside the limits it is accepted.
    fresh_at = time.time() - 240
    assert post(client, hook, *delivery(forge, secret, fresh_at)).status_code == 202


def test_generic_timestamps_from_the_future_are_refused(client, session, owner):
    hook, secret = make_hook(session, owner, "generic")
    resp = post(client, hook, *delivery("generic", secret, time.time() + 400))
    assert resp.status_code == 401 and resp.json()["error"] == "webhooks.refused_stale"
    headers, body = delivery("generic", secret, time.time())
    resp = post(client, hook, {**headers, "X-Clawweb-Timestamp": "soon"}, body)
    assert resp.json()["error"] == "webhooks.refused_timestamp"


@pytest.mark.parametrize("forge", ("github", "gitea", "generic"))
def test_a_forged_request_cannot_use_up_a_real_delivery_id(client, session, owner, forge):
    hook, secret = make_hook(session, owner, forge)
    forged = delivery(forge, "not-the-secret", time.time(), delivery_id="d-42")
    assert post(client, hook, *forged).status_code == 401
    real = delivery(forge, secret, time.time(), delivery_id="d-42")
    assert post(client, hook, *real).status_code == 202
    assert [r.status for r in log(session, hook)] == ["refused", "accepted"]


def test_missing_signature_unknown_hook_and_wrong_forge(client, session, owner):
    hook, secret = make_hook(session, owner, "github")
    headers, body = delivery("github", secret, time.time())
    bare = {k: v for k, v in headers.items() if not k.startswith("X-Hub-Signature")}
    resp = post(client, hook, bare, body)
    assert resp.status_code == 401 and resp.json()["error"] == "webhooks.refused_no_signature"
    assert client.post(routes.webhook("github", "0" * 32), headers=headers,
                       content=body).status_code == 404
    assert client.post(routes.webhook("gitea", hook.key), headers=headers,
                       content=body).status_code == 404
    assert client.get(routes.webhook("github", hook.key)).status_code == 405
    assert [r.reason for r in log(session, hook)] == ["webhooks.refused_no_signature"]


def test_a_disabled_webhook_refuses_and_logs(client, session, owner):
    hook, secret = make_hook(session, owner, "gitea", enabled=False)
    resp = post(client, hook, *delivery("gitea", secret, time.time()))
    assert resp.status_code == 403
    assert [(r.status, r.reason) for r in log(session, hook)] == [
        ("refused", "webhooks.refused_disabled")]


def test_a_rotated_secret_stops_the_old_one_at_once(client, session, owner):
    hook, old = make_hook(session, owner, "github")
    new = store.rotate_secret(session=session, user=owner[0], webhook_id=hook.id)
    assert new != old
    assert post(client, hook, *delivery("github", old, time.time())).status_code == 401
    assert post(client, hook, *delivery("github", new, time.time())).status_code == 202


def test_bodies_over_the_cap_are_refused_unread(client, session, owner, monkeypatch):
    monkeypatch.setenv("CLAWWEB_WEBHOOK_MAX_BODY_BYTES", "2048")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    hook, secret = make_hook(session, owner, "github")
    headers, body = wp.github(secret, "issue_comment",
                              wp.github_comment(time.time(), "/clawweb " + "x" * 4000))
    resp = post(client, hook, headers, body)
    assert resp.status_code == 413 and resp.json()["error"] == "webhooks.refused_too_large"

    def chunks():  # no Content-Length: the stream is cut at the cap
        for _ in range(10):
            yield b"x" * 1000

    resp = client.post(routes.webhook("github", hook.key), headers=headers, content=chunks())
    assert resp.status_code == 413
    rows = log(session, hook)
    assert [(r.reason, r.params) for r in rows] == [
        ("webhooks.refused_too_large", {"limit": 2048})] * 2
    assert all(r.payload == "" for r in rows)


def test_refused_deliveries_are_pruned_to_the_newest(client, session, owner, monkeypatch):
    monkeypatch.setenv("CLAWWEB_WEBHOOK_LOG_KEEP", "5")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    hook, secret = make_hook(session, owner, "github")
    assert post(client, hook, *delivery("github", secret, time.time())).status_code == 202
    for i in range(12):
        post(client, hook, *delivery("github", "forged", time.time(), delivery_id=f"f{i}"))
    rows = log(session, hook)
    assert [r.status for r in rows] == ["accepted"] + ["refused"] * 5
    assert [r.delivery_id for r in rows[1:]] == [f"f{i}" for i in range(7, 12)]


def test_github_form_encoded_payloads_are_read(client, session, owner):
    from urllib.parse import urlencode

    hook, secret = make_hook(session, owner, "github")
    payload = json.dumps(wp.github_comment(time.time(), "/clawweb hi", "octocat"))
    body = urlencode({"payload": payload}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-GitHub-Event": "issue_comment", "X-GitHub-Delivery": "form-1",
               "X-Hub-Signature-256": "sha256=" + signatures.hmac_hex(secret, body)}
    assert post(client, hook, headers, body).status_code == 202
    (row,) = log(session, hook)
    assert json.loads(row.payload)["comment"]["body"] == "/clawweb hi"


def test_a_signed_body_that_is_not_json_is_refused(client, session, owner):
    hook, secret = make_hook(session, owner, "gitea")
    body = b"not json"
    headers = {"X-Gitea-Event": "push", "X-Gitea-Delivery": "x",
               "X-Gitea-Signature": signatures.hmac_hex(secret, body)}
    resp = post(client, hook, headers, body)
    assert resp.status_code == 400 and resp.json()["error"] == "webhooks.refused_body"
