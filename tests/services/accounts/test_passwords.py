"""Password hashing and policy (clawweb/services/accounts/passwords.py)."""

from __future__ import annotations

import unicodedata

import pytest
from passlib.context import CryptContext

from clawweb.services.accounts import passwords
from clawweb.services.errors import InvalidInput

pytestmark = pytest.mark.usefixtures("fast_hashing")


def test_hash_is_argon2id_and_verifies():
    h = passwords.hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password("correct horse battery", h)
    assert not passwords.verify_password("correct horse batterY", h)


def test_production_defaults_are_strong():
    h = passwords._context(False).hash("whatever-password")
    assert "m=65536,t=3,p=4" in h


def test_fast_flag_changes_the_parameters(fast_hashing):
    assert fast_hashing.password_hash_fast
    assert "m=1024,t=1,p=1" in passwords.hash_password("whatever-password")


def test_long_passwords_are_not_truncated():
    base = "x" * 1500
    a, b = base + "a", base + "b"
    ha = passwords.hash_password(a)
    assert passwords.verify_password(a, ha)
    assert not passwords.verify_password(b, ha)
    assert not passwords.verify_password(b, passwords.hash_password(a))


def test_unicode_passwords_work_whole():
    pw = "密码很长🔐" * 300 + "甲"
    h = passwords.hash_password(pw)
    assert passwords.verify_password(pw, h)
    assert not passwords.verify_password(pw[:-1] + "乙", h)


def test_composed_and_decomposed_accents_are_the_same_password():
    composed = unicodedata.normalize("NFC", "café-crème-brûlée")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert passwords.verify_password(decomposed, passwords.hash_password(composed))


@pytest.mark.parametrize("bad_hash", ["", "not-a-hash", "$argon2id$v=19$garbage"])
def test_bad_hashes_never_verify(bad_hash):
    assert passwords.verify_password("anything at all", bad_hash) is False


def test_needs_rehash_when_parameters_are_weaker():
    weak = passwords._context(True).hash("some password here")
    strong = passwords._context(False)
    assert strong.needs_update(weak)
    assert passwords.needs_rehash("garbage")
    assert not passwords.needs_rehash(passwords.hash_password("some password here"))


def test_dummy_verify_does_one_real_verification(monkeypatch):
    calls = []
    real = CryptContext.verify

    def spy(self, secret, hash, **kw):
        calls.append(hash)
        return real(self, secret, hash, **kw)

    monkeypatch.setattr(CryptContext, "verify", spy)
    passwords.dummy_verify("whatever")
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_generated_passwords_are_random_and_pass_the_policy():
    a, b = passwords.generate_password(), passwords.generate_password()
    assert a != b and len(a) >= 16
    passwords.check_policy(a)


def _key(pw, **kw):
    with pytest.raises(InvalidInput) as err:
        passwords.check_policy(pw, **kw)
    return err.value


def test_too_short():
    err = _key("Ab3$xyz9q")  # 9 characters
    assert err.key == "auth.password_too_short" and err.params == {"min": 10}
    passwords.check_policy("Ab3$xyz9qW")  # 10 is enough


def test_too_long():
    assert _key("k" * 5000).key == "auth.password_too_long"


@pytest.mark.parametrize("pw", ["1234567890", "qwertyuiop", "password123", "QwertyUiop",
                                "Password1234", "passw0rd!!", "aaaaaaaaaaaa"])
def test_common_or_trivial_passwords_are_refused(pw):
    assert _key(pw).key == "auth.password_common"


def test_password_equal_to_username_is_refused():
    assert _key("Lighthouse.Keeper", username="lighthouse.keeper").key == \
        "auth.password_is_username"


@pytest.mark.parametrize("pw", ["violet-tractor-sings", "Tr0ub4dor&3x-7", "我的密码是紫色拖拉机在唱歌",
                                "z" * 3 + "q7#Lm2@Vw" * 200])
def test_good_passwords_pass(pw):
    passwords.check_policy(pw, username="someone")
