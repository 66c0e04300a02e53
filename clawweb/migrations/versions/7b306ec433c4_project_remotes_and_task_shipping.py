"""project remotes and task shipping (F2; the lead re-chains down_revision at merge)

Revision ID: 7b306ec433c4
Revises: 8f8376074d0b
Create Date: 2026-12-01 08:51:43.282086
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '7b306ec433c4'
down_revision = '8f8376074d0b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('projectremote',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('forge', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('forge_api_url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_username', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_ciphertext', sa.Text(), nullable=True),
    sa.Column('token_hint', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ssh_key_ciphertext', sa.Text(), nullable=True),
    sa.Column('ssh_public_key', sa.Text(), nullable=True),
    sa.Column('known_hosts', sa.Text(), nullable=True),
    sa.Column('sync_before_task', sa.Boolean(), nullable=False),
    sa.Column('last_sync_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_sync_result', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_sync_params', sa.JSON(), nullable=True),
    sa.Column('default_pushed_sha', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('project_id')
    )
    # Existing tasks get empty values: server defaults, since the columns are NOT NULL.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pushed_sha', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('pushed_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('pr_url', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('pr_number', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('pr_state', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('pr_state')
        batch_op.drop_column('pr_number')
        batch_op.drop_column('pr_url')
        batch_op.drop_column('pushed_at')
        batch_op.drop_column('pushed_sha')

    op.drop_table('projectremote')
