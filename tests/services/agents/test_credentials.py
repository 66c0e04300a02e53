import pytest
from sqlmodel import select

from clawweb.models import AuditEvent, Credential, ProjectRole
from clawweb.services import crypto
from clawweb.services.agents import credentials
from clawweb.services.errors import InvalidInput, PermissionDenied
from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user

KEY = "sk-ant-api03-abcdefghijklmnop-WXYZ"


def test_user_credential_stored_encrypted_masked_and_resolved(session):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    row = session.exec(select(Credential)).one()
    assert KEY not in row.ciphertext and "abcdefgh" not in row.ciphertext
    info = credentials.user_credential_info(session=session, user=alice)
    assert info["hint"] == "…WXYZ" and KEY not in str(info)
    task = make_task(session, project, alice)
    resolved = credentials.resolve_for_task(session=session, task=task)
    assert (resolved.kind, resolved.secret, resolved.source) == ("api_key", KEY, "user")
    assert KEY not in repr(resolved)
    audits = session.exec(select(AuditEvent)).all()
    assert [a.action for a in audits] == ["credential.set"]
    assert KEY not in str([(a.before, a.after) for a in audits])


def test_project_credential_wins_and_only_owner_sets_it(session):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    project = make_project(session, alice)
    add_member(session, project, bob, ProjectRole.editor)
    credentials.set_user_credential(session=session, user=bob, kind="api_key", secret=KEY)
    with pytest.raises(PermissionDenied):
        credentials.set_project_credential(session=session, user=bob, project=project,
                                           kind="oauth_token", secret="oauth-token-123456")
    credentials.set_project_credential(session=session, user=alice, project=project,
                                       kind="oauth_token", secret="oauth-token-123456")
    resolved = credentials.resolve_for_task(session=session, task=make_task(session, project, bob))
    assert (resolved.kind, resolved.secret, resolved.source) == ("oauth_token", "oauth-token-123456", "project")
    assert credentials.delete_project_credential(session=session, user=alice, project=project)
    resolved = credentials.resolve_for_task(session=session, task=make_task(session, project, bob))
    assert resolved.source == "user"


def test_resolve_opens_only_the_owner_asked_for(session):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    # The project has none of its own: asking for the project alone finds nothing,
    # while project-then-user falls back to alice's.
    assert credentials.resolve(session=session, project_id=project.id) is None
    assert credentials.resolve(session=session, user_id=alice.id).secret == KEY
    both = credentials.resolve(session=session, project_id=project.id, user_id=alice.id)
    assert (both.secret, both.source) == (KEY, "user")
    credentials.set_project_credential(session=session, user=alice, project=project,
                                       kind="oauth_token", secret="oauth-token-123456")
    assert credentials.resolve(session=session, project_id=project.id).source == "project"


def test_replace_and_delete(session):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY + "2")
    assert len(session.exec(select(Credential)).all()) == 1
    task = make_task(session, project, alice)
    assert credentials.resolve_for_task(session=session, task=task).secret == KEY + "2"
    assert credentials.delete_user_credential(session=session, user=alice)
    assert not credentials.delete_user_credential(session=session, user=alice)
    assert credentials.resolve_for_task(session=session, task=task) is None


@pytest.mark.parametrize("secret,key", [("", "credentials.empty"), ("a b", "credentials.bad_characters"),
                                        ("abc\r\nX-Evil: 1", "credentials.bad_characters"),
                                        ("x" * 5000, "credentials.too_long")])
def test_bad_secrets_refused(session, secret, key):
    alice = make_user(session, "alice")
    with pytest.raises(InvalidInput) as err:
        credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=secret)
    assert err.value.key == key


def test_row_copied_to_another_user_does_not_open(session):
    alice, mallory = make_user(session, "alice"), make_user(session, "mallory")
    project = make_project(session, alice)
    add_member(session, project, mallory, ProjectRole.editor)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    stolen = session.exec(select(Credential)).one().ciphertext
    session.add(Credential(owner_type="user", owner_id=mallory.id, ciphertext=stolen))
    session.commit()
    with pytest.raises(crypto.SecretUnreadable):
        credentials.resolve_for_task(session=session, task=make_task(session, project, mallory))


def test_rotation_reseals_on_read(session, settings, monkeypatch):
    alice = make_user(session, "alice")
    project = make_project(session, alice)
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=KEY)
    old_ct = session.exec(select(Credential)).one().ciphertext
    old_key = settings.secret_bytes().decode()
    monkeypatch.setattr(settings, "secret_key", "a-brand-new-secret-key-value-0123456789")
    monkeypatch.setattr(settings, "secret_key_previous", old_key)
    task = make_task(session, project, alice)
    assert credentials.resolve_for_task(session=session, task=task).secret == KEY
    new_ct = session.exec(select(Credential)).one().ciphertext
    assert new_ct != old_ct and not crypto.needs_rotation(new_ct)


def test_check_against_loopback_fixture():
    api = FakeAnthropic(accept_keys={KEY}).start()
    try:
        assert credentials.test_credential(kind="api_key", secret=KEY, base_url=api.url) == (
            True, "credentials.test_ok")
        assert credentials.test_credential(kind="api_key", secret=KEY + "x", base_url=api.url) == (
            False, "credentials.test_rejected")
        assert credentials.test_credential(kind="oauth_token", secret=KEY, base_url=api.url)[0]
    finally:
        api.stop()


def test_check_is_injectable_and_unreachable_is_reported():
    seen = {}

    def fake_check(url, headers):
        seen.update(url=url, headers=headers)
        raise OSError("no route")

    assert credentials.test_credential(kind="api_key", secret=KEY, base_url="http://x.invalid",
                                       check=fake_check) == (False, "credentials.test_unreachable")
    assert seen["headers"]["x-api-key"] == KEY and seen["url"].startswith("http://x.invalid/")
