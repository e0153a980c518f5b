"""Text extraction speed and quality: our capped pypdf child (ingest.pdf.inspect_pdf) against `pdftotext`
(poppler) and in-process pypdfium2, on ../shared/corpus/pdf and a generated 300-page Vietnamese textbook,
in the same run; OCR pages per minute on scanned pages; the textbook's ingest time without OCR.

    .venv/bin/python bench/bench_pdf_extract.py [--pages 300] [--ocr-pages 4]
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_summary

from ingest.errors import IngestError
from ingest.ocr import ocr_pages
from ingest.pdf import inspect_pdf, render_thumbnail
from repository.demo.generator import generate_lessons
from repository.demo.pdfgen import render_pdf, scanned_copy

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pdf"


def textbook(path: Path, pages: int) -> Path:
    lessons = generate_lessons(pages)
    path.write_bytes(render_pdf("Sách giáo khoa thử nghiệm", [" ".join(lesson.pages) for lesson in lessons]))
    return path


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def pdftotext_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").split("\f")[:-1]


def pdfium_pages(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def similarity(ours: list[str], reference: list[str]) -> float:
    """Mean per-page similarity of whitespace-normalised NFC text (first 4000 characters of a page)."""
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())[:4000]
    pairs = list(zip(ours, reference, strict=False)) or [("", "")]
    return sum(difflib.SequenceMatcher(None, norm(a), norm(b), autojunk=False).ratio()
               for a, b in pairs) / len(pairs)


def compare(path: Path) -> tuple[int, float, float, float, float] | None:
    try:
        info, ours = timed(lambda: inspect_pdf(path))
    except IngestError as exc:
        print(f"  {path.name}: refused by our reader ({exc.code})")
        return None
    try:
        poppler, poppler_s = timed(lambda: pdftotext_pages(path))
        _, pdfium_s = timed(lambda: pdfium_pages(path))
    except Exception as exc:  # the reference tools may refuse a damaged file our reader repaired
        print(f"  {path.name}: a reference tool failed ({type(exc).__name__})")
        return None
    score = similarity(info.pages, poppler)
    print(f"  {path.name:48s} {info.page_count:4d} p  ours {info.page_count / ours:7.1f} p/s  "
          f"pdftotext {info.page_count / poppler_s:7.1f} p/s  pdfium {info.page_count / pdfium_s:7.1f} p/s  "
          f"similarity {score:.3f}")
    return info.page_count, ours, poppler_s, pdfium_s, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--ocr-pages", type=int, default=4)
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as work:
        book = textbook(Path(work) / "sach-300-trang.pdf", args.pages)
        files = sorted(CORPUS.glob("*.pdf")) if CORPUS.is_dir() else []
        if not files:
            print(f"corpus folder {CORPUS} absent: generated textbook only")
        rows = [row for row in map(compare, [*files, book]) if row]
        pages = sum(r[0] for r in rows)
        print(f"all files: ours {pages / sum(r[1] for r in rows):.1f} p/s, pdftotext "
              f"{pages / sum(r[2] for r in rows):.1f} p/s, pypdfium2 {pages / sum(r[3] for r in rows):.1f} p/s, "
              f"mean similarity to pdftotext {sum(r[4] for r in rows) / len(rows):.3f}")
        _, inspect_s = timed(lambda: inspect_pdf(book))
        _, thumb_s = timed(lambda: render_thumbnail(book, Path(work) / "cover.png"))
        print(f"{args.pages}-page textbook ingest without OCR (text of every page + cover): "
              f"{inspect_s + thumb_s:.1f} s (target < 60 s)")
        scan = Path(work) / "scan.pdf"
        scan_pages = [" ".join(lesson.pages) for lesson in generate_lessons(args.ocr_pages)]
        scan.write_bytes(scanned_copy(render_pdf("Trang scan", scan_pages)))
        _, ocr_s = timed(lambda: ocr_pages(scan, list(range(1, args.ocr_pages + 1))))
        print(f"OCR (tesseract vie, 200 dpi): {args.ocr_pages / ocr_s * 60:.1f} pages/min")


if __name__ == "__main__":
    main()
