"""Quiet hours on a phone in Shanghai: the form offers the browser's zone, and saves it."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import PHONE

PASSWORD = "quiet hours e2e password 1"


def test_quiet_hours_offer_the_browsers_zone_and_save_it(app_server, admin_account,
                                                         playwright_browser):
    from clawweb.db import session_scope
    from clawweb.models import NotifySettings

    username = f"quiet-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    ctx = playwright_browser.new_context(base_url=app_server.url, locale="en-US",
                                         timezone_id="Asia/Shanghai", **PHONE)
    ctx.set_default_timeout(20_000)
    try:
        page = ctx.new_page()
        sign_in(page, username, PASSWORD)
        page.goto("/notifications/settings/")
        zone = page.get_by_test_id("quiet-timezone")
        # Before, the form said UTC, and saving 22:00-07:00 kept UTC hours.
        expect(zone).to_have_value("Asia/Shanghai")
        expect(page.get_by_test_id("quiet-zone-from-browser")).to_be_visible()
        no_hscroll(page)
        screenshot(page, "quiet-hours-browser-zone-phone")
        page.get_by_test_id("quiet-start").fill("22:00")
        page.get_by_test_id("quiet-end").fill("07:00")
        page.get_by_test_id("quiet-save").click()
        expect(page.get_by_text("Saved.")).to_be_visible()
        with session_scope() as s:
            row = s.get(NotifySettings, user_id)
            assert (row.timezone, row.quiet_start, row.quiet_end) == \
                ("Asia/Shanghai", "22:00", "07:00")
        page.reload()
        expect(zone).to_have_value("Asia/Shanghai")
        expect(page.get_by_test_id("quiet-zone-from-browser")).to_have_count(0)
    finally:
        ctx.close()
