"""task status: interrupted

Revision ID: d5e2b8f1a9c4
Revises: eb704b065c95
Create Date: 2026-12-01 11:50:00

SQLite stores the status as VARCHAR (no CHECK constraint, long enough for every
value), so only PostgreSQL's native ``taskstatus`` type needs the new value.
"""
from alembic import op


revision = 'd5e2b8f1a9c4'
down_revision = 'eb704b065c95'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # ADD VALUE may not run inside a transaction that then uses the value.
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE taskstatus ADD VALUE IF NOT EXISTS 'interrupted'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; the rows go back to how they read before.
    op.execute("UPDATE task SET status = 'failed' WHERE status = 'interrupted'")
