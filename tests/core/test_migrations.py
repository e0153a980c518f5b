"""The schema comes only from Alembic migrations, matches the models, and loads the reference data."""

from __future__ import annotations

import csv

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from repository.db import Base
from repository.migrate import REFERENCE_DIR, REFERENCE_FILES, upgrade
from repository.models import ReferenceItem, Unit


def test_migrations_match_the_models(app):
    with app.extensions["db"].engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reference_data_is_loaded_from_the_shipped_csvs(app):
    with app.extensions["db"].session() as session:
        for domain, (filename, _, _) in REFERENCE_FILES.items():
            with (REFERENCE_DIR / filename).open(encoding="utf-8") as fh:
                expected = {row["code"] for row in csv.DictReader(fh)}
            loaded = set(session.scalars(select(ReferenceItem.code).where(ReferenceItem.domain == domain)))
            assert loaded == expected, domain
        provinces = session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "province"))
        assert provinces == 34
        hue = session.get(ReferenceItem, ("province", "HUE"))
        assert hue.name_vi == "Huế" and hue.extra["merged_from"] == "Thừa Thiên Huế"


def test_upgrade_is_idempotent(app):
    upgrade(app.extensions["db"])
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "province")) == 34
