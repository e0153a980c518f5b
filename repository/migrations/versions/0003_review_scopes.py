"""publication scope, anchored comments, notifications (issue 3)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('published_scopes',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('province_code', sa.String(length=20), nullable=True),
    sa.Column('updated_at', repository.models.Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_published_scopes_material_id_materials'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_published_scopes_unit_id_units')),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_published_scopes'))
    )
    op.create_table('review_scope_requests',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('requested_at', repository.models.Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'],
                            name=op.f('fk_review_scope_requests_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_review_scope_requests'))
    )
    op.create_table('review_version_snapshots',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('taken_at', repository.models.Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'],
                            name=op.f('fk_review_version_snapshots_version_id_material_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_review_version_snapshots'))
    )
    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('anchor_kind', sa.String(length=20), nullable=False),
    sa.Column('anchor', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_records.id'], name=op.f('fk_review_comments_audit_id_audit_records')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_comments_author_id_users')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_review_comments_material_id_materials'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    op.create_index(op.f('ix_review_comments_material_id'), 'review_comments', ['material_id'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('read_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_notifications_material_id_materials'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)
    op.create_index(op.f('ix_notifications_read_at'), 'notifications', ['read_at'], unique=False)
    op.add_column('review_decisions', sa.Column('scope', sa.String(length=20), nullable=False, server_default=''))
    op.add_column('review_decisions', sa.Column('round', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('review_assignments', sa.Column('reminded_at', repository.models.Timestamp(), nullable=True))
    # Materials published before scopes existed were visible to everybody: say so explicitly.
    op.execute("INSERT INTO published_scopes (material_id, scope, unit_id, province_code, updated_at) "
               "SELECT m.id, 'national', m.unit_id, u.province_code, CURRENT_TIMESTAMP FROM materials m "
               "LEFT JOIN units u ON u.id = m.unit_id WHERE m.published_version_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('review_assignments') as batch:
        batch.drop_column('reminded_at')
    with op.batch_alter_table('review_decisions') as batch:
        batch.drop_column('round')
        batch.drop_column('scope')
    op.drop_index(op.f('ix_notifications_read_at'), table_name='notifications')
    op.drop_index(op.f('ix_notifications_user_id'), table_name='notifications')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_review_comments_material_id'), table_name='review_comments')
    op.drop_table('review_comments')
    op.drop_table('review_version_snapshots')
    op.drop_table('review_scope_requests')
    op.drop_table('published_scopes')
