"""Projects service: real git repositories in temp dirs, a real SQLite database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from clawweb.models import (
    AuditEvent, Project, ProjectMember, ProjectRole, Role, Task, TaskEvent, TaskStatus, User,
)
from clawweb.services import access, git
from clawweb.services.projects import deletion, members, service as projects
from clawweb.services.projects import settings as project_settings
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.git import GitError


@pytest.fixture
def make_user(session):
    def make(name: str, role: Role = Role.member, disabled: bool = False) -> User:
        user = User(username=name, role=role, disabled=disabled)
        session.add(user)
        session.commit()
        return user
    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def admin(make_user):
    return make_user("root", Role.admin)


@pytest.fixture
def project(session, alice):
    return projects.create_project(session=session, user=alice, name="My App",
                                   description="d", ip="10.0.0.9")


@pytest.fixture
def source_repo(tmp_path) -> Path:
    """A plain (non-bare) repository with two commits on 'trunk'."""
    src = tmp_path / "src"
    env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
           "GIT_AUTHOR_NAME": "Src", "GIT_AUTHOR_EMAIL": "s@x",
           "GIT_COMMITTER_NAME": "Src", "GIT_COMMITTER_EMAIL": "s@x"}
    for args in (["init", "-q", "-b", "trunk", str(src)],
                 ["-C", str(src), "commit", "-q", "--allow-empty", "-m", "one"],
                 ["-C", str(src), "commit", "-q", "--allow-empty", "-m", "two"]):
        subprocess.run(["git", *args], env=env, check=True)
    return src


def repo_dir_entries(settings) -> list[str]:
    d = settings.repos_dir
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def audits(session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- create -------------------------------------------------------------------------

def test_create_empty_project(session, settings, alice, project):
    assert project.slug == "my-app" and project.default_branch == "main"
    repo = projects.project_repo_path(project)
    assert repo == settings.repos_dir / "my-app.git" and repo.is_dir()
    assert [c["subject"] for c in projects.recent_commits_for(
        session=session, user=alice, project_id=project.id)] == ["Initial commit"]
    assert access.require_role(session=session, user=alice, project_id=project.id,
                               at_least=ProjectRole.owner) == ProjectRole.owner
    [ev] = audits(session, "project.create")
    assert ev.actor_id == alice.id and ev.ip == "10.0.0.9" and ev.after["slug"] == "my-app"


def test_slugs_are_unique_and_safe(session, alice):
    a = projects.create_project(session=session, user=alice, name="My App")
    b = projects.create_project(session=session, user=alice, name="my app!")
    c = projects.create_project(session=session, user=alice, name="我的项目")
    d = projects.create_project(session=session, user=alice, name="../../etc")
    assert [a.slug, b.slug, c.slug, d.slug] == ["my-app", "my-app-2", "project", "etc"]


def test_slug_skips_leftover_directory(session, settings, alice):
    (settings.repos_dir / "my-app.git").mkdir(parents=True)
    p = projects.create_project(session=session, user=alice, name="My App")
    assert p.slug == "my-app-2"


@pytest.mark.parametrize("name, key", [("", "projects.name_required"),
                                       ("   ", "projects.name_required"),
                                       ("x" * 101, "projects.name_too_long")])
def test_create_rejects_bad_names(session, settings, alice, name, key):
    with pytest.raises(InvalidInput) as err:
        projects.create_project(session=session, user=alice, name=name)
    assert err.value.key == key and repo_dir_entries(settings) == []


@pytest.mark.parametrize("as_url", [False, True])
def test_admin_clones_from_local_path_and_file_url(session, admin, source_repo, as_url):
    url = f"file://{source_repo}" if as_url else str(source_repo)
    p = projects.create_project(session=session, user=admin, name="Cloned", source_url=url)
    assert p.default_branch == "trunk" and p.source_url == url
    assert [c["subject"] for c in projects.recent_commits_for(
        session=session, user=admin, project_id=p.id)] == ["two", "one"]
    assert projects.branches_for(session=session, user=admin, project_id=p.id) == ["trunk"]


def test_member_cannot_clone_a_server_path(session, settings, alice, source_repo):
    with pytest.raises(PermissionDenied) as err:
        projects.create_project(session=session, user=alice, name="Steal",
                                source_url=str(source_repo))
    assert err.value.key == "projects.local_source_admin_only"
    assert repo_dir_entries(settings) == [] and session.exec(select(Project)).all() == []


def assert_nothing_left(session, settings) -> None:
    assert session.exec(select(Project)).all() == []
    assert session.exec(select(ProjectMember)).all() == []
    assert repo_dir_entries(settings) == []
    assert audits(session, "project.create") == []


@pytest.mark.parametrize("url, key", [
    ("ssh://example.com/x.git", "git.url_unsupported"),
    ("ext::sh", "git.url_unsupported"),
    ("not a url", "git.url_invalid"),
    ("https://u:p@example.com/x.git", "git.url_credentials"),
    ("https://127.0.0.1/x.git", "git.url_not_public"),
])
def test_refused_urls_leave_nothing(session, settings, admin, url, key, monkeypatch):
    from tests.support.no_dns import refuse_dns
    asked = refuse_dns(monkeypatch)  # a check that broke would clone for real
    with pytest.raises(GitError) as err:
        projects.create_project(session=session, user=admin, name="X", source_url=url)
    assert err.value.key == key and asked == []
    assert_nothing_left(session, settings)


def test_not_a_repo_leaves_nothing(session, settings, admin, tmp_path):
    (tmp_path / "plain").mkdir()
    for url in (str(tmp_path / "plain"), f"file://{tmp_path / 'missing'}"):
        with pytest.raises(GitError) as err:
            projects.create_project(session=session, user=admin, name="X", source_url=url)
        assert err.value.key == "git.not_a_repo"
    assert_nothing_left(session, settings)


def test_unreachable_source_leaves_nothing(session, settings, admin, monkeypatch):
    from tests.support.services import free_port

    # Allow a loopback http URL: the project's own check, and the clone's.
    monkeypatch.setattr(git, "check_url", lambda url: url)
    monkeypatch.setattr(git.repos, "check_url", lambda url: url)
    with pytest.raises(GitError) as err:
        projects.create_project(session=session, user=admin, name="X",
                                source_url=f"http://127.0.0.1:{free_port()}/x.git")
    assert err.value.key == "git.unreachable"
    assert_nothing_left(session, settings)


def test_database_failure_after_clone_removes_repository(session, settings, alice,
                                                          monkeypatch):
    def boom(**kw):
        raise RuntimeError("db down")
    monkeypatch.setattr(projects.audit, "record", boom)
    with pytest.raises(RuntimeError):
        projects.create_project(session=session, user=alice, name="X")
    assert_nothing_left(session, settings)


# --- visibility and authorization ------------------------------------------------------

def test_list_projects_members_see_theirs_admins_see_all(session, alice, admin, make_user,
                                                         project):
    bob = make_user("bob")
    bobs = projects.create_project(session=session, user=bob, name="Bob's")
    assert [p.id for p in projects.list_projects(session=session, user=alice)] == [project.id]
    assert [p.id for p in projects.list_projects(session=session, user=bob)] == [bobs.id]
    assert {p.id for p in projects.list_projects(session=session, user=admin)} == {
        project.id, bobs.id}


def test_stranger_gets_not_found_like_a_missing_project(session, make_user, project):
    mallory = make_user("mallory")
    for pid in (project.id, 99999):
        for call in (
            lambda: projects.get_project(session=session, user=mallory, project_id=pid),
            lambda: projects.recent_commits_for(session=session, user=mallory, project_id=pid),
            lambda: project_settings.update_project(session=session, user=mallory, project_id=pid,
                                                    name="pwned"),
            lambda: members.add_member(session=session, user=mallory, project_id=pid,
                                       username="mallory", role="owner"),
            lambda: deletion.delete_project(session=session, user=mallory, project_id=pid,
                                            confirm_name="My App"),
        ):
            with pytest.raises(NotFound) as err:
                call()
            assert err.value.key == "errors.not_found"
    assert session.get(Project, project.id).name == "My App"


def test_viewer_and_editor_cannot_change_project(session, alice, make_user, project):
    for name, role in (("vera", "viewer"), ("ed", "editor")):
        u = make_user(name)
        members.add_member(session=session, user=alice, project_id=project.id,
                           username=name, role=role)
        assert projects.get_project(session=session, user=u, project_id=project.id)
        with pytest.raises(PermissionDenied):
            project_settings.update_project(session=session, user=u, project_id=project.id,
                                            name="changed")
        with pytest.raises(PermissionDenied):
            members.add_member(session=session, user=u, project_id=project.id,
                               username="alice", role="owner")
        with pytest.raises(PermissionDenied):
            deletion.delete_project(session=session, user=u, project_id=project.id,
                                    confirm_name="My App")
    assert session.get(Project, project.id).name == "My App"


def test_disabled_or_anonymous_user_is_refused(session, make_user, project):
    ghost = make_user("ghost", disabled=True)
    for u in (None, ghost):
        with pytest.raises(PermissionDenied):
            projects.list_projects(session=session, user=u)
        with pytest.raises(PermissionDenied):
            projects.get_project(session=session, user=u, project_id=project.id)


def test_admin_counts_as_owner(session, admin, project):
    assert access.require_role(session=session, user=admin, project_id=project.id,
                               at_least=ProjectRole.owner) == ProjectRole.owner
    project_settings.update_project(session=session, user=admin, project_id=project.id,
                                    description="by admin")
    assert session.get(Project, project.id).description == "by admin"


# --- update ---------------------------------------------------------------------------

def test_update_project_validates_and_audits(session, alice, project):
    p = project_settings.update_project(session=session, user=alice, project_id=project.id,
                                        name="Renamed", max_concurrent_tasks=5,
                                        task_timeout_seconds=600, ip="1.2.3.4")
    assert (p.name, p.max_concurrent_tasks, p.task_timeout_seconds) == ("Renamed", 5, 600)
    [ev] = audits(session, "project.update")
    assert ev.before["name"] == "My App" and ev.after["name"] == "Renamed"
    assert ev.ip == "1.2.3.4"
    for kw in ({"max_concurrent_tasks": 0}, {"max_concurrent_tasks": 1000},
               {"task_timeout_seconds": 5}, {"task_timeout_seconds": "600"},
               {"max_concurrent_tasks": True}):
        with pytest.raises(InvalidInput) as err:
            project_settings.update_project(session=session, user=alice,
                                            project_id=project.id, **kw)
        assert err.value.key == "projects.limit_invalid"
    with pytest.raises(InvalidInput):
        project_settings.update_project(session=session, user=alice, project_id=project.id,
                                        name=" ")


def test_update_default_branch_must_exist(session, alice, project):
    with pytest.raises(InvalidInput) as err:
        project_settings.update_project(session=session, user=alice, project_id=project.id,
                                        default_branch="nope")
    assert err.value.key == "git.branch_missing"
    repo = projects.project_repo_path(project)
    git.run_git(["--git-dir", str(repo), "branch", "dev", "main"])
    p = project_settings.update_project(session=session, user=alice, project_id=project.id,
                                        default_branch="dev")
    assert p.default_branch == "dev"


# --- delete ---------------------------------------------------------------------------

def test_delete_needs_exact_name_then_removes_everything(session, settings, alice, project):
    repo = projects.project_repo_path(project)
    task = Task(project_id=project.id, command="true", status=TaskStatus.succeeded)
    session.add(task)
    session.commit()
    session.add(TaskEvent(task_id=task.id, seq=1, ts=0.0, type="status"))
    session.commit()
    for wrong in ("my app", "My App ", ""):
        with pytest.raises(InvalidInput) as err:
            deletion.delete_project(session=session, user=alice, project_id=project.id,
                                    confirm_name=wrong)
        assert err.value.key == "projects.confirm_mismatch"
    assert repo.is_dir()
    deletion.delete_project(session=session, user=alice, project_id=project.id,
                            confirm_name="My App", ip="5.6.7.8")
    assert session.get(Project, project.id) is None
    assert session.exec(select(Task)).all() == [] and session.exec(select(TaskEvent)).all() == []
    assert repo_dir_entries(settings) == []
    [ev] = audits(session, "project.delete")
    assert ev.before["name"] == "My App" and ev.ip == "5.6.7.8"


def test_delete_refused_while_a_task_is_active(session, alice, project):
    session.add(Task(project_id=project.id, command="sleep 1", status=TaskStatus.running))
    session.commit()
    with pytest.raises(InvalidInput) as err:
        deletion.delete_project(session=session, user=alice, project_id=project.id,
                                confirm_name="My App")
    assert err.value.key == "projects.has_active_tasks"
    assert projects.project_repo_path(project).is_dir()


def test_delete_failure_keeps_repository(session, alice, project, monkeypatch):
    def boom(*a, **kw):
        raise RuntimeError("db down")
    monkeypatch.setattr(deletion, "_delete_rows", boom)
    with pytest.raises(RuntimeError):
        deletion.delete_project(session=session, user=alice, project_id=project.id,
                                confirm_name="My App")
    assert projects.project_repo_path(project).is_dir()
    assert session.get(Project, project.id) is not None


# --- members ---------------------------------------------------------------------------

def test_members_add_change_remove_are_audited(session, alice, make_user, project):
    bob = make_user("bob")
    members.add_member(session=session, user=alice, project_id=project.id,
                       username="BOB", role="editor")
    assert access.require_role(session=session, user=bob, project_id=project.id,
                               at_least=ProjectRole.editor) == ProjectRole.editor
    members.set_member_role(session=session, user=alice, project_id=project.id,
                            user_id=bob.id, role=ProjectRole.viewer)
    assert [(m["username"], m["role"]) for m in members.list_members(
        session=session, user=bob, project_id=project.id)] == [("alice", "owner"),
                                                              ("bob", "viewer")]
    members.remove_member(session=session, user=alice, project_id=project.id, user_id=bob.id)
    with pytest.raises(NotFound):
        projects.get_project(session=session, user=bob, project_id=project.id)
    add, upd, rem = (audits(session, a)[0] for a in ("member.add", "member.update",
                                                     "member.remove"))
    assert add.after == {"user": "bob", "role": "editor"} and add.before is None
    assert upd.before["role"] == "editor" and upd.after["role"] == "viewer"
    assert rem.before["role"] == "viewer" and rem.after is None


def test_add_member_errors(session, alice, make_user, project):
    make_user("gone", disabled=True)
    for username, role, key in (("nobody", "viewer", "projects.user_not_found"),
                                ("gone", "viewer", "projects.user_not_found"),
                                ("alice", "viewer", "projects.already_member"),
                                ("alice", "superuser", "projects.role_invalid")):
        with pytest.raises(InvalidInput) as err:
            members.add_member(session=session, user=alice, project_id=project.id,
                               username=username, role=role)
        assert err.value.key == key


def test_last_owner_cannot_be_removed_or_demoted(session, alice, make_user, project):
    for call in (
        lambda: members.remove_member(session=session, user=alice, project_id=project.id,
                                      user_id=alice.id),
        lambda: members.set_member_role(session=session, user=alice, project_id=project.id,
                                        user_id=alice.id, role="editor"),
    ):
        with pytest.raises(InvalidInput) as err:
            call()
        assert err.value.key == "projects.last_owner"
    carol = make_user("carol")
    members.add_member(session=session, user=alice, project_id=project.id,
                       username="carol", role="owner")
    members.set_member_role(session=session, user=alice, project_id=project.id,
                            user_id=alice.id, role="viewer")
    with pytest.raises(InvalidInput):
        members.remove_member(session=session, user=carol, project_id=project.id,
                              user_id=carol.id)


def test_member_may_leave_but_not_remove_others(session, alice, make_user, project):
    bob, vera = make_user("bob"), make_user("vera")
    for name in ("bob", "vera"):
        members.add_member(session=session, user=alice, project_id=project.id,
                           username=name, role="editor")
    with pytest.raises(PermissionDenied):
        members.remove_member(session=session, user=bob, project_id=project.id,
                              user_id=vera.id)
    members.remove_member(session=session, user=bob, project_id=project.id, user_id=bob.id)
    assert [m["username"] for m in members.list_members(
        session=session, user=alice, project_id=project.id)] == ["alice", "vera"]


def test_member_clones_local_path_only_under_allowed_roots(session, settings, tmp_path,
                                                          monkeypatch):
    """Members may clone a server path only inside CLAWWEB_LOCAL_CLONE_ROOTS."""
    import subprocess

    from clawweb import settings as settings_mod
    from clawweb.models import Role, User
    from clawweb.services.projects import deletion, members, service as projects
    from clawweb.services.projects import settings as project_settings
    from clawweb.services.errors import PermissionDenied

    allowed = tmp_path / "shared-repos"
    src = allowed / "demo"
    src.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    subprocess.run(["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    outside = tmp_path / "elsewhere"
    subprocess.run(["git", "clone", "-q", str(src), str(outside)], check=True)
    member = User(username="mem", role=Role.member, password_hash="!")
    session.add(member)
    session.commit()

    with pytest.raises(PermissionDenied):
        projects.create_project(session=session, user=member, name="a", source_url=str(src))
    # Even an operator listing the data dir cannot open it to members.
    monkeypatch.setenv("CLAWWEB_LOCAL_CLONE_ROOTS", f"{allowed}:{settings.data_dir}")
    settings_mod.get_settings.cache_clear()
    project = projects.create_project(session=session, user=member, name="b",
                                      source_url=str(src))
    assert project.id is not None
    with pytest.raises(PermissionDenied):
        projects.create_project(session=session, user=member, name="c",
                                source_url=str(outside))
    with pytest.raises(PermissionDenied):  # the data dir is never an allowed root
        projects.create_project(session=session, user=member, name="d",
                                source_url=str(projects.project_repo_path(project)))
