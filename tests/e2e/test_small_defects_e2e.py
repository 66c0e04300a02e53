"""Small things a phone user meets first (issue 9, defect 8): the 404 page, the theme
button's name, an admin page opened by a member, the add-member box on a phone, the tab
bar's current page, an admin's badge on a member's project, an invited user who never
joined, counts of one in both languages, a long command folded above the output."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in

PASSWORD = "small defects password 1"


@pytest.mark.parametrize("locale,heading,back", [("en-US", "Page not found", "Back to projects"),
                                                 ("zh-CN", "页面不存在", "返回项目")])
def test_an_unknown_address_shows_a_styled_page_with_a_way_back(app_env, new_context, locale,
                                                                 heading, back):
    make_user("nf-user", PASSWORD)
    page = new_context("phone", locale=locale).new_page()
    sign_in(page, "nf-user", PASSWORD)
    page.goto("/no/such/page/")
    page.get_by_role("heading", name=heading).wait_for()
    link = page.get_by_role("link", name=back)
    no_hscroll(page)
    screenshot(page, f"not-found-{locale}")
    link.click()
    page.wait_for_url("**/projects**")


@pytest.mark.parametrize("locale,name", [("en-US", "Light or dark theme"),
                                         ("zh-CN", "浅色或深色主题")])
def test_the_theme_button_has_a_name_on_the_sign_in_page_too(app_server, new_context, locale,
                                                             name):
    page = new_context("phone", locale=locale).new_page()
    page.goto("/login/")
    page.get_by_test_id("input-username").wait_for()
    # The page may render in English first and switch once the language is known.
    page.get_by_role("button", name=name).wait_for()
    assert page.get_by_role("button", name=name).count() == 1


def _member_with_project(name: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    user_id = make_user(name, PASSWORD)
    with session_scope() as s:
        return projects.create_project(session=s, user=s.get(User, user_id),
                                       name=f"P {name}").id


def test_a_member_on_an_admin_page_is_told_it_is_for_admins(app_env, new_context):
    make_user("sd-member", PASSWORD)
    page = new_context("phone").new_page()
    sign_in(page, "sd-member", PASSWORD)
    for path in ("/admin/users/", "/admin/queues/"):
        page.goto(path)
        page.get_by_test_id("admin-not-allowed").wait_for()
        page.get_by_role("heading", name="Admins only").wait_for()
        assert page.locator(".rt-Spinner").count() == 0  # no endless spinner
    page.get_by_role("link", name="Back to projects").click()
    page.wait_for_url("**/projects**")


def test_the_add_member_username_box_keeps_its_width_on_a_phone(app_env, new_context):
    project_id = _member_with_project("sd-owner")
    page = new_context("phone").new_page()
    sign_in(page, "sd-owner", PASSWORD)
    page.goto(f"/projects/{project_id}/settings/")
    box = page.get_by_test_id("input-member-username")
    box.wait_for()
    width = box.bounding_box()["width"]
    assert width >= 200, f"the username box is {width:.0f} px wide"
    no_hscroll(page)


def test_the_tab_bar_marks_the_current_page(app_env, new_context):
    project_id = _member_with_project("sd-tabs")
    page = new_context("phone").new_page()
    sign_in(page, "sd-tabs", PASSWORD)
    bar = page.get_by_test_id("bottom-nav")
    for path, here in (("/tasks/", "nav-tasks"), (f"/projects/{project_id}/", "nav-projects")):
        page.goto(path)
        current = bar.locator(f'[data-testid="{here}"][aria-current="page"]')
        current.wait_for()
        assert bar.locator('[aria-current="page"]').count() == 1, path


def _task(project_id: int, user_id: int, **fields) -> int:
    from clawweb.db import session_scope
    from clawweb.models import Task, utcnow

    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, started_at=utcnow(), **fields)
        s.add(task)
        s.flush()
        return task.id


def _user_id(name: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from sqlmodel import select

    with session_scope() as s:
        return s.exec(select(User.id).where(User.username == name)).one()


def test_an_admin_on_a_members_project_is_shown_as_admin_not_owner(app_env, new_context):
    project_id = _member_with_project("sd-own")
    make_user("sd-admin", PASSWORD, role="admin")
    page = new_context("phone").new_page()
    sign_in(page, "sd-admin", PASSWORD)
    page.goto(f"/projects/{project_id}/")
    page.get_by_test_id("project-name").wait_for()
    badge = page.get_by_test_id("role-admin")
    badge.wait_for()
    assert badge.inner_text().strip() == "Admin (not a member)"
    assert "Owner" not in page.get_by_test_id("project-name").locator("xpath=../..").inner_text()


def test_an_invited_user_who_never_signed_in_is_not_shown_as_active(app_env, new_context):
    from clawweb.db import session_scope
    from clawweb.models import User

    with session_scope() as s:
        s.add(User(username="sd-invited", password_hash=""))  # invited: no password chosen yet
    make_user("sd-joined", PASSWORD)
    make_user("sd-admin", PASSWORD, role="admin")
    page = new_context("phone").new_page()
    sign_in(page, "sd-admin", PASSWORD)
    page.goto("/admin/users/")
    invited = page.get_by_test_id("user-card-sd-invited")
    invited.wait_for()
    assert "Invited, not joined yet" in invited.inner_text()
    assert "Active" not in invited.inner_text()
    assert "Active" in page.get_by_test_id("user-card-sd-joined").inner_text()


@pytest.mark.parametrize("locale,one_line,one_approval", [
    ("en-US", "1 line", "1 approval waiting"), ("zh-CN", "1 行", "1 个审批等待处理")])
def test_counts_of_one_read_as_one_in_both_languages(app_env, new_context, locale, one_line,
                                                     one_approval):
    import time
    from datetime import timedelta

    from clawweb.db import session_scope
    from clawweb.models import Approval, TaskEvent, TaskStatus, utcnow
    from tests.e2e.harness import Heartbeat

    name = f"sd-count-{locale[:2]}"
    project_id = _member_with_project(name)
    user_id = _user_id(name)
    done = _task(project_id, user_id, command="echo only", status=TaskStatus.succeeded,
                 exit_code=0, finished_at=utcnow())
    waiting = _task(project_id, user_id, kind="claude", command="Do it.",
                    status=TaskStatus.awaiting_approval)
    with session_scope() as s:
        s.add(TaskEvent(task_id=done, seq=1, ts=time.time(), type="output",
                        data={"stream": "stdout", "text": "only line\n"}))
        s.add(Approval(task_id=waiting, tool_use_id="toolu_sd", tool_name="Bash",
                       tool_input={"command": "ls"}, requested_by=user_id,
                       expires_at=utcnow() + timedelta(minutes=10)))
    beat = Heartbeat([waiting])
    try:
        page = new_context("phone", locale=locale).new_page()
        sign_in(page, name, PASSWORD)
        page.goto(f"/tasks/{done}/")
        count = page.get_by_test_id("term-line-count")
        count.wait_for()
        page.wait_for_function("() => /\\d/.test(document.querySelector("
                               "'[data-testid=term-line-count]').textContent)")
        assert count.inner_text().strip() == one_line
        banner = page.get_by_test_id("approvals-banner")
        banner.wait_for(timeout=15_000)  # the 3 s poll
        assert one_approval in banner.inner_text()
    finally:
        beat.stop()


def test_a_long_command_is_folded_so_the_output_stays_on_the_first_phone_screen(
        app_env, new_context):
    from clawweb.models import TaskStatus, utcnow

    name = "sd-long-cmd"
    project_id = _member_with_project(name)
    command = "\n".join(f"echo step {i} of a long script" for i in range(60))
    task_id = _task(project_id, _user_id(name), command=command, status=TaskStatus.succeeded,
                    exit_code=0, finished_at=utcnow())
    page = new_context("phone").new_page()
    sign_in(page, name, PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    shown = page.get_by_test_id("task-command-shown")
    shown.wait_for()
    assert "step 59" in shown.text_content()  # all of it is there, scrollable
    assert shown.bounding_box()["height"] < 160, shown.bounding_box()
    output = page.get_by_test_id("term-line-count")
    assert output.bounding_box()["y"] < 844, "the output starts below the first screen"
    no_hscroll(page)
