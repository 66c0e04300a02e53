"""A comment command through the whole system: GitHub's documented issue_comment payload
(its text set to the command), signed, over real HTTP to the backend's routes, the RQ job in a `python -m worker`, a Claude task run by the real
CLI in the runner container against the scripted model API, and the reply with the
task's link posted to the scripted forge API. Nothing between the forge and the model
is faked."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from sqlmodel import select

from clawweb import routes
from clawweb.models import (AgentSettings, Project, ProjectMember, ProjectRole, Task,
                            TaskStatus, User, WebhookDelivery)
from clawweb.services import git
from clawweb.services.agents import credentials
from clawweb.services.projects import service as projects
from clawweb.services.remotes import store as remote_store
from clawweb.services.webhooks import store
from tests.fixtures import documented_webhooks as dw
from tests.fixtures.fake_anthropic import text
from tests.integration.test_claude_tasks import SECRET, api, fleet  # noqa: F401 - fixtures
from tests.integration.test_task_engine import finished, wait_for
from tests.support.fake_forges import FakeForge
from tests.support.services import free_port, wait_for_port

ORIGIN = "https://claw.example.test"
FORGE_TOKEN = "ghp_webhookIntegrationToken000000001"
REPO = "Codertocat/Hello-World"  # the repository the documented payload names


@pytest.fixture
def backend(engine, redis_url):
    """The backend's HTTP routes (clawweb.api.router) served by uvicorn on loopback."""
    from clawweb import api as web_api

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web_api.router(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def forge(monkeypatch):
    # The workers (which copy this environment) and this process reach the forge on loopback.
    monkeypatch.setenv("CLAWWEB_REMOTE_PRIVATE_HOSTS", "127.0.0.1")
    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", ORIGIN)
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    fake = FakeForge("github", FORGE_TOKEN, REPO).start()
    yield fake
    fake.stop()


@pytest.fixture
def world(session, fleet, forge):  # noqa: F811 - the imported fixture
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=2, memory_mb=1024)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.add(AgentSettings(project_id=project.id, approval_timeout_seconds=60))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=SECRET)
    remote_store.save_settings(session=session, user=alice, project_id=project.id,
                               url=f"http://127.0.0.1:{forge.port}/{REPO}.git",
                               forge="github", forge_api_url=forge.api_url)
    remote_store.set_token(session=session, user=alice, project_id=project.id,
                           token=FORGE_TOKEN)
    hook, secret = store.create(session=session, user=alice, project_id=project.id,
                                forge="github")
    store.update(session=session, user=alice, webhook_id=hook.id,
                 values={"comment_enabled": True, "comment_users": "Codertocat"})
    return alice, project, hook, secret


def test_a_comment_command_runs_claude_and_replies_with_the_link(session, fleet, world,  # noqa: F811
                                                                 api, forge, backend,  # noqa: F811
                                                                 monkeypatch):
    alice, project, hook, secret = world
    fleet.start(1)
    api.push(text("Fixed: the flaky test now waits for the server."))
    # The backend serves in this process: its clock is set to the documented comment's
    # time (the payload is from 2019; an event over an hour old is refused as stale).
    from clawweb.http import webhooks as route
    at = dw.sent_at("github", "issue_comment")
    monkeypatch.setattr(route, "time", SimpleNamespace(time=lambda: at))
    # Only the comment's text is set: the documented one is no command.
    headers, body = dw.delivery("github", secret, "issue_comment", dw.with_comment(
        "github", "issue_comment", "/clawweb fix the flaky test in test_api.py"),
        delivery_id=str(uuid.uuid4()))
    resp = httpx.post(backend + routes.webhook("github", hook.key), headers=headers,
                      content=body, timeout=20)
    assert resp.status_code == 202, resp.text
    delivery_id = resp.json()["delivery"]

    def processed():
        session.expire_all()
        row = session.get(WebhookDelivery, delivery_id)
        return row if row.status not in ("accepted", "processing") else None

    row = wait_for(processed, 90, "a worker to process the delivery")
    assert (row.status, row.reason) == ("done", "webhooks.task_started"), row.params
    task = finished(session, row.task_id, timeout=180)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    assert (task.kind, task.trigger, task.created_by) == ("claude", "webhook", alice.id)
    assert "fix the flaky test in test_api.py" in api.main_requests[0].text()
    (comment,) = forge.comments
    assert comment["number"] == 1  # the documented issue
    assert comment["body"] == f"clawweb started task #{task.id}: {ORIGIN}/tasks/{task.id}"
    assert forge.requests[-1]["headers"]["Authorization"] == f"Bearer {FORGE_TOKEN}"
    assert row.params["reply"] == "webhooks.reply_sent"
    # The same delivery again is refused: one task, one reply.
    again = httpx.post(backend + routes.webhook("github", hook.key), headers=headers,
                       content=body, timeout=20)
    assert again.status_code == 409
    session.expire_all()
    assert len(session.exec(select(Task)).all()) == 1 and len(forge.comments) == 1
