"""Reference data (levels, subjects, kinds, series, licences, provinces) as loaded in the database.

Nothing here hard-codes a subject, grade or province: all comes from the ``reference_items`` table,
which ``hoclieu db upgrade`` fills from the CSVs in repository/reference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import ReferenceItem

CACHE_SECONDS = 60.0


def parse_grades(text: str) -> list[int]:
    """'1-5' -> [1..5]; '6-9;10' -> [6..10]; '' -> []."""
    grades: list[int] = []
    for part in filter(None, (p.strip() for p in (text or "").replace(",", ";").split(";"))):
        low, _, high = part.partition("-")
        grades.extend(range(int(low), int(high or low) + 1))
    return grades


@dataclass
class Reference:
    items: dict[str, list[ReferenceItem]] = field(default_factory=dict)

    def codes(self, domain: str) -> list[str]:
        return [item.code for item in self.items.get(domain, [])]

    def get(self, domain: str, code: str) -> ReferenceItem | None:
        return next((i for i in self.items.get(domain, []) if i.code == code), None)

    def name(self, domain: str, code: str | None, locale: str = "vi") -> str:
        item = self.get(domain, code or "")
        if item is None:
            return code or ""
        return item.name_en if locale == "en" and item.name_en else item.name_vi

    def grades_of_level(self, level: str) -> list[int]:
        item = self.get("level", level)
        return parse_grades(item.extra.get("grades", "")) if item else []

    def subject_fits(self, subject: str, level: str, grade: int | None) -> bool:
        item = self.get("subject", subject)
        if item is None:
            return False
        levels = item.extra.get("levels", "").split(";")
        if level not in levels:
            return False
        return grade is None or grade in parse_grades(item.extra.get("grades", ""))

    def subjects_for(self, level: str, grade: int | None) -> list[ReferenceItem]:
        return [s for s in self.items.get("subject", []) if self.subject_fits(s.code, level, grade)]


def load_reference(session: Session) -> Reference:
    ref = Reference()
    for item in session.scalars(select(ReferenceItem).order_by(ReferenceItem.domain, ReferenceItem.position)):
        session.expunge(item)
        ref.items.setdefault(item.domain, []).append(item)
    return ref


def current_reference(session: Session) -> Reference:
    """The reference lists, cached for a minute per app (an administrator's edit shows within a minute)."""
    cache = current_app.extensions.setdefault("reference_cache", {})
    if cache.get("at", 0) > time.monotonic() - CACHE_SECONDS and "ref" in cache:
        return cache["ref"]
    ref = load_reference(session)
    cache.update(ref=ref, at=time.monotonic())
    return ref


def clear_reference_cache() -> None:
    current_app.extensions.pop("reference_cache", None)
