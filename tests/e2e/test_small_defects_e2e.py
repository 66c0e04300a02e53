"""Small things a phone user meets first: the 404 page, the theme button's name, an admin
page opened by a member, the add-member box on a phone, the tab bar's current page."""

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
