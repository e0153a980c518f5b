"""Page thumbnails, made on first request and cached in the blob store.

The cover is made at ingest (role "thumbnail"); a thumbnail of any other page is rendered the first time
someone allowed to see that version asks for it (pypdfium2 in the capped PDF child), stored under the
version's derived keys and read from the store afterwards. A miss renders the whole block of
``BLOCK_PAGES`` pages around the page in one child: starting the child costs about 0.6 s, one small render
about 3 ms (bench/bench_docx_thumbnails.py), and neighbouring pages are usually asked for next.
Authorization is the caller's job, exactly as for the files of the version.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.errors import IngestError
from ingest.pdf import PdfLimits, render_page_thumbnails
from repository.models import MaterialFile, MaterialVersion

log = logging.getLogger(__name__)

PAGE_THUMBNAIL_WIDTH = 160
BLOCK_PAGES = 20
#: Which stored file of a version is rendered: the PDF made for the viewer, else the original PDF.
SOURCE_ROLES = ("preview", "original")


def page_thumbnail_key(version_id: int, page: int) -> str:
    return f"derived/v{version_id}/pages/{page}-w{PAGE_THUMBNAIL_WIDTH}.png"


def pdf_of_version(session: Session, version_id: int) -> MaterialFile | None:
    files = session.scalars(select(MaterialFile).where(MaterialFile.version_id == version_id,
                                                       MaterialFile.role.in_(SOURCE_ROLES),
                                                       MaterialFile.content_type == "application/pdf")).all()
    return min(files, key=lambda f: SOURCE_ROLES.index(f.role), default=None)


def page_thumbnail(app: Flask, session: Session, version: MaterialVersion, page: int) -> bytes | None:
    """PNG bytes of ``page`` of ``version`` (rendered and cached on first use), or None when the version
    has no such page or no PDF, or the page cannot be rendered."""
    if version.ingest_status != "succeeded" or not 1 <= page <= (version.page_count or 0):
        return None
    storage = app.extensions["storage"]
    key = page_thumbnail_key(version.id, page)
    if not storage.exists(key):
        source = pdf_of_version(session, version.id)
        if source is None or not render_and_store(app, source, version, page_block(page, version.page_count)):
            return None
        if not storage.exists(key):
            return None
    with storage.open(key) as fh:
        return fh.read()


def page_block(page: int, page_count: int | None) -> list[int]:
    """The pages rendered together with ``page``: its block of BLOCK_PAGES, cut at the end of the document."""
    first = (page - 1) // BLOCK_PAGES * BLOCK_PAGES + 1
    return list(range(first, min(first + BLOCK_PAGES - 1, page_count or page) + 1))


def render_and_store(app: Flask, source: MaterialFile, version: MaterialVersion, pages: list[int]) -> bool:
    storage = app.extensions["storage"]
    if not storage.exists(source.storage_key):
        log.warning("no thumbnails of pages %s: blob of file %s is missing", pages, source.id)
        return False
    settings = app.extensions["settings"]
    tmp_root = settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    limits = PdfLimits(timeout_seconds=float(settings.get("ingest", "pdf_timeout_seconds", 120)),
                       memory_mb=int(settings.get("ingest", "pdf_memory_mb", 1024)))
    with tempfile.TemporaryDirectory(prefix="page-thumb-", dir=tmp_root) as workdir:
        pdf = storage.local_path(source.storage_key)
        if pdf is None:  # object storage: fetch a copy
            pdf = Path(workdir) / "source.pdf"
            storage.download_to(source.storage_key, pdf)
        out_dir = Path(workdir) / "pages"
        out_dir.mkdir()
        try:
            rendered = render_page_thumbnails(pdf, out_dir, pages, width=PAGE_THUMBNAIL_WIDTH, limits=limits)
        except IngestError as exc:
            log.warning("no thumbnails of pages %s of file %s: %s", pages, source.id, exc.message_en)
            return False
        for number, png in rendered.items():
            storage.put_file(png, page_thumbnail_key(version.id, number), content_type="image/png")
    return True
