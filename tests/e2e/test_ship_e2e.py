"""Shipping from a phone (390×844) against real remotes on loopback: a private
repository cloned over smart HTTP with a token, a shell task's branch pushed there,
a pull request opened on the fake Gitea and its link and state shown; a deploy-key
project whose key is copied, added to a real sshd, synced (host key pinned and
shown) and then refused when the host key changes. Last, a grep of the whole run:
the token and the private key are in no event, no log file, no page, no frame."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in
from tests.e2e.harness import artifacts_dir
from tests.integration.remotes_support import rev
from tests.support.fake_forges import FakeForge
from tests.support.git_servers import GitHttpServer, SshGitServer, make_bare_repo
from tests.support.services import need_docker

PASSWORD = "ship e2e password 1"
TOKEN = "gta_" + uuid.uuid4().hex + "e2eT"
REPO = "team/app"


@pytest.fixture(scope="module")
def seen():
    """Everything the browser got: page HTML snapshots and WebSocket frames."""
    return {"html": [], "frames": []}


@pytest.fixture(scope="module")
def remotes(tmp_path_factory):
    root = tmp_path_factory.mktemp("ship-remotes")
    git_server = GitHttpServer(root / "http", TOKEN).start()
    make_bare_repo(git_server.repo(REPO), {"README.md": "# app\n"})
    gitea = FakeForge("gitea", TOKEN, REPO).start()
    sshd = SshGitServer()
    sshd.make_repo("app", {"README.md": "# over ssh\n"})
    yield git_server, gitea, sshd
    sshd.cleanup()
    gitea.stop()
    git_server.stop()


@pytest.fixture(scope="module")
def member(app_env, admin_account):
    need_docker()
    app_env.start_worker(f"ship-e2e-{uuid.uuid4().hex[:6]}")
    name = f"shipper-{uuid.uuid4().hex[:6]}"
    make_user(name, PASSWORD)
    return name


def _page(new_context, seen):
    ctx = new_context("phone")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: seen["frames"].append(
        payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))))
    return page


def _snap(page, seen, name: str, section: str = "") -> None:
    seen["html"].append(page.content())
    no_hscroll(page)
    screenshot(page, name)
    if section:  # the part under test, readable at phone size
        page.get_by_test_id(section).screenshot(path=str(artifacts_dir() / f"{name}-part.png"))


def _new_project(page, name: str, url: str, auth: str, token: str = "") -> None:
    page.goto("/projects/new/")
    page.get_by_test_id("input-name").fill(name)
    page.get_by_test_id("source-clone").click()
    page.get_by_test_id("input-source_url").fill(url)
    page.get_by_test_id(f"clone-auth-{auth}").click()
    if token:
        page.get_by_test_id("input-remote-token").fill(token)
    page.get_by_test_id("submit").click()


def _project_id(page) -> int:
    return int(re.search(r"/projects/(\d+)", page.url).group(1))


def _submit_task(page, project_id: int, command: str) -> int:
    page.goto(f"/projects/{project_id}/")
    page.get_by_test_id("task-command").fill(command)
    page.wait_for_function("() => !document.querySelector('[data-testid=task-run]').disabled")
    page.get_by_test_id("task-run").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+/?$"))
    return int(re.search(r"/tasks/(\d+)", page.url).group(1))


def _task(task_id: int):
    from clawweb.db import session_scope
    from clawweb.models import Task

    with session_scope() as s:
        return s.get(Task, task_id)


def test_push_and_open_a_pull_request_on_a_phone(member, remotes, new_context, seen):
    git_server, gitea, _ = remotes
    page = _page(new_context, seen)
    sign_in(page, member, PASSWORD)
    _new_project(page, f"Private {uuid.uuid4().hex[:4]}", git_server.url_for(REPO), "token",
                 TOKEN)
    page.wait_for_url(re.compile(r".*/projects/\d+/?$"))
    expect(page.get_by_test_id("commit").first).to_contain_text("upstream: first commit")
    project_id = _project_id(page)
    _snap(page, seen, "ship-private-clone-phone")

    # The forge is self-hosted: say it is Gitea and where its API is.
    page.goto(f"/projects/{project_id}/settings/")
    expect(page.get_by_test_id("remote-url")).to_have_value(git_server.url_for(REPO))
    expect(page.get_by_test_id("remote-token-hint")).to_have_text("…" + TOKEN[-4:])
    expect(page.get_by_test_id("remote-kind")).to_have_text("Access token")
    page.get_by_test_id("remote-forge").click()
    page.get_by_test_id("remote-forge-gitea").click()
    page.get_by_test_id("remote-api-url").fill(gitea.api_url)
    page.get_by_test_id("remote-save").click()
    expect(page.get_by_test_id("remote-api-url")).to_have_value(gitea.api_url)
    _snap(page, seen, "ship-remote-settings-phone", "remote-section")

    task_id = _submit_task(page, project_id, "echo 'hello from a phone' > hello.txt")
    section = page.get_by_test_id("ship-section")
    expect(section).to_be_visible(timeout=120_000)
    task = _task(task_id)
    assert task.status.value == "succeeded" and task.branch == f"clawweb/task-{task_id}"
    gitea.branches.add(task.branch)

    page.get_by_test_id("ship-push").click()
    expect(page.get_by_test_id("ship-pushed")).to_be_visible(timeout=60_000)
    assert rev(git_server.repo(REPO), f"refs/heads/{task.branch}") == _task(task_id).commit_sha
    _snap(page, seen, "ship-pushed-phone")

    page.get_by_test_id("ship-open-pr").click()
    link = page.get_by_test_id("pr-link")
    expect(link).to_be_visible(timeout=60_000)
    pull = gitea.pulls[1]
    assert link.get_attribute("href") == f"{gitea.base_url}/{REPO}/pulls/1"
    assert (pull["head"], pull["base"]) == (task.branch, "main")
    assert "hello from a phone" in pull["body"] and f"/tasks/{task_id}" in pull["body"]
    expect(page.get_by_test_id("pr-state")).to_have_text("open")
    expect(page.get_by_test_id("ship-open-pr")).to_have_count(0)
    _snap(page, seen, "ship-pull-request-phone")

    gitea.set_state(1, "merged")
    page.get_by_test_id("pr-refresh").click()
    expect(page.get_by_test_id("pr-state")).to_have_text("merged")
    page.reload()
    expect(page.get_by_test_id("pr-link")).to_have_attribute("href", link.get_attribute("href"))
    _snap(page, seen, "ship-merged-phone")
    _viewer_sees_the_link_but_no_buttons(project_id, task_id, link.get_attribute("href"),
                                         new_context, seen)


def _viewer_sees_the_link_but_no_buttons(project_id, task_id, href, new_context, seen):
    from clawweb.db import session_scope
    from clawweb.models import ProjectMember, ProjectRole

    name = f"watcher-{uuid.uuid4().hex[:6]}"
    user_id = make_user(name, PASSWORD)
    with session_scope() as s:
        s.add(ProjectMember(project_id=project_id, user_id=user_id, role=ProjectRole.viewer))
    page = _page(new_context, seen)
    sign_in(page, name, PASSWORD)
    page.goto(f"/tasks/{task_id}/")
    expect(page.get_by_test_id("pr-link")).to_have_attribute("href", href)
    expect(page.get_by_test_id("ship-not-allowed")).to_be_visible()
    for button in ("ship-push", "ship-open-pr", "ship-push-default"):
        expect(page.get_by_test_id(button)).to_have_count(0)
    _snap(page, seen, "ship-viewer-phone")


def test_deploy_key_project_syncs_over_ssh_and_refuses_a_changed_host_key(
        member, remotes, new_context, seen):
    _, _, sshd = remotes
    page = _page(new_context, seen)
    sign_in(page, member, PASSWORD)
    _new_project(page, f"Ssh {uuid.uuid4().hex[:4]}", sshd.url_for("app"), "key")
    page.wait_for_url(re.compile(r".*/projects/\d+/settings/?$"))
    public = page.get_by_test_id("remote-public-key")
    expect(public).to_contain_text("ssh-ed25519 AAAA")
    key_line = public.inner_text().strip()
    page.get_by_test_id("remote-key-copy").click()
    assert page.evaluate("navigator.clipboard.readText()").strip() == key_line
    expect(page.get_by_test_id("remote-host-none")).to_be_visible()
    expect(page.get_by_test_id("remote-kind")).to_have_text("Deploy key (SSH)")
    _snap(page, seen, "ship-deploy-key-phone", "remote-section")

    sshd.start([key_line])  # "add the key to the forge"
    page.get_by_test_id("remote-sync").click()
    expect(page.get_by_test_id("remote-sync-result")).to_contain_text("Synced",
                                                                       timeout=60_000)
    expect(page.get_by_test_id("remote-host-fingerprint")).to_have_text(sshd.host_fingerprint())
    _snap(page, seen, "ship-ssh-synced-phone", "remote-section")

    pinned = sshd.host_fingerprint()
    sshd.new_host_key()
    sshd.restart([key_line])
    page.get_by_test_id("remote-sync").click()
    result = page.get_by_test_id("remote-sync-result")
    expect(result).to_contain_text("host key has changed", timeout=60_000)
    expect(result).to_contain_text(sshd.host_fingerprint())
    expect(result).to_contain_text(pinned)
    expect(page.get_by_test_id("remote-host-fingerprint")).to_have_text(pinned)
    _snap(page, seen, "ship-host-key-changed-phone", "remote-section")


def _private_keys() -> list[str]:
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import ProjectRemote
    from clawweb.services import crypto

    lines = []
    with session_scope() as s:
        for row in s.exec(select(ProjectRemote).where(ProjectRemote.ssh_key_ciphertext != "")):
            key = crypto.decrypt(row.ssh_key_ciphertext, aad=f"remote-ssh-key:{row.project_id}")
            lines += [ln for ln in key.splitlines() if ln and not ln.startswith("-----")]
    return lines


def _files_holding(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [f"{path}: {n[:8]}…" for n in needles if n.encode() in data]
    return hits


def test_no_token_or_private_key_anywhere_in_the_run(app_env, seen):
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import AuditEvent, TaskEvent

    keys = _private_keys()
    assert keys, "the deploy-key test made no key to look for"
    assert seen["html"] and seen["frames"], "nothing was recorded from the browser"
    needles = [TOKEN, *keys]
    time.sleep(1.5)  # Redis appends to its AOF every second
    with session_scope() as s:
        events = [repr(e.data) for e in s.exec(select(TaskEvent))]
        audit = [repr((a.before, a.after, a.detail)) for a in s.exec(select(AuditEvent))]
    assert events and audit
    for label, texts in (("event", events), ("audit", audit), ("page", seen["html"]),
                         ("frame", seen["frames"])):
        leaked = [t[:120] for t in texts if any(n in t for n in needles)]
        assert not leaked, f"a secret reached a {label}: {leaked}"
    data_dir = Path(app_env.data_dir)
    logs = list(data_dir.glob("*.log"))
    assert logs, "no log files to search"
    # The whole data dir: logs, the database (ciphertext only), repositories,
    # task working copies and session folders; and Redis's append-only file.
    assert _files_holding(data_dir, needles) == []
    assert _files_holding(data_dir.parent / "redis", needles) == []
