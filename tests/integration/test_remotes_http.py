"""A private repository over real smart HTTP (git http-backend behind Basic auth on
loopback): clone with a token when creating a project, push a task branch and the
default branch, sync from the remote; a wrong token is refused plainly; the token
is never in argv, a URL, the repository, a task's working copy or an error."""

from __future__ import annotations

import base64

import pytest
from sqlmodel import select

from clawweb.i18n import t
from clawweb.models import AuditEvent, ProjectRemote, ProjectRole, Task, TaskEvent
from clawweb.services.projects import service as projects
from clawweb.services.errors import NotFound, PermissionDenied
from clawweb.services.remotes import push, store, sync
from clawweb.services.remotes.errors import RemoteError
from tests.integration.remotes_support import (PopenRecorder, add_member, finished_task,
                                               grep_tree, rev, users)
from tests.support.git_servers import GitHttpServer, allow_loopback_remotes, commit_on, \
    make_bare_repo

TOKEN = "ghp_httpIntegrationSecretToken0001"


@pytest.fixture
def server(tmp_path, settings, monkeypatch):
    allow_loopback_remotes(monkeypatch)
    srv = GitHttpServer(tmp_path / "upstream", TOKEN).start()
    make_bare_repo(srv.repo("team/app"), {"README.md": "hello\n"})
    yield srv
    srv.stop()


@pytest.fixture
def world(session, server):
    people = users(session)
    project = projects.create_project(session=session, user=people["alice"], name="App",
                                      source_url=server.url_for("team/app"),
                                      remote_token=TOKEN)
    add_member(session, project, people["bob"], ProjectRole.editor)
    add_member(session, project, people["carol"], ProjectRole.viewer)
    return people, project


def _secrets():
    basic = base64.b64encode(f"git:{TOKEN}".encode()).decode()
    return [TOKEN, basic]


def test_private_clone_with_a_token_and_nothing_of_it_in_the_repository(world, server):
    people, project = world
    repo = projects.project_repo_path(project)
    assert rev(repo, "refs/heads/main") == rev(server.repo("team/app"), "refs/heads/main") != ""
    assert project.default_branch == "main"
    assert grep_tree(repo, _secrets()) == []
    assert server.requests and all(TOKEN not in r["path"] + r["query"] for r in server.requests)


def test_private_clone_without_the_token_is_refused(session, server):
    people = users(session)
    with pytest.raises(RemoteError) as err:
        projects.create_project(session=session, user=people["alice"], name="Nope",
                                source_url=server.url_for("team/app"),
                                remote_token="wrong-token-0000000")
    assert err.value.key == "remotes.auth_failed"
    assert "wrong-token" not in t(err.value.key) + err.value.detail
    assert list(projects.get_settings().repos_dir.glob("*")) == []


def test_token_is_stored_encrypted(world, session):
    _, project = world
    row = session.get(ProjectRemote, project.id)
    assert row.token_ciphertext.startswith("v1.") and TOKEN not in row.token_ciphertext
    assert row.token_hint == TOKEN[-4:]
    view = store.view(session=session, user=world[0]["alice"], project_id=project.id)
    assert TOKEN not in repr(view) and view["has_token"] and view["transport"] == "http"


def test_push_task_branch_over_http(world, session, server, monkeypatch):
    people, project = world
    task = finished_task(session, project, people["bob"], {"hello.txt": "hi\n"})
    recorder = PopenRecorder(monkeypatch)
    result = push.push_task(session=session, user=people["bob"], task_id=task.id, ip="1.2.3.4")
    remote_sha = rev(server.repo("team/app"), f"refs/heads/{task.branch}")
    assert remote_sha == task.commit_sha == result["sha"]
    session.refresh(task)
    assert task.pushed_sha == task.commit_sha and task.pushed_at is not None
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "remote.push")).all()
    assert len(audit) == 1 and audit[0].ip == "1.2.3.4"
    # Neither argv nor the environment of any git process carried the token.
    assert recorder.calls and all(secret not in recorder.text() for secret in _secrets())


def test_wrong_token_is_refused_plainly(world, session, server):
    people, project = world
    task = finished_task(session, project, people["alice"], {"a.txt": "a\n"})
    store.set_token(session=session, user=people["alice"], project_id=project.id,
                    token="ghp_wrongWrongWrongWrong99")
    with pytest.raises(RemoteError) as err:
        push.push_task(session=session, user=people["alice"], task_id=task.id)
    assert err.value.key == "remotes.auth_failed"
    shown = t(err.value.key) + err.value.detail + repr(err.value.params)
    assert "ghp_wrong" not in shown and TOKEN not in shown
    assert rev(server.repo("team/app"), f"refs/heads/{task.branch}") == ""
    assert session.get(Task, task.id).pushed_sha == ""


def test_sync_fast_forwards_the_default_branch(world, session, server):
    people, project = world
    repo = projects.project_repo_path(project)
    upstream = commit_on(server.repo("team/app"), "main", "new.txt", "upstream\n")
    result = sync.sync_now(session=session, user=people["bob"], project_id=project.id)
    assert result["key"] == "remotes.sync_updated" and rev(repo, "refs/heads/main") == upstream
    again = sync.sync_now(session=session, user=people["bob"], project_id=project.id)
    assert again["key"] == "remotes.sync_up_to_date"
    row = session.get(ProjectRemote, project.id)
    assert row.last_sync_result == "remotes.sync_up_to_date" and row.last_sync_at


def test_sync_never_overwrites_local_work(world, session, server):
    people, project = world
    repo = projects.project_repo_path(project)
    local = commit_on(repo, "main", "local.txt", "merged here\n")
    commit_on(server.repo("team/app"), "main", "theirs.txt", "elsewhere\n")
    result = sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    assert result["key"] == "remotes.sync_diverged"
    assert rev(repo, "refs/heads/main") == local


def test_push_default_branch_after_a_merge(world, session, server):
    people, project = world
    repo = projects.project_repo_path(project)
    merged = commit_on(repo, "main", "merged.txt", "merged\n")
    result = push.push_default(session=session, user=people["bob"], project_id=project.id)
    assert result["sha"] == merged == rev(server.repo("team/app"), "refs/heads/main")
    assert session.get(ProjectRemote, project.id).default_pushed_sha == merged


def test_push_never_forces_over_someone_elses_commits(world, session, server):
    people, project = world
    repo = projects.project_repo_path(project)
    commit_on(repo, "main", "mine.txt", "mine\n")
    theirs = commit_on(server.repo("team/app"), "main", "theirs.txt", "theirs\n")
    with pytest.raises(RemoteError) as err:
        push.push_default(session=session, user=people["alice"], project_id=project.id)
    assert err.value.key == "remotes.push_rejected"
    assert rev(server.repo("team/app"), "refs/heads/main") == theirs


def test_viewers_and_strangers_cannot_ship(world, session):
    people, project = world
    task = finished_task(session, project, people["alice"], {"b.txt": "b\n"})
    with pytest.raises(PermissionDenied):
        push.push_task(session=session, user=people["carol"], task_id=task.id)
    with pytest.raises(NotFound):
        push.push_task(session=session, user=people["mallory"], task_id=task.id)
    with pytest.raises(PermissionDenied):
        sync.sync_now(session=session, user=people["carol"], project_id=project.id)
    with pytest.raises(PermissionDenied):
        store.set_token(session=session, user=people["bob"], project_id=project.id,
                        token="ghp_editorsMayNotSetTokens1")


def test_the_token_never_reaches_a_tasks_working_copy(world, session):
    from pathlib import Path
    import tempfile

    from worker import git_workdir

    people, project = world
    work = Path(tempfile.mkdtemp()) / "w"
    git_workdir.prepare_workdir(projects.project_repo_path(project), work,
                                base_branch="main", task_branch="clawweb/task-99")
    assert (work / "README.md").read_text() == "hello\n"
    assert grep_tree(work, _secrets()) == []


def test_a_task_of_a_project_that_syncs_first_starts_from_the_remotes_latest(
        world, session, server, fake_redis, monkeypatch):
    from worker import jobs
    from worker.sandbox import FakeRun, FakeSandbox
    from clawweb.services.tasks import service as tasks

    people, project = world
    seen: list[str] = []

    def handler(spec):
        seen.append((spec.workdir / "LATER.md").read_text()
                    if (spec.workdir / "LATER.md").exists() else "")
        return FakeRun(exit_code=0)

    monkeypatch.setattr(jobs, "make_sandbox", lambda name: FakeSandbox(handler))
    store.save_settings(session=session, user=people["alice"], project_id=project.id,
                        url=server.url_for("team/app"), sync_before_task=True)
    commit_on(server.repo("team/app"), "main", "LATER.md", "pushed after the clone\n")
    task = tasks.submit_task(session=session, user=people["alice"], project_id=project.id,
                             command="cat LATER.md", idempotency_key="sync-first")
    assert jobs.run_task(task.id) == "succeeded"
    assert seen == ["pushed after the clone\n"]  # the working copy had the new commit
    notes = [e.data for e in session.exec(select(TaskEvent).where(
        TaskEvent.task_id == task.id, TaskEvent.type == "system"))]
    assert {"key": "remotes.sync_updated", "params": {}} in notes  # and the page says so
