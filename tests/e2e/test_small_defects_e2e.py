"""Small things a phone user meets first: the 404 page and the theme button's name."""

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
