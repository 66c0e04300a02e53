"""agent settings: use_repo_settings

Revision ID: f2c9a4d7e1b8
Revises: f3a7c2d9e1b4
Create Date: 2026-12-01 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2c9a4d7e1b8'
down_revision = 'f3a7c2d9e1b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('use_repo_settings', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('agentsettings', schema=None) as batch_op:
        batch_op.drop_column('use_repo_settings')
