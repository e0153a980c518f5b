"""Aiken import, on Moodle's own fixtures and on hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.questions import aiken
from ingest.questions.limits import MAX_FILE_BYTES, QuestionFileError
from ingest.questions.model import QuestionType

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "questions" / "aiken"


def fixture(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"test corpus file {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path.read_bytes()


def test_valid_fixture_parses_both_questions() -> None:
    report = aiken.parse(fixture("moodle_questions.aiken.txt"), filename="questions.aiken.txt")
    assert report.rejected == []
    first, second = report.questions
    assert first.type is QuestionType.SINGLE_CHOICE
    assert first.stem == "The Moodle project was started by:"
    assert [option.text for option in first.options] == ["Petr Skoda", "Martin Dougiamas", "Eloy Lafuente",
                                                          "Tim Hunt"]
    assert [option.correct for option in first.options] == [False, True, False, False]
    assert first.source_ref == "line 1"
    assert [option.correct for option in second.options] == [True, False]


def test_raw_html_in_aiken_is_escaped_text() -> None:
    second = aiken.parse(fixture("moodle_questions.aiken.txt")).questions[1]
    assert second.stem == ("Moodle's abilities include handling user input that includes "
                           "&lt;html class=\"cool\"&gt; &amp; images:")


def test_error_fixture_rejects_each_broken_question_by_line() -> None:
    report = aiken.parse(fixture("moodle_aiken_errors.txt"), filename="aiken_errors.txt")
    assert [question.stem for question in report.questions] == ["A good question", "A second good question"]
    no_space = report.questions[1]
    assert [option.text for option in no_space.options] == ["Incorrect (No space)", "Correct (No space)"]
    assert [option.correct for option in no_space.options] == [False, True]
    where = [rejection.where for rejection in report.rejected]
    assert where == ["aiken_errors.txt, dòng 3", "aiken_errors.txt, dòng 5", "aiken_errors.txt, dòng 7",
                     "aiken_errors.txt, dòng 14"]
    reasons = [rejection.reason for rejection in report.rejected]
    assert "ít nhất 2 phương án" in reasons[0]
    assert "chưa có câu hỏi" in reasons[1] and "chưa có câu hỏi" in reasons[2]
    assert "ANSWER" in reasons[3] and "dòng 18" in reasons[3]


def test_vietnamese_multiline_stem_and_answer_dot_style() -> None:
    text = ("Cho hàm số y = x² − 2x.\nGiá trị nhỏ nhất của hàm số là\nA. −1\nB. 0\nC. 1\nD. 2\nANSWER: A\n\n"
            "Thủ đô của Việt Nam là\nA) Huế\nB) Hà Nội\nANSWER: C\n")
    report = aiken.parse(text.encode("utf-8"), filename="de.txt")
    question = report.questions[0]
    assert question.stem == "Cho hàm số y = x² − 2x.<br>Giá trị nhỏ nhất của hàm số là"
    assert [option.text for option in question.options if option.correct] == ["−1"]
    assert len(report.questions) == 1
    assert report.rejected[0].where == "de.txt, dòng 12"
    assert "'C'" in report.rejected[0].reason


def test_missing_answer_at_end_of_file_is_rejected() -> None:
    report = aiken.parse("Câu hỏi dở\nA. x\nB. y\n".encode())
    assert report.questions == []
    assert report.rejected[0].where.endswith("dòng 1")
    assert "ANSWER" in report.rejected[0].reason


def test_script_in_options_never_survives() -> None:
    text = "Chọn đáp án\nA. <script>alert(1)</script>\nB. <img src=x onerror=alert(2)>\nANSWER: B\n"
    question = aiken.parse(text.encode()).questions[0]
    assert question.options[0].text == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<img" not in question.options[1].text


def test_file_over_the_limit_is_refused() -> None:
    with pytest.raises(QuestionFileError) as error:
        aiken.parse(b"x" * (MAX_FILE_BYTES + 1), filename="lon.txt")
    assert "quá lớn" in error.value.message_vi
    assert "exceeds" in error.value.message_en


def test_non_utf8_file_is_refused() -> None:
    with pytest.raises(QuestionFileError) as error:
        aiken.parse(b"C\xe2u h\xecnh h\xf3c\nA. m\xf4t\nB. hai\nANSWER: A\n", filename="cu.txt")
    assert "UTF-8" in error.value.message_vi
