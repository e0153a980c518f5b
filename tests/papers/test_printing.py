"""Printed papers read back: header (school, subject, time, version code), parts I–III, every question."""

from __future__ import annotations

import io
import re

import docx
import pypdf

from repository.papers.draw import draw
from repository.papers.matrix import parse_matrix
from repository.papers.printing import plain, render_docx, render_pdf
from repository.papers.versions import build_versions
from tests.papers.factory import bank

HEADER = {"school": "TRƯỜNG THPT CHU VĂN AN", "subject": "Toán", "exam": "Đề kiểm tra giữa học kì I",
          "duration": "90"}
MATRIX = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 12},
          {"topic": "Hàm số", "level": "hieu", "part": "II", "count": 4},
          {"topic": "Hàm số", "level": "van-dung", "part": "III", "count": 6}]


def versions():
    candidates = bank({("I", "Hàm số", "biet"): 20, ("II", "Hàm số", "hieu"): 5, ("III", "Hàm số", "van-dung"): 7})
    matrix = parse_matrix(MATRIX)
    return build_versions(draw(candidates, matrix, "in"), matrix, "in", 2)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def check_paper_text(text: str, version: dict) -> None:
    text = squash(text)
    for expected in ("TRƯỜNG THPT CHU VĂN AN", "ĐỀ KIỂM TRA GIỮA HỌC KÌ I", "Môn: Toán",
                     "Thời gian làm bài: 90 phút", f"Mã đề: {version['code']}", "Họ, tên thí sinh",
                     "PHẦN I.", "PHẦN II.", "PHẦN III.", "Thí sinh trả lời từ câu 1 đến câu 12",
                     "Thí sinh trả lời từ câu 1 đến câu 6"):
        assert expected in text, expected
    positions = []
    for question in version["questions"]:
        needle = squash(f"Câu {question['number']}. {plain(question['stem'])}")
        assert needle in text, needle
        positions.append(text.index(needle, positions[-1] if positions else 0))
        for option in question.get("options", []):
            assert f"{option['label']}. {option['text']}" in text
        for statement in question.get("statements", []):
            assert f"{statement['label']}) {statement['text']}" in text
    assert positions == sorted(positions)  # printed in the version's order
    assert text.index("PHẦN I.") < text.index("PHẦN II.") < text.index("PHẦN III.")


def test_pdf_holds_the_header_parts_and_questions_in_order():
    for version in versions():
        reader = pypdf.PdfReader(io.BytesIO(render_pdf(HEADER, version)))
        check_paper_text("\n".join(page.extract_text() for page in reader.pages), version)


def test_docx_holds_the_header_parts_and_questions_in_order():
    for version in versions():
        document = docx.Document(io.BytesIO(render_docx(HEADER, version)))
        header_cells = [cell.text for cell in document.tables[0].rows[0].cells]
        assert "TRƯỜNG THPT CHU VĂN AN" in header_cells[0] and f"Mã đề: {version['code']}" in header_cells[1]
        text = "\n".join(header_cells + [p.text for p in document.paragraphs])
        check_paper_text(text, version)
        headings = [p.text for p in document.paragraphs if p.runs and p.runs[0].bold]
        assert [h.split(".")[0] for h in headings if h.startswith("PHẦN")] == ["PHẦN I", "PHẦN II", "PHẦN III"]


def test_two_versions_print_differently_and_the_same_version_prints_the_same_bytes():
    first, second = versions()
    assert render_pdf(HEADER, first) == render_pdf(HEADER, first)
    assert render_pdf(HEADER, first) != render_pdf(HEADER, second)


def test_markup_in_stems_does_not_reach_the_print():
    assert plain("<p>Cho <b>hàm số</b> \\(y = x^2\\)</p><p>Tính &amp; chọn</p>") == \
        "Cho hàm số \\(y = x^2\\)\nTính & chọn"


def test_combined_key_prints_every_version_side_by_side():
    from repository.papers.printing import render_key_docx, render_key_pdf
    from repository.papers.versions import combined_key

    table = combined_key(versions())
    document = docx.Document(io.BytesIO(render_key_docx(HEADER, table)))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["Phần", "Câu", "Mã 101", "Mã 102"] and len(rows) == 23
    assert rows[1] == ["I", "1", *table["rows"][0]["answers"]]
    assert rows[13][:2] == ["II", "1"] and "a) Đ b) S c) Đ d) S" in rows[13]
    assert rows[-1] == ["III", "6", "-1,5", "-1,5"]
    assert "ĐÁP ÁN ĐỀ KIỂM TRA GIỮA HỌC KÌ I - MÔN Toán" in document.paragraphs[0].text
    text = squash(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_key_pdf(HEADER, table))).pages))
    assert "ĐÁP ÁN" in text and "Mã 101" in text and "Mã 102" in text and "-1,5" in text


def figure_png() -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (40, 20), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_figures_print_after_their_stem_and_a_broken_one_is_named():
    from repository.papers.printing import UNREADABLE_FIGURE

    version = versions()[0]
    figures = {("I", 2): [figure_png()], ("III", 1): [b"\x89PNG\r\n\x1a\n not really"]}
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(HEADER, version, figures)))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert UNREADABLE_FIGURE in "".join(page.extract_text() for page in reader.pages)
    document = docx.Document(io.BytesIO(render_docx(HEADER, version, figures)))
    assert len(document.inline_shapes) == 1
    texts = [p.text for p in document.paragraphs]
    picture_at = next(i for i, p in enumerate(document.paragraphs) if p._p.xpath(".//pic:pic"))
    assert texts[picture_at - 1].startswith("Câu 2.")
    assert UNREADABLE_FIGURE in texts
