"""Security headers and the CSP on the real app in real Chromium: every page and API
route carries them, the app works under the policy with no violation (sign-in, a shell
task's terminal, a Claude task's conversation), and a markdown image in an agent's
reply makes no request at all (a loopback server counts them)."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import FAKE_API_KEY, make_user, no_hscroll, screenshot, sign_in
from tests.fixtures.fake_anthropic import text
from tests.support.services import need_docker

PASSWORD = "headers e2e password 1"


def _get(url: str):
    try:
        return urllib.request.urlopen(url, timeout=10)  # noqa: S310 - loopback app
    except urllib.error.HTTPError as err:  # a 404/503 still has headers to check
        return err


@pytest.mark.parametrize("path", ["/login/", "/tasks/1/", "/projects/", "/api/health",
                                  "/manifest.webmanifest", "/no-such-page/"])
def test_every_page_and_route_has_the_headers(app_server, path):
    resp = _get(app_server.url + path)
    headers = resp.headers
    csp = headers["Content-Security-Policy"]
    directives = {p.split()[0]: p.split()[1:] for p in csp.split(";") if p.strip()}
    assert "'unsafe-inline'" not in directives["script-src"]
    assert any(src.startswith("'sha256-") for src in directives["script-src"])
    assert directives["img-src"] == ["'self'", "data:", "blob:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["connect-src"][0] == "'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers.get("Strict-Transport-Security") is None  # the e2e origin is http


class Beacon:
    """A loopback HTTP server that counts every request it gets."""

    def __init__(self):
        self.hits: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                beacon.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.end_headers()
                self.wfile.write(b"GIF89a")

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def beacon():
    server = Beacon()
    urllib.request.urlopen(server.url + "/control", timeout=5).read()  # noqa: S310
    assert server.hits == ["/control"]  # the counter counts
    server.hits.clear()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(app_env):
    need_docker()
    name = f"headers-e2e-{uuid.uuid4().hex[:6]}"
    app_env.start_worker(name)
    return name


@pytest.fixture(scope="module")
def owner(app_env, admin_account, worker):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"csp-{uuid.uuid4().hex[:6]}"
    user_id = make_user(username, PASSWORD)
    with session_scope() as s:
        user = s.get(User, user_id)
        project_id = projects.create_project(session=s, user=user, name=f"CSP {username}").id
        credentials.set_user_credential(session=s, user=user, kind="api_key",
                                        secret=FAKE_API_KEY)
    return username, user_id, project_id


def _watch_csp(context) -> list[str]:
    """Every CSP violation in any page of ``context``, across navigations."""
    seen: list[str] = []
    context.expose_binding("cwCspViolation", lambda _source, text: seen.append(text))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.cwCspViolation("
        "e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));")
    return seen


def _task(user_id: int, project_id: int, *, command: str = "", prompt: str = "") -> int:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.agents import tasks as agent_tasks
    from clawweb.services.tasks import service as tasks

    with session_scope() as s:
        user = s.get(User, user_id)
        if prompt:
            return agent_tasks.submit_prompt(session=s, user=user, project_id=project_id,
                                             prompt=prompt, idempotency_key=uuid.uuid4().hex).id
        return tasks.submit_task(session=s, user=user, project_id=project_id, command=command,
                                 idempotency_key=uuid.uuid4().hex).id


def test_app_works_under_the_csp_and_markdown_images_load_nothing(owner, fake_anthropic,
                                                                  beacon, new_context):
    username, user_id, project_id = owner
    context = new_context("phone")
    violations = _watch_csp(context)
    page = context.new_page()

    # The collector sees a violation when there is one (an image from elsewhere).
    page.goto("/login/")
    page.evaluate("url => { const i = document.createElement('img'); i.src = url; "
                  "document.body.append(i); }", f"{beacon.url}/control-img")
    page.wait_for_timeout(500)
    assert any("img-src" in v for v in violations), violations
    assert beacon.hits == []  # the CSP itself blocked it
    violations.clear()

    sign_in(page, username, PASSWORD)
    shell = _task(user_id, project_id, command="echo csp-shell-ok")
    page.goto(f"/tasks/{shell}/")
    page.wait_for_function(
        "() => ((document.getElementById('task-term-out')||{}).textContent||'')"
        ".includes('csp-shell-ok')", timeout=90_000)

    fake_anthropic.push(text(f"Here is a picture ![secret-data]({beacon.url}/beacon?d=42) "
                             f"and <img src=\"{beacon.url}/raw\"> and **done**."))
    agent = _task(user_id, project_id, prompt="Show me a picture.")
    page.goto(f"/tasks/{agent}/")
    page.get_by_test_id("conv-result").wait_for(timeout=120_000)
    reply = page.get_by_test_id("conv-text").last
    reply.locator("strong", has_text="done").wait_for()
    page.wait_for_timeout(1000)
    assert beacon.hits == [], f"the page fetched {beacon.hits}"
    assert page.locator("img[src*='127.0.0.1']").count() == 0
    link = reply.get_by_test_id("md-image-link").locator("a")
    assert link.get_attribute("href") == f"{beacon.url}/beacon?d=42"
    assert "secret-data" in link.inner_text()
    no_hscroll(page)
    screenshot(page, "csp-markdown-image-phone")
    assert violations == [], f"CSP violations while using the app: {violations}"
    assert re.search(r"/tasks/\d+", page.url)
