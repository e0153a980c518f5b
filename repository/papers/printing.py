"""Printable papers in the usual layout of a Vietnamese test: a two-column header (school on the left;
exam, subject and time on the right), the version code, the candidate's name line, then PHẦN I–III with
their official instructions. PDF through fpdf2 (as repository.demo.pdfgen) and DOCX through python-docx.

Question text is stored as sanitised HTML; a paper prints its text. LaTeX prints as written.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from fpdf import FPDF

from ingest.questions.html import html_to_plain
from repository.demo.pdfgen import FIXED_DATE, find_vietnamese_font
from repository.papers.matrix import PARTS

log = logging.getLogger(__name__)
UNREADABLE_FIGURE = "[Hình không đọc được]"
BREAK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr)\s*/?\s*>", re.IGNORECASE)
CANDIDATE_LINE = "Họ, tên thí sinh: ........................................  Số báo danh: ..............."
TRUE_FALSE_HINT = "(Đúng / Sai)"


def plain(html_text: str) -> str:
    """Printable text of stored HTML: line breaks kept, markup dropped."""
    return html_to_plain(BREAK_TAGS.sub("\n", html_text or "")).replace("\xa0", " ")


#: Figures a paper prints (vector or other formats are left out of the print).
PRINTABLE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif"})
FIGURE_WIDTH_MM = 70
#: (part, question number) -> the figures of that question, as image bytes.
Figures = dict[tuple[str, int], list[bytes]]


@dataclass(frozen=True)
class Line:
    """One printed line; ``style`` is ``title`` | ``heading`` | ``text`` | ``option`` | ``figure``."""

    text: str
    style: str = "text"
    figure: bytes = b""


def header_lines(header: dict[str, Any], code: str) -> tuple[list[str], list[str]]:
    left = [header.get("school") or "TRƯỜNG ....................", "ĐỀ CHÍNH THỨC"]
    right = [(header.get("exam") or "ĐỀ KIỂM TRA").upper(),
             f"Môn: {header.get('subject') or '....'}",
             f"Thời gian làm bài: {header.get('duration') or '..'} phút, không kể thời gian phát đề",
             f"Mã đề: {code}"]
    return left, right


def body_lines(version: dict[str, Any], figures: Figures | None = None) -> list[Line]:
    """The parts and questions of one version, as lines to print; a question's figures follow its stem."""
    lines: list[Line] = []
    for part, spec in PARTS.items():
        questions = [q for q in version["questions"] if q["part"] == part]
        if not questions:
            continue
        lines.append(Line(spec.heading, "heading"))
        lines.append(Line(spec.instruction.format(first=questions[0]["number"], last=questions[-1]["number"])))
        for question in questions:
            lines.append(Line(f"Câu {question['number']}. {plain(question['stem'])}"))
            lines += [Line("", "figure", data) for data in (figures or {}).get((part, question["number"]), [])]
            for option in question.get("options", []):
                lines.append(Line(f"{option['label']}. {plain(option['text'])}", "option"))
            for statement in question.get("statements", []):
                lines.append(Line(f"{statement['label']}) {plain(statement['text'])}", "option"))
    lines.append(Line("------ HẾT ------", "title"))
    return lines


def render_pdf(paper_header: dict[str, Any], version: dict[str, Any], figures: Figures | None = None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("hoclieu")
    pdf.set_title(f"{paper_header.get('exam', '')} - Mã đề {version['code']}")
    pdf.set_auto_page_break(auto=True, margin=15)
    font = find_vietnamese_font()
    pdf.add_font("DejaVu", fname=str(font))
    pdf.add_font("DejaVu", style="B", fname=str(font.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_page()
    left, right = header_lines(paper_header, version["code"])
    top, half = pdf.get_y(), (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(half - 4, 6, "\n".join(left), align="C", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.multi_cell(half, 6, "\n".join(right), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(bottom, pdf.get_y()) + 4)
    pdf.set_font("DejaVu", size=11)
    pdf.multi_cell(0, 6, CANDIDATE_LINE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in body_lines(version, figures):
        if line.style == "figure":
            try:
                pdf.image(io.BytesIO(line.figure), x=pdf.l_margin + 8, w=FIGURE_WIDTH_MM)
                continue
            except Exception as exc:  # a stored image the imaging library cannot read must not stop the print
                log.warning("figure not printed in PDF: %s", exc)
                line = Line(UNREADABLE_FIGURE, "option")
        pdf.set_font("DejaVu", "B" if line.style in {"heading", "title"} else "", 11)
        indent = 8 if line.style == "option" else 0
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, 6, line.text, align="C" if line.style == "title" else "L", new_x="LMARGIN",
                       new_y="NEXT")
    return bytes(pdf.output())


def render_docx(paper_header: dict[str, Any], version: dict[str, Any], figures: Figures | None = None) -> bytes:
    document = Document()
    document.core_properties.title = f"{paper_header.get('exam', '')} - Mã đề {version['code']}"
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(12)
    left, right = header_lines(paper_header, version["code"])
    table = document.add_table(rows=1, cols=2)
    for cell, texts in zip(table.rows[0].cells, (left, right), strict=True):
        cell.paragraphs[0].text = ""
        for index, text in enumerate(texts):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(text).bold = True
    document.add_paragraph(CANDIDATE_LINE)
    for line in body_lines(version, figures):
        if line.style == "figure":
            try:
                document.add_picture(io.BytesIO(line.figure), width=Mm(FIGURE_WIDTH_MM))
                continue
            except Exception as exc:  # as in render_pdf
                log.warning("figure not printed in DOCX: %s", exc)
                line = Line(UNREADABLE_FIGURE, "option")
        paragraph = document.add_paragraph()
        run = paragraph.add_run(line.text)
        run.bold = line.style in {"heading", "title"}
        if line.style == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if line.style == "option":
            paragraph.paragraph_format.left_indent = Pt(18)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def key_rows(table: dict[str, Any]) -> list[list[str]]:
    """The combined key as printed: a header row, then one row per question of every part."""
    rows = [["Phần", "Câu", *[f"Mã {code}" for code in table["codes"]]]]
    rows += [[row["part"], str(row["number"]), *row["answers"]] for row in table["rows"]]
    return rows


def render_key_pdf(paper_header: dict[str, Any], table: dict[str, Any]) -> bytes:
    pdf = FPDF(format="A4", orientation="L" if len(table["codes"]) > 4 else "P")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_producer("hoclieu")
    font = find_vietnamese_font()
    pdf.add_font("DejaVu", fname=str(font))
    pdf.add_font("DejaVu", style="B", fname=str(font.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    title = f"ĐÁP ÁN {(paper_header.get('exam') or 'ĐỀ KIỂM TRA').upper()} - MÔN {paper_header.get('subject', '')}"
    pdf.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", size=9)
    with pdf.table(first_row_as_headings=True, text_align="CENTER") as printed:
        for row in key_rows(table):
            printed.row(row)
    return bytes(pdf.output())


def render_key_docx(paper_header: dict[str, Any], table: dict[str, Any]) -> bytes:
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(f"ĐÁP ÁN {(paper_header.get('exam') or 'ĐỀ KIỂM TRA').upper()} - "
                  f"MÔN {paper_header.get('subject', '')}").bold = True
    rows = key_rows(table)
    printed = document.add_table(rows=len(rows), cols=len(rows[0]))
    printed.style = "Table Grid"
    for cells, values in zip(printed.rows, rows, strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
