"""per-prompt choices: task.permission_mode, agentsettings.allowed_models

Revision ID: b3d7f2a9c1e5
Revises: 80ee5604db4e
Create Date: 2026-12-01 15:35:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'b3d7f2a9c1e5'
down_revision = '80ee5604db4e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('permission_mode',
                                      sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=False, server_default=''))
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_models', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.drop_column('allowed_models')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('permission_mode')
