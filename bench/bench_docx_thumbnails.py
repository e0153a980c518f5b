"""DOCX reading and page thumbnails, each with a reference measured in the same run.

* A generated Vietnamese DOCX (headings, paragraphs, tables): our capped child (ingest.docx_doc.inspect_docx:
  archive checks, defusedxml on every part, python-docx, sections) against python-docx opening the same file
  in-process with no checks; and LibreOffice's DOCX to PDF conversion when it is installed with Writer.
* Page thumbnails of a generated textbook: our capped pypdfium2 child (ingest.pdf.render_thumbnail, what the
  thumbnail route runs on a cache miss) against poppler's ``pdftoppm`` on the same pages.

    .venv/bin/python bench/bench_docx_thumbnails.py [--chapters 30] [--pages 40] [--thumbnails 8]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_summary

from ingest.docx_doc import convert_to_pdf, find_soffice, inspect_docx
from ingest.errors import IngestError
from ingest.pdf import render_page_thumbnails, render_thumbnail
from repository.demo.generator import generate_lessons
from repository.demo.pdfgen import render_pdf
from repository.textbooks.thumbnails import BLOCK_PAGES


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def lesson_plan(path: Path, chapters: int) -> Path:
    """``chapters`` chapters of four lessons, each with its paragraphs and a small table."""
    document = docx.Document()
    lessons = list(generate_lessons(chapters * 4))
    for number, lesson in enumerate(lessons):
        if number % 4 == 0:
            document.add_heading(f"Chương {number // 4 + 1}. {lesson.title}", level=1)
        document.add_heading(lesson.title, level=2)
        for text in lesson.pages:
            document.add_paragraph(text)
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Nội dung", "Thời lượng"
        table.cell(1, 0).text, table.cell(1, 1).text = lesson.title, "45 phút"
    document.save(path)
    return path


def python_docx_text(path: Path) -> int:
    document = docx.Document(str(path))
    return sum(len(p.text) for p in document.paragraphs)


def pdftoppm_thumbnail(pdf: Path, page: int, out_prefix: Path) -> None:
    subprocess.run(["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-scale-to-x", "160", "-scale-to-y", "-1",
                    str(pdf), str(out_prefix)], check=True, capture_output=True)


def bench_docx(work: Path, chapters: int) -> None:
    path = lesson_plan(work / "ke-hoach.docx", chapters)
    info, ours = timed(lambda: inspect_docx(path))
    chars, reference = timed(lambda: python_docx_text(path))
    print(f"DOCX {path.stat().st_size / 1024:.0f} KiB, {len(info.outline)} headings, {info.page_count} sections, "
          f"{sum(map(len, info.pages))} chars")
    print(f"  ours (capped child, checks, sections): {ours:.2f} s; reference python-docx in-process: "
          f"{reference:.2f} s ({chars} chars of paragraphs)")
    soffice = find_soffice()
    if soffice is None:
        print("  LibreOffice not installed: no conversion figure")
        return
    try:
        _, convert_s = timed(lambda: convert_to_pdf(path, work / "ke-hoach.pdf", soffice=soffice))
        print(f"  LibreOffice DOCX -> PDF: {convert_s:.2f} s")
    except IngestError as exc:
        print(f"  LibreOffice could not convert ({exc.message_en[:120]})")


def bench_thumbnails(work: Path, pages: int, count: int) -> None:
    lessons = generate_lessons(pages)
    pdf = work / "sach.pdf"
    pdf.write_bytes(render_pdf("Sách giáo khoa thử nghiệm", [" ".join(lesson.pages) for lesson in lessons]))
    wanted = [1 + (i * (pages - 1)) // max(count - 1, 1) for i in range(count)]
    _, ours = timed(lambda: [render_thumbnail(pdf, work / f"p{n}.png", page=n, width=160) for n in wanted])
    print(f"page thumbnails, 160 px, {count} pages of a {pages}-page PDF:")
    print(f"  ours, one page per child (pypdfium2, capped): {ours / count * 1000:.0f} ms/page")
    block = list(range(1, min(BLOCK_PAGES, pages) + 1))
    blocks = work / "block"
    blocks.mkdir()
    _, batched = timed(lambda: render_page_thumbnails(pdf, blocks, block, width=160))
    print(f"  ours, a block of {len(block)} pages per child (what the thumbnail route does on a miss): "
          f"{batched / len(block) * 1000:.0f} ms/page")
    if shutil.which("pdftoppm") is None:
        print("  pdftoppm not installed: no reference")
        return
    _, poppler = timed(lambda: [pdftoppm_thumbnail(pdf, n, work / f"ref{n}") for n in wanted])
    print(f"  reference pdftoppm (poppler): {poppler / count * 1000:.0f} ms/page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", type=int, default=30)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--thumbnails", type=int, default=8)
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as tmp:
        bench_docx(Path(tmp), args.chapters)
        bench_thumbnails(Path(tmp), args.pages, args.thumbnails)


if __name__ == "__main__":
    main()
