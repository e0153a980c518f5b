"""Schema migrations (Alembic) and the reference-data load that follows them."""

from __future__ import annotations

import csv
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.db import Database
from repository.models import ReferenceItem
from repository.units import ensure_standard_units

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

#: Reference lists: domain -> (CSV file, column holding the Vietnamese name, column of the English name).
REFERENCE_FILES = {
    "level": ("levels.csv", "name_vi", "name_en"),
    "subject": ("subjects_gdpt2018.csv", "name_vi", "name_en"),
    "kind": ("material_kinds.csv", "name_vi", "name_en"),
    "series": ("textbook_series.csv", "name_vi", None),
    "cognitive_level": ("cognitive_levels.csv", "name_vi", "name_en"),
    "province": ("provinces_2025.csv", "new_name", None),
    "licence": ("licences.csv", "name_vi", "name_en"),
}


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision, then load the reference lists."""
    with database.engine.begin() as connection:
        cfg = alembic_config(database.url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    with database.session() as session:
        load_reference_data(session)
        session.flush()
        ensure_standard_units(session)
        session.commit()


def read_reference_rows(domain: str) -> list[dict[str, str]]:
    filename, _, _ = REFERENCE_FILES[domain]
    with (REFERENCE_DIR / filename).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_reference_data(session: Session) -> int:
    """Insert or update every reference row from the CSVs shipped with the product."""
    count = 0
    for domain, (_, vi_column, en_column) in REFERENCE_FILES.items():
        existing = {item.code: item for item in
                    session.scalars(select(ReferenceItem).where(ReferenceItem.domain == domain))}
        for position, row in enumerate(read_reference_rows(domain)):
            code = row.pop("code")
            name_vi = row.pop(vi_column)
            name_en = row.pop(en_column) if en_column else ""
            item = existing.get(code) or ReferenceItem(domain=domain, code=code)
            item.name_vi, item.name_en, item.position, item.extra = name_vi, name_en, position, row
            session.add(item)
            count += 1
    return count
