"""The forges' own documented example payloads (tests/fixtures/webhooks) map to the
right rule: a push to the rule's branch runs the shell command, a comment starting
with the command starts a Claude task and the reply goes to a scripted forge API
(tests/support/fake_forges) on the issue or merge request the payload names, and a
pull request opened starts a review and a reply on it.

Where a payload's branch, author or repository differs from a rule, the rule is set to
the payload's; the documented comments are no commands, so the comment tests set only
the comment's text (``dw.with_comment``) and first check the documented text is ignored.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import Task, WebhookDelivery
from clawweb.services.remotes import store as remote_store
from clawweb.services.webhooks import intake, processing, store
from tests.fixtures import documented_webhooks as dw
from tests.services.webhooks.test_processing import ORIGIN, TOKEN, hook_for, world  # noqa: F401
from tests.support.fake_forges import FakeForge

# The repository each documented payload names (GitHub and Gitea repository.full_name,
# GitLab project.path_with_namespace), the remote the project is given for it.
REPO = {("github", "push"): "Codertocat/Hello-World",
        ("github", "issue_comment"): "Codertocat/Hello-World",
        ("github", "pull_request"): "Codertocat/Hello-World",
        ("gitlab", "push"): "mike/diaspora",
        ("gitlab", "note_issue"): "gitlab-org/gitlab-test",
        ("gitlab", "note_merge_request"): "gitlab-org/gitlab-test",
        ("gitlab", "merge_request"): "gitlabhq/gitlab-test",
        ("gitea", "push"): "gitea/webhooks",
        ("gitea", "issue_comment"): "kostekIV/test",
        ("gitea", "pull_request"): "kostekIV/test"}


@pytest.fixture
def remote(session, world):  # noqa: F811 - the imported fixture
    """Give the project a remote on a scripted forge holding ``repo``; the forge."""
    alice, project = world
    started = []

    def make(kind: str, repo: str) -> FakeForge:
        fake = FakeForge(kind, TOKEN, repo).start()
        started.append(fake)
        remote_store.save_settings(session=session, user=alice, project_id=project.id,
                                   url=f"http://127.0.0.1:{fake.port}/{repo}.git", forge=kind,
                                   forge_api_url=fake.api_url if kind == "github" else "")
        remote_store.set_token(session=session, user=alice, project_id=project.id,
                               token=TOKEN)
        return fake

    yield make
    for fake in started:
        fake.stop()


def run(session, hook, secret, forge, name, body=None, delivery_id=""):
    """Deliver the documented payload at its own time and process it; the row."""
    headers, body = dw.delivery(forge, secret, name, body, delivery_id)
    answer = intake.receive(session=session, forge=forge, key=hook.key,
                            headers={k.lower(): v for k, v in headers.items()}, body=body,
                            ip="203.0.113.9", now=dw.sent_at(forge, name))
    assert answer.status == 202, answer.body
    processing.process(session=session, delivery_id=answer.body["delivery"])
    session.expire_all()
    return session.get(WebhookDelivery, answer.body["delivery"])


def tasks(session) -> list[Task]:
    session.expire_all()
    return list(session.exec(select(Task).order_by(Task.id)))


BRANCH = {"github": "master", "gitlab": "master", "gitea": "develop"}  # the payloads' refs


@pytest.mark.parametrize("forge", ("github", "gitlab", "gitea"))
def test_a_documented_push_to_the_rule_s_branch_runs_the_command(session, world, forge):  # noqa: F811
    # The rule first names only "main" (the project's default): the documented push is
    # to another branch and starts nothing.
    hook, secret = hook_for(session, world, forge, push_enabled=True,
                            push_command="make test", push_branches="main")
    row = run(session, hook, secret, forge, dw.PUSH[forge], delivery_id="p-1")
    assert (row.status, row.reason) == ("ignored", "webhooks.ignored_branch")
    assert tasks(session) == []
    store.update(session=session, user=world[0], webhook_id=hook.id,
                 values={"push_branches": f"main, {BRANCH[forge]}"})
    row = run(session, hook, secret, forge, dw.PUSH[forge], delivery_id="p-2")
    (task,) = tasks(session)
    assert (row.status, row.reason, row.task_id) == ("done", "webhooks.task_started", task.id)
    assert (task.kind, task.command, task.trigger) == ("shell", "make test", "webhook")


# (forge, payload, its author, the number it names, where the reply goes, its title)
COMMENTS = [("github", "issue_comment", "Codertocat", 1, "issues",
             "Spelling error in the README file"),
            ("gitlab", "note_issue", "root", 17, "issues", "test"),
            ("gitlab", "note_merge_request", "root", 1, "merge_requests",
             "Tempora et eos debitis quae laborum et."),
            ("gitea", "issue_comment", "kostekIV", 3, "issues", "Test issue")]


@pytest.mark.parametrize("forge, name, author, number, on, title", COMMENTS)
def test_a_documented_comment_with_the_command_starts_claude_and_replies(  # noqa: F811
        session, world, remote, forge, name, author, number, on, title):
    fake = remote(forge, REPO[(forge, name)])
    # The rule names the payload's author, in other letter case (logins are compared so).
    hook, secret = hook_for(session, world, forge, comment_enabled=True,
                            comment_users=f"someone, {author.swapcase()}",
                            comment_command="/clawweb")
    row = run(session, hook, secret, forge, name, delivery_id="c-1")  # as documented
    assert (row.status, row.reason) == ("ignored", "webhooks.ignored_not_command")
    assert tasks(session) == [] and fake.comments == []

    # Only the comment's text is set: the documented ones are no commands.
    body = dw.with_comment(forge, name, "  /clawweb fix the flaky test\nplease")
    row = run(session, hook, secret, forge, name, body, delivery_id="c-2")
    (task,) = tasks(session)
    assert (row.status, row.reason, row.task_id) == ("done", "webhooks.task_started", task.id)
    assert (task.kind, task.trigger, task.created_by) == ("claude", "webhook", world[0].id)
    assert task.command.startswith("fix the flaky test\nplease\n\n(From a ")
    assert f"by {author} on #{number} “{title}”" in task.command
    (comment,) = fake.comments
    assert (comment["number"], comment["on"]) == (number, on)
    assert comment["body"] == f"clawweb started task #{task.id}: {ORIGIN}/tasks/{task.id}"
    assert row.params["reply"] == "webhooks.reply_sent"


# (forge, the number, the title, head and base branches the payload names)
PULLS = [("github", 2, "Update the README with new information.", "changes", "master"),
         ("gitlab", 1, "MS-Viewport", "ms-viewport", "master"),
         ("gitea", 4, "New pr", "test-branch", "master")]


@pytest.mark.parametrize("forge, number, title, head, base", PULLS)
def test_a_documented_pull_request_opened_starts_a_review_and_replies(  # noqa: F811
        session, world, remote, forge, number, title, head, base):
    fake = remote(forge, REPO[(forge, dw.PULL[forge])])
    hook, secret = hook_for(session, world, forge, review_enabled=True)
    row = run(session, hook, secret, forge, dw.PULL[forge])
    (task,) = tasks(session)
    assert (row.status, row.reason, row.task_id) == ("done", "webhooks.task_started", task.id)
    assert (task.kind, task.trigger) == ("claude", "webhook")
    assert task.command.startswith("Review this pull request")
    assert f"Pull request #{number}: {title}\nBranch {head} into {base}\n" in task.command
    (comment,) = fake.comments
    assert comment["number"] == number and str(task.id) in comment["body"]
    assert comment["on"] == ("merge_requests" if forge == "gitlab" else "issues")
    assert row.params["reply"] == "webhooks.reply_sent"
