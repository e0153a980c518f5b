"""usage counts for most-used sort (issue 4)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('material_usage',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('plays', sa.Integer(), nullable=False),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.Column('popularity', sa.Integer(), nullable=False),
    sa.Column('updated_at', repository.models.Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_usage_material_id_materials'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_material_usage'))
    )
    with op.batch_alter_table('material_usage', schema=None) as batch_op:
        batch_op.create_index('ix_material_usage_popularity', ['popularity', 'material_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('material_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_material_usage_popularity')
    op.drop_table('material_usage')
