"""Fixtures for browser tests: one real app per session, fresh browser contexts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, AppServer, artifacts_dir
from tests.support.services import need


@pytest.fixture(scope="session")
def app_server(redis_server, tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("e2e") / "data", redis_server.url).start()
    yield server
    server.stop()


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
    from playwright.sync_api import sync_playwright

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


def screenshot(page, name: str) -> Path:
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
