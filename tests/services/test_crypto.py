import base64

import pytest

from clawweb.services import crypto
from clawweb.settings import Settings


def _settings(tmp_path, key="k" * 40, previous=""):
    return Settings(data_dir=tmp_path, secret_key=key, secret_key_previous=previous)


def test_round_trip_and_ciphertext_hides_plaintext(tmp_path):
    s = _settings(tmp_path)
    ct = crypto.encrypt("sk-ant-very-secret", aad="credential:user:1", settings=s)
    assert "sk-ant" not in ct and ct.startswith("v1.")
    assert crypto.decrypt(ct, aad="credential:user:1", settings=s) == "sk-ant-very-secret"
    # Fresh nonce each time: the same secret never gives the same ciphertext.
    assert crypto.encrypt("sk-ant-very-secret", aad="credential:user:1", settings=s) != ct


@pytest.mark.parametrize("position", [-1, -10, 12, 20])
def test_tampering_is_detected(tmp_path, position):
    s = _settings(tmp_path)
    ct = crypto.encrypt("secret-value", settings=s)
    version, key_id, blob = ct.split(".", 2)
    raw = bytearray(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))
    raw[position] ^= 0x01
    forged = f"{version}.{key_id}." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(forged, settings=s)


def test_ciphertext_bound_to_its_row(tmp_path):
    s = _settings(tmp_path)
    ct = crypto.encrypt("secret-value", aad="credential:user:1", settings=s)
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(ct, aad="credential:user:2", settings=s)


def test_wrong_key_and_garbage_refused(tmp_path):
    ct = crypto.encrypt("secret-value", settings=_settings(tmp_path, key="a" * 40))
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(ct, settings=_settings(tmp_path, key="b" * 40))
    for junk in ("", "v1", "v2.abc.def", "v1.zz.!!!", "plain text"):
        with pytest.raises(crypto.SecretUnreadable):
            crypto.decrypt(junk, settings=_settings(tmp_path))


def test_rotation_keeps_old_rows_readable(tmp_path):
    old = _settings(tmp_path, key="old" * 20)
    ct = crypto.encrypt("secret-value", aad="x", settings=old)
    new = _settings(tmp_path, key="new" * 20, previous="old" * 20)
    assert crypto.needs_rotation(ct, settings=new)
    assert not crypto.needs_rotation(ct, settings=old)
    assert crypto.decrypt(ct, aad="x", settings=new) == "secret-value"
    resealed = crypto.encrypt("secret-value", aad="x", settings=new)
    assert not crypto.needs_rotation(resealed, settings=new)
    # Once the old key is dropped from the ring, old rows no longer open.
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(ct, aad="x", settings=_settings(tmp_path, key="new" * 20))


def test_key_file_created_on_first_use(tmp_path):
    s = Settings(data_dir=tmp_path)
    ct = crypto.encrypt("v", settings=s)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert crypto.decrypt(ct, settings=Settings(data_dir=tmp_path)) == "v"
