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


@pytest.fixture(params=["github", "gitlab", "gitea"])
def forge(request, world, session):
    alice, project = world
    kind = request.param
    fake = FakeForge(kind, TOKEN, wp.REPO[kind]).start()
    remote_store.save_settings(session=session, user=alice, project_id=project.id,
                               url=f"http://127.0.0.1:{fake.port}/{wp.REPO[kind]}.git",
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


def test_a_comment_command_starts_a_claude_task_and_replies_with_a_link(session, world,
                                                                         forge):
    hook, secret = hook_for(session, world, forge.spec.kind, **COMMENTS)
    on_pr = forge.spec.kind == "gitlab"  # a merge request note: the reply goes there too
    row = deliver(session, hook, *wp.comment_delivery(
        forge.spec.kind, secret, time.time(), "  /clawweb fix the flaky test\nplease",
        "OctoCat", on_pr=on_pr))
    row = processed(session, row)
    (task,) = all_tasks(session)
    assert (row.status, row.reason, row.task_id) == ("done", "webhooks.task_started", task.id)
    assert (task.kind, task.trigger, task.created_by) == ("claude", "webhook", world[0].id)
    assert task.command.startswith("fix the flaky test\nplease\n\n(From a ")
    assert row.payload == ""
    (comment,) = forge.comments
    assert comment["body"] == f"clawweb started task #{task.id}: {ORIGIN}/tasks/{task.id}"
    number = {"github": 12, "gitlab": 17, "gitea": 3}[forge.spec.kind]
    assert comment["number"] == number
    assert comment["on"] == ("merge_requests" if on_pr else "issues")
    assert row.params["reply"] == "webhooks.reply_sent"
    if forge.spec.kind != "gitlab":
        assert row.params["reply_url"].startswith(forge.base_url)


def test_a_pull_request_opened_starts_a_review_and_replies_on_it(session, world, forge):
    hook, secret = hook_for(session, world, forge.spec.kind, review_enabled=True)
    kind = forge.spec.kind
    build = {"github": lambda: wp.github(secret, "pull_request",
                                         wp.github_pull_opened(time.time())),
             "gitlab": lambda: wp.gitlab(secret, "Merge Request Hook",
                                         wp.gitlab_mr_opened(time.time())),
             "gitea": lambda: wp.gitea(secret, "pull_request",
                                       wp.gitea_pull_opened(time.time()))}[kind]
    row = processed(session, deliver(session, hook, *build()))
    (task,) = all_tasks(session)
    assert row.status == "done" and task.kind == "claude" and task.trigger == "webhook"
    assert task.command.startswith("Review this pull request")
    title = {"github": "Update the README", "gitlab": "MS-Viewport", "gitea": "Add a feature"}
    assert title[kind] in task.command
    (comment,) = forge.comments
    assert str(task.id) in comment["body"]
    assert comment["number"] == {"github": 7, "gitlab": 1, "gitea": 2}[kind]
    if kind == "gitlab":
        assert comment["on"] == "merge_requests"


@pytest.mark.parametrize("text, author, reason", [
    ("/clawweb do it", "mallory", "webhooks.ignored_author"),
    ("please /clawweb do it", "octocat", "webhooks.ignored_not_command"),
    ("/clawwebber do it", "octocat", "webhooks.ignored_not_command"),
    ("/clawweb   ", "octocat", "webhooks.ignored_empty_prompt"),
])
def test_comments_that_are_not_commands_start_nothing(session, world, forge, text, author,
                                                      reason):
    hook, secret = hook_for(session, world, forge.spec.kind, **COMMENTS)
    row = processed(session, deliver(session, hook, *wp.comment_delivery(
        forge.spec.kind, secret, time.time(), text, author)))
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


@pytest.mark.parametrize("forge_kind, build", [
    ("gitlab", lambda s: wp.gitlab(s, "Push Hook", wp.gitlab_push(time.time()))),
    ("gitea", lambda s: wp.gitea(s, "push", wp.gitea_push(time.time()))),
    ("generic", lambda s: wp.generic(s, "push", {"branch": "main"}, time.time())),
])
def test_pushes_from_every_forge(session, world, forge_kind, build):
    hook, secret = hook_for(session, world, forge_kind, push_enabled=True, push_command="ls")
    row = processed(session, deliver(session, hook, *build(secret)))
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
    hook, secret = hook_for(session, world, forge.spec.kind, **COMMENTS)
    kind = forge.spec.kind
    data = {"github": lambda: wp.github_comment(time.time(), "/clawweb x", "octocat",
                                                repo="evil/other"),
            "gitlab": lambda: wp.gitlab_note(time.time(), "/clawweb x", "octocat",
                                             repo="evil/other"),
            "gitea": lambda: wp.gitea_comment(time.time(), "/clawweb x", "octocat",
                                              repo="evil/other")}[kind]()
    event = {"github": "issue_comment", "gitlab": "Note Hook", "gitea": "issue_comment"}[kind]
    sign = {"github": wp.github, "gitlab": wp.gitlab, "gitea": wp.gitea}[kind]
    row = processed(session, deliver(session, hook, *sign(secret, event, data)))
    assert row.status == "done" and row.params["reply"] == "webhooks.reply_other_repo"
    assert forge.comments == []


def test_the_reply_token_is_never_logged(session, world, forge):
    hook, secret = hook_for(session, world, forge.spec.kind, **COMMENTS)
    processed(session, deliver(session, hook, *wp.comment_delivery(
        forge.spec.kind, secret, time.time(), "/clawweb hi", "octocat")))
    rows = session.exec(select(WebhookDelivery)).all() + session.exec(select(AuditEvent)).all()
    text = " ".join(repr(r) for r in rows)
    assert TOKEN not in text and secret not in text and KEY not in text
