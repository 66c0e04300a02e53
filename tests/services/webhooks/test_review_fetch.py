"""A pull request opened: the review task works on the request's own code, fetched from
the forge's per-request ref (GitHub and Gitea ``refs/pull/<n>/head``, GitLab
``refs/merge-requests/<n>/head``) into the project's repository (a real git HTTP server
on loopback), and only from the project's own remote. The deliveries are the forges'
documented "opened" payloads (tests/fixtures/webhooks); the upstream repository is named
as the payload names it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import Project, ProjectMember, ProjectRole, Task, User, WebhookDelivery
from clawweb.services import git
from clawweb.services.agents import credentials
from clawweb.services.projects import service as projects
from clawweb.services.remotes import store as remote_store
from clawweb.services.webhooks import intake, processing, store
from tests.fixtures import documented_webhooks as dw
from tests.support.fake_forges import FakeForge
from tests.support.git_servers import GitHttpServer, allow_loopback_remotes, make_bare_repo
from tests.support.git_servers import git as plain_git

TOKEN = "ghp_reviewFetchToken000000000000001"


# Per forge: where it keeps a request's head, and the number and repository its
# documented "opened" payload names.
FORGES = {
    "github": ("refs/pull/{n}/head", 2, "Codertocat/Hello-World"),
    "gitlab": ("refs/merge-requests/{n}/head", 1, "gitlabhq/gitlab-test"),
    "gitea": ("refs/pull/{n}/head", 4, "kostekIV/test"),
}


@pytest.fixture(params=sorted(FORGES))
def world(request, session, fake_redis, monkeypatch, tmp_path):
    kind = request.param
    ref, number, repo = FORGES[kind]
    allow_loopback_remotes(monkeypatch)
    server = GitHttpServer(tmp_path / "upstream", TOKEN).start()
    upstream = make_bare_repo(server.repo(repo), {"README.md": "hi\n"})
    work = tmp_path / "contributor"
    plain_git("clone", "-q", str(upstream), str(work))
    (work / "feature.py").write_text("def feature():\n    return 42\n")
    plain_git("add", "-A", cwd=work)
    plain_git("-c", "user.email=c@example.org", "-c", "user.name=c", "commit", "-qm", "feature",
              cwd=work)
    pr_head = plain_git("rev-parse", "HEAD", cwd=work)
    # What the forge keeps for the request (the contributor's branch may be on a fork).
    plain_git("push", "-q", str(upstream), "HEAD:" + ref.format(n=number), cwd=work)
    forge = FakeForge(kind, TOKEN, repo).start()
    alice = User(username="alice")
    session.add(alice)
    session.flush()
    project = projects.create_project(session=session, user=alice, name="App",
                                      source_url=server.url_for(repo), remote_token=TOKEN)
    remote_store.save_settings(session=session, user=alice, project_id=project.id,
                               url=server.url_for(repo), forge=kind,
                               forge_api_url=forge.api_url)
    credentials.set_user_credential(session=session, user=alice, kind="api_key",
                                    secret="sk-ant-api03-" + "r" * 40)
    hook, secret = store.create(session=session, user=alice, project_id=project.id,
                                forge=kind)
    store.update(session=session, user=alice, webhook_id=hook.id, values={"review_enabled": True})
    yield alice, project, hook, secret, pr_head, forge, number, server, upstream
    forge.stop()
    server.stop()


def _deliver(session, hook, secret) -> WebhookDelivery:
    """The forge's documented "opened" payload, received at its own time, processed."""
    name = dw.PULL[hook.forge]
    headers, body = dw.delivery(hook.forge, secret, name)
    answer = intake.receive(session=session, forge=hook.forge, key=hook.key,
                            headers={k.lower(): v for k, v in headers.items()}, body=body,
                            ip="", now=dw.sent_at(hook.forge, name))
    assert answer.status == 202
    processing.process(session=session, delivery_id=answer.body["delivery"])
    session.expire_all()
    return session.get(WebhookDelivery, answer.body["delivery"])


def test_the_review_task_continues_the_fetched_request_head(session, world):
    alice, project, hook, secret, pr_head, forge, number, server, upstream = world
    row = _deliver(session, hook, secret)
    assert row.status == "done", row.params
    task = session.get(Task, row.task_id)
    repo = projects.project_repo_path(project)
    branch = f"clawweb/review-{number}"
    assert task.branch == branch and row.params["branch"] == branch
    assert git.resolve(repo, f"refs/heads/{branch}") == pr_head
    assert "git diff origin/master...HEAD" in task.command  # the payloads' base branch
    assert git.resolve(repo, "refs/heads/main") != pr_head  # the default branch is untouched
    assert len(forge.comments) == 1 and forge.comments[0]["number"] == number


def test_a_request_from_another_repository_is_not_fetched(session, world):
    alice, project, hook, secret, pr_head, forge, number, server, upstream = world
    # The project's remote is now another repository than the one the payload names.
    make_bare_repo(server.repo("team/app"), {"README.md": "hi\n"})
    remote_store.save_settings(session=session, user=alice, project_id=project.id,
                               url=server.url_for("team/app"), forge=hook.forge,
                               forge_api_url=forge.api_url)
    row = _deliver(session, hook, secret)
    task = session.get(Task, row.task_id)
    assert row.params["fetch"] == "webhooks.review_other_repo"
    assert task.branch == f"clawweb/task-{task.id}"
    assert not git.branch_exists(projects.project_repo_path(project), f"clawweb/review-{number}")


def test_a_missing_request_ref_still_reviews_on_the_default_branch(session, world):
    alice, project, hook, secret, pr_head, forge, number, server, upstream = world
    ref = FORGES[hook.forge][0].format(n=number)
    plain_git("--git-dir", str(upstream), "update-ref", "-d", ref)  # the forge lost it
    row = _deliver(session, hook, secret)
    task = session.get(Task, row.task_id)
    assert row.status == "done" and "fetch" in row.params and task.branch.startswith("clawweb/task-")
    assert session.exec(select(Task)).all() == [task]
