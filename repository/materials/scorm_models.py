"""The SCORM runtime data of each learner: one row per learner, version of a package and SCO, holding what
the package reported through the runtime API (completion, success, score, location, suspend data).

Imported by the SCORM views, so the model is known wherever the app exists; the table comes from migration
0005.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from repository.db import Base
from repository.models import Timestamp, utcnow


class ScormAttempt(Base):
    __tablename__ = "scorm_attempts"
    __table_args__ = (UniqueConstraint("version_id", "user_id", "sco"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Identifier of the manifest item (SCO) the data belongs to ("" for a single-SCO package).
    sco: Mapped[str] = mapped_column(String(200), default="")
    scorm_version: Mapped[str] = mapped_column(String(8))  # "1.2" | "2004"
    #: 1.2 cmi.core.lesson_status, or 2004 cmi.completion_status.
    completion_status: Mapped[str] = mapped_column(String(20), default="not attempted")
    #: 2004 cmi.success_status; for 1.2, "passed"/"failed" from the lesson status, else "unknown".
    success_status: Mapped[str] = mapped_column(String(20), default="unknown")
    score_raw: Mapped[float | None] = mapped_column(Float)
    score_min: Mapped[float | None] = mapped_column(Float)
    score_max: Mapped[float | None] = mapped_column(Float)
    score_scaled: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str] = mapped_column(String(1000), default="")
    suspend_data: Mapped[str] = mapped_column(Text, default="")
    #: Sum of the session times reported at each finish, in seconds.
    total_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    #: Every other element the package set (interactions, objectives, preferences...), by element name.
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)
