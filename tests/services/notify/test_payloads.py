"""What leaves the server: a push payload or chat message carries a short, inert summary
and the link, never the task's output, its failure reason's details, or a secret."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from clawweb.models import Delivery, Notification, TaskEvent, TaskStatus
from clawweb.services.agents import credentials
from clawweb.services.notify import delivery, hooks, sender, text
from tests.services.agent_fixtures import make_project, make_task, make_user

HOSTILE_TITLE = "\x1b[31mdeploy\x1b[0m <script>alert(1)</script> " + "y" * 300


@pytest.fixture
def world(session, fake_redis, settings):
    alice = make_user(session, "alice")
    project = make_project(session, alice, "shop")
    credentials.set_user_credential(session=session, user=alice, kind="api_key",
                                    secret="sk-ant-api03-SECRETKEY-0000000000000000000000")
    task = make_task(session, project, alice, status=TaskStatus.failed, title=HOSTILE_TITLE,
                     command="curl -H 'Authorization: Bearer ghp_CMDSECRET' " + "z" * 200,
                     failure_reason="exited with code 1: OUTPUT-SECRET in the tail")
    session.add(TaskEvent(task_id=task.id, seq=1, ts=0.0, type="output",
                          data={"stream": "stdout", "text": "OUTPUT-SECRET\n"}))
    session.commit()
    return alice, project, task


def test_the_stored_params_hold_only_a_short_inert_summary(session, world):
    alice, project, task = world
    hooks.task_ended(task.id)
    note = session.exec(select(Notification)).one()
    blob = json.dumps(note.params)
    for secret in ("OUTPUT-SECRET", "SECRETKEY", "ghp_CMDSECRET", "\\u001b", "code 1"):
        assert secret not in blob
    assert len(note.params["summary"]) <= text.SUMMARY_CHARS
    assert note.params["summary"].startswith("deploy <script>")  # text, shown as text


def test_a_push_payload_is_the_rendered_text_the_link_and_a_tag(session, world):
    alice, project, task = world
    hooks.task_ended(task.id)
    note = session.exec(select(Notification)).one()
    row = Delivery(channel_key=delivery.push_key(alice.id), event="task.failed",
                   event_key="x", params=dict(note.params), link=note.link)
    payload = sender._push_payload(session, [row], alice)
    assert set(payload) == {"v", "type", "tag", "title", "body", "url", "actions"}
    blob = json.dumps(payload)
    for secret in ("OUTPUT-SECRET", "SECRETKEY", "ghp_CMDSECRET", "\\u001b"):
        assert secret not in blob
    assert payload["title"] == f"Task #{task.id} failed" and payload["url"] == f"/tasks/{task.id}"
    assert len(blob.encode()) < 1024  # far below what push services accept (4 KB)
