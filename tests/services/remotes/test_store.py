"""The remote row: owners only, secrets only as ciphertext, audited without them,
pins dropped when the host changes, the before-task sync hook never raises."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from clawweb.models import AuditEvent, Project, ProjectMember, ProjectRemote, ProjectRole, User
from clawweb.services import crypto
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.services.remotes import keys, store, sync
from clawweb.services.remotes.errors import RemoteError

TOKEN = "glpat-store-unit-secret-token-1"


@pytest.fixture
def world(session):
    from clawweb.services import git
    from clawweb.services.projects import deletion, service as projects

    alice, bob, eve = (User(username=n, password_hash="!") for n in ("alice", "bob", "eve"))
    session.add_all([alice, bob, eve])
    session.flush()
    project = Project(name="P", slug="p", source_url="https://github.com/o/r.git")
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.add(ProjectMember(project_id=project.id, user_id=bob.id, role=ProjectRole.editor))
    session.commit()
    git.init_empty(projects.project_repo_path(project))
    return alice, bob, eve, project


def test_view_starts_from_the_clone_source(world, session):
    alice, _, _, project = world
    view = store.view(session=session, user=alice, project_id=project.id)
    assert view["url"] == "https://github.com/o/r.git" and view["forge_guess"] == "github"
    assert view["has_token"] is False and view["public_key"] == ""


def test_only_owners_change_the_remote(world, session):
    alice, bob, eve, project = world
    for user, exc in ((bob, PermissionDenied), (eve, NotFound), (None, PermissionDenied)):
        with pytest.raises(exc):
            store.set_token(session=session, user=user, project_id=project.id, token=TOKEN)
        with pytest.raises(exc):
            store.save_settings(session=session, user=user, project_id=project.id,
                                url="https://github.com/o/x.git")
        with pytest.raises(exc):
            store.generate_deploy_key(session=session, user=user, project_id=project.id)
        with pytest.raises(exc):
            store.view(session=session, user=user, project_id=project.id)
    assert session.get(ProjectRemote, project.id) is None


def test_token_and_key_are_ciphertext_and_never_audited(world, session):
    alice, _, _, project = world
    store.set_token(session=session, user=alice, project_id=project.id, token=TOKEN)
    public = store.generate_deploy_key(session=session, user=alice, project_id=project.id)
    row = session.get(ProjectRemote, project.id)
    private = crypto.decrypt(row.ssh_key_ciphertext, aad=f"remote-ssh-key:{project.id}")
    assert TOKEN not in row.token_ciphertext and "PRIVATE KEY" not in row.ssh_key_ciphertext
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert row.ssh_public_key == public
    audit = json.dumps([(a.action, a.before, a.after, a.detail) for a in
                        session.exec(select(AuditEvent))], default=str)
    assert TOKEN not in audit and private.splitlines()[1] not in audit
    assert "remote.token_set" in audit and "remote.key_generate" in audit
    assert keys.fingerprint(public) in audit
    view = store.view(session=session, user=alice, project_id=project.id)
    assert TOKEN not in repr(view) and private.splitlines()[1] not in repr(view)
    assert view["token_hint"] == TOKEN[-4:] and view["key_fingerprint"].startswith("SHA256:")


def test_a_ciphertext_moved_to_another_project_does_not_open(world, session):
    alice, _, _, project = world
    store.set_token(session=session, user=alice, project_id=project.id, token=TOKEN)
    stolen = session.get(ProjectRemote, project.id).token_ciphertext
    other = Project(name="Q", slug="q")
    session.add(other)
    session.commit()
    session.add(ProjectRemote(project_id=other.id, url="https://github.com/o/q.git",
                              token_ciphertext=stolen))
    session.commit()
    with pytest.raises(crypto.SecretUnreadable):
        store.opened(session, other.id)


@pytest.mark.parametrize("token,key", [("", "remotes.token_empty"),
                                       ("a b", "remotes.token_bad_characters"),
                                       ("a\nX-Evil: 1", "remotes.token_bad_characters"),
                                       ("x" * 5000, "remotes.token_too_long")])
def test_bad_tokens(world, session, token, key):
    alice, _, _, project = world
    with pytest.raises(InvalidInput) as err:
        store.set_token(session=session, user=alice, project_id=project.id, token=token)
    assert err.value.key == key


def test_settings_validation(world, session):
    alice, _, _, project = world
    with pytest.raises(RemoteError):
        store.save_settings(session=session, user=alice, project_id=project.id,
                            url="https://u:p@github.com/o/r.git")
    with pytest.raises(InvalidInput):
        store.save_settings(session=session, user=alice, project_id=project.id,
                            url="https://github.com/o/r.git", forge="bitbucket")
    with pytest.raises(InvalidInput):
        store.save_settings(session=session, user=alice, project_id=project.id,
                            url="https://github.com/o/r.git", token_username="a:b")
    with pytest.raises(RemoteError):
        store.save_settings(session=session, user=alice, project_id=project.id,
                            url="https://github.com/o/r.git", forge_api_url="http://10.0.0.1")
    row = store.save_settings(session=session, user=alice, project_id=project.id,
                              url="git@gitlab.com:g/r.git", forge="gitlab",
                              sync_before_task=True)
    assert (row.url, row.forge, row.sync_before_task) == ("git@gitlab.com:g/r.git", "gitlab",
                                                          True)


def test_changing_host_drops_the_old_pins(world, session):
    alice, _, _, project = world
    blob = keys.generate("h").public.split()
    store.save_settings(session=session, user=alice, project_id=project.id,
                        url="ssh://git@github.com/o/r.git")
    store.pin_host_keys(session, project.id, f"github.com {blob[0]} {blob[1]}\n")
    store.save_settings(session=session, user=alice, project_id=project.id,
                        url="git@github.com:o/other.git")  # same host: pins stay
    assert session.get(ProjectRemote, project.id).known_hosts
    store.save_settings(session=session, user=alice, project_id=project.id,
                        url="ssh://git@gitlab.com/o/r.git")
    assert session.get(ProjectRemote, project.id).known_hosts == ""


def test_ssh_remote_without_a_key_says_so(world, session):
    alice, _, _, project = world
    store.save_settings(session=session, user=alice, project_id=project.id,
                        url="git@github.com:o/r.git")
    with pytest.raises(RemoteError) as err:
        store.opened(session, project.id)
    assert err.value.key == "remotes.no_deploy_key"


def test_before_task_sync_is_off_by_default_and_never_raises(world, session, monkeypatch):
    alice, _, _, project = world
    assert sync.before_task(session=session, project_id=project.id) is None
    store.save_settings(session=session, user=alice, project_id=project.id,
                        url="https://github.com/o/r.git", sync_before_task=True)
    monkeypatch.setattr(sync, "_sync", lambda *a: (_ for _ in ()).throw(
        RemoteError("remotes.unreachable")))
    assert sync.before_task(session=session, project_id=project.id) == \
        {"key": "remotes.unreachable"}
    assert session.get(ProjectRemote, project.id).last_sync_result == "remotes.unreachable"


def test_deleting_a_project_deletes_its_remote(world, session):
    from clawweb.services.projects import deletion, service as projects

    alice, _, _, project = world
    store.set_token(session=session, user=alice, project_id=project.id, token=TOKEN)
    deletion.delete_project(session=session, user=alice, project_id=project.id,
                            confirm_name="P")
    assert session.get(ProjectRemote, project.id) is None


def test_shipping_follows_the_projects_ship_role(world, session):
    from clawweb.services.remotes.access import can_ship, require_ship

    alice, bob, eve, project = world
    assert can_ship(session=session, user=bob, project_id=project.id)  # default: editors too
    project.ship_role = "owner"
    session.add(project)
    session.commit()
    assert not can_ship(session=session, user=bob, project_id=project.id)
    with pytest.raises(PermissionDenied):
        require_ship(session=session, user=bob, project_id=project.id)
    assert can_ship(session=session, user=alice, project_id=project.id)
    assert not can_ship(session=session, user=eve, project_id=project.id)  # not a member
