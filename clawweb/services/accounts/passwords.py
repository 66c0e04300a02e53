"""Password hashing (argon2 through passlib) and the password policy.

Argon2 has no input-length limit (unlike bcrypt's 72 bytes), so long and
unicode passwords are hashed whole. Passwords are NFKC-normalised first so the
same password typed on two keyboards (composed vs decomposed accents) matches.

Common passwords come from the frequency list that the ``zxcvbn`` package
ships (30,000 leaked passwords, offline), and zxcvbn's score catches the
variations of them (l33t, appended digits, keyboard walks, repeats).
"""

from __future__ import annotations

import functools
import secrets
import unicodedata

from passlib.context import CryptContext

from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings

MIN_LENGTH = 10
# Far beyond any passphrase; only stops absurd inputs from reaching the hasher.
MAX_LENGTH = 4096
# zxcvbn refuses longer inputs; a prefix this long already says enough.
_ZXCVBN_MAX = 72
# zxcvbn score 0-1 means fewer than 10^6 guesses: within an online attack.
_MIN_SCORE = 2


@functools.lru_cache(maxsize=2)
def _context(fast: bool) -> CryptContext:
    if fast:
        return CryptContext(
            schemes=["argon2"], argon2__memory_cost=1024, argon2__time_cost=1,
            argon2__parallelism=1,
        )
    # passlib's argon2id defaults: 64 MiB, 3 passes, 4 lanes.
    return CryptContext(schemes=["argon2"])


def context() -> CryptContext:
    """The CryptContext for the current settings."""
    return _context(get_settings().password_hash_fast)


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(pw: str) -> str:
    """Hash a password with argon2id.

    Args:
        pw: The password, any length, any unicode.

    Returns:
        The encoded argon2 hash (salt and parameters included).
    """
    return context().hash(_normalize(pw))


def verify_password(pw: str, hash: str) -> bool:  # noqa: A002 - public name
    """True when ``pw`` matches ``hash``; False for a wrong password or a bad hash."""
    if not hash:
        return False
    try:
        return context().verify(_normalize(pw), hash)
    except (ValueError, TypeError):
        return False


def needs_rehash(hash: str) -> bool:  # noqa: A002
    """True when ``hash`` was made with weaker parameters than the current ones."""
    try:
        return context().needs_update(hash)
    except (ValueError, TypeError):
        return True


@functools.lru_cache(maxsize=2)
def _dummy_hash(fast: bool) -> str:
    return _context(fast).hash(secrets.token_urlsafe(16))


def dummy_verify(pw: str) -> None:
    """Spend the time of one real verification, for unknown usernames.

    Sign-in calls this when the user does not exist so that the answer takes
    as long as a wrong password does, and timing does not reveal usernames.
    """
    verify_password(pw, _dummy_hash(get_settings().password_hash_fast))


def generate_password() -> str:
    """A random one-time password (96 bits, URL-safe, easy to type)."""
    return secrets.token_urlsafe(12)


@functools.lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])


def _too_guessable(pw: str, username: str) -> bool:
    if pw.casefold() in _common_passwords():
        return True
    from zxcvbn import zxcvbn

    inputs = [username] if username else []
    return zxcvbn(pw[:_ZXCVBN_MAX], user_inputs=inputs)["score"] < _MIN_SCORE


def check_policy(pw: str, *, username: str = "") -> None:
    """Refuse passwords that are too short, too long, the username, or common.

    Args:
        pw: The proposed password.
        username: The account's username, which the password must not be.

    Raises:
        InvalidInput: ``auth.password_too_short`` (with ``min``),
            ``auth.password_too_long`` (with ``max``),
            ``auth.password_is_username`` or ``auth.password_common``.
    """
    pw = _normalize(pw)
    if len(pw) < MIN_LENGTH:
        raise InvalidInput("auth.password_too_short", min=MIN_LENGTH)
    if len(pw) > MAX_LENGTH:
        raise InvalidInput("auth.password_too_long", max=MAX_LENGTH)
    if username and pw.strip().casefold() == username.strip().casefold():
        raise InvalidInput("auth.password_is_username")
    if _too_guessable(pw, username):
        raise InvalidInput("auth.password_common")
