"""review and ship: merge settings per project, merge state per task, user email

Revision ID: c4f1a9e2b7d3
Revises: 7b306ec433c4
Create Date: 2026-11-30 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'c4f1a9e2b7d3'
down_revision = '7b306ec433c4'
branch_labels = None
depends_on = None


def _text(length=None, default=""):
    kind = sqlmodel.sql.sqltypes.AutoString(length=length) if length else \
        sqlmodel.sql.sqltypes.AutoString()
    return dict(type_=kind, nullable=False, server_default=default)


def upgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merge_strategy', **_text(16, "merge")))
        batch_op.add_column(sa.Column('ship_role', **_text(16, "editor")))
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merge_state', **_text(16)))
        batch_op.add_column(sa.Column('merged_sha', **_text()))
        batch_op.add_column(sa.Column('merge_base_sha', **_text()))
        batch_op.add_column(sa.Column('merged_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', **_text(254)))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('email')
    with op.batch_alter_table('task', schema=None) as batch_op:
        for column in ('merged_at', 'merge_base_sha', 'merged_sha', 'merge_state'):
            batch_op.drop_column(column)
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('ship_role')
        batch_op.drop_column('merge_strategy')
