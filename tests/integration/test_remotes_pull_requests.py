"""Open a pull/merge request for a task: the branch is pushed to the real smart-HTTP
remote first, then the request is opened on a scripted forge (GitHub, GitLab, Gitea)
with the task's prompt, the agent's summary and a link back; its URL and state are
recorded on the task and follow the forge."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import AuditEvent, ProjectRole, Task, TaskEvent
from clawweb.services.projects import service as projects
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.forges import ForgeError
from clawweb.services.remotes import pull_requests, store
from tests.integration.remotes_support import add_member, finished_task, rev, users
from tests.support.fake_forges import FakeForge
from tests.support.git_servers import GitHttpServer, allow_loopback_remotes, make_bare_repo

TOKEN = "forge-and-git-token-0123456789"
REPOS = {"github": "octo/app", "gitlab": "group/sub/app", "gitea": "team/app"}


@pytest.fixture(params=sorted(REPOS))
def setup(request, tmp_path, settings, monkeypatch, session):
    kind = request.param
    allow_loopback_remotes(monkeypatch)
    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", "https://claw.example.test")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    git_server = GitHttpServer(tmp_path / "upstream", TOKEN).start()
    make_bare_repo(git_server.repo(REPOS[kind]), {"README.md": "hi\n"})
    people = users(session)
    project = projects.create_project(session=session, user=people["alice"], name="App",
                                      source_url=git_server.url_for(REPOS[kind]),
                                      remote_token=TOKEN)
    add_member(session, project, people["bob"], ProjectRole.editor)
    add_member(session, project, people["carol"], ProjectRole.viewer)
    task = finished_task(session, project, people["bob"], {"hello.txt": "hello\n"},
                         prompt="Add a hello file\nwith a friendly greeting")
    session.add(TaskEvent(task_id=task.id, seq=1, ts=0.0, type="agent.result",
                          data={"result": "I added hello.txt with a greeting."}))
    session.commit()
    forge = FakeForge(kind, TOKEN, REPOS[kind], branches={"main", task.branch}).start()
    store.save_settings(session=session, user=people["alice"], project_id=project.id,
                        url=git_server.url_for(REPOS[kind]), forge=kind,
                        forge_api_url=forge.api_url)
    yield people, project, task, forge, git_server
    forge.stop()
    git_server.stop()


def test_open_pushes_the_branch_then_opens_the_request(setup, session):
    people, project, task, forge, git_server = setup
    view = pull_requests.open_for_task(session=session, user=people["bob"], task_id=task.id,
                                       ip="5.6.7.8")
    assert rev(git_server.repo(forge.repo), f"refs/heads/{task.branch}") == task.commit_sha
    assert list(forge.pulls) == [1]
    pr = forge.pulls[1]
    assert (pr["head"], pr["base"]) == (task.branch, "main")
    assert pr["title"] == f"Task #{task.id}: Add a hello file"
    assert "> Add a hello file\n> with a friendly greeting" in pr["body"]
    assert "I added hello.txt with a greeting." in pr["body"]
    assert f"https://claw.example.test/tasks/{task.id}" in pr["body"]
    session.refresh(task)
    assert (task.pr_number, task.pr_state) == (1, "open")
    assert task.pr_url.startswith(forge.base_url) and view["pr_url"] == task.pr_url
    assert task.pushed_sha == task.commit_sha
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "remote.pr_open")).all()
    assert len(audit) == 1 and audit[0].after["url"] == task.pr_url


def test_state_follows_the_forge(setup, session):
    people, project, task, forge, _ = setup
    pull_requests.open_for_task(session=session, user=people["alice"], task_id=task.id)
    forge.set_state(1, "merged")
    view = pull_requests.refresh(session=session, user=people["carol"], task_id=task.id)
    assert view["pr_state"] == "merged"
    assert session.get(Task, task.id).pr_state == "merged"


def test_one_open_request_per_task(setup, session):
    people, project, task, forge, _ = setup
    pull_requests.open_for_task(session=session, user=people["alice"], task_id=task.id)
    with pytest.raises(InvalidInput) as err:
        pull_requests.open_for_task(session=session, user=people["alice"], task_id=task.id)
    assert err.value.key == "remotes.pr_exists"
    assert len(forge.pulls) == 1


def test_a_refused_request_leaves_the_task_as_it_was(setup, session):
    people, project, task, forge, _ = setup
    forge.branches.discard(task.branch)  # the forge refuses: 422
    with pytest.raises(ForgeError) as err:
        pull_requests.open_for_task(session=session, user=people["alice"], task_id=task.id)
    assert err.value.key == "forges.rejected"
    session.expire_all()
    again = session.get(Task, task.id)
    assert (again.pr_state, again.pr_url, again.pr_number) == ("", "", 0)
    forge.branches.add(task.branch)
    assert pull_requests.open_for_task(session=session, user=people["alice"],
                                       task_id=task.id)["pr_state"] == "open"


def test_viewers_and_strangers_cannot_open(setup, session):
    people, project, task, forge, _ = setup
    with pytest.raises(PermissionDenied):
        pull_requests.open_for_task(session=session, user=people["carol"], task_id=task.id)
    with pytest.raises(NotFound):
        pull_requests.open_for_task(session=session, user=people["mallory"], task_id=task.id)
    with pytest.raises(NotFound):
        pull_requests.refresh(session=session, user=people["mallory"], task_id=task.id)
    assert forge.pulls == {}


def test_a_forge_link_that_is_not_http_is_refused(setup, session, monkeypatch):
    from clawweb.services.forges import PullRequest
    from clawweb.services.forges.gitea import Gitea
    from clawweb.services.forges.github import GitHub
    from clawweb.services.forges.gitlab import GitLab

    people, project, task, forge, _ = setup
    evil = PullRequest(number=9, url="javascript:alert(document.cookie)", state="open")
    for cls in (GitHub, GitLab, Gitea):
        monkeypatch.setattr(cls, "open_request", lambda self, **kw: evil)
    with pytest.raises(ForgeError) as err:
        pull_requests.open_for_task(session=session, user=people["alice"], task_id=task.id)
    assert err.value.key == "forges.bad_response"
    session.expire_all()
    assert session.get(Task, task.id).pr_url == ""


def test_ship_view_for_the_task_page(setup, session):
    people, project, task, forge, _ = setup
    view = pull_requests.ship_view(session=session, user=people["carol"], task_id=task.id)
    assert view["can_ship"] is False and view["has_remote"] and not view["pushed"]
    assert view["default_unpushed"] is False  # the clone is what the remote has
    bob = pull_requests.ship_view(session=session, user=people["bob"], task_id=task.id)
    assert bob["can_ship"] is True and bob["branch_exists"]
    assert TOKEN not in repr(view) + repr(bob)
