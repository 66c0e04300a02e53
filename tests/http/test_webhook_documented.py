"""Inbound webhooks over HTTP with the forges' own documented example payloads
(tests/fixtures/webhooks): each is accepted, logged and queued as sent; a tampered
body or signature is refused; a replay is refused; an event older than an hour is
refused as stale. The receiver's clock is set to the documented event's time."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.fixtures import documented_webhooks as dw
from tests.http.test_webhooks import (  # noqa: F401 (client, owner: fixtures)
    assert_replay_refused, client, log, make_hook, owner, post, queued_jobs,
)

HOUR = 3600
# The documented comments' own text: what a forger would rewrite into a command.
TEXT = {"github": b"You are totally right! I'll get this fixed right away.",
        "gitlab": b"Hello world", "gitea": b"test comment"}


@pytest.fixture
def clock(monkeypatch):
    """The receiving route's clock (it reads ``time.time()`` through its own module)."""
    from clawweb.http import webhooks as route

    now = [0.0]
    monkeypatch.setattr(route, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.mark.parametrize("forge, name", sorted(dw.DOCUMENTED))
def test_a_documented_delivery_is_accepted_logged_and_queued(client, session, owner,  # noqa: F811
                                                             fake_redis, clock, forge, name):
    hook, secret = make_hook(session, owner, forge)
    clock[0] = dw.sent_at(forge, name)
    headers, body = dw.delivery(forge, secret, name, delivery_id=f"{forge}-{name}-1")
    resp = post(client, hook, headers, body)
    assert resp.status_code == 202, resp.text
    (row,) = log(session, hook)
    assert resp.json() == {"ok": True, "delivery": row.id}
    assert (row.status, row.event, row.delivery_id) == (
        "accepted", dw.event(forge, name), f"{forge}-{name}-1")
    expected = dw.payload(forge, name)
    if forge == "gitea":
        expected.pop("secret")  # the secret old Gitea sent in bodies is not kept (below)
    assert json.loads(row.payload) == expected
    assert queued_jobs(fake_redis) == [("worker.webhook_jobs.process_delivery", [row.id])]


def _tampered(forge, secret, how):
    headers, body = dw.delivery(forge, secret, dw.COMMENT[forge])
    if how == "body":  # the comment rewritten into a command after signing
        assert TEXT[forge] in body
        return headers, body.replace(TEXT[forge], b"/clawweb cat ~/.ssh/id_ed25519")
    name = {"github": "X-Hub-Signature-256", "gitea": "X-Gitea-Signature",
            "gitlab": "X-Gitlab-Token"}[forge]
    last = headers[name][-1]
    return {**headers, name: headers[name][:-1] + ("0" if last != "0" else "1")}, body


# GitLab signs no body: its token is the whole proof, so only a wrong token is a forgery.
@pytest.mark.parametrize("forge, how", [("github", "body"), ("github", "signature"),
                                        ("gitea", "body"), ("gitea", "signature"),
                                        ("gitlab", "signature")])
def test_a_tampered_documented_delivery_is_refused(client, session, owner,  # noqa: F811
                                                   fake_redis, clock, forge, how):
    hook, secret = make_hook(session, owner, forge)
    clock[0] = dw.sent_at(forge, dw.COMMENT[forge])
    resp = post(client, hook, *_tampered(forge, secret, how))
    assert resp.status_code == 401
    assert resp.json() == {"ok": False, "error": "webhooks.refused_signature"}
    (row,) = log(session, hook)
    assert (row.status, row.reason, row.payload) == ("refused", "webhooks.refused_signature",
                                                     "")
    assert queued_jobs(fake_redis) == []
    # The untouched delivery is accepted: the refusal was the tampering's.
    assert post(client, hook, *dw.delivery(forge, secret, dw.COMMENT[forge])).status_code == 202


@pytest.mark.parametrize("forge", ("github", "gitlab", "gitea"))
def test_a_replayed_documented_delivery_is_refused(client, session, owner,  # noqa: F811
                                                   fake_redis, clock, forge):
    hook, secret = make_hook(session, owner, forge)
    clock[0] = dw.sent_at(forge, dw.COMMENT[forge])
    headers, body = dw.delivery(forge, secret, dw.COMMENT[forge])
    assert post(client, hook, headers, body).status_code == 202
    clock[0] += 30  # the forge's retry, half a minute on, with the same delivery id
    assert_replay_refused(client, session, hook, headers, body, fake_redis)


@pytest.mark.parametrize("forge, name", [(f, n) for (f, n), (_, at) in
                                         sorted(dw.DOCUMENTED.items()) if at])
def test_a_documented_event_over_an_hour_old_is_refused(client, session, owner,  # noqa: F811
                                                        fake_redis, clock, forge, name):
    hook, secret = make_hook(session, owner, forge)
    event_at = dw.sent_at(forge, name) - 60
    clock[0] = event_at + HOUR + 60  # a fresh delivery id, but the signed event is old
    resp = post(client, hook, *dw.delivery(forge, secret, name))
    assert resp.status_code == 401
    assert resp.json()["error"] == "webhooks.refused_stale"
    (row,) = log(session, hook)
    assert (row.status, row.reason) == ("refused", "webhooks.refused_stale")
    assert queued_jobs(fake_redis) == []
    clock[0] = event_at + HOUR - 60  # just inside the hour
    assert post(client, hook, *dw.delivery(forge, secret, name)).status_code == 202


def test_the_secret_an_old_gitea_sends_in_the_body_is_not_stored(client, session,  # noqa: F811
                                                                  owner, clock):
    # Gitea before 1.14 put the webhook's secret in the body's "secret" field (its
    # documented push still shows one): the delivery log must not keep it in clear.
    hook, secret = make_hook(session, owner, "gitea")
    data = {**dw.payload("gitea", "push"), "secret": secret}
    clock[0] = dw.sent_at("gitea", "push")
    body = json.dumps(data, indent=2).encode()
    assert post(client, hook, *dw.delivery("gitea", secret, "push", body)).status_code == 202
    (row,) = log(session, hook)
    assert secret not in row.payload
    assert json.loads(row.payload) == {k: v for k, v in data.items() if k != "secret"}
