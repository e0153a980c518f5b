"""PDF ingest: page count, metadata, per-page text, outline, and a PNG thumbnail.

Every byte of the PDF is parsed in a capped child process (:mod:`ingest._pdf_child`, run through
:mod:`ingest.limits`): pypdf for text, metadata and outline, pypdfium2 for the thumbnail. This module only
checks the type, starts the child and turns its reply into :class:`PdfInfo`. It also holds the text
clean-up the child applies, so other extractors (slides, OCR) can share it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.detect import detect_type
from ingest.errors import IngestError
from ingest.limits import ChildLimits, run_child

log = logging.getLogger(__name__)

CHILD_MODULE = "ingest._pdf_child"
METADATA_KEYS = ("title", "author", "subject", "keywords", "creator", "producer")
MAX_METADATA_CHARS = 1000
MAX_THUMBNAIL_WIDTH = 4000


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = 2000
    timeout_seconds: float = 60.0
    memory_mb: int = 768
    max_text_chars_per_page: int = 100_000


DEFAULT_LIMITS = PdfLimits()


@dataclass
class PdfInfo:
    page_count: int
    metadata: dict[str, str]
    pages: list[str]
    outline: list[tuple[str, int]]
    encrypted: bool


def inspect_pdf(path: Path, limits: PdfLimits = DEFAULT_LIMITS) -> PdfInfo:
    """Read page count, metadata, text of every page and the outline of the PDF at ``path``.

    Raises IngestError: "empty", "not_pdf", "encrypted", "too_many_pages", "corrupt", "timeout",
    "resource_limit".
    """
    _require_pdf(path)
    request = {"op": "inspect", "path": str(path.resolve()), "max_pages": limits.max_pages,
               "max_text_chars_per_page": limits.max_text_chars_per_page}
    result = run_child(CHILD_MODULE, request, _child_limits(limits), what_vi="Việc đọc tệp PDF")
    return PdfInfo(
        page_count=int(result["page_count"]),
        metadata={str(k): str(v) for k, v in result["metadata"].items()},
        pages=[str(text) for text in result["pages"]],
        outline=[(str(title), int(page)) for title, page in result["outline"]],
        encrypted=bool(result["encrypted"]),
    )


def render_thumbnail(path: Path, out_path: Path, *, page: int = 1, width: int = 320,
                     limits: PdfLimits = DEFAULT_LIMITS) -> None:
    """Render page ``page`` (1-based) of the PDF at ``path`` as a PNG ``width`` pixels wide at ``out_path``.

    Very tall pages are cut at four times the width. ``out_path`` appears only when rendering succeeded.
    """
    if page < 1 or not 1 <= width <= MAX_THUMBNAIL_WIDTH:
        raise ValueError(f"page must be >= 1 and width in 1..{MAX_THUMBNAIL_WIDTH}, got {page}, {width}")
    if not out_path.parent.is_dir():
        raise FileNotFoundError(f"thumbnail folder {out_path.parent} does not exist")
    _require_pdf(path)
    partial = out_path.with_name(out_path.name + ".part")
    request = {"op": "thumbnail", "path": str(path.resolve()), "out_path": str(partial.resolve()),
               "page": page, "width": width}
    try:
        run_child(CHILD_MODULE, request, _child_limits(limits), what_vi="Việc tạo ảnh thu nhỏ của tệp PDF")
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)


def render_page_thumbnails(path: Path, out_dir: Path, pages: list[int], *, width: int = 160,
                           limits: PdfLimits = DEFAULT_LIMITS) -> dict[int, Path]:
    """Render ``pages`` (1-based; numbers past the end are skipped) of the PDF at ``path`` as PNGs ``width``
    pixels wide in the existing folder ``out_dir``, in one child process; returns page number -> PNG."""
    if not 1 <= width <= MAX_THUMBNAIL_WIDTH or any(page < 1 for page in pages):
        raise ValueError(f"pages must be >= 1 and width in 1..{MAX_THUMBNAIL_WIDTH}, got {pages}, {width}")
    if not out_dir.is_dir():
        raise FileNotFoundError(f"thumbnail folder {out_dir} does not exist")
    _require_pdf(path)
    request = {"op": "thumbnails", "path": str(path.resolve()), "out_dir": str(out_dir.resolve()),
               "pages": list(pages), "width": width}
    written = run_child(CHILD_MODULE, request, _child_limits(limits), what_vi="Việc tạo ảnh thu nhỏ các trang PDF")
    return {int(number): out_dir / f"{int(number)}.png" for number in written}


def _require_pdf(path: Path) -> None:
    detected = detect_type(path)
    if detected.family != "pdf":
        raise IngestError(
            "not_pdf",
            f"Tệp không phải PDF: theo nội dung, đây là tệp {detected.family} ({detected.mime}). "
            "Loại tệp được xác định theo nội dung, không theo tên tệp.",
            f"{path.name}: content is {detected.family} ({detected.mime}), not a PDF")


def _child_limits(limits: PdfLimits) -> ChildLimits:
    return ChildLimits(timeout_seconds=limits.timeout_seconds, memory_mb=limits.memory_mb)


# ---- text clean-up ----------------------------------------------------------------------------------

VIETNAMESE_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
#: Every precomposed Vietnamese vowel with or without a tone mark (NFC), used to accept a repair.
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", vowel + tone) for vowel in VIETNAMESE_VOWELS for tone in TONE_MARKS)
#: Spacing accents that broken font encodings emit instead of combining marks.
SPACING_TO_COMBINING = {"\u00b4": "\u0301", "\u02ca": "\u0301", "\u02cb": "\u0300", "\u02dc": "\u0303",
                        "\u02c6": "\u0302"}

HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
SPACE_BEFORE_MARK = re.compile(r"(?<=[^\W\d_]|[\u0300-\u036f])[ \t\u00a0]+(?=[\u0300-\u036f])")
VOWEL_THEN_SPACING_ACCENT = re.compile(
    rf"([{VIETNAMESE_VOWELS}][\u0300-\u036f]*)([{''.join(SPACING_TO_COMBINING)}])")
#: Typographic ligatures (pdfTeX emits "ﬁ", "ﬂ") split back into letters so words can be found.
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\ufb05": "st", "\ufb06": "st"})
DROPPED_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u00ad\u200b\ufeff\ud800-\udfff]")
MANY_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(raw: str) -> str:
    """Clean extracted text: NFC, repaired Vietnamese marks, split ligatures, tidy whitespace (paragraph
    breaks kept).

    Repairs: combining marks that extraction separated from their letter by spaces ("Tie ̂ ́ng"), and a
    spacing accent after a vowel when together they make a Vietnamese letter ("a´" -> "á").
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = DROPPED_CHARS.sub("", text).translate(LIGATURES)
    text = SPACE_BEFORE_MARK.sub("", text)
    text = VOWEL_THEN_SPACING_ACCENT.sub(_join_spacing_accent, text)
    text = unicodedata.normalize("NFC", text)
    lines = (HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _join_spacing_accent(match: re.Match[str]) -> str:
    joined = unicodedata.normalize("NFC", match.group(1) + SPACING_TO_COMBINING[match.group(2)])
    return joined if joined in VIETNAMESE_LETTERS else match.group(0)


def clean_metadata_value(raw: object) -> str:
    """A metadata value as one tidy line of at most MAX_METADATA_CHARS characters ("" when unusable)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = tidy_text(str(raw)).replace("\n", " ")
    return HORIZONTAL_SPACE.sub(" ", text).strip()[:MAX_METADATA_CHARS]
