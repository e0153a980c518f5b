"""The search side of the database: building index documents, draining the outbox, reindexing.

The database is the source of truth. Publication writes an outbox row in the same transaction; a
worker drains the outbox into the index; ``hoclieu reindex`` rebuilds the index from the database.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from repository.banks.store import is_bank, published_questions
from repository.banks.text import public_text
from repository.config import Settings
from repository.models import SLIDE_SOURCE, Material, PageText, ReferenceItem, SearchOutbox, Unit, utcnow
from repository.publication import PublishedScope
from search.interfaces import PageText as IndexedPage
from search.interfaces import SearchDocument, SearchIndex
from search.usage_models import MaterialUsage

log = logging.getLogger(__name__)
BATCH = 500
MAX_BODY_CHARS = 200_000
#: PostgreSQL advisory-lock key of the outbox drainer (any constant unique to this purpose).
DRAIN_LOCK_KEY = 0x686F636C  # "hocl"


def make_search_index(settings: Settings) -> SearchIndex:
    """Choose the engine from configuration, in this one place."""
    backend = settings.get("search", "backend")
    if backend == "elasticsearch":
        from search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(settings.get("search", "elasticsearch_url"),
                                  prefix=settings.get("search", "index_prefix"))
    from search.sqlite_fts import SqliteFtsIndex

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteFtsIndex(Path(settings.data_dir) / "search.db")


def build_documents(session: Session, material_ids: list[int]) -> list[SearchDocument]:
    """Index documents for the published versions of these materials (unpublished ones are skipped)."""
    materials = session.scalars(select(Material).where(Material.id.in_(material_ids),
                                                       Material.published_version_id.is_not(None))).all()
    version_ids = [m.published_version_id for m in materials]
    pages: dict[int, list[IndexedPage]] = {}
    decks: set[int] = set()
    for row in session.execute(select(PageText.version_id, PageText.number, PageText.text, PageText.source)
                               .where(PageText.version_id.in_(version_ids)).order_by(PageText.number)):
        pages.setdefault(row.version_id, []).append(IndexedPage(row.number, row.text))
        if row.source == SLIDE_SOURCE:
            decks.add(row.version_id)
    questions = bank_pages(session, [m.id for m in materials if is_bank(m)])
    provinces = dict(session.execute(select(Unit.id, Unit.province_code)).all())
    popularity = dict(session.execute(select(MaterialUsage.material_id, MaterialUsage.popularity)
                                      .where(MaterialUsage.material_id.in_(material_ids))).all())
    subject_names = dict(session.execute(select(ReferenceItem.code, ReferenceItem.name_vi)
                                         .where(ReferenceItem.domain == "subject")).all())
    scopes = {row.material_id: row for row in session.scalars(
        select(PublishedScope).where(PublishedScope.material_id.in_([m.id for m in materials])))}
    docs = []
    for m in materials:
        version_pages, unit = _numbered_parts(m, pages, decks, questions)
        body = "\n".join(p.text for p in version_pages)[:MAX_BODY_CHARS]
        docs.append(SearchDocument(
            material_id=m.id, title=m.title, description=m.description, chapter=m.chapter,
            lesson=m.lesson, body=body, kind=m.kind, subject_name=subject_names.get(m.subject, ""),
            level=m.level, grade=m.grade, subject=m.subject,
            series=m.series, licence=m.licence, province=provinces.get(m.unit_id) or "",
            published_at=m.published_at, pages=version_pages, page_unit=unit, popularity=popularity.get(m.id, 0),
            **_audience(scopes.get(m.id), m)))
    return docs


def bank_pages(session: Session, bank_ids: list[int]) -> dict[int, list[IndexedPage]]:
    """The published questions of these banks as numbered parts: number = the question's position (its
    "Câu N" on the bank page), text = what everyone who sees the bank reads of it (never its key)."""
    found: dict[int, list[IndexedPage]] = {bank_id: [] for bank_id in bank_ids}
    for stored in published_questions(session, bank_ids) if bank_ids else []:
        found[stored.bank_id].append(IndexedPage(stored.position, public_text(stored.question)))
    return found


def _numbered_parts(material: Material, pages: dict[int, list[IndexedPage]], decks: set[int],
                    questions: dict[int, list[IndexedPage]]) -> tuple[list[IndexedPage], str]:
    """What a material's numbered parts are, and what to call them: a bank's questions, a deck's slides, or
    the pages of anything else."""
    if material.id in questions:
        return questions[material.id], "question"
    version_id = material.published_version_id
    return pages.get(version_id, []), "slide" if version_id in decks else "page"


def _audience(row: PublishedScope | None, material: Material) -> dict[str, object]:
    """The publication-scope fields of a document (search.audience); no row: published before scopes, national."""
    if row is None:
        return {"audience_scope": "national", "audience_unit": material.unit_id}
    return {"audience_scope": row.scope, "audience_unit": row.unit_id}


@contextmanager
def single_index_writer(app: Flask) -> Iterator[None]:
    """Let one drainer or reindexer at a time write the index, across threads, processes and (on
    PostgreSQL) machines.

    Each drainer reads the materials' current state, then writes the index. Two interleaved drainers could
    let an older read land after a newer one (a withdrawn material back in the index), and a drain during
    a rebuild would write to the index about to be swapped out. PostgreSQL: a session advisory lock.
    SQLite (one machine): an exclusive flock on a file in the data directory.
    """
    db = app.extensions["db"]
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": DRAIN_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": DRAIN_LOCK_KEY})
                conn.commit()
        return
    data_dir = Path(app.extensions["settings"].data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "search-writer.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def drain_outbox(app: Flask, limit: int = 10_000) -> int:
    """Apply pending outbox rows to the index, oldest first, as the only index writer of the moment.
    Safe to run repeatedly: each row's effect is idempotent (upsert the current state, or delete)."""
    with single_index_writer(app):
        return _drain(app, limit)


def _drain(app: Flask, limit: int) -> int:
    db = app.extensions["db"]
    index: SearchIndex = app.extensions["search"]
    done = 0
    while done < limit:
        with db.session() as session:
            rows = session.scalars(select(SearchOutbox).where(SearchOutbox.processed_at.is_(None))
                                   .order_by(SearchOutbox.id).limit(BATCH)).all()
            if not rows:
                break
            ids = sorted({r.material_id for r in rows})
            try:
                docs = build_documents(session, ids)
                index.upsert(docs)
                index.delete(sorted(set(ids) - {d.material_id for d in docs}))
            except Exception as exc:
                log.warning("search index unavailable, %d changes stay in the outbox: %s", len(rows), exc)
                session.execute(update(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows]))
                                .values(attempts=SearchOutbox.attempts + 1, last_error=str(exc)[:1000]))
                session.commit()
                break
            session.execute(update(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows]))
                            .values(processed_at=utcnow()))
            session.commit()
            done += len(rows)
    return done


def push_popularity(app: Flask, scores: dict[int, int]) -> None:
    """Give the index the new popularity of these materials, as its only writer of the moment. A failure
    is logged only: the totals are in the database and the next flush or a reindex carries them."""
    if not scores:
        return
    try:
        with single_index_writer(app):
            app.extensions["search"].set_popularity(scores)
    except Exception as exc:
        log.warning("search index did not take the popularity of %d materials: %s", len(scores), exc)


def published_ids(session: Session) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = session.scalars(select(Material.id).where(Material.published_version_id.is_not(None),
                                                        Material.id > last)
                              .order_by(Material.id).limit(BATCH)).all()
        if not ids:
            return
        yield list(ids)
        last = ids[-1]


def reindex(app: Flask) -> int:
    """Rebuild the whole index from the database. An engine with ``rebuild`` (Elasticsearch) fills a new
    index and swaps it in, so searches keep answering; the others are cleared and refilled."""
    db = app.extensions["db"]
    index: SearchIndex = app.extensions["search"]
    with single_index_writer(app), db.session() as session:
        pending = session.scalar(select(SearchOutbox.id).order_by(SearchOutbox.id.desc()).limit(1)) or 0
        batches = (build_documents(session, ids) for ids in published_ids(session))
        if hasattr(index, "rebuild"):
            count = index.rebuild(batches)
        else:
            index.clear()
            count = sum(index.upsert(batch) for batch in batches)
        # Everything up to here is reflected in the rebuilt index.
        session.execute(update(SearchOutbox).where(SearchOutbox.id <= pending,
                                                   SearchOutbox.processed_at.is_(None))
                        .values(processed_at=utcnow()))
        session.commit()
    return count


def pending_outbox(session: Session) -> int:
    return len(session.scalars(select(SearchOutbox.id).where(SearchOutbox.processed_at.is_(None))).all())

