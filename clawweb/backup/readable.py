"""Which encrypted values a restored installation cannot open.

Every secret at rest is a ``crypto`` ciphertext, ``v1.<key id>.<blob>``, in a
column whose name ends in ``ciphertext`` (a convention of clawweb/models/). A value
opens only under a key with its id, so comparing ids with this installation's
keys (current and previous) names every row that became unreadable, in any
table, without knowing what each secret is bound to. Nothing is decrypted and
no key is created here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from clawweb import models  # noqa: F401  (registers every table)
from clawweb.services import crypto
from clawweb.settings import Settings

_CIPHERTEXT = re.compile(r"^v1\.([0-9a-f]{8})\.")


@dataclass(frozen=True)
class Unreadable:
    table: str
    row: str  # "id=3", "project_id=1"
    column: str
    key_id: str

    @property
    def where(self) -> str:
        return f"{self.table} {self.row} {self.column}"


def current_key_ids(settings: Settings) -> set[str]:
    """Ids of the keys this installation has now, without creating one."""
    secrets: list[bytes] = []
    if settings.secret_key:
        secrets.append(settings.secret_key.encode())
    else:
        path = settings.data_dir.resolve() / "secret.key"
        if path.is_file():
            secrets.append(path.read_text().strip().encode())
    secrets += settings.previous_secret_bytes()
    return {crypto.key_id(s) for s in secrets}


def unreadable(engine: Engine, settings: Settings) -> list[Unreadable]:
    """Every stored ciphertext sealed under a key this installation does not have."""
    known = current_key_ids(settings)
    found: list[Unreadable] = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name.endswith("ciphertext")]
            if not cols:
                continue
            pk = list(table.primary_key.columns)
            for row in conn.execute(select(*pk, *cols)):
                where = " ".join(f"{c.name}={row._mapping[c]}" for c in pk)
                for col in cols:
                    value = row._mapping[col]
                    match = _CIPHERTEXT.match(value) if isinstance(value, str) else None
                    if match and match.group(1) not in known:
                        found.append(Unreadable(table.name, where, col.name, match.group(1)))
    return found
