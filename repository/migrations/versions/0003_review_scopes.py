"""publication scope, anchored comments, notifications (issue 3)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import repository.models  # noqa: F401

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
