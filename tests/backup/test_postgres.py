"""Backup and restore on PostgreSQL: pg_dump from the live database, pg_restore into
an empty one, and the same checks as on SQLite."""

from __future__ import annotations

import tarfile

import pytest

from clawweb.backup import make_backup, restore_backup
from clawweb.backup.errors import Incompatible, NotFresh
from tests.backup.pg import Cluster
from tests.backup.support import PASSPHRASE, build_world, check_world, use_data_dir


@pytest.fixture(scope="module")
def cluster():
    c = Cluster().start()
    yield c
    c.stop()


def _use_pg(monkeypatch, cluster, data_dir):
    monkeypatch.setenv("CLAWWEB_DATABASE_URL", cluster.url(cluster.create_database()))
    return use_data_dir(monkeypatch, data_dir)


def test_postgres_backup_restores_onto_an_empty_database(cluster, tmp_path, monkeypatch,
                                                         fast_hashing):
    source = _use_pg(monkeypatch, cluster, tmp_path / "src")
    world = build_world(source)
    result = make_backup(tmp_path / "out", passphrase=PASSPHRASE)
    with tarfile.open(result.path) as tar:
        assert "database/clawweb.pgdump" in tar.getnames()
    assert result.manifest["versions"]["schema_revision"]
    assert "pg_dump (PostgreSQL) 15" in result.manifest["versions"]["pg_dump"]
    _use_pg(monkeypatch, cluster, tmp_path / "fresh")
    report = restore_backup(result.path, passphrase=PASSPHRASE)
    assert report.unreadable == [] and report.counts["users"] == 1
    check_world(world)
    use_data_dir(monkeypatch, tmp_path / "again")  # same, now full, database
    with pytest.raises(NotFresh, match="empty database"):
        restore_backup(result.path, passphrase=PASSPHRASE)


def test_a_postgres_backup_is_not_restored_into_sqlite(cluster, tmp_path, monkeypatch,
                                                       fast_hashing):
    build_world(_use_pg(monkeypatch, cluster, tmp_path / "src"))
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    monkeypatch.delenv("CLAWWEB_DATABASE_URL")
    fresh = tmp_path / "fresh"
    use_data_dir(monkeypatch, fresh)
    with pytest.raises(Incompatible, match="same kind"):
        restore_backup(path, passphrase=PASSPHRASE)
    assert not fresh.exists() or list(fresh.iterdir()) == []
