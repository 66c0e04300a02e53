"""A verified delivery becomes the task its rule asks for, run as the webhook's owner,
and comment commands and opened pull requests get a reply with a link on the forge
(a scripted forge API on loopback that checks the documented request shape)."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from clawweb.models import (AuditEvent, Project, ProjectMember, ProjectRole, Task, User,
                            WebhookDelivery)
from clawweb.services.agents import credentials
from clawweb.services.remotes import store as remote_store
from clawweb.services.webhooks import intake, processing, store
from tests.fixtures import documented_webhooks as dw
from tests.fixtures import webhook_payloads as wp
from tests.support.fake_forges import FakeForge
from tests.support.git_servers import allow_loopback_remotes

TOKEN = "forge-token-webhook-secret-77"
ORIGIN = "https://claw.example.test"
KEY = "sk-ant-api03-WEBHOOKTEST-" + "k" * 30


@pytest.fixture
def world(session, fake_redis, monkeypatch):
    allow_loopback_remotes(monkeypatch)
    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", ORIGIN)
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    alice = User(username="alice")
    project = Project(name="App", slug="app")
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    return alice, project


# Per forge: the repository and author its documented issue comment names.
DOCUMENTED = {"github": ("Codertocat/Hello-World", "Codertocat"),
              "gitlab": ("gitlab-org/gitlab-test", "root"),
              "gitea": ("kostekIV/test", "kostekIV")}


@pytest.fixture(params=["github", "gitlab", "gitea"])
def forge(request, world, session):
    """A scripted forge holding the repository of the forge's documented comment."""
    alice, project = world
    kind = request.param
    repo = DOCUMENTED[kind][0]
    fake = FakeForge(kind, TOKEN, repo).start()
    remote_store.save_settings(session=session, user=alice, project_id=project.id,
                               url=f"http://127.0.0.1:{fake.port}/{repo}.git",
                               forge=kind,
                               forge_api_url=fake.api_url if kind == "github" else "")
    remote_store.set_token(session=session, user=alice, project_id=project.id, token=TOKEN)
    yield fake
    fake.stop()


def hook_for(session, world, forge_kind, **rules):
    alice, project = world
    hook, secret = store.create(session=session, user=alice, project_id=project.id,
                                forge=forge_kind)
    store.update(session=session, user=alice, webhook_id=hook.id, values=rules)
    return hook, secret


def deliver(session, hook, headers, body) -> WebhookDelivery:
    answer = intake.receive(session=session, forge=hook.forge, key=hook.key,
                            headers={k.lower(): v for k, v in headers.items()}, body=body,
                            ip="203.0.113.9", now=time.time())
    assert answer.status == 202, answer.body
    return session.get(WebhookDelivery, answer.body["delivery"])


def processed(session, row) -> WebhookDelivery:
    processing.process(session=session, delivery_id=row.id)
    session.expire_all()
    return session.get(WebhookDelivery, row.id)


def all_tasks(session) -> list[Task]:
    session.expire_all()
    return list(session.exec(select(Task).order_by(Task.id)))


COMMENTS = dict(comment_enabled=True, comment_users="octocat, Root-Admin")


def comment(session, hook, secret, text) -> WebhookDelivery:
    """The forge's documented issue comment, only its text set to ``text``, received at
    its documented time and processed."""
    name = dw.COMMENT[hook.forge]
    headers, body = dw.delivery(hook.forge, secret, name, dw.with_comment(hook.forge, name,
                                                                        text))
    answer = intake.receive(session=session, forge=hook.forge, key=hook.key,
                            headers={k.lower(): v for k, v in headers.items()}, body=body,
                            ip="203.0.113.9", now=dw.sent_at(hook.forge, name))
    assert answer.status == 202, answer.body
    return processed(session, session.get(WebhookDelivery, answer.body["delivery"]))


def comment_rules(kind: str, users: str = "") -> dict:
    """Comment commands from ``users`` (default: the documented comment's author)."""
    return dict(comment_enabled=True, comment_users=users or DOCUMENTED[kind][1])


# A comment command and an opened pull request, from each forge's documented payload:
# test_documented_payloads.


@pytest.mark.parametrize("text, users, reason", [
    ("/clawweb do it", "mallory", "webhooks.ignored_author"),  # the rule names another
    ("please /clawweb do it", "", "webhooks.ignored_not_command"),
    ("/clawwebber do it", "", "webhooks.ignored_not_command"),
    ("/clawweb   ", "", "webhooks.ignored_empty_prompt"),
])
def test_comments_that_are_not_commands_start_nothing(session, world, forge, text, users,
                                                      reason):
    hook, secret = hook_for(session, world, forge.spec.kind,
                            **comment_rules(forge.spec.kind, users))
    row = comment(session, hook, secret, text)
    assert (row.status, row.reason) == ("ignored", reason)
    assert all_tasks(session) == [] and forge.comments == []


def test_a_push_to_a_matching_branch_runs_the_command(session, world):
    hook, secret = hook_for(session, world, "github", push_enabled=True,
                            push_command="make test", push_branches="main, release/*")
    for branch, status in (("main", "done"), ("release/1.2", "done"), ("feature", "ignored")):
        data = wp.github_push(time.time(), branch=branch)
        processed(session, deliver(session, hook, *wp.github(secret, "push", data)))
        assert session.exec(select(WebhookDelivery.status).order_by(
            WebhookDelivery.id.desc())).first() == status
    deleted = wp.github_push(time.time())
    deleted.update(after="0" * 40, deleted=True)
    row = processed(session, deliver(session, hook, *wp.github(secret, "push", deleted)))
    assert row.reason == "webhooks.ignored_branch_deleted"
    shells = all_tasks(session)
    assert [(t.kind, t.command, t.trigger) for t in shells] == [("shell", "make test",
                                                                 "webhook")] * 2


def test_a_generic_push_runs_the_command(session, world):
    # The forges' documented pushes: test_documented_payloads.
    hook, secret = hook_for(session, world, "generic", push_enabled=True, push_command="ls")
    row = processed(session, deliver(session, hook, *wp.generic(
        secret, "push", {"branch": "main"}, time.time())))
    (task,) = all_tasks(session)
    assert (row.status, task.command, task.kind) == ("done", "ls", "shell")


def test_a_second_job_for_the_same_delivery_does_nothing(session, world):
    hook, secret = hook_for(session, world, "github", push_enabled=True, push_command="ls")
    row = deliver(session, hook, *wp.github(secret, "push", wp.github_push(time.time())))
    assert processing.process(session=session, delivery_id=row.id) == "done"
    assert processing.process(session=session, delivery_id=row.id) == "not-accepted"
    assert len(all_tasks(session)) == 1


def test_the_owner_s_rights_of_today_decide_and_a_failure_notifies(session, world,
                                                                   monkeypatch):
    from clawweb.services import automation_notify

    sent = []
    monkeypatch.setattr(automation_notify, "deliver", lambda notice: sent.append(notice) or True)
    alice, project = world
    hook, secret = hook_for(session, world, "github", push_enabled=True, push_command="ls")
    member = session.exec(select(ProjectMember).where(ProjectMember.user_id == alice.id)).one()
    member.role = ProjectRole.viewer  # demoted after setting the webhook up
    session.add(member)
    session.commit()
    row = processed(session, deliver(session, hook, *wp.github(
        secret, "push", wp.github_push(time.time()))))
    assert (row.status, row.reason) == ("failed", "errors.forbidden")
    assert all_tasks(session) == []
    (notice,) = sent
    assert (notice["event"], notice["user_id"], notice["reason"]) == (
        "webhook.failed", alice.id, "errors.forbidden")
    audit = session.exec(select(AuditEvent).where(
        AuditEvent.action == "webhook.failed_notice")).all()
    assert len(audit) == 1 and audit[0].object_id == str(hook.id)


def test_no_credential_fails_the_delivery(session, world):
    alice, _ = world
    credentials.delete_user_credential(session=session, user=alice)
    hook, secret = hook_for(session, world, "generic", **COMMENTS)
    row = processed(session, deliver(session, hook, *wp.comment_delivery(
        "generic", secret, time.time(), "/clawweb hi", "octocat")))
    assert (row.status, row.reason) == ("failed", "agent_tasks.no_credential")


def test_a_delivery_from_another_repository_gets_no_reply(session, world, forge):
    kind = forge.spec.kind
    hook, secret = hook_for(session, world, kind, **comment_rules(kind))
    # The project's remote is another repository than the one the payload names.
    remote_store.save_settings(session=session, user=world[0], project_id=world[1].id,
                               url=f"http://127.0.0.1:{forge.port}/team/app.git", forge=kind,
                               forge_api_url=forge.api_url if kind == "github" else "")
    row = comment(session, hook, secret, "/clawweb x")
    assert row.status == "done" and row.params["reply"] == "webhooks.reply_other_repo"
    assert forge.comments == []


def test_the_reply_token_is_never_logged(session, world, forge):
    hook, secret = hook_for(session, world, forge.spec.kind, **comment_rules(forge.spec.kind))
    assert comment(session, hook, secret, "/clawweb hi").status == "done"
    rows = session.exec(select(WebhookDelivery)).all() + session.exec(select(AuditEvent)).all()
    text = " ".join(repr(r) for r in rows)
    assert TOKEN not in text and secret not in text and KEY not in text
