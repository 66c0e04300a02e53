"""Click Run in a real browser until the first line is visible, against `docker run`.

    python -m bench.browser_first_output [--runs 5] [--pool 1] [--no-claude]

The whole app runs as ``./scripts/up`` runs it (``tests/e2e/harness.AppServer``:
``reflex run --env prod`` on loopback, a real redis-server, real ``python -m
worker`` processes driving dockerd). Chromium (Debian's, through Playwright) on
a 390x844 phone viewport, signed in, clicks Run on ``echo hi`` and waits until
``hi`` is in the terminal. In the same run, interleaved, ``docker run`` of the
same image with the same hardening prints its first line. The split is tap
-> task page shown (its header is in the DOM) -> ``hi`` visible, timed in the
page from the click event to the animation frame that has it (``WATCH``);
Playwright's own wait before it dispatches the tap is printed apart.

With ``--pool N`` the shell runs are repeated against a worker started with
``CLAWWEB_WARM_POOL=N``. A Claude part (click Ask -> first assistant text, click
-> first approval card) runs against the scripted model API
(tests/fixtures/fake_anthropic.py) next to the bare CLI on the host.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from bench.claude_overhead import baseline_once as cli_once
from bench.common import hardened_docker_run, median

PASSWORD = "bench browser password 1"
# A command that writes, so the app asks before running it (an `echo` would not).
TOUCH = {"command": "touch /workspace/out.txt", "description": "write a file"}
KEY = "sk-ant-api03-bench-browser-0000000000000000000000000000000"


def docker_once(workdir: Path) -> float:
    """``docker run`` (hardened like a task) until its first stdout line."""
    t0 = time.perf_counter()
    proc = hardened_docker_run("echo hi", workdir)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait()
    assert line.strip() == b"hi", line
    return elapsed


def _world(app) -> tuple[str, int]:
    """A member with a model key and an empty project, made through the services."""
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services.accounts import passwords, setup
    from clawweb.services.agents import credentials
    from clawweb.services.projects import service as projects

    username = f"bench-{uuid.uuid4().hex[:6]}"
    with session_scope() as s:
        setup.create_first_admin(session=s, code=app.setup_code(), username="bench-admin",
                                 password="bench admin password 1")
    with session_scope() as s:
        user = User(username=username, password_hash=passwords.hash_password(PASSWORD))
        s.add(user)
        s.flush()
        project = projects.create_project(session=s, user=user, name="bench")
        credentials.set_user_credential(session=s, user=user, kind="api_key", secret=KEY)
        return username, project.id


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_test_id("input-username").fill(username)
    page.get_by_test_id("input-password").fill(PASSWORD)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/projects**")


def _ready_form(page, project_id: int, mode: str, text: str) -> None:
    """The project page with the form filled in, Run enabled (not timed)."""
    page.goto(f"/projects/{project_id}/")
    page.get_by_test_id(f"mode-{mode}").click()
    page.get_by_test_id("task-command").fill(text)
    page.wait_for_function("() => !document.querySelector('[data-testid=task-run]').disabled")
    # A person types for seconds before Run; in that idle time the page loads the
    # task page's code (assets/route_prefetch.js). Clicking before it is done would
    # time a page nobody clicks that fast on.
    page.wait_for_function("() => window.clawwebPrefetch && window.clawwebPrefetch.done",
                           timeout=20_000)


# Timed in the page, on its own clock: from the tap (the click event's timestamp)
# to the animation frame in which the header, then the awaited content, is on the
# page. Playwright's click first waits for the button to be visible and stable
# (two animation frames) and the result comes back over the DevTools protocol:
# time a person never waits, so it is reported apart, not counted.
WATCH = """([first]) => {
  const t = window.__cwBench = {click: 0, page: 0, first: 0};
  document.querySelector('[data-testid=task-run]').addEventListener(
    'click', (e) => { t.click = e.timeStamp; }, {capture: true, once: true});
  const seen = first === 'hi'
    ? () => ((document.getElementById('task-term-out') || {}).textContent || '').includes('hi')
    : () => !!document.querySelector(first);
  const look = () => {
    const now = performance.now();
    if (t.click && !t.page && document.querySelector('[data-testid=task-header]')) t.page = now;
    if (t.click && t.page && seen()) { t.first = now; return; }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}"""


def _tap_and_time(page, first: str, timeout_ms: int) -> tuple[float, float, float]:
    """Click Run; (tap -> task page, tap -> ``first`` shown, Playwright's own wait)."""
    page.evaluate(WATCH, [first])
    t0 = time.perf_counter()
    page.get_by_test_id("task-run").click()
    page.wait_for_function("() => window.__cwBench.first > 0", polling="raf",
                           timeout=timeout_ms)
    wall = time.perf_counter() - t0
    t = page.evaluate("() => window.__cwBench")
    shown, first_s = (t["page"] - t["click"]) / 1000, (t["first"] - t["click"]) / 1000
    return shown, first_s, wall - first_s


def shell_once(page, project_id: int) -> tuple[float, float, float]:
    """Tap Run on ``echo hi``: (tap -> task page, tap -> ``hi`` shown, harness wait)."""
    _ready_form(page, project_id, "shell", "echo hi")
    return _tap_and_time(page, "hi", 60_000)


def claude_once(page, project_id: int, selector: str) -> tuple[float, float, float]:
    """Tap Ask on a prompt: (tap -> task page, tap -> ``selector`` shown, harness wait)."""
    _ready_form(page, project_id, "claude", "say hi")
    return _tap_and_time(page, selector, 120_000)


def _wait_idle(page) -> None:
    """The task is over, so the single worker is free for the next run."""
    page.wait_for_function(
        """() => { const b = document.querySelector('[data-testid=task-header] '
                   + '[data-testid=status-badge]');
                   return b && ['succeeded','failed','cancelled','timed_out']
                     .includes(b.dataset.status); }""", timeout=120_000)


def _line(label: str, xs: list[float]) -> str:
    return f"  {label:<44} {median(xs) * 1000:7.0f} ms"


def measure_shell(page, project_id: int, workdir: Path, runs: int) -> dict[str, list[float]]:
    docker_once(workdir)  # warm caches for both sides; dropped
    shell_once(page, project_id)
    _wait_idle(page)
    out: dict[str, list[float]] = {"docker": [], "page": [], "first": [], "harness": []}
    for _ in range(runs):  # interleaved so drift hits both sides alike
        out["docker"].append(docker_once(workdir))
        for key, value in zip(("page", "first", "harness"), shell_once(page, project_id)):
            out[key].append(value)
        _wait_idle(page)
    return out


def report_shell(title: str, m: dict[str, list[float]], target: float) -> None:
    ratio = median(m["first"]) / median(m["docker"])
    print(title)
    print(_line("docker run (hardened) to first line", m["docker"]))
    print(_line("tap Run -> task page shown", m["page"]))
    print(_line("tap Run -> `hi` visible", m["first"]))
    print(_line("(not counted: Playwright's wait before the tap)", m["harness"]))
    print(f"  ratio browser/docker: {ratio:.2f} (target <= {target})", flush=True)


def measure_claude(page, project_id: int, api, runs: int) -> dict[str, list[float]]:
    from tests.fixtures.fake_anthropic import text, tool_use

    out: dict[str, list[float]] = {k: [] for k in ("cli", "page", "text", "cli_tool",
                                                  "card")}
    for i in range(runs + 1):  # the first round warms caches and is dropped
        api.push(text(f"hi {i}"))
        cli = cli_once(api.url)
        api.push(text(f"hi from the app {i}"))
        page_s, text_s, _ = claude_once(page, project_id, "[data-testid=conv-text]")
        _wait_idle(page)
        api.push(tool_use("Bash", TOUCH))
        cli_tool = cli_once(api.url)  # -p never asks: its first message is the tool call
        api.push(tool_use("Bash", TOUCH), text("done"))
        _, card_s, _ = claude_once(page, project_id, "[data-testid=approval-card]")
        page.get_by_test_id("approval-deny").click()
        _wait_idle(page)
        if i:
            for key, value in zip(out, (cli, page_s, text_s, cli_tool, card_s)):
                out[key].append(value)
    return out


def report_claude(m: dict[str, list[float]]) -> None:
    print("Claude task (scripted model API on loopback)")
    print(_line("bare CLI on the host to first assistant text", m["cli"]))
    print(_line("tap Ask -> task page shown", m["page"]))
    print(_line("tap Ask -> first assistant text visible", m["text"]))
    print(_line("bare CLI to first tool call", m["cli_tool"]))
    print(_line("tap Ask -> first approval card visible", m["card"]))
    added = median(m["text"]) - median(m["cli"])
    added_card = median(m["card"]) - median(m["cli_tool"])
    print(f"  added to first text: {added * 1000:+.0f} ms, to first card: "
          f"{added_card * 1000:+.0f} ms (target <= +500 ms)", flush=True)


def _restart_worker(app, env: dict[str, str]) -> None:
    import os
    import signal

    for proc in app.workers:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    app.workers.clear()
    app.env.update(env)
    app.start_worker(f"bench-{uuid.uuid4().hex[:6]}")


def run(args, app, api) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, PHONE

    username, project_id = _world(app)
    workdir = Path(tempfile.mkdtemp(prefix="bench-docker-"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(base_url=app.url, locale="en-US", **PHONE)
        ctx.set_default_timeout(60_000)
        page = ctx.new_page()
        _sign_in(page, username)
        report_shell(f"shell `echo hi`, cold start (median of {args.runs})",
                     measure_shell(page, project_id, workdir, args.runs), 1.3)
        if args.pool:
            _restart_worker(app, {"CLAWWEB_WARM_POOL": str(args.pool)})
            report_shell(f"shell `echo hi`, warm pool of {args.pool} (median of {args.runs})",
                         measure_shell(page, project_id, workdir, args.runs), 0.7)
        if args.claude:
            report_claude(measure_claude(page, project_id, api, args.runs))
        browser.close()


def main() -> None:
    from clawweb import db, redis_conn, settings
    from tests.e2e.harness import AppServer
    from tests.fixtures.fake_anthropic import FakeAnthropic
    from tests.support.services import RedisServer

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pool", type=int, default=1, help="warm pool size for the second "
                    "shell round (0: skip it)")
    ap.add_argument("--no-claude", dest="claude", action="store_false")
    args = ap.parse_args()
    import os

    base = Path(tempfile.mkdtemp(prefix="clawweb-bench-browser-"))
    api = FakeAnthropic(accept_keys={KEY}).start()
    redis = RedisServer(base / "redis").start()
    app = AppServer(base / "data", redis.url,
                    extra_env={"CLAWWEB_ANTHROPIC_BASE_URL": api.url,
                               "CLAWWEB_LOG_LEVEL": "WARNING"})
    try:
        print("building and starting the app (minutes the first time)...", flush=True)
        app.start()
        os.environ.update({k: app.env[k] for k in ("CLAWWEB_DATA_DIR", "CLAWWEB_REDIS_URL")})
        os.environ.pop("CLAWWEB_DATABASE_URL", None)
        for cached in (settings.get_settings, db.get_engine, redis_conn.get_redis,
                       redis_conn.get_async_redis):
            cached.cache_clear()
        app.start_worker(f"bench-{uuid.uuid4().hex[:6]}")
        run(args, app, api)
    finally:
        app.stop()
        redis.stop()
        api.stop()


if __name__ == "__main__":
    main()
