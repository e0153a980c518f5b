"""review workflow: rubric decisions, reviewer expertise, assignments, mail outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:39:33.775241
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('sent_at', repository.models.Timestamp(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', repository.models.Timestamp(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('reviewer_expertise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviewer_expertise_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_expertise')),
    sa.UniqueConstraint('user_id', 'subject', 'level', name=op.f('uq_reviewer_expertise_user_id'))
    )
    with op.batch_alter_table('reviewer_expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_expertise_user_id'), ['user_id'], unique=False)

    op.create_table('review_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('how', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('open_slot', sa.Integer(), nullable=True),
    sa.Column('assigned_at', repository.models.Timestamp(), nullable=False),
    sa.Column('due_at', repository.models.Timestamp(), nullable=False),
    sa.Column('closed_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_review_assignments_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_assignments_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_assignments')),
    sa.UniqueConstraint('material_id', 'open_slot', name=op.f('uq_review_assignments_material_id'))
    )
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignments_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_assignments_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=30), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_records.id'], name=op.f('fk_review_decisions_audit_id_audit_records')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_review_decisions_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_review_decisions_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decisions'))
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_decisions_material_id'), ['material_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_material_id'))
        batch_op.drop_index(batch_op.f('ix_review_decisions_audit_id'))

    op.drop_table('review_decisions')
    with op.batch_alter_table('review_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_assignments_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_review_assignments_material_id'))

    op.drop_table('review_assignments')
    with op.batch_alter_table('reviewer_expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_expertise_user_id'))

    op.drop_table('reviewer_expertise')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_sent_at'))

    op.drop_table('mail_outbox')
