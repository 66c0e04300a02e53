"""The session token in real Chromium: an HttpOnly, SameSite=Strict cookie that page
scripts cannot read; the app works with it; sign-out ends it at once, so a copy
stolen earlier is refused; the forms keep working on a phone (errors, next=)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in

PASSWORD = "cookie e2e password 1"


def _member() -> str:
    name = f"cookie-{uuid.uuid4().hex[:6]}"
    make_user(name, PASSWORD)
    return name


def _session_cookie(context) -> dict:
    found = [c for c in context.cookies() if c["name"] == "clawweb_session"]
    assert len(found) == 1, context.cookies()
    return found[0]


def test_token_is_unreadable_by_scripts_and_dies_with_sign_out(app_env, admin_account,
                                                                new_context):
    name = _member()
    ctx = new_context("desktop")
    page = ctx.new_page()
    sign_in(page, name, PASSWORD)
    cookie = _session_cookie(ctx)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert len(cookie["value"]) >= 40
    assert cookie["value"] not in page.evaluate("document.cookie")
    assert cookie["value"] not in page.evaluate(
        "JSON.stringify([localStorage, sessionStorage])")
    # The app works: the handlers found the user through the socket's cookie.
    page.goto("/account/")
    expect(page.get_by_test_id("input-display_name")).to_be_visible()
    assert "/account" in page.url

    # A copy of the cookie works elsewhere while the session lives (so the replay
    # below is a real replay, refused only because the session ended)...
    thief = new_context("desktop")
    thief.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    stolen = thief.new_page()
    stolen.goto("/account/")
    expect(stolen.get_by_test_id("input-display_name")).to_be_visible()

    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("menu-sign-out").click()
    page.wait_for_url("**/login**")
    assert [c for c in ctx.cookies() if c["name"] == "clawweb_session"] == []  # cleared

    # ...and is refused once it has: a fresh load finds no session.
    replay = new_context("desktop")
    replay.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    again = replay.new_page()
    again.goto("/account/")
    again.wait_for_url("**/login**")
    stolen.wait_for_url("**/login**", timeout=10_000)  # the open tab is signed out too


def test_phone_sign_in_keeps_next_shows_errors_and_keeps_the_form(app_env, admin_account,
                                                                  new_context):
    name = _member()
    page = new_context("phone").new_page()
    page.goto("/account/devices/")
    page.wait_for_url("**/login**next=**")
    page.get_by_test_id("input-username").fill(name)
    page.get_by_test_id("input-password").fill("not the password")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("form-error")).to_have_text("Wrong username or password.")
    expect(page.get_by_test_id("input-username")).to_have_value(name)  # still filled in
    no_hscroll(page)
    screenshot(page, "cookie-signin-error-phone")
    page.get_by_test_id("input-password").fill(PASSWORD)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/account/devices**")
    expect(page.get_by_test_id("device-current")).to_have_count(1)


def _post(url: str, origin: str, body: dict) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Origin": origin, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback app
            return resp.status, json.loads(resp.read()), resp.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get("Set-Cookie", "")


def test_sign_in_route_refuses_other_origins(app_server, admin_account):
    name = _member()
    url = f"{app_server.url}/api/auth/sign-in"
    status, body, cookie = _post(url, "http://evil.example", {"username": name,
                                                              "password": PASSWORD})
    assert (status, body["error"], cookie) == (403, "security.origin_refused", "")
    status, body, cookie = _post(url, app_server.url, {"username": name, "password": PASSWORD})
    assert status == 200 and body["ok"] is True
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def _files_holding(needle: bytes, roots) -> list[str]:
    """Files under ``roots`` whose bytes contain ``needle`` (node_modules skipped)."""
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if "node_modules" in path.parts or not path.is_file() or path.is_symlink():
                continue
            if path.stat().st_size < 64 * 1024 * 1024 and needle in path.read_bytes():
                hits.append(str(path.relative_to(root.parent)))
    return hits


def test_the_backend_writes_no_session_token_to_disk(app_env, admin_account, new_context):
    """Reflex keeps the socket handshake's headers, the session cookie among them, in
    each tab's state: a state manager that saves states (Reflex's default, to disk)
    would leave live tokens in files for whoever reads the app's directory or backups."""
    name = _member()
    ctx = new_context("desktop")
    page = ctx.new_page()
    sign_in(page, name, PASSWORD)
    page.goto("/account/")
    expect(page.get_by_test_id("input-display_name")).to_be_visible()  # state was loaded
    token = _session_cookie(ctx)["value"]
    time.sleep(5)  # Reflex's disk manager writes a changed state 2 s after the change
    assert _files_holding(token.encode(), [app_env.cwd, app_env.data_dir]) == []
