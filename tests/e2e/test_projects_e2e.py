"""Projects in a real browser against the real app: create (clone and empty),
commits, settings, members, delete, not-found, and no horizontal scroll on a phone."""

from __future__ import annotations

import re
import subprocess
import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.e2e.conftest import make_user, no_hscroll, screenshot, sign_in

PASSWORD = "projects e2e password 1"
SUBJECTS = ["first: create the readme", "second: add a script",
            "third: a rather long subject line that has to wrap on a narrow phone screen"]


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=Test Author", "-c", "user.email=t@example.invalid",
                    *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def source_repo(app_server):
    """A local repository in the directory the app lets members clone from."""
    repo = app_server.local_repos / _unique("source")
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for i, subject in enumerate(SUBJECTS):
        (repo / f"file{i}.txt").write_text(f"content {i}\n")
        _git(repo, "add", ".")
        _git(repo, "commit", "-q", "-m", subject)
    return repo


def _project_names() -> list[str]:
    from clawweb.db import session_scope
    from clawweb.models import Project

    with session_scope() as s:
        return list(s.exec(select(Project.name)))


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _member(prefix: str) -> str:
    name = _unique(prefix)
    make_user(name, PASSWORD)
    return name


def _open_new(page) -> None:
    page.goto("/projects/new/")
    page.get_by_test_id("input-name").wait_for()


def _create(page, name: str, source: str = "", description: str = "") -> None:
    _open_new(page)
    page.get_by_test_id("input-name").fill(name)
    if description:
        page.get_by_test_id("input-description").fill(description)
    if source:
        page.get_by_test_id("source-clone").click()
        page.get_by_test_id("input-source_url").fill(source)
    page.get_by_test_id("submit").click()


def _project_url(page) -> str:
    page.wait_for_url(re.compile(r".*/projects/\d+/?$"))
    page.get_by_test_id("project-name").wait_for()
    return page.url


def test_member_clones_local_repository_and_sees_commits(admin_account, new_context,
                                                        source_repo):
    member = _member("cloner")
    page = new_context("phone").new_page()
    sign_in(page, member, PASSWORD)
    name = _unique("Cloned")
    _open_new(page)
    no_hscroll(page)
    screenshot(page, "projects-new-phone")
    _create(page, name, source=str(source_repo), description="Cloned from a local path")
    url = _project_url(page)
    commits = page.get_by_test_id("commit")
    commits.first.wait_for()
    assert commits.count() == len(SUBJECTS)
    # Newest first.
    for i, subject in enumerate(reversed(SUBJECTS)):
        assert subject in commits.nth(i).inner_text()
    assert page.get_by_test_id("project-branch").inner_text().strip() == "main"
    no_hscroll(page)
    screenshot(page, "project-phone")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, member, PASSWORD)
    desktop.goto(url)
    desktop.get_by_test_id("commit").first.wait_for()
    screenshot(desktop, "project-desktop")
    desktop.goto("/projects/new/")
    desktop.get_by_test_id("input-name").wait_for()
    screenshot(desktop, "projects-new-desktop")


def test_bad_sources_show_plain_errors_and_create_nothing(admin_account, new_context, tmp_path):
    page = new_context("phone").new_page()
    sign_in(page, *admin_account)
    name = _unique("Broken")
    _create(page, name, source=str(tmp_path / "no-such-repository"))
    error = page.get_by_test_id("form-error")
    error.wait_for()
    assert "No git repository was found" in error.inner_text()
    assert page.get_by_test_id("submit").is_enabled()  # ready for another try
    assert "/projects/new" in page.url
    assert name not in _project_names()
    no_hscroll(page)
    screenshot(page, "projects-new-error-phone")

    # A member may not clone a server path outside the allowed directories.
    member = _member("nopath")
    other = new_context("phone").new_page()
    sign_in(other, member, PASSWORD)
    _create(other, name, source=str(tmp_path))
    other.get_by_test_id("form-error").wait_for()
    assert "Only administrators" in other.get_by_test_id("form-error").inner_text()
    assert name not in _project_names()


def test_member_creates_empty_project_and_manages_it(app_env, admin_account, new_context):
    owner, helper, stranger = _member("owner"), _member("helper"), _member("stranger")
    page = new_context("phone").new_page()
    sign_in(page, owner, PASSWORD)
    page.get_by_test_id("projects-empty").wait_for()
    no_hscroll(page)
    screenshot(page, "projects-empty-phone")

    name = _unique("Empty")
    _create(page, name, description="Started empty")
    url = _project_url(page)
    assert page.get_by_test_id("commit").count() == 1  # the initial commit
    project_path = re.sub(r"^https?://[^/]+", "", url).rstrip("/")

    page.get_by_test_id("settings-link").click()
    page.wait_for_url("**/settings**")
    page.get_by_test_id("save-settings").wait_for()
    no_hscroll(page)
    screenshot(page, "project-settings-phone")

    renamed = name + " renamed"
    page.get_by_test_id("input-name").fill(renamed)
    page.get_by_test_id("save-settings").click()
    page.get_by_text("Saved.").first.wait_for()
    assert renamed in _project_names() and name not in _project_names()

    page.get_by_test_id("input-member-username").fill(helper)
    page.get_by_test_id("input-member-role").click()
    page.get_by_role("option", name="Viewer").click()
    page.get_by_test_id("add-member").click()
    page.get_by_test_id("member").filter(has_text=helper).wait_for()
    row = page.get_by_test_id("member").filter(has_text=helper)
    assert row.get_by_test_id("member-role").inner_text().strip() == "Viewer"
    page.get_by_test_id("input-member-username").fill("nobody-" + uuid.uuid4().hex[:6])
    page.get_by_test_id("add-member").click()
    assert "No active user" in page.get_by_test_id("member-error").inner_text()
    no_hscroll(page)

    # The list shows the renamed project with the owner's role.
    page.goto("/projects/")
    page.get_by_test_id("project-card").filter(has_text=renamed).wait_for()
    no_hscroll(page)
    screenshot(page, "projects-list-phone")

    # The new viewer sees it; a user without membership sees "not found".
    viewer = new_context("phone").new_page()
    sign_in(viewer, helper, PASSWORD)
    viewer.goto(project_path + "/")
    viewer.get_by_test_id("project-name").wait_for()
    assert renamed in viewer.get_by_test_id("project-name").inner_text()
    assert viewer.get_by_test_id("settings-link").count() == 0

    outsider = new_context("phone").new_page()
    sign_in(outsider, stranger, PASSWORD)
    for path in (project_path, project_path + "/settings"):
        outsider.goto(path + "/")
        outsider.get_by_test_id("project-not-found").wait_for()
        assert renamed not in outsider.content()
    screenshot(outsider, "project-not-found-phone")

    desktop = new_context("desktop").new_page()
    sign_in(desktop, owner, PASSWORD)
    desktop.get_by_test_id("project-row").filter(has_text=renamed).wait_for()
    screenshot(desktop, "projects-list-desktop")
    desktop.goto(project_path + "/settings/")
    desktop.get_by_test_id("save-settings").wait_for()
    screenshot(desktop, "project-settings-desktop")


def test_delete_needs_the_typed_name(admin_account, new_context):
    owner = _member("deleter")
    page = new_context("phone").new_page()
    sign_in(page, owner, PASSWORD)
    name = _unique("Doomed")
    _create(page, name)
    _project_url(page)
    page.get_by_test_id("settings-link").click()
    page.get_by_test_id("delete-project").click()
    confirm = page.get_by_test_id("delete-confirm")
    confirm.wait_for()
    typed = page.get_by_test_id("delete-confirm-input")
    expect(confirm).to_be_disabled()
    typed.fill(name)
    expect(confirm).to_be_enabled()
    typed.fill(name[:-1])  # one character short: refused again
    expect(confirm).to_be_disabled()
    screenshot(page, "project-delete-dialog-phone")
    typed.fill(name)
    expect(confirm).to_be_enabled()
    confirm.click()
    page.wait_for_url(re.compile(r".*/projects/?$"))
    page.get_by_text("Project deleted.").first.wait_for()
    assert name not in _project_names()
    page.get_by_test_id("projects-empty").wait_for()
