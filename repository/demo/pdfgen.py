"""Render short Vietnamese PDFs (one text page per entry) for the demo collection and the tests.

fpdf2 embeds a subset of DejaVu Sans, which covers every Vietnamese letter, so the text layer that pypdf
reads back is the text that was written. The creation date is fixed, so the same input gives the same
bytes: a demo collection reloaded from the same seed stores the same blobs.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)
FIXED_DATE = datetime(2018, 12, 26, tzinfo=UTC)  # the day the GDPT 2018 curriculum was issued
#: Every letter of Vietnamese (precomposed), Latin-1 and common typographic signs.
VIETNAMESE_CHARS = "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0xA0, 0x100))) + (
    "ĂăĐđĨĩŨũƠơƯư" + "".join(map(chr, range(0x1EA0, 0x1EFA))) + "–—‘’“”…•€²³·×÷≤≥≠√∞°±½")


@cache
def find_vietnamese_font() -> Path:
    """The path of a TrueType font with Vietnamese letters (Debian's fonts-dejavu-core)."""
    for path in FONT_CANDIDATES:
        if path.exists():
            return path
    raise FileNotFoundError("DejaVuSans.ttf not found: install the Debian package fonts-dejavu-core")


@cache
def _compact_font() -> Path:
    """A subset of the font holding only ``VIETNAMESE_CHARS``, made once and kept in the temp folder.

    Loading and subsetting the whole DejaVu Sans costs about 90 ms a document; the compact copy brings a
    demo PDF down to about 30 ms, which is what makes a 7 000-lesson demo load take minutes, not ten.
    """
    source = find_vietnamese_font()
    digest = hashlib.sha256(source.read_bytes() + VIETNAMESE_CHARS.encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"hoclieu-font-{digest}.ttf"
    if not target.exists():
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["FFTM", "GPOS", "GSUB", "GDEF"]
        font = TTFont(source)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=VIETNAMESE_CHARS)
        subsetter.subset(font)
        partial = target.with_suffix(f".{os.getpid()}.part")
        font.save(partial)
        os.replace(partial, target)
    return target


def render_pdf(title: str, pages: tuple[str, ...] | list[str], *, subtitle: str = "") -> bytes:
    """A PDF whose page n holds ``pages[n-1]``; the first page also carries the title and subtitle."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("hoclieu")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("DejaVu", fname=str(_compact_font()))
    for number, text in enumerate(pages or [""], start=1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("DejaVu", size=17)
            pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
            if subtitle:
                pdf.set_font("DejaVu", size=11)
                pdf.multi_cell(0, 7, subtitle, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_copy(pdf: bytes, dpi: int = 200) -> bytes:
    """The PDF as a scanner would make it: every page an image at ``dpi``, no text layer (for OCR)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    images = [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()
