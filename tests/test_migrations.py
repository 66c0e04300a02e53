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
        raw = s.connection().exec_driver_sql(
            "SELECT status FROM task WHERE id = ?", (task_id,)).scalar()
    assert raw == "interrupted"
