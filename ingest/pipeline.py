"""The ingest job: fetch the original, verify it, decide its type by content, extract, store derivatives,
and record everything in one transaction. Idempotent: a re-run replaces what an earlier run wrote."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from ingest.detect import DetectedType, detect_type
from ingest.errors import IngestError
from ingest.pdf import PdfInfo, PdfLimits, inspect_pdf, render_thumbnail
from repository.jobs import JobContext, JobFailed
from repository.materials.services import MaterialError
from repository.models import MaterialFile, MaterialVersion, PageText

log = logging.getLogger(__name__)

#: Which detected file families each kind of material accepts. Later kinds of input add rows here.
ACCEPTED_FAMILIES: dict[str, frozenset[str]] = {
    "sach-giao-khoa": frozenset({"pdf"}),
    "tai-lieu-tham-khao": frozenset({"pdf"}),
    "bai-giang": frozenset({"pdf"}),
    "ngan-hang-cau-hoi": frozenset({"pdf"}),
}
FAMILY_NAMES_VI = {"pdf": "PDF", "html": "HTML", "text": "văn bản thuần", "zip": "ZIP",
                   "unknown": "không nhận ra"}


def sniff_for_kind(head_path: Path, kind: str) -> tuple[str, str]:
    """Decide the upload's type from its first bytes, before anything is stored."""
    try:
        detected: DetectedType = detect_type(head_path)
    except IngestError as exc:
        raise MaterialError("file", exc.message_vi, exc.code) from exc
    accepted = ACCEPTED_FAMILIES.get(kind, frozenset())
    if detected.family not in accepted:
        names = ", ".join(FAMILY_NAMES_VI.get(f, f) for f in sorted(accepted))
        found = FAMILY_NAMES_VI.get(detected.family, detected.family)
        raise MaterialError("file", f"Nội dung tệp là {found}, không phải loại được chấp nhận ({names}). "
                                    "Loại tệp được xác định theo nội dung, không theo tên tệp.",
                            "unsupported_type", 415)
    return detected.family, detected.mime


@dataclass
class Extracted:
    info: PdfInfo
    thumbnail: MaterialFile | None


def run_ingest(ctx: JobContext) -> None:
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        if version is None:
            raise JobFailed("Phiên bản học liệu không còn tồn tại.", "version vanished")
        original = session.scalar(select(MaterialFile).where(MaterialFile.version_id == version.id,
                                                             MaterialFile.role == "original"))
        version.ingest_status = "running"
        session.commit()
        original_key, original_sha = original.storage_key, original.sha256
    settings = ctx.app.extensions["settings"]
    tmp_root = settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"ingest-v{ctx.version_id}-", dir=tmp_root))
    try:
        path = workdir / "original"
        ctx.progress(5, "Đang lấy tệp")
        fetch_verified(ctx, original_key, original_sha, path)
        ctx.progress(15, "Đang kiểm tra loại tệp")
        extracted = extract_pdf(ctx, path, workdir)
        ctx.progress(90, "Đang lưu kết quả")
        record_results(ctx, extracted)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def fetch_verified(ctx: JobContext, key: str, expected_sha: str, path: Path) -> None:
    """Copy the blob to the work directory and check its SHA-256 (THREATS.md item 21)."""
    ctx.app.extensions["storage"].download_to(key, path)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected_sha:
        raise RuntimeError(f"stored blob {key} does not match its SHA-256")


def _limits(ctx: JobContext) -> PdfLimits:
    section = ctx.app.extensions["settings"].section("ingest")
    return PdfLimits(max_pages=int(section.get("pdf_max_pages", 2000)),
                     timeout_seconds=float(section.get("pdf_timeout_seconds", 120)),
                     memory_mb=int(section.get("pdf_memory_mb", 1024)))


def extract_pdf(ctx: JobContext, path: Path, workdir: Path) -> Extracted:
    try:
        detected = detect_type(path)
        if detected.family != "pdf":
            raise IngestError("not_pdf", "Tệp không phải PDF.", f"detected {detected.family}, not a PDF")
        info = inspect_pdf(path, _limits(ctx))
    except IngestError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc
    ctx.progress(70, "Đang tạo ảnh bìa")
    thumbnail = None
    thumb_path = workdir / "thumbnail.png"
    width = int(ctx.app.extensions["settings"].get("ingest", "thumbnail_width", 320))
    try:
        render_thumbnail(path, thumb_path, width=width, limits=_limits(ctx))
        stored = ctx.app.extensions["storage"].put_file(
            thumb_path, f"derived/v{ctx.version_id}/thumbnail.png", content_type="image/png")
        thumbnail = MaterialFile(role="thumbnail", filename="thumbnail.png", size=stored.size,
                                 sha256=stored.sha256, content_type="image/png",
                                 storage_backend=ctx.app.extensions["storage"].name, storage_key=stored.key)
    except IngestError as exc:
        log.warning("version %s: no thumbnail: %s", ctx.version_id, exc.message_en)
    return Extracted(info, thumbnail)


def record_results(ctx: JobContext, extracted: Extracted) -> None:
    """Replace this version's derived rows with the new results, in one transaction."""
    info = extracted.info
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        session.execute(delete(PageText).where(PageText.version_id == version.id))
        session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                                   MaterialFile.role != "original"))
        for number, text in enumerate(info.pages, start=1):
            session.add(PageText(version_id=version.id, number=number, text=text, source="text-layer"))
        if extracted.thumbnail is not None:
            extracted.thumbnail.version_id = version.id
            session.add(extracted.thumbnail)
        version.page_count = info.page_count
        version.doc_metadata = {**info.metadata, "outline": info.outline[:500],
                                "has_text": any(p.strip() for p in info.pages),
                                "encrypted": info.encrypted}
        version.ingest_status = "succeeded"
        version.ingest_error = ""
        session.commit()


def mark_version_failed(ctx: JobContext, message_vi: str) -> None:
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        if version is not None:
            version.ingest_status = "failed"
            version.ingest_error = message_vi
            session.commit()
