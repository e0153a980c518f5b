"""Builders for the PDFs the ingest tests feed in: real Vietnamese documents made with fpdf2, and
hostile files written object by object (page floods, cycles, deep nesting, decompression bombs)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest

DEJAVU_DEFAULT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GIB = 1024 * 1024 * 1024


def dejavu_font() -> Path:
    """The DejaVu Sans TTF (it covers every Vietnamese letter), or skip the test."""
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True,
                               text=True, check=False).stdout.strip()
        if found.endswith(".ttf") and Path(found).is_file() and "DejaVuSans" in found:
            return Path(found)
    if DEJAVU_DEFAULT.is_file():
        return DEJAVU_DEFAULT
    pytest.skip("DejaVu Sans TTF not found (install fonts-dejavu-core)")


def write_raw_pdf(path: Path, objects: Sequence[bytes], *, root: int = 1) -> Path:
    """Write objects 1..n (bodies without "n 0 obj") with a correct cross-reference table."""
    offsets: list[int] = []
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, body in enumerate(objects, start=1):
            offsets.append(fh.tell())
            fh.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref_at = fh.tell()
        fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        fh.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        fh.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                 % (len(objects) + 1, root, xref_at))
    return path


def page_flood_pdf(path: Path, pages: int, *, declared_count: int | None = None) -> Path:
    """A PDF with ``pages`` empty pages in one flat page tree; /Count may lie (``declared_count``)."""
    count = pages if declared_count is None else declared_count
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Count %d /Kids [%s] >>" % (count, kids)]
    return write_raw_pdf(path, objects + [page] * pages)


def one_page_pdf(path: Path, content: bytes, *, stream_dict: bytes = b"", resources: bytes = b"<< >>",
                 pages_dict: bytes | None = None, catalog_extra: bytes = b"",
                 extra_objects: Sequence[bytes] = ()) -> Path:
    """A one-page PDF whose page draws ``content`` (already encoded as ``stream_dict`` says).

    Objects: 1 catalog, 2 page tree, 3 page, 4 content stream, 5… ``extra_objects``.
    """
    pages = pages_dict or b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
        pages,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources %s /Contents 4 0 R >>" % resources,
        b"<< /Length %d %s >>\nstream\n" % (len(content), stream_dict) + content + b"\nendstream",
        *extra_objects,
    ]
    return write_raw_pdf(path, objects)


def zero_deflate_bomb(total_bytes: int, chunk: int = 1024 * 1024) -> bytes:
    """A valid zlib stream that inflates to ``total_bytes`` zero bytes, built without compressing them.

    Each chunk of zeros is compressed once with a full flush, which makes its deflate blocks
    byte-aligned and independent of earlier data, so the same bytes can be repeated. The stream ends with
    an empty final stored block and the Adler-32 of n zero bytes, which is simply (n mod 65521) << 16 | 1.
    """
    if total_bytes % chunk:
        raise ValueError("total_bytes must be a multiple of chunk")
    compressor = zlib.compressobj(9)
    first = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_empty_stored_block = b"\x01\x00\x00\xff\xff"
    adler = ((total_bytes % 65521) << 16) | 1
    count = total_bytes // chunk
    return first + repeated * (count - 1) + final_empty_stored_block + adler.to_bytes(4, "big")


def flate_bomb_pdf(path: Path, inflated_bytes: int = 2 * GIB, *, nested: bool = False) -> Path:
    """A page whose content stream inflates to ``inflated_bytes`` (twice-deflated when ``nested``)."""
    data = zero_deflate_bomb(inflated_bytes)
    filters = b"/FlateDecode"
    if nested:
        data = zlib.compress(data, 9)
        filters = b"[/FlateDecode /FlateDecode]"
    return one_page_pdf(path, data, stream_dict=b"/Filter " + filters)


#: Known text of the generated Vietnamese lecture, one string per page (NFC).
VIETNAMESE_PAGES = [
    "Chương 1. Mệnh đề và tập hợp\nHọc sinh nắm được khái niệm mệnh đề.",
    "Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự đ Đ",
    "Đồ thị hàm số y = ax² + bx + c là một đường parabol.",
]
VIETNAMESE_BOOKMARKS = ["Bài 1: Mệnh đề", "Bài 2: Bảng chữ cái", "Bài 3: Hàm số bậc hai"]
VIETNAMESE_METADATA = {
    "title": "Toán 10 — Hàm số bậc hai",
    "author": "Nguyễn Thị Hương",
    "subject": "Đại số và giải tích",
    "keywords": "hàm số, parabol, đồ thị",
    "creator": "Trường THPT Chu Văn An",
    "producer": "fpdf2 (bộ kiểm thử)",
}


def vietnamese_pdf(path: Path, *, decomposed: bool = False, blank_last_page: bool = True) -> Path:
    """Write the Vietnamese lecture with fpdf2 and DejaVu Sans; ``decomposed`` writes the text as NFD."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(dejavu_font()))
    pdf.set_font("DejaVu", size=14)
    meta = VIETNAMESE_METADATA
    pdf.set_title(meta["title"])
    pdf.set_author(meta["author"])
    pdf.set_subject(meta["subject"])
    pdf.set_keywords(meta["keywords"])
    pdf.set_creator(meta["creator"])
    pdf.set_producer(meta["producer"])
    for bookmark, text in zip(VIETNAMESE_BOOKMARKS, VIETNAMESE_PAGES, strict=True):
        pdf.add_page()
        pdf.start_section(bookmark)
        body = unicodedata.normalize("NFD", text) if decomposed else text
        for line in body.split("\n"):
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    if blank_last_page:
        pdf.add_page()
    pdf.output(str(path))
    return path
