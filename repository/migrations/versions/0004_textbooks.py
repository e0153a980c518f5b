"""textbook thumbnails, chapters linked to lessons (issue 5)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('textbook_chapter_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('textbook_id', sa.Integer(), nullable=False),
    sa.Column('chapter_number', sa.Integer(), nullable=False),
    sa.Column('chapter_title', sa.String(length=300), nullable=False),
    sa.Column('first_page', sa.Integer(), nullable=False),
    sa.Column('last_page', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', repository.models.Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['textbook_id'], ['materials.id'], name=op.f('fk_textbook_chapter_links_textbook_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['materials.id'], name=op.f('fk_textbook_chapter_links_lesson_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_textbook_chapter_links_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_textbook_chapter_links')),
    sa.UniqueConstraint('textbook_id', 'chapter_number', 'lesson_id', name=op.f('uq_textbook_chapter_links_textbook_id'))
    )
    with op.batch_alter_table('textbook_chapter_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_textbook_chapter_links_textbook_id'), ['textbook_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_textbook_chapter_links_lesson_id'), ['lesson_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('textbook_chapter_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_textbook_chapter_links_lesson_id'))
        batch_op.drop_index(batch_op.f('ix_textbook_chapter_links_textbook_id'))
    op.drop_table('textbook_chapter_links')
