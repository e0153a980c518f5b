"""OCR of scanned PDF pages: which pages need it, and tesseract (Vietnamese data) on those pages.

A page needs OCR when its text layer is missing, nearly empty (a scan with a printed page number), or
garbage (a font without a usable encoding gives private-use or replacement characters). Each such page is
rendered to a PNG by the capped PDF child (:func:`ingest.pdf.render_thumbnail`), then read by the
``tesseract`` program; the PDF itself never reaches tesseract.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError
from ingest.pdf import DEFAULT_LIMITS, PdfLimits, render_thumbnail, tidy_text

log = logging.getLogger(__name__)

#: Fewer visible characters than this and the page counts as having no text layer.
MIN_TEXT_CHARS = 25
#: Share of characters that must look like ordinary text for a text layer to be trusted.
MIN_PLAUSIBLE_SHARE = 0.8
PLAUSIBLE_CATEGORIES = ("L", "N", "P", "Z", "Sm", "Sc")


@dataclass(frozen=True)
class OcrSettings:
    language: str = "vie"
    #: Width of the rendered page in pixels: 1700 is about 200 dpi for A4, enough for body text.
    width: int = 1700
    timeout_seconds: float = 120.0


def page_needs_ocr(text: str) -> bool:
    """True when the page's text layer is missing, nearly empty or garbage."""
    visible = [ch for ch in text if not ch.isspace()]
    if len(visible) < MIN_TEXT_CHARS:
        return True
    plausible = sum(1 for ch in visible if _plausible(ch))
    return plausible / len(visible) < MIN_PLAUSIBLE_SHARE


def _plausible(ch: str) -> bool:
    if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff":
        return False
    return unicodedata.category(ch).startswith(PLAUSIBLE_CATEGORIES)


def tesseract_available(language: str = "vie") -> bool:
    """True when the tesseract program and its ``language`` data are installed."""
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30,
                            check=False)
    return language in listed.stdout.split()


def ocr_pages(path: Path, pages: Sequence[int], *, settings: OcrSettings = OcrSettings(),
              limits: PdfLimits = DEFAULT_LIMITS,
              progress: Callable[[int, int], None] | None = None) -> dict[int, str]:
    """OCR the given 1-based ``pages`` of the PDF at ``path``; returns {page number: tidy text}.

    ``progress(done, total)`` is called after each page. Raises IngestError "ocr_unavailable" when
    tesseract or its language data is missing, "ocr_failed" when tesseract fails on a page.
    """
    if not pages:
        return {}
    if not tesseract_available(settings.language):
        raise IngestError("ocr_unavailable",
                          f"Máy chủ chưa cài tesseract với dữ liệu tiếng Việt ({settings.language}): "
                          "không nhận dạng được chữ trên trang scan.",
                          f"tesseract with language {settings.language!r} is not installed")
    texts: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="hoclieu-ocr-") as work:
        for done, number in enumerate(pages, start=1):
            image = Path(work) / f"page-{number}.png"
            render_thumbnail(path, image, page=number, width=settings.width, limits=limits)
            texts[number] = _tesseract(image, number, settings)
            image.unlink(missing_ok=True)
            if progress is not None:
                progress(done, len(pages))
    return texts


def _tesseract(image: Path, number: int, settings: OcrSettings) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one page per core is faster than threads fighting
    try:
        done = subprocess.run(["tesseract", str(image), "stdout", "-l", settings.language, "--psm", "3"],
                              capture_output=True, timeout=settings.timeout_seconds, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise IngestError("ocr_failed", f"Nhận dạng chữ trang {number} quá {settings.timeout_seconds:.0f} giây.",
                          f"tesseract timed out on page {number}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise IngestError("ocr_failed", f"Không nhận dạng được chữ trang {number}.",
                          f"tesseract failed on page {number}: {detail}")
    return tidy_text(done.stdout.decode("utf-8", "replace"))
