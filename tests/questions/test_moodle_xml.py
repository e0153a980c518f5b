"""Moodle XML import and export, on Moodle's own fixtures and on hostile XML."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from PIL import Image as PilImage

from ingest.questions import moodle_xml
from ingest.questions.limits import MAX_FILE_BYTES, QuestionFileError
from ingest.questions.model import Question, QuestionType, Statement

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "questions" / "moodle-xml"
FIXTURES = [
    "moodle_broken_cloze_questions.xml",
    "moodle_multianswer_cloze_with_images.xml",
    "moodle_nested_categories_with_questions.xml",
    "moodle_qtype_multichoice_testquestion.moodle.xml",
]


def fixture(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"test corpus file {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path.read_bytes()


def carried(question: Question) -> dict:
    """Every field Moodle XML carries (all but where the question stood in its file)."""
    fields = dataclasses.asdict(question)
    del fields["source_ref"]
    return fields


def quiz(*questions: str) -> bytes:
    body = "\n".join(questions)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode()


def question_xml(qtype: str, body: str, text: str = "Câu hỏi", name: str = "Q") -> str:
    return (f'<question type="{qtype}"><name><text>{name}</text></name>'
            f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>{body}</question>')


def answer(fraction: str, text: str, extra: str = "") -> str:
    return f'<answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>{extra}</answer>'


def test_multichoice_fixture_fields() -> None:
    report = moodle_xml.parse(fixture("moodle_qtype_multichoice_testquestion.moodle.xml"), filename="mc.xml")
    assert report.rejected == []
    (question,) = report.questions
    assert question.type is QuestionType.MULTIPLE_CHOICE
    assert question.name == "Multi-choice-001"
    assert question.stem == "Find the capital cities in Europe."
    assert question.topic == "Default for C1"
    assert question.explanation == "Berlin, Paris and London"
    assert question.points == 1.0
    assert [(option.text, option.correct, option.fraction) for option in question.options] == [
        ("Tokyo", False, 0.0), ("Spain", False, 0.0), ("London", True, 0.5), ("Barcelona", False, 0.0),
        ("Paris", True, 0.5)]
    assert question.source_ref == "line 12"


def test_nested_categories_become_topics_and_truefalse_becomes_dung_sai() -> None:
    report = moodle_xml.parse(fixture("moodle_nested_categories_with_questions.xml"))
    assert [(question.name, question.topic) for question in report.questions] == [
        ("Iota Question", "Iota"), ("Kappa Essay Question", "Iota/Kappa"), ("Kappa Question", "Iota/Kappa"),
        ("Lambda Question", "Iota/Kappa/Lambda"), ("Mu Question", "Iota/Mu")]
    truefalse = report.questions[0]
    assert truefalse.type is QuestionType.SINGLE_CHOICE
    assert truefalse.stem == "<p>Testing Iota Question</p>"
    assert [(option.text, option.correct) for option in truefalse.options] == [("Đúng", True), ("Sai", False)]
    essay = report.questions[1]
    assert essay.type is QuestionType.ESSAY
    assert essay.stem == "Testing Kappa Essay Question"


def test_broken_cloze_fixture_rejects_each_question_by_line() -> None:
    report = moodle_xml.parse(fixture("moodle_broken_cloze_questions.xml"), filename="broken.xml")
    assert report.questions == []
    assert [rejection.where for rejection in report.rejected] == [
        "broken.xml, dòng 4", "broken.xml, dòng 20", "broken.xml, dòng 36", "broken.xml, dòng 52",
        "broken.xml, dòng 68"]
    assert all("Loại câu hỏi 'multianswer' (cloze) chưa được hỗ trợ" in rejection.reason
               for rejection in report.rejected)
    assert "Multianswer question without subquestions" in report.rejected[0].reason


def test_cloze_with_images_is_rejected_by_type() -> None:
    report = moodle_xml.parse(fixture("moodle_multianswer_cloze_with_images.xml"), filename="cloze.xml")
    assert report.questions == []
    assert report.rejected[0].where == "cloze.xml, dòng 12"
    assert "multianswer" in report.rejected[0].reason


def test_embedded_images_are_decoded_as_png() -> None:
    """The three real PNGs of Moodle's cloze fixture, carried by a question type we import."""
    files = re.findall(r'<file name="[^"]+" encoding="base64">[^<]+</file>',
                       fixture("moodle_multianswer_cloze_with_images.xml").decode())
    assert len(files) == 3
    text = '<p>Cờ <img src="@@PLUGINFILE@@/arizona_2.png" alt="cờ"></p>'
    body = (f'<questiontext format="html"><text><![CDATA[{text}]]></text>{"".join(files)}</questiontext>'
            + answer("100", "Arizona") + answer("0", "California"))
    question = moodle_xml.parse(quiz(f'<question type="multichoice"><name><text>Cờ</text></name>{body}'
                                     "</question>")).questions[0]
    assert [image.name for image in question.images] == ["arizona_2.png", "california-state-flag.png",
                                                         "moodle.png"]
    assert {image.content_type for image in question.images} == {"image/png"}
    sizes = [PilImage.open(io.BytesIO(image.data)).size for image in question.images]
    assert sizes == [(50, 50), (50, 50), (16, 16)]
    assert 'src="@@PLUGINFILE@@/arizona_2.png"' in question.stem
    again = moodle_xml.parse(moodle_xml.export([question])).questions[0]
    assert again.images == question.images


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_on_real_fixtures(name: str) -> None:
    first = moodle_xml.parse(fixture(name))
    second = moodle_xml.parse(moodle_xml.export(first.questions))
    assert second.rejected == []
    assert [carried(question) for question in second.questions] == [carried(q) for q in first.questions]


def test_external_entity_is_refused_and_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MAT-KHAU-BI-MAT")
    hostile = (f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file://{secret}">'
               '<!ENTITY pw SYSTEM "file:///etc/passwd">]>\n'
               '<quiz><question type="essay"><name><text>&xxe;</text></name>'
               '<questiontext><text>&pw;</text></questiontext></question></quiz>').encode()
    with pytest.raises(QuestionFileError) as error:
        moodle_xml.parse(hostile, filename="xxe.xml")
    assert "MAT-KHAU" not in str(error.value) and "root:" not in error.value.message_vi
    assert "DOCTYPE" in error.value.message_vi


def test_billion_laughs_is_refused() -> None:
    levels = ['<!ENTITY lol "lol">', '<!ENTITY lol1 "' + "&lol;" * 10 + '">']
    levels += [f'<!ENTITY lol{n} "' + f"&lol{n - 1};" * 10 + '">' for n in range(2, 10)]
    entities = "".join(levels)
    hostile = (f'<?xml version="1.0"?><!DOCTYPE quiz [{entities}]>'
               '<quiz><question type="essay"><name><text>&lol9;</text></name></question></quiz>').encode()
    with pytest.raises(QuestionFileError):
        moodle_xml.parse(hostile)


@pytest.mark.parametrize("data", [b"not xml at all", b"<quiz><question>", b"<html><body/></html>", b""])
def test_broken_or_foreign_xml_is_refused(data: bytes) -> None:
    with pytest.raises(QuestionFileError) as error:
        moodle_xml.parse(data, filename="x.xml")
    assert error.value.message_vi.startswith("x.xml: ")


def test_file_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(QuestionFileError) as error:
        moodle_xml.parse(b"<quiz>" + b" " * MAX_FILE_BYTES + b"</quiz>")
    assert "quá lớn" in error.value.message_vi


def test_html_is_sanitised_on_import() -> None:
    text = '<p>Tính <img src="a.png" onerror="alert(1)"><script>alert(2)</script></p>'
    body = answer("100", "<b onmouseover=\"x()\">đúng</b>") + answer("0", "sai")
    question = moodle_xml.parse(quiz(question_xml("multichoice", body, text=text))).questions[0]
    assert question.stem == '<p>Tính <img src="a.png"></p>'
    assert question.options[0].text == "<b>đúng</b>"


def test_single_choice_needs_exactly_one_correct_answer() -> None:
    two = question_xml("multichoice", "<single>true</single>" + answer("100", "a") + answer("100", "b"),
                       name="Hai")
    none = question_xml("multichoice", "<single>true</single>" + answer("50", "a") + answer("0", "b"))
    multi_none = question_xml("multichoice", "<single>false</single>" + answer("0", "a") + answer("-50", "b"))
    report = moodle_xml.parse(quiz(two, none, multi_none), filename="mc.xml")
    assert report.questions == []
    reasons = [rejection.reason for rejection in report.rejected]
    assert "Câu hỏi 'Hai'" in reasons[0] and "2 phương án đúng 100%" in reasons[0]
    assert "không có phương án đúng 100%" in reasons[1]
    assert "không có phương án nào được điểm" in reasons[2]
    assert [rejection.where for rejection in report.rejected] == ["mc.xml, dòng 3", "mc.xml, dòng 4",
                                                                 "mc.xml, dòng 5"]


@pytest.mark.parametrize("qtype", ["matching", "ddwtos", "description", "calculated"])
def test_unsupported_types_are_named(qtype: str) -> None:
    report = moodle_xml.parse(quiz(question_xml(qtype, "")))
    assert report.questions == []
    assert f"'{qtype}'" in report.rejected[0].reason


def test_numerical_with_decimal_comma_and_tolerance() -> None:
    body = (answer("100", "0,25", "<tolerance>0,01</tolerance>") + answer("50", "0,3")
            + answer("0", "*"))
    question = moodle_xml.parse(quiz(question_xml("numerical", body))).questions[0]
    assert question.type is QuestionType.SHORT_ANSWER
    assert [(key.value, key.numeric, key.tolerance) for key in question.answers] == [("0,25", 0.25, 0.01)]
    exported = moodle_xml.export([question]).decode()
    assert "<text>0.25</text>" in exported and "<tolerance>0.01</tolerance>" in exported


def test_numerical_answer_that_is_not_a_number_is_rejected() -> None:
    report = moodle_xml.parse(quiz(question_xml("numerical", answer("100", "zero"))))
    assert "'zero' không phải là số" in report.rejected[0].reason


def test_shortanswer_keeps_only_full_credit_keys_and_essay_keeps_grader_info() -> None:
    keys = answer("100", "Hà Nội") + answer("100", "Ha Noi") + answer("50", "HN")
    short = question_xml("shortanswer", keys)
    essay = question_xml("essay", '<graderinfo format="html"><text>&lt;p&gt;Đáp án mẫu&lt;/p&gt;</text>'
                                  "</graderinfo>")
    short_question, essay_question = moodle_xml.parse(quiz(short, essay)).questions
    assert [key.value for key in short_question.answers] == ["Hà Nội", "Ha Noi"]
    assert all(key.numeric is None for key in short_question.answers)
    assert essay_question.model_answer == "<p>Đáp án mẫu</p>"
    again = moodle_xml.parse(moodle_xml.export([short_question, essay_question])).questions
    assert [carried(question) for question in again] == [carried(short_question), carried(essay_question)]


def test_true_false_cluster_is_exported_as_four_truefalse_questions() -> None:
    cluster = Question(type=QuestionType.TRUE_FALSE_CLUSTER, stem="<p>Cho hàm số y = x³.</p>", name="Câu 1",
                       topic="Toán 12/Hàm số", statements=[
                           Statement("a", "Hàm số đồng biến trên ℝ.", True),
                           Statement("b", "Đồ thị đi qua (1; 2).", False),
                           Statement("c", "y(0) = 0.", True),
                           Statement("d", "Hàm số có cực trị.", False)])
    exported = moodle_xml.export([cluster])
    assert exported.count(b'<question type="truefalse">') == 4
    parts = moodle_xml.parse(exported).questions
    assert [part.name for part in parts] == ["Câu 1 a)", "Câu 1 b)", "Câu 1 c)", "Câu 1 d)"]
    assert [part.options[0].correct for part in parts] == [True, False, True, False]
    assert all(part.topic == "Toán 12/Hàm số" for part in parts)
    assert "<p>b) Đồ thị đi qua (1; 2).</p>" in parts[1].stem and "Cho hàm số" in parts[1].stem
