"""A private repository over real SSH (Debian's sshd on loopback, run as an
unprivileged account, a test host key, the project's deploy key authorized):
first sync of a deploy-key project pins the host key, push arrives, a changed
host key or a key of another type is refused clearly, a key the server does not
know is refused; the private key is never in argv, the environment or a file
that outlives the call."""

from __future__ import annotations

import glob
import os
import tempfile

import pytest
from sqlmodel import select

from clawweb.i18n import t
from clawweb.models import AuditEvent, ProjectRemote, ProjectRole
from clawweb.services import crypto
from clawweb.services.projects import service as projects
from clawweb.services.remotes import keys, push, store, sync
from clawweb.services.remotes.errors import RemoteError
from tests.integration.remotes_support import (PopenRecorder, add_member, finished_task,
                                               grep_tree, rev, users)
from tests.support.git_servers import SshGitServer, allow_loopback_remotes, commit_on


@pytest.fixture
def sshd(settings, monkeypatch):
    allow_loopback_remotes(monkeypatch)
    server = SshGitServer()
    server.make_repo("app", {"README.md": "over ssh\n"}, branch="trunk")
    yield server
    server.cleanup()


@pytest.fixture
def world(session, sshd):
    """A project made with a deploy key, its key authorized on the server."""
    people = users(session)
    project = projects.create_project(session=session, user=people["alice"], name="Ssh app",
                                      source_url=sshd.url_for("app"), deploy_key=True)
    add_member(session, project, people["bob"], ProjectRole.editor)
    public = session.get(ProjectRemote, project.id).ssh_public_key
    sshd.start([public])
    return people, project


def _private_key(session, project) -> str:
    row = session.get(ProjectRemote, project.id)
    return crypto.decrypt(row.ssh_key_ciphertext, aad=f"remote-ssh-key:{project.id}")


def _key_lines(session, project) -> list[str]:
    return [ln for ln in _private_key(session, project).splitlines()
            if ln and not ln.startswith("-----")]


def test_unknown_host_is_pinned_on_first_use_and_its_fingerprint_shown(world, session, sshd):
    """The first sync of a deploy-key project fills its empty repository."""
    people, project = world
    repo = projects.project_repo_path(project)
    assert rev(repo, "HEAD") == ""  # unborn until the key is on the forge
    result = sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    assert result["key"] == "remotes.sync_updated" and result["branch"] == "trunk"
    session.refresh(project)
    assert project.default_branch == "trunk"
    assert rev(repo, "refs/heads/trunk") == rev(sshd.repo("app"), "refs/heads/trunk")
    view = store.view(session=session, user=people["alice"], project_id=project.id)
    assert [h["fingerprint"] for h in view["host_keys"]] == [sshd.host_fingerprint()]
    assert view["host_keys"][0]["host"] == f"[127.0.0.1]:{sshd.port}"
    pinned = session.exec(select(AuditEvent).where(
        AuditEvent.action == "remote.host_key_pin")).all()
    assert len(pinned) == 1 and sshd.host_fingerprint() in pinned[0].detail


def test_push_over_ssh_and_the_key_stays_out_of_argv_env_and_disk(world, session, sshd,
                                                                  monkeypatch):
    people, project = world
    sync.sync_now(session=session, user=people["bob"], project_id=project.id)
    session.refresh(project)
    task = finished_task(session, project, people["bob"], {"ssh.txt": "pushed over ssh\n"})
    recorder = PopenRecorder(monkeypatch)
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "clawweb-remote-*")))
    push.push_task(session=session, user=people["bob"], task_id=task.id)
    assert rev(sshd.repo("app"), f"refs/heads/{task.branch}") == task.commit_sha
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "clawweb-remote-*"))) == before
    text = recorder.text()
    assert "GIT_SSH_COMMAND" in text  # the spy saw the ssh call
    assert all(line not in text for line in _key_lines(session, project))
    assert grep_tree(projects.project_repo_path(project), _key_lines(session, project)) == []


def test_a_changed_host_key_is_refused_clearly(world, session, sshd):
    people, project = world
    sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    session.refresh(project)
    pinned_before = session.get(ProjectRemote, project.id).known_hosts
    old = sshd.host_fingerprint()
    sshd.new_host_key("ed25519")
    sshd.restart([session.get(ProjectRemote, project.id).ssh_public_key])
    task = finished_task(session, project, people["alice"], {"x.txt": "x\n"})
    with pytest.raises(RemoteError) as err:
        push.push_task(session=session, user=people["alice"], task_id=task.id)
    assert err.value.key == "remotes.host_key_changed"
    assert err.value.params["offered"] == sshd.host_fingerprint() != old
    message = t(err.value.key, **err.value.params)
    assert sshd.host_fingerprint() in message and "changed" in message.lower()
    assert rev(sshd.repo("app"), f"refs/heads/{task.branch}") == ""
    session.expire_all()
    assert session.get(ProjectRemote, project.id).known_hosts == pinned_before


def test_a_host_key_of_another_type_is_not_trusted_as_new(world, session, sshd):
    """A man in the middle offering a key type we never pinned is a change, not a
    new host (clawweb checks strictly once a host has any pinned key)."""
    people, project = world
    sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    pinned_before = session.get(ProjectRemote, project.id).known_hosts
    sshd.new_host_key("ecdsa")
    sshd.restart([session.get(ProjectRemote, project.id).ssh_public_key])
    commit_on(sshd.repo("app"), "trunk", "later.txt", "later\n", user=sshd.user)
    with pytest.raises(RemoteError) as err:
        sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    assert err.value.key == "remotes.host_key_changed", err.value.detail
    assert err.value.params["offered"] == sshd.host_fingerprint()
    session.expire_all()
    assert session.get(ProjectRemote, project.id).known_hosts == pinned_before
    row = session.get(ProjectRemote, project.id)
    assert row.last_sync_result == "remotes.host_key_changed"
    assert row.last_sync_params["offered"] == sshd.host_fingerprint()


def test_forgetting_the_pinned_key_pins_the_new_one(world, session, sshd):
    people, project = world
    sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    sshd.new_host_key("ed25519")
    sshd.restart([session.get(ProjectRemote, project.id).ssh_public_key])
    store.forget_host_keys(session=session, user=people["alice"], project_id=project.id)
    assert sync.sync_now(session=session, user=people["alice"],
                         project_id=project.id)["key"] == "remotes.sync_up_to_date"
    view = store.view(session=session, user=people["alice"], project_id=project.id)
    assert [h["fingerprint"] for h in view["host_keys"]] == [sshd.host_fingerprint()]


def test_a_deploy_key_the_server_does_not_know_is_refused(world, session, sshd):
    people, project = world
    sshd.restart([keys.generate("someone-else").public])
    with pytest.raises(RemoteError) as err:
        sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    assert err.value.key == "remotes.key_refused"
    assert all(line not in err.value.detail for line in _key_lines(session, project))


def test_the_private_key_never_reaches_a_tasks_working_copy(world, session, sshd):
    from pathlib import Path

    from worker import git_workdir

    people, project = world
    sync.sync_now(session=session, user=people["alice"], project_id=project.id)
    work = Path(tempfile.mkdtemp()) / "w"
    git_workdir.prepare_workdir(projects.project_repo_path(project), work,
                                base_branch="trunk", task_branch="clawweb/task-5")
    assert (work / "README.md").read_text() == "over ssh\n"
    assert grep_tree(work, _key_lines(session, project)) == []
