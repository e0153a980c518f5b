"""The ingest job: fetch the original, verify it, decide its type by content, extract, store derivatives,
and record everything in one transaction. Idempotent: a re-run replaces what an earlier run wrote."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from ingest.deck_ingest import ingest_deck
from ingest.detect import DetectedType, detect_type
from ingest.docx_doc import DocxLimits, convert_to_pdf, find_soffice, inspect_docx, locate_headings
from ingest.errors import IngestError
from ingest.media import (
    DEFAULT_LADDER,
    MediaInfo,
    MediaLimits,
    Rung,
    TranscodeResult,
    plan_ladder,
    probe_media,
    transcode_to_hls,
)
from ingest.ocr import OcrSettings, ocr_pages, page_needs_ocr
from ingest.pdf import PdfInfo, PdfLimits, inspect_pdf, render_thumbnail
from ingest.scorm_ingest import ingest_scorm
from repository.config import ConfigError, Settings
from repository.jobs import JobContext, JobFailed
from repository.materials.services import MaterialError
from repository.models import MaterialFile, MaterialVersion, PageText

log = logging.getLogger(__name__)

#: Detected families that are video or audio lectures (probed and transcoded by ffmpeg).
MEDIA_FAMILIES = frozenset({"mp4", "mov", "webm", "mkv", "avi", "mp3", "m4a", "wav", "ogg", "flac"})

#: E-lecture packages by detected family: a PowerPoint deck, or a ZIP that must be a SCORM package.
PACKAGE_INGESTS: dict[str, Callable[[JobContext, Path, Path], None]] = {"ooxml-pptx": ingest_deck,
                                                                       "zip": ingest_scorm}

#: Which detected file families each kind of material accepts. Later kinds of input add rows here.
ACCEPTED_FAMILIES: dict[str, frozenset[str]] = {
    "sach-giao-khoa": frozenset({"pdf", "ooxml-docx"}),
    "tai-lieu-tham-khao": frozenset({"pdf", "ooxml-docx"}),
    "bai-giang": frozenset({"pdf", "ooxml-docx"}) | MEDIA_FAMILIES | frozenset(PACKAGE_INGESTS),
    "ngan-hang-cau-hoi": frozenset({"pdf"}),
}
FAMILY_NAMES_VI = {"pdf": "PDF", "ooxml-docx": "Word (DOCX)", "html": "HTML", "text": "văn bản thuần", "zip": "ZIP",
                   "unknown": "không nhận ra", "ooxml-pptx": "PowerPoint (PPTX)",
                   "mp4": "MP4", "mov": "MOV", "webm": "WebM", "mkv": "MKV",
                   "avi": "AVI", "mp3": "MP3", "m4a": "M4A", "wav": "WAV", "ogg": "OGG", "flac": "FLAC"}

#: Roles a re-run of ingest keeps (everything else it wrote before is replaced).
KEPT_ROLES = ("original", "captions")
#: Content types of the files a media ingest stores, by suffix.
MEDIA_CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".mp4": "video/mp4",
                       ".m4a": "audio/mp4", ".jpg": "image/jpeg", ".vtt": "text/vtt"}


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
    #: Pages whose text came from OCR (the rest from the PDF's text layer).
    ocr_pages: frozenset[int] = frozenset()
    #: A PDF made for the viewer from another format (DOCX through LibreOffice).
    preview: MaterialFile | None = None
    source_format: str = "pdf"


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
        family = _detected_family(path)
        if family in MEDIA_FAMILIES:
            ingest_media(ctx, path, workdir)
            return
        if family in PACKAGE_INGESTS:
            PACKAGE_INGESTS[family](ctx, path, workdir)
            return
        extracted = extract_docx(ctx, path, workdir) if family == "ooxml-docx" else extract_pdf(ctx, path, workdir)
        ctx.progress(90, "Đang lưu kết quả")
        record_results(ctx, extracted)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _detected_family(path: Path) -> str:
    try:
        return detect_type(path).family
    except IngestError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc


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
    ocr_done = ocr_scanned_pages(ctx, path, info)
    ctx.progress(70, "Đang tạo ảnh bìa")
    return Extracted(info, make_thumbnail(ctx, path, workdir), ocr_done)


def make_thumbnail(ctx: JobContext, path: Path, workdir: Path) -> MaterialFile | None:
    """The cover: page 1 of the PDF at ``path`` stored in the blob store (None when it cannot be rendered)."""
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
    return thumbnail


def extract_docx(ctx: JobContext, path: Path, workdir: Path) -> Extracted:
    """Text and headings of a Word document; with LibreOffice, a PDF for the viewer whose pages then
    replace the page-like sections, so that page N of a search hit is page N in the viewer."""
    section = ctx.app.extensions["settings"].section("ingest")
    try:
        info = inspect_docx(path, DocxLimits(timeout_seconds=float(section.get("docx_timeout_seconds", 60)),
                                             memory_mb=int(section.get("pdf_memory_mb", 1024))))
    except IngestError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc
    soffice = find_soffice(str(section.get("soffice", "soffice")))
    if soffice is None:
        log.info("version %s: LibreOffice not available, DOCX shown as text", ctx.version_id)
        return Extracted(info, None, source_format="docx")
    ctx.progress(40, "Đang chuyển tài liệu Word sang PDF")
    try:
        pdf_path = convert_to_pdf(path, workdir / "preview.pdf", soffice=soffice,
                                  timeout_s=float(section.get("office_timeout_seconds", 120)))
        pdf_info = inspect_pdf(pdf_path, _limits(ctx))
    except IngestError as exc:
        log.warning("version %s: no PDF of the DOCX: %s", ctx.version_id, exc.message_en)
        return Extracted(info, None, source_format="docx")
    pdf_info.outline = locate_headings(info.outline, pdf_info.pages)
    pdf_info.metadata = info.metadata
    stored = ctx.app.extensions["storage"].put_file(pdf_path, f"derived/v{ctx.version_id}/preview.pdf",
                                                    content_type="application/pdf")
    preview = MaterialFile(role="preview", filename=f"{path.stem}.pdf", size=stored.size, sha256=stored.sha256,
                           content_type="application/pdf", storage_backend=ctx.app.extensions["storage"].name,
                           storage_key=stored.key)
    return Extracted(pdf_info, make_thumbnail(ctx, pdf_path, workdir), preview=preview, source_format="docx")


def ocr_scanned_pages(ctx: JobContext, path: Path, info: PdfInfo) -> frozenset[int]:
    """OCR the pages without a usable text layer (in place in ``info.pages``), reporting each page as
    progress between 30 % and 68 %; returns the page numbers OCR filled. Without tesseract the pages stay
    empty and the log says why: the material is still usable, only not searchable on those pages."""
    section = ctx.app.extensions["settings"].section("ingest")
    if not section.get("ocr", True):
        return frozenset()
    wanted = [n for n, text in enumerate(info.pages, start=1) if page_needs_ocr(text)]
    wanted = wanted[:int(section.get("ocr_max_pages", 400))]
    if not wanted:
        return frozenset()

    def report(done: int, total: int) -> None:
        ctx.progress(30 + 38 * done // total, f"Đang nhận dạng chữ trang scan ({done}/{total})")

    settings = OcrSettings(language=str(section.get("ocr_language", "vie")))
    try:
        texts = ocr_pages(path, wanted, settings=settings, limits=_limits(ctx), progress=report)
    except IngestError as exc:
        log.warning("version %s: OCR skipped: %s", ctx.version_id, exc.message_en)
        return frozenset()
    for number, text in texts.items():
        info.pages[number - 1] = text
    return frozenset(number for number, text in texts.items() if text)


def record_results(ctx: JobContext, extracted: Extracted) -> None:
    """Replace this version's derived rows with the new results, in one transaction."""
    info = extracted.info
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        session.execute(delete(PageText).where(PageText.version_id == version.id))
        session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                                   MaterialFile.role.not_in(KEPT_ROLES)))
        for number, text in enumerate(info.pages, start=1):
            source = "ocr" if number in extracted.ocr_pages else "text-layer"
            session.add(PageText(version_id=version.id, number=number, text=text, source=source))
        for derived in (extracted.thumbnail, extracted.preview):
            if derived is not None:
                derived.version_id = version.id
                session.add(derived)
        version.page_count = info.page_count
        version.doc_metadata = {**info.metadata, "outline": info.outline[:500],
                                "has_text": any(p.strip() for p in info.pages),
                                "ocr_pages": sorted(extracted.ocr_pages),
                                "encrypted": info.encrypted, "source_format": extracted.source_format}
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


def media_limits(settings: Settings) -> MediaLimits:
    """MediaLimits from the [media] section; the upload limit caps the file size."""
    section = settings.section("media")
    return MediaLimits(max_duration_s=float(section.get("max_duration_minutes", 240)) * 60,
                       max_width=int(section.get("max_width", 3840)),
                       max_height=int(section.get("max_height", 2160)),
                       max_file_bytes=int(settings.get("storage", "max_upload_mb", 512)) * 1024 * 1024,
                       probe_timeout_s=float(section.get("probe_timeout_seconds", 60)),
                       transcode_timeout_s=float(section.get("transcode_timeout_seconds", 6 * 3600)),
                       cpu_seconds=int(section.get("cpu_seconds", 12 * 3600)),
                       memory_mb=int(section.get("memory_mb", 2048)))


def media_ladder(settings: Settings) -> list[Rung]:
    """The [media] ladder of "name:height:video_kbps:audio_kbps" rungs (height 0: audio only).
    Empty or absent: the built-in default."""
    rungs = []
    for row in settings.get("media", "ladder") or []:
        try:
            name, height, video_kbps, audio_kbps = str(row).split(":")
            rungs.append(Rung(name, int(height) or None, int(video_kbps), int(audio_kbps)))
        except ValueError as exc:
            raise ConfigError(f"[media] ladder: {row!r} is not name:height:video_kbps:audio_kbps") from exc
    return rungs or list(DEFAULT_LADDER)


def ingest_media(ctx: JobContext, path: Path, workdir: Path) -> None:
    """Probe, transcode into ``workdir``, store every output, then record it all in one transaction."""
    settings = ctx.app.extensions["settings"]
    limits = media_limits(settings)
    try:
        info = probe_media(path, limits)
        renditions = plan_ladder(info.width, info.height, has_audio=info.has_audio,
                                 ladder=media_ladder(settings))
        ctx.progress(20, "Đang chuyển mã")
        result = transcode_to_hls(path, workdir / "media", info, renditions, limits=limits,
                                  progress=_transcode_progress(ctx),
                                  segment_seconds=int(settings.get("media", "segment_seconds", 6)))
    except IngestError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc
    ctx.progress(90, "Đang lưu kết quả")
    files = store_media_outputs(ctx, result)
    try:
        record_media_results(ctx, info, result, files)
    except BaseException:
        _delete_blobs(ctx, files)
        raise


def _transcode_progress(ctx: JobContext) -> Callable[[float], None]:
    """ffmpeg's own fraction mapped to 20–88 %, reported only when the whole percentage changes."""
    last = [-1]

    def report(fraction: float) -> None:
        percent = 20 + int(fraction * 68)
        if percent != last[0]:
            last[0] = percent
            ctx.progress(percent, f"Đang chuyển mã ({int(fraction * 100)}%)")
    return report


def media_role(relative: str) -> str:
    if relative.startswith("thumbs/"):
        return "thumbnails"
    if relative.endswith((".m3u8", ".ts")):
        return "hls"
    return "poster" if relative.endswith(".jpg") else "mp4"


def store_media_outputs(ctx: JobContext, result: TranscodeResult) -> list[MaterialFile]:
    """Put every output in the blob store; on any failure the blobs already written are deleted."""
    storage = ctx.app.extensions["storage"]
    files: list[MaterialFile] = []
    try:
        for local in sorted(p for p in result.out_dir.rglob("*") if p.is_file()):
            relative = local.relative_to(result.out_dir).as_posix()
            content_type = MEDIA_CONTENT_TYPES.get(local.suffix, "application/octet-stream")
            stored = storage.put_file(local, f"derived/v{ctx.version_id}/media/{relative.lower()}",
                                      content_type=content_type)
            files.append(MaterialFile(role=media_role(relative), filename=relative, size=stored.size,
                                      sha256=stored.sha256, content_type=content_type,
                                      storage_backend=storage.name, storage_key=stored.key))
    except BaseException:
        _delete_blobs(ctx, files)
        raise
    return files


def _delete_blobs(ctx: JobContext, files: list[MaterialFile]) -> None:
    storage = ctx.app.extensions["storage"]
    for stored in files:
        try:
            storage.delete(stored.storage_key)
        except Exception as exc:  # cleanup must not hide the original failure
            log.warning("could not delete %s: %s", stored.storage_key, exc)


def media_metadata(info: MediaInfo, result: TranscodeResult) -> dict[str, Any]:
    return {"kind": info.kind, "duration": round(info.duration, 3), "width": info.width,
            "height": info.height, "video_codec": info.video_codec, "audio_codec": info.audio_codec,
            "format": info.format_name, "master": result.master_playlist.name,
            "fallback": result.mp4.name, "poster": result.poster.name if result.poster else None,
            "thumbnails": result.thumbnails.relative_to(result.out_dir).as_posix() if result.thumbnails else None,
            "renditions": result.variants}


def record_media_results(ctx: JobContext, info: MediaInfo, result: TranscodeResult,
                         files: list[MaterialFile]) -> None:
    """Replace this version's derived rows with the stored outputs, in one transaction."""
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        session.execute(delete(PageText).where(PageText.version_id == version.id, PageText.source != "captions"))
        session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                                   MaterialFile.role.not_in(KEPT_ROLES)))
        for stored in files:
            stored.version_id = version.id
            session.add(stored)
        version.page_count = None
        version.doc_metadata = {"media": media_metadata(info, result)}
        version.ingest_status = "succeeded"
        version.ingest_error = ""
        session.commit()
