"""Accounts in a real browser against the real app: first-run setup with the
setup code, an admin creating a member who must change the one-time password,
wrong passwords, lockout, revoking a session, disabling a user, the language
switch, the audit log, and no horizontal scroll on a phone.

test_01 runs before every other browser test (``first_run``, see tests/conftest.py):
it claims the fresh install through the UI, so the ``admin_account`` fixture that
later tests use finds setup already done.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from tests.e2e.conftest import ADMIN, make_user, no_hscroll, screenshot, sign_in

PASSWORD = "accounts e2e password 1"
SIGNED_OUT_WITHIN_MS = 10_000  # the layout's heartbeat runs every 3 s


def _member(prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    make_user(name, PASSWORD)
    return name


def _visible(page, test_id: str):
    """Phones get cards and desktops tables: the one of the pair that shows."""
    return page.get_by_test_id(test_id).filter(visible=True).first


def _failed_sign_ins(username: str) -> int:
    from clawweb.db import session_scope
    from clawweb.models import AuditEvent

    with session_scope() as s:
        q = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.sign_in_failed", AuditEvent.actor_name == username)
        return s.exec(q).one()


def _wait_count(name: str, expected: int) -> None:
    for _ in range(100):
        if _failed_sign_ins(name) >= expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{expected} failed sign-ins were not recorded for {name}")


def _submit_sign_in(page, username: str, password: str) -> None:
    page.get_by_test_id("input-username").fill(username)
    page.get_by_test_id("input-password").fill(password)
    page.get_by_test_id("submit").click()


def _user_action(page, username: str, action: str, confirm: bool) -> None:
    _visible(page, f"user-menu-{username}").click()
    page.get_by_test_id(f"user-action-{action}").click()
    if confirm:
        page.get_by_test_id("confirm-yes").click()


@pytest.mark.first_run
def test_01_first_run_setup_requires_code(app_server, new_context):
    phone = new_context("phone").new_page()
    phone.goto("/")
    phone.wait_for_url("**/setup**")
    expect(phone.get_by_test_id("input-code")).to_be_visible()
    no_hscroll(phone)
    screenshot(phone, "setup-phone")

    page = new_context("desktop").new_page()
    page.goto("/login/")
    page.wait_for_url("**/setup**")  # a fresh install sends sign-in to setup
    screenshot(page, "setup-desktop")
    page.get_by_test_id("input-code").fill("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    page.get_by_test_id("input-username").fill(ADMIN[0])
    page.get_by_test_id("input-password").fill(ADMIN[1])
    page.get_by_test_id("input-password2").fill(ADMIN[1])
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("Wrong setup code")
    assert "/setup" in page.url

    page.get_by_test_id("input-code").fill(app_server.setup_code().lower())
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/projects**")
    page.goto("/setup/")
    page.wait_for_url("**/login**")  # setup is over for good


def test_02_admin_creates_member_who_must_change_password(admin_account, new_context):
    name = f"maya-{uuid.uuid4().hex[:6]}"
    admin = new_context("desktop").new_page()
    sign_in(admin, *admin_account)
    admin.goto("/admin/users/")
    expect(_visible(admin, f"user-row-{admin_account[0]}")).to_be_visible()
    admin.get_by_test_id("new-user").click()
    admin.get_by_test_id("input-username").fill(name)
    admin.get_by_test_id("input-display_name").fill("Maya Member")
    admin.get_by_test_id("create-submit").click()
    secret = admin.get_by_test_id("secret-value")
    expect(secret).to_have_text(re.compile(r"\S{10,}"))
    one_time = secret.inner_text().strip()
    assert "/invite/" not in one_time
    screenshot(admin, "users-secret-desktop")
    admin.get_by_test_id("secret-done").click()
    expect(secret).to_have_count(0)  # shown once: gone when the dialog closes
    new_row = _visible(admin, f"user-row-{name}")
    expect(new_row).to_contain_text("Must change password")
    expect(new_row).to_contain_text("never")  # last sign-in
    screenshot(admin, "users-desktop")

    phone = new_context("phone").new_page()
    phone.goto("/login/")
    screenshot(phone, "login-phone")
    _submit_sign_in(phone, name, one_time)
    phone.wait_for_url("**/account**")
    expect(phone.get_by_test_id("must-change")).to_be_visible()
    phone.goto("/projects/")
    phone.wait_for_url("**/account**")  # nothing else until the password is changed
    no_hscroll(phone)

    phone.get_by_test_id("input-current_password").fill(one_time)
    phone.get_by_test_id("input-new_password").fill("short")
    phone.get_by_test_id("input-repeat_password").fill("short")
    phone.get_by_test_id("change-password").click()
    expect(phone.get_by_test_id("password-error")).to_contain_text("at least 10 characters")
    screenshot(phone, "account-must-change-phone")

    phone.get_by_test_id("input-new_password").fill(PASSWORD)
    phone.get_by_test_id("input-repeat_password").fill(PASSWORD)
    phone.get_by_test_id("change-password").click()
    phone.wait_for_url("**/projects**")
    phone.goto("/account/")
    expect(phone.get_by_test_id("must-change")).to_have_count(0)
    expect(phone.get_by_test_id("input-display_name")).to_have_value("Maya Member")
    no_hscroll(phone)
    screenshot(phone, "account-phone")


def test_03_wrong_password_shows_error(app_env, admin_account, new_context):
    name = _member("wendy")
    page = new_context("phone").new_page()
    page.goto("/login/")
    _submit_sign_in(page, name, "not the password at all")
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong username or password.")
    assert "/login" in page.url
    no_hscroll(page)

    desktop = new_context("desktop").new_page()
    desktop.goto("/login/")
    screenshot(desktop, "login-desktop")
    _submit_sign_in(desktop, name, PASSWORD)
    desktop.wait_for_url("**/projects**")
    desktop.get_by_test_id("account-menu").click()  # the desktop top bar's account menu
    desktop.get_by_test_id("menu-sign-out").click()
    desktop.wait_for_url("**/login**")
    desktop.goto("/account/")
    desktop.wait_for_url("**/login**")


def test_04_lockout_after_repeated_failures_and_admin_unlock(app_env, admin_account,
                                                               new_context):
    name = _member("lockme")  # a throwaway account: the lock must not touch others
    page = new_context("phone").new_page()
    page.goto("/login/")
    for attempt in range(1, 6):  # the default limit: 5 per account
        _submit_sign_in(page, name, f"wrong guess number {attempt}")
        expect(page.get_by_test_id("form-error")).to_have_text("Wrong username or password.")
        _wait_count(name, attempt)  # the same text each time: wait for the server
    _submit_sign_in(page, name, PASSWORD)  # even the right password is refused now
    expect(page.get_by_test_id("form-error")).to_contain_text("Too many failed attempts")
    screenshot(page, "login-locked-phone")

    admin = new_context("desktop").new_page()
    sign_in(admin, *admin_account)
    admin.goto("/admin/users/")
    _user_action(admin, name, "unlock", confirm=False)
    expect(admin.get_by_text(f"Sign-in for {name} unlocked.")).to_be_visible()

    _submit_sign_in(page, name, PASSWORD)
    page.wait_for_url("**/projects**")


def test_05_revoking_a_session_signs_the_other_browser_out(app_env, admin_account,
                                                           new_context):
    name = _member("rita")
    desktop = new_context("desktop").new_page()
    sign_in(desktop, name, PASSWORD)
    phone = new_context("phone").new_page()
    sign_in(phone, name, PASSWORD)

    desktop.goto("/account/devices/")
    expect(desktop.get_by_test_id("device-other")).to_have_count(1)
    screenshot(desktop, "devices-desktop")
    desktop.goto("/account/")
    screenshot(desktop, "account-desktop")
    desktop.goto("/projects/")

    phone.goto("/account/devices/")
    current = phone.get_by_test_id("device-current")  # the marker compares token hashes
    expect(current).to_have_count(1)
    expect(current.get_by_test_id("this-device")).to_be_visible()
    no_hscroll(phone)
    screenshot(phone, "devices-phone")
    phone.get_by_test_id("device-other").get_by_test_id("revoke").click()
    phone.get_by_test_id("confirm-revoke").click()
    expect(phone.get_by_test_id("device-other")).to_have_count(0)

    desktop.wait_for_url("**/login**", timeout=SIGNED_OUT_WITHIN_MS)
    desktop.goto("/projects/")
    desktop.wait_for_url("**/login**")  # the old token is useless, not just forgotten

    # Revoking this very device signs this browser out.
    current.get_by_test_id("revoke").click()
    phone.get_by_test_id("confirm-revoke").click()
    phone.wait_for_url("**/login**")


def test_06_language_switch_to_chinese_changes_the_ui(app_env, admin_account, new_context):
    name = _member("lena")
    page = new_context("phone").new_page()
    sign_in(page, name, PASSWORD)
    page.goto("/account/")
    expect(page.get_by_test_id("bottom-nav")).to_contain_text("Projects")
    page.get_by_test_id("profile-language").click()
    page.get_by_role("option", name="中文").click()
    expect(page.get_by_test_id("bottom-nav")).to_contain_text("项目")
    expect(page.get_by_text("修改密码").first).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("bottom-nav")).to_contain_text("项目")  # remembered
    no_hscroll(page)
    screenshot(page, "account-zh-phone")

    other = new_context("desktop", locale="en-US").new_page()
    sign_in(other, name, PASSWORD)  # the profile language follows the user
    expect(other.get_by_text("修改密码").or_(other.get_by_text("项目")).first).to_be_visible()


def test_07_disabled_user_loses_access_within_seconds(app_env, admin_account, new_context):
    name = _member("dora")
    member = new_context("phone").new_page()
    sign_in(member, name, PASSWORD)

    admin = new_context("desktop").new_page()
    sign_in(admin, *admin_account)
    admin.goto("/admin/users/")
    _user_action(admin, name, "disable", confirm=True)
    expect(admin.get_by_text(f"{name} is disabled.")).to_be_visible()
    expect(_visible(admin, f"user-row-{name}")).to_contain_text("Disabled")

    member.wait_for_url("**/login**", timeout=SIGNED_OUT_WITHIN_MS)
    _submit_sign_in(member, name, PASSWORD)
    expect(member.get_by_test_id("form-error")).to_have_text("Wrong username or password.")

    # An admin cannot disable themselves: the service refuses and says why.
    _user_action(admin, admin_account[0], "disable", confirm=True)
    expect(admin.get_by_text("You cannot disable your own account.")).to_be_visible()


def test_08_admin_pages_on_phone_and_audit_log(app_env, admin_account, new_context):
    phone = new_context("phone").new_page()
    sign_in(phone, *admin_account)
    phone.goto("/admin/users/")
    expect(_visible(phone, f"user-card-{admin_account[0]}")).to_be_visible()
    no_hscroll(phone)
    screenshot(phone, "users-phone")

    phone.get_by_test_id("tab-admin-audit").click()
    phone.wait_for_url("**/admin/audit**")
    expect(phone.get_by_test_id("audit-row").first).to_be_visible()
    phone.get_by_test_id("filter-action").fill("auth.sign_in_failed")
    phone.get_by_test_id("filter-apply").click()
    actions = phone.get_by_test_id("audit-action")
    # Named in words, the code kept as the badge's title (the filter still takes codes).
    expect(actions.first).to_have_text("Failed sign-in")
    assert set(actions.all_inner_texts()) == {"Failed sign-in"}
    assert actions.first.get_attribute("title") == "auth.sign_in_failed"
    no_hscroll(phone)
    screenshot(phone, "audit-phone")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, *admin_account)
    desktop.goto("/admin/audit/")
    row = desktop.get_by_test_id("audit-row").filter(has_text="User created").first
    row.locator("summary").click()
    expect(row.locator("pre").last).to_contain_text('"display_name": "Maya Member"')
    assert "password_hash" not in row.inner_text()
    screenshot(desktop, "audit-desktop")


def test_09_invite_link_lets_the_new_user_choose_a_password(app_server, admin_account,
                                                              new_context):
    name = f"ivan-{uuid.uuid4().hex[:6]}"
    admin = new_context("desktop").new_page()
    sign_in(admin, *admin_account)
    admin.goto("/admin/users/")
    admin.get_by_test_id("new-user").click()
    admin.get_by_test_id("input-username").fill(name)
    admin.get_by_test_id("radio-invite").click()
    admin.get_by_test_id("create-submit").click()
    secret = admin.get_by_test_id("secret-value")
    expect(secret).to_contain_text("/invite/")
    link = secret.inner_text().strip()
    assert link.startswith(app_server.url + "/invite/"), link  # absolute, ready to send

    phone = new_context("phone").new_page()
    phone.goto(link)
    phone.get_by_test_id("input-password").fill(PASSWORD)
    phone.get_by_test_id("input-password2").fill(PASSWORD)
    phone.get_by_test_id("submit").click()
    phone.wait_for_url("**/projects**")
    phone.goto(link)  # used up
    phone.get_by_test_id("input-password").fill(PASSWORD + "x")
    phone.get_by_test_id("input-password2").fill(PASSWORD + "x")
    phone.get_by_test_id("submit").click()
    expect(phone.get_by_test_id("form-error")).to_contain_text("invalid")
