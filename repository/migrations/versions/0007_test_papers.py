"""exam matrices and test papers (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exam_matrices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('created_at', repository.models.Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_exam_matrices_owner_id', 'exam_matrices', ['owner_id'])
    op.create_table(
        'test_papers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('header', sa.JSON(), nullable=False),
        sa.Column('seed', sa.String(length=100), nullable=False),
        sa.Column('bank_ids', sa.JSON(), nullable=False),
        sa.Column('matrix', sa.JSON(), nullable=False),
        sa.Column('points', sa.JSON(), nullable=False),
        sa.Column('versions', sa.JSON(), nullable=False),
        sa.Column('shortfall', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', repository.models.Timestamp(), nullable=False),
        sa.Column('published_at', repository.models.Timestamp(), nullable=True),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_test_papers_owner_id', 'test_papers', ['owner_id'])
    op.create_index('ix_test_papers_status', 'test_papers', ['status'])
    op.create_table(
        'practice_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('version_code', sa.String(length=10), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('max_score', sa.Float(), nullable=False),
        sa.Column('created_at', repository.models.Timestamp(), nullable=False),
        sa.ForeignKeyConstraint(['paper_id'], ['test_papers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_practice_attempts_paper_id', 'practice_attempts', ['paper_id'])
    op.create_index('ix_practice_attempts_user_id', 'practice_attempts', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_practice_attempts_user_id', table_name='practice_attempts')
    op.drop_index('ix_practice_attempts_paper_id', table_name='practice_attempts')
    op.drop_table('practice_attempts')
    op.drop_index('ix_test_papers_status', table_name='test_papers')
    op.drop_index('ix_test_papers_owner_id', table_name='test_papers')
    op.drop_table('test_papers')
    op.drop_index('ix_exam_matrices_owner_id', table_name='exam_matrices')
    op.drop_table('exam_matrices')
