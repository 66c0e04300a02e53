"""Fixtures for browser tests: one real app per session, fresh browser contexts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, AppServer, artifacts_dir
from tests.support.services import RedisServer, need


FAKE_API_KEY = "sk-ant-api03-e2e-fake-model-key-000000000000000000000000"

# A full ./scripts/test runs the other tests beside these and touches this file when
# they are done; a test marked ``quiet`` (it measures time) waits for it, outside
# its own timeout, so its numbers are the app's and not the neighbours'.
QUIET_FLAG = os.environ.get("CLAWWEB_TEST_QUIET_FLAG", "")
# Playwright's 5 s default for expect() is short for a page's first paint on two
# cores shared with the other test stream; an assertion still fails if it never holds.
EXPECT_TIMEOUT_MS = 15_000
QUIET_WAIT_SECONDS = 45 * 60
RUNNING_APPS: list[AppServer] = []  # the session's app, once a test asked for it


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if QUIET_FLAG and item.get_closest_marker("quiet") is not None:
        _wait_for_quiet(Path(QUIET_FLAG))
    yield


def _wait_for_quiet(flag: Path) -> None:
    deadline = time.monotonic() + QUIET_WAIT_SECONDS
    while not flag.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{flag} never appeared: the other test stream did not end")
        time.sleep(1)


@pytest.fixture(scope="session")
def fake_anthropic():
    """A scripted model API on loopback that every worker of the e2e app talks to.

    Tests push replies (``fake_anthropic.push(text(...))``). Only ``FAKE_API_KEY``
    passes "Test credential", so other keys still fail as against a dead endpoint.
    """
    from tests.fixtures.fake_anthropic import FakeAnthropic

    api = FakeAnthropic(accept_keys={FAKE_API_KEY}).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, fake_anthropic):
    extra = {"CLAWWEB_ANTHROPIC_BASE_URL": fake_anthropic.url,
             "CLAWWEB_CLAUDE_API_MAX_RETRIES": "0", "CLAWWEB_CLAUDE_API_TIMEOUT_MS": "8000",
             # Project remotes and forge APIs may be the tests' loopback servers.
             "CLAWWEB_REMOTE_PRIVATE_HOSTS": "127.0.0.1",
             # Notification channels may send to the tests' loopback receivers.
             "CLAWWEB_NOTIFY_PRIVATE_HOSTS": "127.0.0.1",
             # Tests feed "running" tasks that no worker runs (TaskFeeder); the
             # web side's reaper would take them for lost (tests/integration/
             # test_web_reaper.py proves it on its own).
             "CLAWWEB_WEB_REAPER": "false"}
    # Its own redis-server: the app's workers listen on the queues until the
    # session ends, and must never take jobs queued by other tests' Redis fixtures.
    base = tmp_path_factory.mktemp("e2e")
    redis = RedisServer(base / "redis").start()
    server = AppServer(base / "data", redis.url, extra_env=extra).start()
    RUNNING_APPS.append(server)
    yield server
    RUNNING_APPS.remove(server)
    server.stop()
    redis.stop()


@pytest.fixture(scope="module", autouse=True)
def workers_end_with_their_module():
    """The workers a test file starts stop when it ends: idle, they would poll Redis
    and beat to the end of the session, a few percent of a core each, under the
    timed tests that run last."""
    yield
    for server in RUNNING_APPS:
        server.stop_workers()


@pytest.fixture(scope="session")
def app_env(app_server):
    """Point this test process's settings at the running app's database."""
    from clawweb import db, redis_conn, settings

    saved = {k: os.environ.get(k) for k in ("CLAWWEB_DATA_DIR", "CLAWWEB_REDIS_URL", "CLAWWEB_PORT")}
    for key in saved:
        os.environ[key] = app_server.env[key]
    for cached in (settings.get_settings, db.get_engine, redis_conn.get_redis,
                   redis_conn.get_async_redis):
        cached.cache_clear()
    yield app_server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    for cached in (settings.get_settings, db.get_engine, redis_conn.get_redis,
                   redis_conn.get_async_redis):
        cached.cache_clear()


@pytest.fixture(scope="session")
def playwright_browser():
    need(Path(CHROMIUM).exists(), "Chromium", "run ./scripts/test (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(playwright_browser, app_server):
    """Factory: ``new_context("phone"|"desktop", locale="en-US")`` → a fresh context."""
    contexts = []

    def make(kind: str = "phone", locale: str = "en-US"):
        opts = dict(PHONE if kind == "phone" else DESKTOP)
        ctx = playwright_browser.new_context(base_url=app_server.url, locale=locale, **opts)
        ctx.set_default_timeout(20000)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


def no_hscroll(page) -> None:
    """A phone page must never scroll sideways."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scroll on {page.url}: {width}"


def screenshot(page, name: str) -> Path:
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


ADMIN = ("root-admin", "correct horse battery staple 42")


def make_user(username: str, password: str, role: str = "member"):
    """Create a user with a usable password straight through the services
    (for tests whose subject is not account creation)."""
    from clawweb.db import session_scope
    from clawweb.models import Role, User
    from clawweb.services.accounts import passwords
    from sqlmodel import select

    with session_scope() as s:
        existing = s.exec(select(User).where(User.username == username)).first()
        if existing:
            return existing.id
        user = User(username=username, role=Role(role),
                    password_hash=passwords.hash_password(password))
        s.add(user)
        s.flush()
        return user.id


def user_with_project(prefix: str, password: str) -> tuple[str, int, int]:
    """A fresh member ``<prefix>-<random>`` who owns a project of their own:
    (username, user id, project id)."""
    import uuid

    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    username = f"{prefix}-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, password)
    with session_scope() as s:
        project_id = projects.create_project(session=s, user=s.get(User, user_id),
                                             name=f"Project {username}").id
    return username, user_id, project_id


@pytest.fixture(scope="session")
def admin_account(app_env):
    """The first admin, created through setup unless a test already did it in the UI."""
    from clawweb.db import session_scope
    from clawweb.services.accounts import setup

    with session_scope() as s:
        if setup.needs_setup(session=s):
            setup.create_first_admin(session=s, code=app_env.setup_code(),
                                     username=ADMIN[0], password=ADMIN[1])
    return ADMIN


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the real form and wait until the app shell shows."""
    page.goto("/login/")
    page.get_by_test_id("input-username").fill(username)
    page.get_by_test_id("input-password").fill(password)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/projects**")


def choose_claude(page) -> None:
    """Switch the project page's prompt box to Claude once the page is live.

    Run is enabled once the page's state has arrived; a tap on the mode switch
    before that (while the page is still hydrating) does nothing, on a slow
    machine as for a person.
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("task-run")).to_be_enabled()
    page.get_by_test_id("mode-claude").click()
    expect(page.get_by_test_id("mode-claude")).to_have_attribute("data-state", "on")
