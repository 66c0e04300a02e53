"""The operator's commands: passphrase from the environment, refusals as exit codes."""

from __future__ import annotations

import tarfile

import pytest

from clawweb import manage
from tests.backup.support import PASSPHRASE, build_world, use_data_dir


@pytest.fixture
def world(settings, fast_hashing, monkeypatch):
    monkeypatch.delenv("CLAWWEB_BACKUP_PASSPHRASE", raising=False)
    return build_world(settings)


def _names(path):
    with tarfile.open(path) as tar:
        return tar.getnames()


def test_backup_takes_the_passphrase_from_the_environment(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLAWWEB_BACKUP_PASSPHRASE", PASSPHRASE)
    assert manage.main(["backup", str(tmp_path / "b")]) == 0
    path = capsys.readouterr().out.strip()
    assert "secrets.enc" in _names(path) and "manifest.hmac" in _names(path)


def test_backup_without_a_passphrase_warns_and_leaves_the_keys_out(world, tmp_path, capsys):
    assert manage.main(["backup", str(tmp_path / "b")]) == 0  # stdin is not a terminal here
    out = capsys.readouterr()
    assert "left out" in out.err and "CLAWWEB_BACKUP_PASSPHRASE" in out.err
    assert "secrets.enc" not in _names(out.out.strip())


def test_a_short_passphrase_is_refused(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLAWWEB_BACKUP_PASSPHRASE", "short")
    assert manage.main(["backup", str(tmp_path / "b")]) == 2
    assert "shorter" in capsys.readouterr().err
    assert not (tmp_path / "b").exists() or list((tmp_path / "b").iterdir()) == []


def test_restore_refusals_exit_non_zero_and_say_why(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLAWWEB_BACKUP_PASSPHRASE", PASSPHRASE)
    manage.main(["backup", str(tmp_path / "b" / "x.tar")])
    capsys.readouterr()
    use_data_dir(monkeypatch, tmp_path / "fresh")
    monkeypatch.setenv("CLAWWEB_BACKUP_PASSPHRASE", "another long passphrase")
    assert manage.main(["restore", str(tmp_path / "b" / "x.tar")]) == 2
    assert "passphrase does not open" in capsys.readouterr().err
    monkeypatch.setenv("CLAWWEB_BACKUP_PASSPHRASE", PASSPHRASE)
    assert manage.main(["restore", str(tmp_path / "b" / "x.tar")]) == 0
    assert "restored: 1 users, 1 projects, 1 tasks, 1 repositories" in capsys.readouterr().out
