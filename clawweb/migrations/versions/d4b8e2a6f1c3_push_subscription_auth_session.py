"""push: a subscription remembers the sign-in it was made under

Revision ID: d4b8e2a6f1c3
Revises: c7e3a1f9d2b6
Create Date: 2026-12-02 05:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd4b8e2a6f1c3'
down_revision = 'c7e3a1f9d2b6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Subscriptions made before this stay until removed on the devices page.
    with op.batch_alter_table('pushsubscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_pushsubscription_auth_session_id'),
                              ['auth_session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pushsubscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pushsubscription_auth_session_id'))
        batch_op.drop_column('auth_session_id')
