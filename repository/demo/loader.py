"""``hoclieu demo load``: a deterministic, published demo collection and demo accounts.

The lessons are generated (repository.demo.generator), their PDFs rendered in a process pool, stored in
the blob store, recorded as published materials with their page text, and indexed in bulk. Loading N
after loading K < N adds only lessons K+1..N (the generator's prefix property).
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import get_context

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from repository.demo.generator import DemoLesson, generate_lessons
from repository.demo.pdfgen import render_pdf
from repository.models import (
    AuditRecord,
    Material,
    MaterialFile,
    MaterialVersion,
    PageText,
    Unit,
    User,
    utcnow,
)
from repository.units import province_unit_code

BATCH = 250
DEMO_DOMAIN = "demo.hoclieu.vn"
#: (local part, role, name, unit code). Teachers own the demo lessons; the reviewer approved them.
DEMO_ACCOUNTS = (
    ("quantri", "admin", "Quản trị hệ thống", "bo-gddt"),
    ("giaovien", "teacher", "Cô Nguyễn Thị Lan", "so-hn"),
    ("thamdinh", "reviewer", "Thầy Trần Văn Minh", "so-hcm"),
    ("hocsinh", "student", "Em Lê Hoàng Nam", "so-dn"),
)


@dataclass
class DemoReport:
    created: int = 0
    total: int = 0
    seconds: float = 0.0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


def _render(lesson: DemoLesson) -> bytes:
    return render_pdf(lesson.title, lesson.pages, subtitle=f"{lesson.chapter} — {lesson.lesson}")


def reset_demo_accounts(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts, or give them new random passwords; return (email, role, password)."""
    accounts = []
    for local, role, name, unit_code in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        password = secrets.token_urlsafe(9)
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role, password_hash="")
            session.add(user)
        user.password_hash = generate_password_hash(password)
        user.session_version = (user.session_version or 0) + 1
        user.unit_id = unit.id if unit else None
        user.active = True
        accounts.append((email, role, password))
    session.flush()
    return accounts


def load_demo(app: Flask, *, lessons: int, seed: int = 2018) -> DemoReport:
    started = time.monotonic()
    report = DemoReport()
    db = app.extensions["db"]
    with db.session() as session:
        report.accounts = reset_demo_accounts(session)
        session.commit()
        teacher = session.scalar(select(User).where(User.email == f"giaovien@{DEMO_DOMAIN}"))
        reviewer = session.scalar(select(User).where(User.email == f"thamdinh@{DEMO_DOMAIN}"))
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        existing = session.scalar(select(func.count()).select_from(Material)
                                  .where(Material.owner_id == teacher.id)) or 0
        todo = islice(generate_lessons(lessons, seed=seed), existing, None)
        def store(batch: list[DemoLesson], rendering: Iterator[bytes]) -> None:
            ids = _insert_batch(app, session, batch, list(rendering), teacher, reviewer, units)
            app.extensions["search"].upsert(_documents(session, ids))
            report.created += len(batch)

        # One batch renders in the pool while the previous one is stored: the database and index work of
        # this process overlaps the rendering instead of leaving the pool idle.
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            previous = None
            while batch := list(islice(todo, BATCH)):
                rendering = pool.map(_render, batch, chunksize=25)
                if previous is not None:
                    store(*previous)
                previous = (batch, rendering)
            if previous is not None:
                store(*previous)
        report.total = session.scalar(select(func.count()).select_from(Material)
                                      .where(Material.published_version_id.is_not(None))) or 0
    report.seconds = time.monotonic() - started
    return report


def _documents(session: Session, ids: list[int]):
    from search.service import build_documents

    return build_documents(session, ids)


def _insert_batch(app: Flask, session: Session, batch: list[DemoLesson], pdfs: list[bytes], teacher: User,
                  reviewer: User, units: dict[str, int]) -> list[int]:
    storage = app.extensions["storage"]
    now = utcnow()
    materials = [Material(owner_id=teacher.id, unit_id=units.get(province_unit_code(lesson.province)),
                          title=lesson.title, description=lesson.description, kind=lesson.kind,
                          level=lesson.level, grade=lesson.grade, subject=lesson.subject,
                          series=lesson.series, chapter=lesson.chapter, lesson=lesson.lesson,
                          licence=lesson.licence, status="published", published_at=now)
                 for lesson in batch]
    session.add_all(materials)
    session.flush()
    versions = [MaterialVersion(material_id=m.id, number=1, created_by=teacher.id, ingest_status="succeeded",
                                file_type="pdf", page_count=len(lesson.pages),
                                doc_metadata={"title": lesson.title, "has_text": True})
                for m, lesson in zip(materials, batch, strict=True)]
    session.add_all(versions)
    session.flush()
    for material, version, lesson, pdf in zip(materials, versions, batch, pdfs, strict=True):
        blob = storage.put_stream(io.BytesIO(pdf), max_bytes=len(pdf) + 1, content_type="application/pdf")
        material.current_version_id = material.published_version_id = version.id
        session.add(MaterialFile(version_id=version.id, role="original", filename=f"{lesson.key}.pdf",
                                 size=blob.size, sha256=blob.sha256, content_type="application/pdf",
                                 storage_backend=storage.name, storage_key=blob.key))
        session.add_all(PageText(version_id=version.id, number=n, text=text, source="text-layer")
                        for n, text in enumerate(lesson.pages, start=1))
        session.add(AuditRecord(material_id=material.id, version_id=version.id, actor_id=teacher.id,
                                action="upload", from_state="", to_state="draft", comment="demo"))
        session.add(AuditRecord(material_id=material.id, version_id=version.id, actor_id=reviewer.id,
                                action="approve", from_state="in_review", to_state="published",
                                comment="demo"))
    session.commit()
    return [m.id for m in materials]
