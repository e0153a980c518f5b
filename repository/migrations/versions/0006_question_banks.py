"""question banks and stored questions (issue 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(timezone=True), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['materials.id'], name=op.f('fk_bank_questions_bank_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_bank_questions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_questions'))
    )
    with op.batch_alter_table('bank_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_questions_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_questions_published_version_id'), ['published_version_id'], unique=False)

    op.create_table('question_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('cognitive_level', sa.String(length=40), nullable=False),
    sa.Column('difficulty', sa.Float(), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('source_ref', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', repository.models.Timestamp(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_question_versions_created_by_users')),
    sa.ForeignKeyConstraint(['question_id'], ['bank_questions.id'], name=op.f('fk_question_versions_question_id_bank_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_question_versions_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_versions')),
    sa.UniqueConstraint('question_id', 'number', name=op.f('uq_question_versions_question_id'))
    )
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_versions_cognitive_level'), ['cognitive_level'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_versions_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_versions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_versions_topic'), ['topic'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_versions_type'), ['type'], unique=False)

    op.create_table('question_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_backend', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['question_versions.id'], name=op.f('fk_question_images_version_id_question_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_images'))
    )
    with op.batch_alter_table('question_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_images_version_id'), ['version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('question_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_images_version_id'))

    op.drop_table('question_images')
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_versions_type'))
        batch_op.drop_index(batch_op.f('ix_question_versions_topic'))
        batch_op.drop_index(batch_op.f('ix_question_versions_status'))
        batch_op.drop_index(batch_op.f('ix_question_versions_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_versions_cognitive_level'))

    op.drop_table('question_versions')
    with op.batch_alter_table('bank_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_questions_published_version_id'))
        batch_op.drop_index(batch_op.f('ix_bank_questions_bank_id'))

    op.drop_table('bank_questions')
