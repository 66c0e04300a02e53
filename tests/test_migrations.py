"""The Alembic migrations build exactly the schema clawweb/models/ describes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.fresh_database


def test_migrations_match_the_models(settings):
    from clawweb import manage, models  # noqa: F401
    from clawweb.db import get_engine

    manage.migrate()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        dialect = conn.dialect.name
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar() \
            if dialect == "sqlite" else None
    assert diff == [], f"the models changed without a migration: {diff}"
    assert dialect == ("postgresql" if ON_POSTGRES else "sqlite")
    if dialect == "sqlite":
        assert mode == "wal"
    manage.migrate()  # a second run is a no-op


def test_the_migrated_schema_stores_an_interrupted_task(settings):
    from sqlmodel import Session

    from clawweb import manage
    from clawweb.db import get_engine
    from clawweb.models import Project, Task, TaskStatus

    manage.migrate()
    with Session(get_engine()) as s:
        project = Project(name="p", slug="p")
        s.add(project)
        s.commit()
        task = Task(project_id=project.id, command="x", status=TaskStatus.interrupted)
        s.add(task)
        s.commit()
        task_id = task.id
    with Session(get_engine()) as s:
        assert s.get(Task, task_id).status == TaskStatus.interrupted
        raw = s.connection().execute(
            sa.text("SELECT CAST(status AS VARCHAR) FROM task WHERE id = :id"), {"id": task_id}).scalar()
    assert raw == "interrupted"


def test_upgrading_an_install_with_users_marks_it_set_up_and_folds_case(settings):
    """The race constraints on an existing database: its users count as the first
    run done, and a name differing only in case is refused by the migrated index."""
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from clawweb import manage
    from clawweb.db import get_engine

    command.upgrade(manage.alembic_config(), "eb704b065c95")  # the revision before ours
    user = sa.table("user", sa.column("username"), sa.column("display_name"),
                    sa.column("password_hash"), sa.column("role"), sa.column("disabled"),
                    sa.column("must_change_password"), sa.column("language"),
                    sa.column("email"), sa.column("created_at"), sa.column("updated_at"))
    row = dict(display_name="", password_hash="", role="admin", disabled=False,
               must_change_password=False, language="", email="",
               created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp())
    with get_engine().begin() as conn:
        conn.execute(user.insert().values(username="Carol", **row))
    manage.migrate()
    with get_engine().begin() as conn:
        claims = conn.exec_driver_sql("SELECT id, user_id FROM setup_claim").all()
    assert [tuple(c) for c in claims] == [(1, 1)]
    with pytest.raises(IntegrityError), get_engine().begin() as conn:
        conn.execute(user.insert().values(username="cAROL", **row))
