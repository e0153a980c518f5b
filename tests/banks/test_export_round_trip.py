"""Export round trips on Moodle's own fixtures: import ∘ export keeps every field the target format can carry,
directly and through a stored bank and the export API."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.questions import gift, moodle_xml, qti
from ingest.questions.model import Option, Question, QuestionType
from tests.banks.helpers import create_bank, import_file
from tests.conftest import bearer, corpus_dir

#: Moodle fixtures that hold importable questions (the two cloze fixtures are rejected by type).
FIXTURES = ["moodle_nested_categories_with_questions.xml", "moodle_qtype_multichoice_testquestion.moodle.xml"]
#: format -> (module, file name to parse the export under, fields the format cannot carry).
FORMATS = {
    "moodle_xml": (moodle_xml, "xuat.xml", {"source_ref"}),
    "qti": (qti, "xuat.zip", {"source_ref"}),
    # GIFT has no marks, files nor metadata fields
    "gift": (gift, "xuat.gift.txt", {"source_ref", "points", "images", "subject", "grade", "cognitive_level",
                                     "difficulty"}),
}


def carried(question: Question, fmt: str) -> dict:
    fields = dataclasses.asdict(question)
    for name in FORMATS[fmt][2]:
        del fields[name]
    return fields


def moodle_fixture(name: str) -> bytes:
    return (corpus_dir("questions") / "moodle-xml" / name).read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", FIXTURES)
def test_every_exporter_round_trips_moodle_fixtures(name: str, fmt: str) -> None:
    first = moodle_xml.parse(moodle_fixture(name))
    assert first.questions and first.rejected == []
    module, filename, _ = FORMATS[fmt]
    second = module.parse(module.export(first.questions), filename=filename)
    assert second.rejected == []
    assert [carried(q, fmt) for q in second.questions] == [carried(q, fmt) for q in first.questions]


def test_gift_really_loses_points_so_the_exception_is_needed() -> None:
    first = moodle_xml.parse(moodle_fixture(FIXTURES[0]))
    assert {q.points for q in first.questions} == {1.0}
    assert {q.points for q in gift.parse(gift.export(first.questions)).questions} == {None}


@pytest.mark.parametrize("fmt", FORMATS)
def test_bank_export_api_round_trips_what_was_imported(client, tokens, fmt: str) -> None:
    bank_id = create_bank(client, tokens["teacher"])
    data = moodle_fixture(FIXTURES[0])
    report = import_file(client, tokens["teacher"], bank_id, data, filename=FIXTURES[0], mode="all_or_nothing")
    assert report.status_code == 200 and report.json["imported"] == 5
    exported = client.get(f"/api/v1/banks/{bank_id}/export", query_string={"format": fmt},
                          headers=bearer(tokens["teacher"]))
    assert exported.status_code == 200
    assert f"ngan-hang-{bank_id}." in exported.headers["Content-Disposition"]
    module, filename, _ = FORMATS[fmt]
    back = module.parse(exported.data, filename=filename)
    expected = moodle_xml.parse(data).questions
    for question in expected:  # the fixture names no subject or grade: the bank's were given
        question.subject, question.grade = question.subject or "toan", question.grade or 12
    assert back.rejected == []
    assert [carried(q, fmt) for q in back.questions] == [carried(q, fmt) for q in expected]


def test_export_filters_and_refuses_an_unknown_format(client, tokens) -> None:
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, moodle_fixture(FIXTURES[0]), filename="q.xml",
                mode="all_or_nothing")
    teacher = bearer(tokens["teacher"])
    essays = client.get(f"/api/v1/banks/{bank_id}/export", query_string={"format": "moodle_xml", "type": "essay"},
                        headers=teacher)
    assert [q.type.value for q in moodle_xml.parse(essays.data).questions] == ["essay"]
    bad = client.get(f"/api/v1/banks/{bank_id}/export", query_string={"format": "docx"}, headers=teacher)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "format"


def test_moodle_xml_carries_subject_grade_level_and_difficulty_as_tags() -> None:
    question = Question(type=QuestionType.SINGLE_CHOICE, stem="<p>\\(2+2\\) bằng</p>", name="Cộng",
                        options=[Option("4", True, fraction=1.0), Option("5", fraction=0.0)], subject="toan", grade=12,
                        cognitive_level="van-dung", difficulty=0.4, topic="Số học")
    exported = moodle_xml.export([question])
    assert b"<text>hoclieu:level=van-dung</text>" in exported
    (back,) = moodle_xml.parse(exported).questions
    assert carried(back, "moodle_xml") == carried(question, "moodle_xml")
    (rejection,) = moodle_xml.parse(exported.replace(b"grade=12", b"grade=13")).rejected
    assert "Thẻ lớp '13'" in rejection.reason


def test_a_qti_export_of_more_than_two_thousand_questions_imports_back() -> None:
    """One file per item: a big bank's package has more entries than the archive's default limit."""
    questions = [Question(type=QuestionType.SINGLE_CHOICE, stem=f"Câu {i}", name=f"Q{i}",
                          options=[Option("Đúng", True, fraction=1.0), Option("Sai", fraction=0.0)])
                 for i in range(2100)]
    back = qti.parse(qti.export(questions), filename="lon.zip")
    assert back.rejected == [] and len(back.questions) == 2100
