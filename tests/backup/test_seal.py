"""The passphrase box: secrets open only with the passphrase, the manifest's seal
breaks on any edit."""

from __future__ import annotations

import pytest

from clawweb.backup import seal
from clawweb.backup.errors import Tampered, WrongPassphrase


def test_secrets_open_only_with_their_passphrase():
    kdf = seal.new_kdf("pass one")
    box = seal.seal_secrets(seal.keys_for(kdf, "pass one"), "backup-1", {"secret.key": "s3"})
    assert b"s3" not in box
    assert seal.open_secrets(seal.keys_for(kdf, "pass one"), "backup-1", box) == \
        {"secret.key": "s3"}
    with pytest.raises(WrongPassphrase):
        seal.keys_for(kdf, "pass two")


def test_secrets_of_another_backup_or_edited_do_not_open():
    kdf = seal.new_kdf("pw")
    keys = seal.keys_for(kdf, "pw")
    box = seal.seal_secrets(keys, "backup-1", {"k": "v"})
    with pytest.raises(Tampered):
        seal.open_secrets(keys, "backup-2", box)
    edited = box[:-1] + bytes([box[-1] ^ 1])
    with pytest.raises(Tampered):
        seal.open_secrets(keys, "backup-1", edited)


def test_manifest_seal_breaks_on_any_edit():
    kdf = seal.new_kdf("pw")
    keys = seal.keys_for(kdf, "pw")
    manifest = {"files": {"database/db": {"sha256": "ab" * 32, "size": 3}}, "kdf": kdf}
    mac = seal.sign_manifest(keys, manifest)
    seal.verify_manifest(keys, manifest, mac)
    manifest["files"]["database/db"]["sha256"] = "cd" * 32
    with pytest.raises(Tampered):
        seal.verify_manifest(keys, manifest, mac)


def test_a_crafted_kdf_cannot_make_restore_spend_unbounded_memory():
    kdf = {**seal.new_kdf("pw"), "n": 2 ** 30}
    with pytest.raises(Tampered):
        seal.keys_for(kdf, "pw")
