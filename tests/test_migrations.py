"""The Alembic migrations build exactly the schema models.py describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel


def test_migrations_match_the_models(settings):
    from clawweb import manage, models  # noqa: F401
    from clawweb.db import get_engine

    manage.migrate()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert diff == [], f"models.py changed without a migration: {diff}"
    assert mode == "wal"
    manage.migrate()  # a second run is a no-op
