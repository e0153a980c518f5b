"""``format=auto`` recognises each format by content, on the real fixtures and generated Office files."""

from __future__ import annotations

import io

import docx
import pytest

from ingest.questions.limits import QuestionFileError
from ingest.questions.xlsx_template import build_template
from repository.banks.formats import detect_format
from tests.conftest import corpus_dir


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Câu 1. Thủ đô của Việt Nam là")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("moodle-xml", "moodle_qtype_multichoice_testquestion.moodle.xml", "moodle_xml"),
    ("gift", "moodle_questions.gift.txt", "gift"),
    ("aiken", "moodle_questions.aiken.txt", "aiken"),
    ("qti/items", "qtisdk_2_1_choice.xml", "qti"),
    ("qti/packages", "tao_package.zip", "qti"),
])
def test_real_fixtures_are_recognised(folder: str, name: str, expected: str) -> None:
    assert detect_format((corpus_dir("questions") / folder / name).read_bytes(), name) == expected


def test_office_files_are_recognised_by_their_parts_not_their_names() -> None:
    assert detect_format(_docx(), "cau-hoi.xlsx") == "docx"
    assert detect_format(build_template(), "cau-hoi.docx") == "xlsx"


@pytest.mark.parametrize("data", [b"", b"\x00\x01\x02", b"<html><body>x</body></html>", b"PK\x03\x04broken"])
def test_unrecognisable_content_is_refused_with_a_vietnamese_reason(data: bytes) -> None:
    with pytest.raises(QuestionFileError) as refused:
        detect_format(data, "x")
    assert refused.value.message_vi
