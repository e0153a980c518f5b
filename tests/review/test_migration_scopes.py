"""Migration 0003: materials published before publication scopes existed stay visible to everybody (an explicit
national scope row), and the migration goes down and up again cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session

from repository.migrate import alembic_config
from repository.models import Material, MaterialVersion, User
from repository.publication import PublishedScope


def _at(url: str, revision: str, down: bool = False) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)
    engine.dispose()


def _material(session: Session, owner: User, published: bool) -> int:
    material = Material(owner_id=owner.id, title="Bài cũ", kind="bai-giang", level="thpt", grade=10, subject="toan",
                        licence="CC-BY-4.0", status="published" if published else "draft")
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1, created_by=owner.id, ingest_status="succeeded")
    session.add(version)
    session.flush()
    material.current_version_id = version.id
    material.published_version_id = version.id if published else None
    return material.id


def test_published_materials_become_national_and_the_migration_reverses(database_url):
    _at(database_url, "0002")
    engine = create_engine(database_url)
    with Session(engine) as session:
        owner = User(email="cu@truong.edu.vn", password_hash="x", role="teacher")
        session.add(owner)
        session.flush()
        published, draft = _material(session, owner, True), _material(session, owner, False)
        session.commit()
    _at(database_url, "0003")
    with Session(engine) as session:
        rows = session.scalars(select(PublishedScope)).all()
        assert [(r.material_id, r.scope) for r in rows] == [(published, "national")]
        assert draft not in {r.material_id for r in rows}
    _at(database_url, "0002", down=True)
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"published_scopes", "review_scope_requests", "review_comments", "notifications",
                         "review_version_snapshots"}
    assert "scope" not in {c["name"] for c in inspect(engine).get_columns("review_decisions")}
    _at(database_url, "head")
    assert "published_scopes" in set(inspect(engine).get_table_names())
    engine.dispose()
