"""attachments: taskattachment

Revision ID: f3a7c2d9e1b4
Revises: b3d7f2a9c1e5
Create Date: 2026-12-01 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'f3a7c2d9e1b4'
down_revision = 'b3d7f2a9c1e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'taskattachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('upload_id'),
    )
    with op.batch_alter_table('taskattachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taskattachment_project_id'), ['project_id'])
        batch_op.create_index(batch_op.f('ix_taskattachment_task_id'), ['task_id'])
        batch_op.create_index(batch_op.f('ix_taskattachment_user_id'), ['user_id'])


def downgrade() -> None:
    with op.batch_alter_table('taskattachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_taskattachment_user_id'))
        batch_op.drop_index(batch_op.f('ix_taskattachment_task_id'))
        batch_op.drop_index(batch_op.f('ix_taskattachment_project_id'))
    op.drop_table('taskattachment')
