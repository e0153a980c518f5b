"""Child process entry point that parses one untrusted DOCX: ``python -m ingest._docx_child``.

Started only by :func:`ingest.limits.run_child`, which caps memory and time before a byte is read. The
archive is validated and its XML parts checked with defusedxml (:func:`ingest.docx_doc.check_document_package`);
python-docx then opens an in-memory copy holding only those parts (images and embedded objects become empty
blobs), so memory stays bounded by the text of the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.archive_safety import ArchiveLimits, PackageError, open_archive
from ingest.docx_doc import CheckedPackage, check_document_package, package_error
from ingest.errors import IngestError
from ingest.limits import child_main
from ingest.ooxml import text_only_copy
from ingest.pdf import clean_metadata_value, tidy_text

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HEADING_STYLE = re.compile(r"^(?:heading|đề mục)\s*(\d)$", re.IGNORECASE)
#: Headings of these levels become chapters (and start a new page-like section).
CHAPTER_LEVELS = (1, 2)
CORE_FIELDS = ("title", "author", "subject", "keywords")
MAX_HEADING_CHARS = 300


@dataclass
class Sections:
    """Page-like sections being built, with the headings found so far."""

    max_sections: int
    section_chars: int
    pages: list[list[str]] = field(default_factory=lambda: [[]])
    outline: list[list[Any]] = field(default_factory=list)

    def current_size(self) -> int:
        return sum(len(line) + 1 for line in self.pages[-1])

    def break_page(self) -> None:
        if self.pages[-1]:
            if len(self.pages) >= self.max_sections:
                raise IngestError(
                    "too_many_pages",
                    f"Tài liệu Word dài quá {self.max_sections:,} phần (mỗi phần khoảng "
                    f"{self.section_chars:,} ký tự). Hãy tách tài liệu rồi tải lên.".replace(",", "."),
                    f"DOCX has more than {self.max_sections} page-like sections")
            self.pages.append([])

    def add(self, line: str) -> None:
        if self.current_size() + len(line) > self.section_chars:
            self.break_page()
        self.pages[-1].append(line)


def inspect(request: dict[str, Any]) -> dict[str, Any]:
    limits = ArchiveLimits(**request["archive"])
    try:
        with open_archive(Path(request["path"]), limits) as archive:
            checked = check_document_package(archive)
    except PackageError as exc:
        raise package_error(exc) from exc
    document = open_text_only(checked)
    sections = Sections(int(request["max_sections"]), int(request["section_chars"]))
    try:
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                read_paragraph(block, sections)
            elif isinstance(block, Table):
                for line in table_lines(block):
                    sections.add(line)
        metadata = core_metadata(document, checked)
    except IngestError:
        raise
    except Exception as exc:
        raise unreadable(exc) from exc
    pages = [tidy_text("\n".join(lines)) for lines in sections.pages]
    return {"page_count": len(pages), "pages": pages, "outline": sections.outline, "metadata": metadata}


def open_text_only(checked: CheckedPackage) -> Document:
    buffer = text_only_copy(checked.xml_parts, checked.other_parts)
    try:
        return docx.Document(buffer)
    except Exception as exc:
        raise unreadable(exc) from exc


def unreadable(exc: BaseException) -> IngestError:
    return IngestError("docx_unreadable",
                       "Không đọc được nội dung tài liệu Word: tệp DOCX bị hỏng hoặc không đúng cấu trúc.",
                       f"python-docx failed: {type(exc).__name__}: {str(exc)[:300]}")


def read_paragraph(paragraph: Paragraph, sections: Sections) -> None:
    element = paragraph._p
    text = paragraph.text.strip()
    level = heading_level(paragraph)
    if element.xpath("./w:pPr/w:pageBreakBefore[not(@w:val) or @w:val!='0' and @w:val!='false']"):
        sections.break_page()
    if level in CHAPTER_LEVELS and text:
        sections.break_page()
        sections.outline.append([" ".join(text.split())[:MAX_HEADING_CHARS], len(sections.pages)])
    if text:
        sections.add(text)
    if element.xpath(".//w:br[@w:type='page'] | ./w:pPr/w:sectPr"):
        sections.break_page()


def heading_level(paragraph: Paragraph) -> int | None:
    """The outline level of a paragraph: its own w:outlineLvl, else its style's, else "Heading N"."""
    own = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if own and own[0].isdigit():
        return int(own[0]) + 1
    style = paragraph.style
    while style is not None:
        level = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
        if level and level[0].isdigit():
            return int(level[0]) + 1
        match = HEADING_STYLE.match(style.name or "")
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def table_lines(table: Table) -> list[str]:
    """One line per row: the non-empty cells joined by " | " (merged cells counted once)."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def core_metadata(document: Document, checked: CheckedPackage) -> dict[str, str]:
    """python-docx invents default core properties when the part is missing, so read them only if present."""
    if "docProps/core.xml" not in checked.xml_parts:
        return {}
    properties = document.core_properties
    cleaned = {}
    for key in CORE_FIELDS:
        value = clean_metadata_value(getattr(properties, key) or "")
        if value:
            cleaned[key] = value
    return cleaned


if __name__ == "__main__":
    child_main({"inspect": inspect})
