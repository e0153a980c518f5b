"""The ingest of a slide deck (PPTX): the text and speaker notes of every slide, stored as the version's
pages (slide N is page N, so search hits name their slide), the slide count, the deck's title for a form
left without one, and, when LibreOffice is installed, a PDF rendering with an image of every slide."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from ingest.archive_safety import PackageError
from ingest.derived_files import DerivedFile, delete_blobs, store_derived
from ingest.slides import DeckInfo, Slide, inspect_deck, render_deck_pdf
from repository.jobs import JobContext, JobFailed
from repository.materials.uploads import TITLE_FROM_FILE
from repository.models import SLIDE_SOURCE, Material, MaterialFile, MaterialVersion, PageText

log = logging.getLogger(__name__)

#: Roles a re-run keeps; everything else this version had is replaced.
KEPT_ROLES = ("original", "captions")


def slide_page_text(slide: Slide) -> str:
    """What search sees of a slide: its title, its text, then its speaker notes."""
    return "\n".join(part for part in (slide.title, slide.text, slide.notes) if part)


def ingest_deck(ctx: JobContext, path: Path, workdir: Path) -> None:
    """Read the deck, render its preview when possible, store, then record everything in one transaction."""
    section = ctx.app.extensions["settings"].section("slides")
    try:
        deck = inspect_deck(path)
    except PackageError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc
    ctx.progress(40, "Đang tạo bản xem trước bài trình chiếu")
    program = str(section.get("libreoffice", "soffice"))
    wanted, preview_note = render_preview(path, workdir / "preview", ctx.version_id,
                                          soffice=shutil.which(program) if program else None,
                                          timeout_s=float(section.get("render_timeout_seconds", 180)),
                                          max_images=int(section.get("max_slide_images", 300)))
    ctx.progress(85, "Đang lưu kết quả")
    storage = ctx.app.extensions["storage"]
    files = store_derived(storage, wanted)
    try:
        record_deck(ctx, deck, files, preview_note)
    except BaseException:
        delete_blobs(storage, files)
        raise


def render_preview(path: Path, out_dir: Path, version_id: int, *, soffice: str | None, timeout_s: float,
                   max_images: int) -> tuple[list[DerivedFile], str]:
    """The PDF and slide images to store, and why there are none ("" when there are). A deck LibreOffice
    cannot render is still a usable material (its outline is shown), so a render failure is not fatal."""
    if soffice is None:
        log.info("version %s: LibreOffice not installed, no deck preview", version_id)
        return [], "no_libreoffice"
    try:
        pdf = render_deck_pdf(path, out_dir, timeout_s=timeout_s, soffice=soffice)
    except PackageError as exc:
        log.warning("version %s: no deck preview: %s", version_id, exc.message_en)
        return [], "render_failed"
    if pdf is None:
        return [], "no_libreoffice"
    prefix = f"derived/v{version_id}/slides"
    wanted = [DerivedFile(pdf, "preview", "slides.pdf", f"{prefix}/slides.pdf", "application/pdf")]
    for number, image in enumerate(slide_images(pdf, out_dir / "images", timeout_s, max_images), start=1):
        role = "thumbnail" if number == 1 else "slide-image"
        name = f"slide-{number:04d}.png"
        wanted.append(DerivedFile(image, role, f"slides/{name}", f"{prefix}/{name}", "image/png"))
    return wanted, ""


def slide_images(pdf: Path, out_dir: Path, timeout_s: float, max_images: int) -> list[Path]:
    """One PNG per page of the rendered PDF (960 px wide) with pdftoppm; none when it fails."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = ["pdftoppm", "-png", "-scale-to-x", "960", "-scale-to-y", "-1", "-l", str(max_images),
               str(pdf), str(out_dir / "slide")]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("slide images of %s failed: %s", pdf.name, exc)
        return []
    return sorted(out_dir.glob("slide*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[-1]))


def deck_metadata(deck: DeckInfo, preview_note: str) -> dict[str, Any]:
    return {"deck": {"title": deck.title, "slide_count": deck.slide_count, "preview": not preview_note,
                     "no_preview_reason": preview_note},
            "slides": [asdict(slide) for slide in deck.slides]}


def record_deck(ctx: JobContext, deck: DeckInfo, files: list[MaterialFile], preview_note: str) -> None:
    """Replace this version's derived rows with the deck's, in one transaction."""
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        title_from_file = bool((version.doc_metadata or {}).get(TITLE_FROM_FILE))
        session.execute(delete(PageText).where(PageText.version_id == version.id))
        session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                                   MaterialFile.role.not_in(KEPT_ROLES)))
        for slide in deck.slides:
            session.add(PageText(version_id=version.id, number=slide.number, text=slide_page_text(slide),
                                 source=SLIDE_SOURCE))
        for stored in files:
            stored.version_id = version.id
            session.add(stored)
        version.page_count = deck.slide_count
        version.doc_metadata = {**deck_metadata(deck, preview_note), TITLE_FROM_FILE: title_from_file}
        if title_from_file and deck.title:
            session.get(Material, version.material_id).title = deck.title[:300]
        version.ingest_status = "succeeded"
        version.ingest_error = ""
        session.commit()
