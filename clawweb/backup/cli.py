"""``manage backup DEST`` and ``manage restore SRC``: passphrase, messages, exit codes."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from clawweb.backup.errors import BackupRefused

PASSPHRASE_ENV = "CLAWWEB_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 10


def add_commands(sub) -> None:
    """Register ``backup`` and ``restore`` on an argparse subparsers object."""
    b = sub.add_parser("backup", help="snapshot the running installation into DEST")
    b.add_argument("dest", type=Path, help="a directory (a dated .tar goes inside) or a .tar")
    b.add_argument("--without-secrets", action="store_true",
                   help="leave the secret key and VAPID key out even with a passphrase")
    r = sub.add_parser("restore", help="restore SRC onto a fresh data directory")
    r.add_argument("src", type=Path)
    r.add_argument("--without-secrets", action="store_true",
                   help="restore everything but the key files (their rows stay unreadable)")


def _passphrase(confirm: bool) -> str | None:
    """From CLAWWEB_BACKUP_PASSPHRASE, else asked on a terminal; None when neither."""
    value = os.environ.get(PASSPHRASE_ENV, "")
    if value:
        return value
    if not sys.stdin.isatty():
        return None
    value = getpass.getpass("backup passphrase (empty: leave the secrets out): ")
    if value and confirm and getpass.getpass("the same passphrase again: ") != value:
        raise BackupRefused("the two passphrases differ")
    return value or None


def backup(args: argparse.Namespace) -> int:
    from clawweb.backup.take import make_backup

    try:
        phrase = None if args.without_secrets else _passphrase(confirm=True)
        if phrase is not None and len(phrase) < MIN_PASSPHRASE:
            raise BackupRefused(f"the passphrase is shorter than {MIN_PASSPHRASE} "
                                "characters: the secrets are only as safe as it is")
        result = make_backup(args.dest, passphrase=phrase)
    except BackupRefused as exc:
        print(f"backup refused: {exc}", file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    print(result.path)
    return 0


def restore(args: argparse.Namespace) -> int:
    from clawweb.backup.restore import restore_backup

    try:
        phrase = None if args.without_secrets else _passphrase(confirm=False)
        report = restore_backup(args.src, passphrase=phrase,
                                without_secrets=args.without_secrets)
    except BackupRefused as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 2
    for line in report.summary_lines():
        print(line)
    for line in report.warning_lines():
        print(f"WARNING: {line}", file=sys.stderr)
    return 0
