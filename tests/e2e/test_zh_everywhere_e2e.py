"""Every page in 中文 shows no English catalog text and no raw message key.

The pages come from the app's page registry (every ``app.add_page`` in
clawweb/clawweb.py), so a new page is covered without touching this file; a page
whose route takes an argument this file cannot fill fails, asking for one. The data
gives the pages something to show: a project, a shell task that exited with code 3, an
interrupted Claude task, a cancelled task, an admin with an audit trail. One browser
context (phone) visits every page; user data written here is Chinese or listed in
``USER_DATA``, so a match is the app's own English.
"""

from __future__ import annotations

import ast
import itertools
import re
import time
import uuid

import pytest

from clawweb import routes
from tests.e2e.conftest import make_user, screenshot, sign_in
from tests.e2e.harness import PHONE, ROOT
from tests.support.leftovers import leftovers

PASSWORD = "zh everywhere password 1"
USERNAME = f"zh-admin-{uuid.uuid4().hex[:6]}"
PROJECT_NAME = "中文项目"
SHELL_COMMAND = "echo 你好; exit 3"
USER_DATA = (USERNAME, "zh-admin-", "root-admin", SHELL_COMMAND)
NOT_FOUND = "/no/such/page/"
# What some pages must show (in Chinese), so a page that rendered nothing cannot pass.
SHOWS = {(routes.TASK, "shell"): r"以退出码 3 结束", (routes.TASK, "interrupted"): r"已中断",
         (routes.TASK, "cancelled"): r"已被 .+ 取消",
         (routes.TASKS, ""): r"(几秒|\d+ 秒|1 分钟|\d+ 分钟)前"}  # moment's zh-cn locale
# Route arguments -> which of the fixture's objects fills them (one visit each).
ARGUMENTS = {"project_id": ("project",), "task_id": ("shell", "interrupted", "cancelled"),
             "token": ("no-such-invite",)}


def registered_routes() -> list[str]:
    """The route of every page the app adds, as written in clawweb/clawweb.py."""
    tree = ast.parse((ROOT / "clawweb" / "clawweb.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_page":
            route = next(kw.value for kw in node.keywords if kw.arg == "route")
            if isinstance(route, ast.Attribute):
                found.append(getattr(routes, route.attr))
            else:
                found.append(NOT_FOUND if route.value == "404" else route.value)
    return found


def _visits() -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(route, ((argument, object name), ...)) for every page and each object it shows."""
    out = []
    for route in registered_routes():
        names = [part[1:-1] for part in route.split("/") if part.startswith("[")]
        # Each task on its own page; one of a kind is enough elsewhere.
        choices = [ARGUMENTS.get(name, (f"<no value for {name}>",))[:None if route == routes.TASK
                                                                     else 1] for name in names]
        out += [(route, tuple(zip(names, pick))) for pick in itertools.product(*choices)]
    return out


def _event(task_id: int, seq: int, kind: str, data: dict):
    from clawweb.models import TaskEvent

    return TaskEvent(task_id=task_id, seq=seq, ts=time.time(), type=kind, data=data)


def _task(s, project_id: int, user_id: int, **values) -> int:
    from clawweb.models import Task, utcnow

    task = Task(project_id=project_id, created_by=user_id, queued_at=utcnow(),
                started_at=utcnow(), finished_at=utcnow(), idempotency_key=uuid.uuid4().hex,
                **values)
    s.add(task)
    s.flush()
    return task.id


def _finished_tasks(s, project_id: int, user_id: int) -> dict[str, int]:
    """A shell task that exited with 3, an interrupted Claude turn, a cancelled task."""
    from clawweb.i18n import stored
    from clawweb.models import TaskStatus

    shell = _task(s, project_id, user_id, command=SHELL_COMMAND, status=TaskStatus.failed,
                  exit_code=3, failure_reason=stored.encode("tasks.ended.exit_code", code=3))
    s.add(_event(shell, 1, "output", {"stream": "stdout", "text": "你好\n"}))
    s.add(_event(shell, 2, "status", {"status": "failed", "exit_code": 3,
                                      "reason": stored.encode("tasks.ended.exit_code", code=3)}))
    why = stored.encode("agents.interrupted")
    claude = _task(s, project_id, user_id, kind="claude", command="写一首诗",
                   status=TaskStatus.interrupted, exit_code=130, failure_reason=why)
    for seq, (kind, data) in enumerate([
            ("agent.text", {"text": "好的，我来写。"}),
            ("agent.stopped", {"reason": why}),
            ("agent.result", {"subtype": "error_during_execution", "is_error": True}),
            ("status", {"status": "interrupted", "exit_code": 130, "reason": why})], start=1):
        s.add(_event(claude, seq, kind, data))
    cancelled = _task(s, project_id, user_id, command="sleep 600", status=TaskStatus.cancelled,
                      cancelled_by=user_id, failure_reason=stored.encode(
                          "tasks.ended.cancelled_by", user=USERNAME))
    return {"shell": shell, "interrupted": claude, "cancelled": cancelled}


@pytest.fixture(scope="module")
def objects(app_env, admin_account):
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.projects import service as projects

    user_id = make_user(USERNAME, PASSWORD, role="admin")
    with session_scope() as s:
        user = s.get(User, user_id)
        project_id = projects.create_project(session=s, user=user, name=PROJECT_NAME).id
        found = {"project": project_id, **_finished_tasks(s, project_id, user_id)}
    return {**found, "no-such-invite": "no-such-invite"}


@pytest.fixture(scope="module")
def zh_page(playwright_browser, app_server, objects):
    """One phone context, signed in, switched to 中文 through the profile's language."""
    ctx = playwright_browser.new_context(base_url=app_server.url, locale="en-US", **PHONE)
    ctx.set_default_timeout(20000)
    page = ctx.new_page()
    sign_in(page, USERNAME, PASSWORD)
    page.goto("/account/")
    page.get_by_test_id("profile-language").click()
    page.get_by_role("option", name="中文").click()
    page.get_by_test_id("bottom-nav").filter(has_text="项目").wait_for()
    yield page
    ctx.close()


# innerText, placeholders and aria-labels, without what nobody sees: aria-hidden subtrees (Radix selects keep a hidden
# native <select> whose options may still hold the text they were first rendered with).
VISIBLE_TEXT = """() => {
  const hidden = [...document.querySelectorAll('[aria-hidden="true"]')];
  const saved = hidden.map(el => el.style.display);
  hidden.forEach(el => { el.style.display = 'none'; });
  const parts = [document.body.innerText];
  hidden.forEach((el, i) => { el.style.display = saved[i]; });
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (el.offsetParent !== null && !el.value) parts.push(el.placeholder);
  }
  // What a screen reader says for a control (icon buttons have nothing else).
  for (const el of document.querySelectorAll('[aria-label]')) {
    if (el.offsetParent !== null && !el.closest('[aria-hidden="true"]')) {
      parts.push(el.getAttribute('aria-label'));
    }
  }
  return parts.join('\\n');
}"""
BUSY = "document.querySelector('.rt-Spinner, [data-loading=\"true\"]') !== null"


def settled_text(page, timeout: float = 8) -> str:
    """The page's visible text once it stops changing (and no spinner turns)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        text = page.evaluate(VISIBLE_TEXT)
        if text == last and not page.evaluate(BUSY):
            return text
        last = text
        page.wait_for_timeout(250)  # a poll interval, bounded by the deadline
    return last or ""


def _url(route: str, args: tuple[tuple[str, str], ...], objects: dict) -> str:
    for name, which in args:
        assert which in objects, f"{route}: give this test a value for [{name}]"
        route = route.replace(f"[{name}]", str(objects[which]))
    return route.rstrip("/") + "/"


@pytest.mark.parametrize("route,args", _visits(),
                         ids=lambda v: v if isinstance(v, str) else "-".join(w for _n, w in v))
def test_every_page_in_chinese_shows_no_english(zh_page, objects, route, args):
    url = _url(route, args, objects)
    zh_page.goto(url)
    zh_page.wait_for_function("document.body.innerText.length > 0")
    text = settled_text(zh_page)
    found = leftovers(text, USER_DATA)
    if found or route == routes.TASK:
        screenshot(zh_page, "zh-" + "-".join(w for _n, w in args) if route == routes.TASK
                   else "zh-leftovers-" + url.strip("/").replace("/", "-"))
    assert not found, f"English on {url} (now {zh_page.url}):\n" + "\n".join(found)
    shows = SHOWS.get((route, "-".join(w for _n, w in args)))
    assert shows is None or re.search(shows, text), f"{url} does not show {shows!r}:\n{text}"
