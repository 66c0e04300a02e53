"""Backup and restore between two data dirs in one process (no worker running)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from clawweb.backup import BackupRefused, make_backup, restore_backup
from clawweb.backup.errors import NotFresh, WrongPassphrase
from clawweb.models import Credential, ProjectRemote
from clawweb.services import crypto
from clawweb.services.agents import credentials
from tests.backup.support import PASSPHRASE, build_world, check_world, use_data_dir


@pytest.fixture
def world(settings, fast_hashing):
    return build_world(settings)


def test_restore_brings_back_everything_with_the_passphrase(world, tmp_path, monkeypatch):
    result = make_backup(tmp_path / "out", passphrase=PASSPHRASE)
    assert result.path.parent == tmp_path / "out" and result.path.stat().st_mode & 0o777 == 0o600
    use_data_dir(monkeypatch, tmp_path / "fresh")
    report = restore_backup(result.path, passphrase=PASSPHRASE)
    assert report.unreadable == []
    check_world(world)


def test_wrong_passphrase_is_refused_and_nothing_is_written(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    fresh = tmp_path / "fresh"
    use_data_dir(monkeypatch, fresh)
    with pytest.raises(WrongPassphrase):
        restore_backup(path, passphrase="not the passphrase")
    assert not fresh.exists() or list(fresh.iterdir()) == []


def test_restore_only_onto_a_fresh_data_dir(world, tmp_path, monkeypatch, settings):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    with pytest.raises(NotFresh):
        restore_backup(path, passphrase=PASSPHRASE)  # the live data dir itself


def test_without_the_passphrase_secrets_are_left_out_with_a_warning(world, tmp_path,
                                                                     monkeypatch):
    result = make_backup(tmp_path / "out", passphrase=None)
    assert any("secret" in w and "left out" in w for w in result.warnings)
    assert result.manifest["secrets"]["included"] is False
    use_data_dir(monkeypatch, tmp_path / "fresh")
    report = restore_backup(result.path, passphrase=None)
    check_world(world, secrets=False)
    # Every encrypted value is named, with what it was.
    assert sorted(u.where for u in report.unreadable) == [
        "credential id=1 ciphertext", f"projectremote project_id={world.project_id} "
        "token_ciphertext"]
    assert any("cannot be opened" in line for line in report.lines())
    from clawweb import db
    with Session(db.get_engine()) as s, pytest.raises(crypto.SecretUnreadable):
        credentials.resolve(session=s, user_id=world.alice_id)


def test_restore_without_secrets_when_asked_reports_the_loss(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    use_data_dir(monkeypatch, tmp_path / "fresh")
    with pytest.raises(BackupRefused, match="passphrase"):
        restore_backup(path, passphrase=None)  # secrets inside: say how to get them
    report = restore_backup(path, passphrase=None, without_secrets=True)
    assert {u.table for u in report.unreadable} == {"credential", "projectremote"}


def test_rows_sealed_under_a_previous_key_stay_readable(world, tmp_path, monkeypatch, settings):
    from clawweb import db
    from clawweb import settings as settings_mod

    old = settings.secret_bytes().decode()
    monkeypatch.setenv("CLAWWEB_SECRET_KEY", "a-brand-new-secret-key-after-rotation")
    monkeypatch.setenv("CLAWWEB_SECRET_KEY_PREVIOUS", old)
    settings_mod.get_settings.cache_clear()
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    monkeypatch.delenv("CLAWWEB_SECRET_KEY")
    monkeypatch.delenv("CLAWWEB_SECRET_KEY_PREVIOUS")
    use_data_dir(monkeypatch, tmp_path / "fresh")
    report = restore_backup(path, passphrase=PASSPHRASE)
    assert report.unreadable == []
    with Session(db.get_engine()) as s:
        row = s.get(ProjectRemote, world.project_id)
        assert crypto.needs_rotation(row.token_ciphertext)  # still under the old key
        assert credentials.resolve(session=s, user_id=world.alice_id).secret
        assert s.get(Credential, 1) is not None


def test_a_backup_taken_with_a_key_from_the_environment_restores_it(world, tmp_path,
                                                                      monkeypatch, settings):
    from clawweb import settings as settings_mod

    key_file = settings.data_dir / "secret.key"
    monkeypatch.setenv("CLAWWEB_SECRET_KEY", key_file.read_text().strip())
    key_file.unlink()
    settings_mod.get_settings.cache_clear()
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    monkeypatch.delenv("CLAWWEB_SECRET_KEY")
    use_data_dir(monkeypatch, tmp_path / "fresh")
    assert restore_backup(path, passphrase=PASSPHRASE).unreadable == []
    check_world(world)


def test_in_flight_tasks_are_named(world, tmp_path, monkeypatch):
    from clawweb import db
    from clawweb.models import Task, TaskStatus

    with Session(db.get_engine()) as s:
        s.add(Task(project_id=world.project_id, created_by=world.alice_id, command="sleep 9",
                   status=TaskStatus.running, worker_name="gone-1"))
        s.commit()
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    use_data_dir(monkeypatch, tmp_path / "fresh")
    report = restore_backup(path, passphrase=PASSPHRASE)
    assert report.in_flight == [world.task_id + 1]
    assert any("reaper" in line for line in report.lines())
