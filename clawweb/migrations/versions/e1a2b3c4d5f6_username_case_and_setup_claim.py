"""constraints for races SQLite hid: one username per letter case, one first-run setup

Revision ID: e1a2b3c4d5f6
Revises: e8a1c3f5b7d9
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'e1a2b3c4d5f6'
down_revision = 'e8a1c3f5b7d9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An install that already has users is set up: its claim row says so. Two
    # existing names equal but for case make the index fail: rename one first.
    op.create_index('uq_user_username_lower', 'user', [sa.text('lower(username)')],
                    unique=True)
    claim = op.create_table(
        'setup_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_setup_claim_single_row'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    user = sa.table('user', sa.column('id', sa.Integer()))
    first = sa.select(sa.func.min(user.c.id)).scalar_subquery()
    op.execute(claim.insert().from_select(
        ['id', 'user_id', 'claimed_at'],
        sa.select(sa.literal(1), first, sa.func.current_timestamp())
        .where(sa.exists(sa.select(user.c.id)))))


def downgrade() -> None:
    op.drop_table('setup_claim')
    op.drop_index('uq_user_username_lower', table_name='user')
