"""Why a backup or a restore was refused, in words an operator can act on.

These are operator-facing (the ``manage`` command prints them), not UI text.
"""

from __future__ import annotations


class BackupRefused(Exception):
    """The backup or restore did not happen; ``str(exc)`` says why and what to do."""


class WrongPassphrase(BackupRefused):
    """The passphrase does not open this archive."""


class Tampered(BackupRefused):
    """The archive is damaged, incomplete, or was changed after it was made."""


class NotFresh(BackupRefused):
    """The restore target already holds an installation."""


class Incompatible(BackupRefused):
    """The archive needs another clawweb (a newer schema) or another database kind."""
