"""The table behind "most used": usage counters per material, aggregated from the portal's batches.

Imported by search.registration, so the model is known wherever the app exists; the table comes from
migration 0008.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models import Timestamp, utcnow


class MaterialUsage(Base):
    """Totals of one material's views, plays and downloads, and the popularity they make (see
    search.usage.USAGE_WEIGHTS). One row per material that was used at least once."""

    __tablename__ = "material_usage"
    __table_args__ = (Index("ix_material_usage_popularity", "popularity", "material_id"),)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    plays: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    popularity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)
