"""A changed archive is refused before anything is written."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from clawweb.backup import make_backup, restore_backup
from clawweb.backup.errors import Tampered
from tests.backup.support import PASSPHRASE, build_world, use_data_dir


@pytest.fixture
def world(settings, fast_hashing):
    return build_world(settings)


def _members(path):
    with tarfile.open(path) as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def _repack(path, members):
    out = path.with_name("edited.tar")
    with tarfile.open(out, "w") as tar:
        for member, data in members:
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return out


def _edit(path, name, change):
    return _repack(path, [(m, change(d) if m.name == name else d) for m, d in _members(path)])


def _flip(data: bytes) -> bytes:
    at = min(100, len(data) - 1)
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _refused(path, tmp_path, monkeypatch, passphrase=PASSPHRASE, match=None):
    fresh = tmp_path / "fresh"
    use_data_dir(monkeypatch, fresh)
    with pytest.raises(Tampered, match=match):
        restore_backup(path, passphrase=passphrase)
    assert not fresh.exists() or list(fresh.iterdir()) == []


def test_the_unchanged_repack_restores(world, tmp_path, monkeypatch):
    # The control: repacking alone (what every test below does) is not what fails.
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    same = _repack(path, _members(path))
    use_data_dir(monkeypatch, tmp_path / "fresh")
    restore_backup(same, passphrase=PASSPHRASE)


@pytest.mark.parametrize("prefix", ["database/", "repos/", "claude/", "secrets"])
def test_a_changed_byte_in_any_part_is_refused(world, tmp_path, monkeypatch, prefix):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    name = next(m.name for m, _ in _members(path) if m.name.startswith(prefix))
    edited = _edit(path, name, _flip)
    _refused(edited, tmp_path, monkeypatch, match="checksum|secrets")


def test_an_edited_manifest_with_matching_checksums_is_refused(world, tmp_path, monkeypatch):
    # Whoever edits a part and fixes its checksum still cannot fix the seal.
    import hashlib

    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    members = dict((m.name, d) for m, d in _members(path))
    db_name = next(n for n in members if n.startswith("database/"))
    new_db = _flip(members[db_name])
    manifest = json.loads(members["manifest.json"])
    manifest["files"][db_name] = {"sha256": hashlib.sha256(new_db).hexdigest(),
                                  "size": len(new_db)}
    edited = _repack(path, [(m, json.dumps(manifest).encode() if m.name == "manifest.json"
                             else new_db if m.name == db_name else d)
                            for m, d in _members(path)])
    _refused(edited, tmp_path, monkeypatch, match="seal")


def test_a_signed_archive_stripped_of_its_seal_is_refused_when_a_passphrase_is_given(
        world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    stripped = _repack(path, [(m, d) for m, d in _members(path)
                              if m.name not in ("manifest.hmac",)])
    _refused(stripped, tmp_path, monkeypatch, match="seal")


def test_an_unsigned_archive_still_refuses_a_changed_part(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=None).path
    name = next(m.name for m, _ in _members(path) if m.name.startswith("database/"))
    _refused(_edit(path, name, _flip), tmp_path, monkeypatch, passphrase=None,
             match="checksum")


@pytest.mark.parametrize("evil", ["../escape", "/etc/cron.d/x", "claude/../../x",
                                  "repos/a.bundle/../../b"])
def test_a_member_outside_the_data_dir_or_not_in_the_manifest_is_refused(
        world, tmp_path, monkeypatch, evil):
    path = make_backup(tmp_path / "out", passphrase=None).path
    members = _members(path)
    extra = tarfile.TarInfo(evil)
    members.append((extra, b"boom"))
    _refused(_repack(path, members), tmp_path, monkeypatch, passphrase=None)
    assert not (tmp_path / "escape").exists() and not (tmp_path / "x").exists()


def test_a_link_member_is_refused(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=None).path
    members = _members(path)
    name = next(m.name for m, _ in members if m.name.startswith("claude/"))
    link = tarfile.TarInfo(name)
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    members = [(link, b"") if m.name == name else (m, d) for m, d in members]
    _refused(_repack(path, members), tmp_path, monkeypatch, passphrase=None)


def test_a_truncated_archive_is_refused(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    cut = path.with_name("cut.tar")
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _refused(cut, tmp_path, monkeypatch)


def test_a_part_of_another_size_is_refused(world, tmp_path, monkeypatch):
    path = make_backup(tmp_path / "out", passphrase=PASSPHRASE).path
    name = next(m.name for m, _ in _members(path) if m.name.startswith("claude/"))
    _refused(_edit(path, name, lambda d: d + b"{}\n"), tmp_path, monkeypatch,
             match="not the file the manifest describes")
