"""The demo collection: deterministic, prefix-stable, realistic, with PDFs whose text reads back."""

from __future__ import annotations

import io
import unicodedata

import pytest
from pypdf import PdfReader

from repository.demo.catalogue import read_catalogue, reference
from repository.demo.generator import generate_lessons
from repository.demo.pdfgen import render_pdf


def test_same_seed_same_lessons_and_smaller_is_a_prefix():
    big = list(generate_lessons(600))
    assert list(generate_lessons(600)) == big
    assert list(generate_lessons(150)) == big[:150]
    assert list(generate_lessons(150, seed=7)) != big[:150]


def test_lessons_spread_over_levels_subjects_and_use_reference_codes():
    ref = reference()
    lessons = list(generate_lessons(800))
    assert len({lesson.key for lesson in lessons}) == len(lessons)
    assert {lesson.level for lesson in lessons} == {"tieu-hoc", "thcs", "thpt"}  # the general-education levels
    assert len({lesson.subject for lesson in lessons}) >= 15
    assert len({lesson.series for lesson in lessons}) == len(ref.series)
    for lesson in lessons:
        assert lesson.subject in ref.subjects and lesson.kind in ref.kinds
        assert lesson.grade in ref.level_grades[lesson.level]
        assert lesson.province in ref.provinces and lesson.licence in ref.licences
        assert lesson.title and lesson.chapter and lesson.pages


def test_rendered_pdf_is_deterministic_and_its_vietnamese_text_reads_back():
    pages = ("Định luật 2 Newton: gia tốc tỉ lệ thuận với lực.", "Ữ ỹ ằ đường — luyện tập")
    pdf = render_pdf("Bài 15. Định luật 2 Newton", pages, subtitle="Chương III")
    assert pdf == render_pdf("Bài 15. Định luật 2 Newton", pages, subtitle="Chương III")
    reader = PdfReader(io.BytesIO(pdf))
    texts = [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]
    assert len(texts) == 2
    assert "Định luật 2 Newton" in texts[0] and "gia tốc tỉ lệ thuận" in texts[0]
    assert "đường" in texts[1]


def test_a_bad_catalogue_row_is_named(tmp_path):
    bad = tmp_path / "lessons.csv"
    bad.write_text("subject|grades|chapter|lesson|points\ntoan|1|Chủ đề 1||một ý;hai ý\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lessons.csv, dòng 2: thiếu cột lesson"):
        read_catalogue(bad)
