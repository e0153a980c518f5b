"""slide decks, SCORM runtime data (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:30:00
"""

import sqlalchemy as sa
from alembic import op

import repository.materials.scorm_models
import repository.models  # noqa: F401
from repository.models import Timestamp

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorm_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("material_versions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sco", sa.String(200), nullable=False),
        sa.Column("scorm_version", sa.String(8), nullable=False),
        sa.Column("completion_status", sa.String(20), nullable=False),
        sa.Column("success_status", sa.String(20), nullable=False),
        sa.Column("score_raw", sa.Float(), nullable=True),
        sa.Column("score_min", sa.Float(), nullable=True),
        sa.Column("score_max", sa.Float(), nullable=True),
        sa.Column("score_scaled", sa.Float(), nullable=True),
        sa.Column("location", sa.String(1000), nullable=False),
        sa.Column("suspend_data", sa.Text(), nullable=False),
        sa.Column("total_seconds", sa.Float(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.UniqueConstraint("version_id", "user_id", "sco"),
    )
    op.create_index("ix_scorm_attempts_version_id", "scorm_attempts", ["version_id"])
    op.create_index("ix_scorm_attempts_user_id", "scorm_attempts", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_scorm_attempts_user_id", table_name="scorm_attempts")
    op.drop_index("ix_scorm_attempts_version_id", table_name="scorm_attempts")
    op.drop_table("scorm_attempts")
