"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 01:39:28.972710
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_items',
    sa.Column('domain', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name_vi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('domain', 'code', name=op.f('pk_reference_items'))
    )
    op.create_table('search_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('operation', sa.String(length=10), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('processed_at', repository.models.Timestamp(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_outbox_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_outbox_processed_at'), ['processed_at'], unique=False)

    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('province_code', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('last_login_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_users_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('last_used_at', repository.models.Timestamp(), nullable=True),
    sa.Column('revoked_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('series', sa.String(length=40), nullable=False),
    sa.Column('chapter', sa.String(length=300), nullable=False),
    sa.Column('lesson', sa.String(length=300), nullable=False),
    sa.Column('licence', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('updated_at', repository.models.Timestamp(), nullable=False),
    sa.Column('published_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_materials_owner_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_materials_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_published_version_id'), ['published_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_subject'), ['subject'], unique=False)

    op.create_table('audit_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', repository.models.Timestamp(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=False),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_records_actor_id_users')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_audit_records_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_records'))
    )
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_records_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_records_material_id'), ['material_id'], unique=False)

    op.create_table('material_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('ingest_status', sa.String(length=20), nullable=False),
    sa.Column('ingest_error', sa.Text(), nullable=False),
    sa.Column('file_type', sa.String(length=40), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('doc_metadata', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_material_versions_created_by_users')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_versions_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_versions')),
    sa.UniqueConstraint('material_id', 'number', name=op.f('uq_material_versions_material_id'))
    )
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_versions_material_id'), ['material_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.Column('enqueued_at', repository.models.Timestamp(), nullable=True),
    sa.Column('run_after', repository.models.Timestamp(), nullable=True),
    sa.Column('started_at', repository.models.Timestamp(), nullable=True),
    sa.Column('heartbeat_at', repository.models.Timestamp(), nullable=True),
    sa.Column('finished_at', repository.models.Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_jobs_version_id_material_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_version_id'), ['version_id'], unique=False)

    op.create_table('material_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('storage_backend', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_material_files_version_id_material_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_files'))
    )
    with op.batch_alter_table('material_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_files_version_id'), ['version_id'], unique=False)

    op.create_table('page_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_page_texts_version_id_material_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_texts')),
    sa.UniqueConstraint('version_id', 'number', name=op.f('uq_page_texts_version_id'))
    )
    with op.batch_alter_table('page_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_texts_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('page_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_texts_version_id'))

    op.drop_table('page_texts')
    with op.batch_alter_table('material_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_files_version_id'))

    op.drop_table('material_files')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_version_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_status'))

    op.drop_table('jobs')
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_versions_material_id'))

    op.drop_table('material_versions')
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_records_material_id'))
        batch_op.drop_index(batch_op.f('ix_audit_records_at'))

    op.drop_table('audit_records')
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_subject'))
        batch_op.drop_index(batch_op.f('ix_materials_status'))
        batch_op.drop_index(batch_op.f('ix_materials_published_version_id'))
        batch_op.drop_index(batch_op.f('ix_materials_owner_id'))
        batch_op.drop_index(batch_op.f('ix_materials_kind'))

    op.drop_table('materials')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('units')
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_outbox_processed_at'))
        batch_op.drop_index(batch_op.f('ix_search_outbox_material_id'))

    op.drop_table('search_outbox')
    op.drop_table('reference_items')
