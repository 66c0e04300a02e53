"""Slash-command completions on a phone: type ``/``, narrow, tap one, and it is in the box.

No task is submitted: the list and the box are what a person sees.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import choose_claude, make_user, no_hscroll, screenshot, sign_in

PASSWORD = "prompt completions e2e password 1"
HOSTILE = "<img src=x id=cw-completion-raw onerror=alert(1)> looks"


def _project_with_commands(tmp_path) -> tuple[str, int]:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects
    from tests.services.review.builder import RepoBuilder

    username = f"slash-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, user_id),
                                          name=f"Slash {username}")
        project_id, bare = project.id, projects.project_repo_path(project)
    RepoBuilder(tmp_path, bare=bare).commit("main", {
        ".claude/commands/deploy.md": "---\ndescription: Deploy to staging\n---\n",
        ".claude/commands/debug.md": f"---\ndescription: \"{HOSTILE}\"\n---\n"})
    return username, project_id


def test_phone_types_slash_and_picks_a_repository_command(app_env, new_context, tmp_path):
    username, project_id = _project_with_commands(tmp_path)
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/projects/{project_id}")
    choose_claude(page)
    box = page.get_by_test_id("task-command")
    box.fill("/d")
    items = page.get_by_test_id("prompt-completion")
    expect(items).to_have_count(2)
    # The repository's text is text: shown as typed, never an element.
    expect(page.get_by_test_id("prompt-completions")).to_contain_text(HOSTILE)
    assert page.locator("#cw-completion-raw").count() == 0
    box.fill("/dep")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Deploy to staging")
    no_hscroll(page)
    screenshot(page, "prompt-completions-phone")
    items.first.click()
    expect(box).to_have_value("/deploy ")
    expect(page.get_by_test_id("prompt-completions")).to_have_count(0)


def test_phone_types_slash_in_the_follow_up_box_and_picks_a_command(app_env, new_context,
                                                                    tmp_path):
    """A finished Claude task's follow-up box offers the project's list; a tap fills it."""
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskStatus, User, utcnow

    username, project_id = _project_with_commands(tmp_path)
    with session_scope() as s:
        user = s.query(User).filter_by(username=username).one()
        task = Task(project_id=project_id, created_by=user.id, kind="claude", command="fix it",
                    status=TaskStatus.succeeded, exit_code=0, started_at=utcnow(),
                    finished_at=utcnow(), idempotency_key=uuid.uuid4().hex)
        s.add(task)
        s.flush()
        task_id = task.id
    page = new_context("phone").new_page()
    sign_in(page, username, PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    box = page.get_by_test_id("follow-up-prompt")
    box.fill("/dep")
    items = page.get_by_test_id("prompt-completion")
    expect(items).to_have_count(1)
    expect(items).to_contain_text("Deploy to staging")
    no_hscroll(page)
    screenshot(page, "prompt-completions-follow-up-phone")
    items.first.click()
    expect(box).to_have_value("/deploy ")
    expect(page.get_by_test_id("prompt-completions")).to_have_count(0)
