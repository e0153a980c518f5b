"""Word documents the DOCX tests generate: a Vietnamese lesson plan with known headings and text, and
hostile packages (zip bomb, missing main part, XML entities)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK

#: (heading level, heading, paragraphs) of the generated lesson plan, in order.
LESSON_PLAN = [
    (1, "Chương I. Động học", ["Chuyển động thẳng biến đổi đều có gia tốc không đổi theo thời gian."]),
    (2, "Bài 7. Đồ thị vận tốc", ["Đồ thị vận tốc – thời gian của chuyển động thẳng đều là đường thẳng."]),
    (1, "Chương II. Động lực học", ["Định luật 2 Newton: gia tốc tỉ lệ thuận với lực tác dụng.",
                                    "Khối lượng là đại lượng đặc trưng cho mức quán tính của vật."]),
]
PAGE_BREAK_TEXT = "Phần sau ngắt trang: bài tập vận dụng về lực ma sát trượt."
TABLE_ROWS = [("Đại lượng", "Đơn vị"), ("Gia tốc", "m/s²")]
CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?>'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/>'
                 b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                 b'officedocument.wordprocessingml.document.main+xml"/></Types>')
PACKAGE_RELS = (b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
W_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def lesson_plan_docx(path: Path, title: str = "Kế hoạch bài dạy Vật lí 10") -> Path:
    """Headings (Heading 1/2), paragraphs, a page break and a table, all in Vietnamese."""
    document = docx.Document()
    document.core_properties.title = title
    for level, heading, paragraphs in LESSON_PLAN:
        document.add_heading(heading, level=level)
        for text in paragraphs:
            document.add_paragraph(text)
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph(PAGE_BREAK_TEXT)
    table = document.add_table(rows=len(TABLE_ROWS), cols=2)
    for row, values in zip(table.rows, TABLE_ROWS, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(path)
    return path


def package(path: Path, parts: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip with ``[Content_Types].xml`` first, as Word writes it (so detection sees a DOCX)."""
    with zipfile.ZipFile(path, "w", compression) as out:
        out.writestr("[Content_Types].xml", CONTENT_TYPES)
        for name, data in parts.items():
            out.writestr(name, data)
    return path


def document_xml(body: bytes, prolog: bytes = b"") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?>' + prolog + b'<w:document xmlns:w="' + W_NS + b'"><w:body>'
            + body + b"</w:body></w:document>")


def zip_bomb_docx(path: Path, inflated_mb: int = 64) -> Path:
    """A valid-looking DOCX carrying a media entry of zeros that deflates about 1000:1."""
    return package(path, {"_rels/.rels": PACKAGE_RELS,
                          "word/document.xml": document_xml(b"<w:p><w:r><w:t>Bom</w:t></w:r></w:p>"),
                          "word/media/image1.png": b"\0" * (inflated_mb * 1024 * 1024)})


def missing_main_part_docx(path: Path) -> Path:
    return package(path, {"_rels/.rels": PACKAGE_RELS, "word/styles.xml": b"<styles/>"})


BILLION_LAUGHS = (b'<!DOCTYPE w:document [<!ENTITY a "hahahahahahahahahahaha">'
                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')


def entity_docx(path: Path) -> Path:
    return package(path, {"_rels/.rels": PACKAGE_RELS,
                          "word/document.xml": document_xml(b"<w:p><w:r><w:t>&c;</w:t></w:r></w:p>",
                                                            prolog=BILLION_LAUGHS)})


def external_entity_docx(path: Path) -> Path:
    return package(path, {"_rels/.rels": PACKAGE_RELS, "word/document.xml": document_xml(
        b"<w:p><w:r><w:t>&x;</w:t></w:r></w:p>",
        prolog=b'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>')})


def deeply_nested_docx(path: Path, depth: int = 20_000) -> Path:
    """Runs nested inside runs, far deeper than any word processor writes (it compresses about 100:1)."""
    body = b"<w:p>" + b"<w:r>" * depth + b"<w:t>x</w:t>" + b"</w:r>" * depth + b"</w:p>"
    return package(path, {"_rels/.rels": PACKAGE_RELS, "word/document.xml": document_xml(body)})
