"""auth sessions: the language the device's browser asked for

Revision ID: a9d4e6f2c8b1
Revises: f2c9a4d7e1b8
Create Date: 2026-12-02 02:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'a9d4e6f2c8b1'
down_revision = 'f2c9a4d7e1b8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('authsession', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('authsession', schema=None) as batch_op:
        batch_op.drop_column('language')
