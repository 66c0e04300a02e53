"""agent settings: allow_read_only

Revision ID: e8a1c3f5b7d9
Revises: d5e2b8f1a9c4
Create Date: 2026-12-01 12:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e8a1c3f5b7d9'
down_revision = 'd5e2b8f1a9c4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_read_only', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.drop_column('allow_read_only')
