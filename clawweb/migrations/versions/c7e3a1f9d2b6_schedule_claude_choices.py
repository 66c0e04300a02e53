"""schedules: a Claude schedule's own model and permission mode

Revision ID: c7e3a1f9d2b6
Revises: a9d4e6f2c8b1
Create Date: 2026-12-02 04:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'c7e3a1f9d2b6'
down_revision = 'a9d4e6f2c8b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('permission_mode',
                                      sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_column('permission_mode')
        batch_op.drop_column('model')
