"""Review and ship a Claude task on a 390×844 phone: the agent (the real CLI against the
scripted model API) writes a file after the phone allows it; the review page shows that
file's diff and the auto-commit carrying the agent's summary; a merge lands on the
project page. Real app, real worker, real sandbox, real git."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.fixtures.fake_anthropic import text, tool_use
from tests.services.review.builder import RepoBuilder
from tests.support.services import need_docker

PASSWORD = "review claude e2e password 1"
PROMPT = "Add a greeting module."
CONTENT = "def greet():\n    return 'hello from claude'\n"
SUMMARY = "Added greeting.py with a greet() function that says hello."


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    name = f"review-claude-e2e-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    return name


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker, tmp_path_factory):
    """A member with a model key who owns a project whose main has one commit."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"reviewer-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project = projects.create_project(session=s, user=user, name=f"Claude {username}")
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
        repo, project_id = projects.project_repo_path(project), project.id
    RepoBuilder(tmp_path_factory.mktemp("review-claude"), bare=repo).commit(
        "main", {"README.md": "# Project\n"}, "seed")
    return username, user_id, project_id


def test_phone_reviews_a_claude_tasks_change_and_merges_it(owner, fake_anthropic, new_context):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks

    username, user_id, project_id = owner
    fake_anthropic.push(
        tool_use("Write", {"file_path": "/workspace/greeting.py", "content": CONTENT},
                 say="Writing the module."),
        text(SUMMARY))
    with session_scope() as s:
        task_id = agent_tasks.submit_prompt(session=s, user=s.get(User, user_id),
                                            project_id=project_id, prompt=PROMPT,
                                            idempotency_key=uuid.uuid4().hex).id
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    # "Ask before tools" (the default) asks for the Write: allow it from the phone.
    page.get_by_test_id("approval-allow").click(timeout=120_000)  # container + CLI start
    page.get_by_test_id("task-review").click(timeout=60_000)  # shown once it has finished
    page.wait_for_url(re.compile(rf".*/tasks/{task_id}/review/?$"))

    card = page.locator("[data-testid=file-card][data-path='greeting.py']")
    card.wait_for()
    expect(page.get_by_test_id("file-card")).to_have_count(1)
    assert card.get_by_test_id("file-status").get_attribute("data-status") == "added"
    card.locator("summary").first.click()  # a whole new file starts folded
    expect(card.locator(".cw-add").last).to_contain_text("return 'hello from claude'")

    commits = page.get_by_test_id("review-commit")
    expect(commits).to_have_count(1)
    commits.first.locator("summary").click()
    message = commits.first.inner_text()
    assert PROMPT in message and SUMMARY in message, message
    no_hscroll(page)
    screenshot(page, "review-claude-phone")

    page.get_by_test_id("strategy-merge").click()
    page.get_by_test_id("merge-open").click()
    page.get_by_test_id("merge-confirm").click()
    page.get_by_test_id("review-merged").wait_for()
    page.goto(f"/projects/{project_id}/")
    listed = page.get_by_test_id("commit")
    listed.first.wait_for()
    assert f"Merge branch 'clawweb/task-{task_id}'" in listed.first.inner_text()
    assert PROMPT in listed.nth(1).inner_text()  # the agent's commit, under the merge
    no_hscroll(page)

    # Desktop too: the same review reads on a wide screen, merged, with its diff.
    desk = new_context("desktop").new_page()
    sign_in(desk, username, PASSWORD)
    desk.goto(f"/tasks/{task_id}/review/")
    desk.get_by_test_id("review-merged").wait_for()
    wide = desk.locator("[data-testid=file-card][data-path='greeting.py']")
    wide.locator("summary").first.click()
    expect(wide.locator(".cw-add").last).to_contain_text("return 'hello from claude'")
    no_hscroll(desk)
    screenshot(desk, "review-claude-desktop")
