"""Backup and restore of a whole installation (``python -m clawweb.manage backup|restore``).

Plain Python: no Reflex, nothing of ``worker/``. See ``archive.py`` for the file
layout, ``seal.py`` for the passphrase framing, ``take.py`` and ``restore.py``
for what is taken in which order and how it goes back.
"""

from clawweb.backup.errors import BackupRefused
from clawweb.backup.restore import RestoreReport, restore_backup
from clawweb.backup.take import BackupResult, make_backup

__all__ = ["BackupRefused", "BackupResult", "RestoreReport", "make_backup", "restore_backup"]
