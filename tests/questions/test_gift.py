"""GIFT import and export, on Moodle's and GIFT-grammar-PEG.js's fixtures and on broken input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ingest.questions import gift
from ingest.questions.limits import MAX_FILE_BYTES, MAX_TEXT_CHARS, QuestionFileError, parse_number
from ingest.questions.model import Option, Question, QuestionType

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "questions" / "gift"
PEGJS = [
    "TFTwoFeedback", "category1", "categorySpecialCharacter", "description1", "descriptionTitleEscapedColon",
    "descriptionWithID", "escapeAll", "escapeColon", "escapeEquals", "essay1", "formatExamples",
    "giftFormatPhpExamples", "markdown", "matching1", "mc1", "mc2", "mc4", "mc5", "mcHTMLComment",
    "multiLineFeedback1", "multipleAnswersFloat", "newlineAndLaTeX", "numerical1", "options1",
    "shortAnswer1", "shortAnswer2", "shortAnswerNotMatching", "shortFirstEmbedded",
    "shortFirstEmbeddedUnderline", "shortFirstEmbeddedUnderlineHTML", "symbolsAll", "tag_id",
    "tag_id_and_two_tags", "tag_two_tags", "tf1", "tf1_html", "tf1_markdown", "tf2",
    "totara_moodle_backslash", "totara_moodle_essay", "totara_moodle_match", "totara_moodle_multichoice",
    "totara_moodle_multichoice_multi", "totara_moodle_numerical", "totara_moodle_pre_content",
    "totara_moodle_shortanswer", "totara_moodle_shortanswer_general_feedback", "totara_moodle_truefalse",
    "totara_moodle_truefalse_true_answer1", "totara_moodle_truefalse_true_answer2",
    "type_inferred_multiline_markdown",
]
ALL_FIXTURES = ["moodle_questions.gift.txt", "moodle_questions_in_category.gift.txt",
                *(f"gift-pegjs/{name}.gift" for name in PEGJS)]


def fixture(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"test corpus file {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path.read_bytes()


def parse(name: str) -> list[Question]:
    return gift.parse(fixture(name), filename=name).questions


def carried(question: Question) -> dict:
    """The fields GIFT can carry (no images, points, model answer; position ignored)."""
    fields = dataclasses.asdict(question)
    for name in ("source_ref", "images", "points", "model_answer"):
        del fields[name]
    return fields


def options(question: Question) -> list[tuple[str, bool, float | None, str]]:
    return [(option.text, option.correct, option.fraction, option.feedback) for option in question.options]


def test_moodle_fixture_fields() -> None:
    report = gift.parse(fixture("moodle_questions.gift.txt"), filename="questions.gift.txt")
    essay, single, multiple, numeric, short, true_false, tsl_t, tsl_true = report.questions
    assert (essay.type, essay.name, essay.stem) == (QuestionType.ESSAY, "Q8", "How are you?")
    assert single.type is QuestionType.SINGLE_CHOICE
    assert options(single) == [("yellow", True, None, "right; good!"),
                               ("red", False, None, "wrong, it's yellow"),
                               ("blue", False, None, "wrong, it's yellow")]
    assert multiple.type is QuestionType.MULTIPLE_CHOICE
    assert [(option.text, option.correct, option.fraction) for option in multiple.options] == [
        ("yellow", True, 0.5), ("red", False, -1.0), ("off-beige", True, 0.5), ("blue", False, -1.0)]
    assert [(key.value, key.numeric, key.tolerance) for key in numeric.answers] == [("3", 3.0, 2.0)]
    assert [key.value for key in short.answers] == ["Frog"]
    assert options(true_false) == [("Đúng", False, None, "You gave the right answer."),
                                   ("Sai", True, None, "42 is the Ultimate Answer.")]
    assert true_false.explanation == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert tsl_t.options[0].correct and tsl_true.options[0].correct
    (matching,) = report.rejected
    assert matching.where == "questions.gift.txt, dòng 5"
    assert "matching" in matching.reason


def test_category_and_escapes_inside_html() -> None:
    report = gift.parse(fixture("moodle_questions_in_category.gift.txt"))
    assert {question.topic for question in report.questions} == {"Default for New Features"}
    greeting = report.questions[0]
    assert greeting.name == "Greeting"
    assert greeting.stem.startswith('<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3"')
    assert "Listen to this greeting:</a>" in greeting.stem
    assert [option.text for option in greeting.options if option.correct] == ["French"]
    acronym = report.questions[2]
    assert '<span style="font-style:italic">Modular Object-Oriented' in acronym.stem
    assert acronym.options[0].correct


def test_category_with_special_characters() -> None:
    block = fixture("gift-pegjs/categorySpecialCharacter.gift") + b"\n\nC\xc3\xa2u h\xe1\xbb\x8fi?{T}\n"
    (question,) = gift.parse(block).questions
    assert question.topic == "Default for Unit 1: Topic"


def test_every_escape() -> None:
    (question,) = parse("gift-pegjs/escapeAll.gift")
    assert [option.text for option in question.options] == ["~", "=", "#", "{", "}", ":", "\\"]
    assert options(question)[0][3] == "~ is a control character."
    assert question.options[-1].correct
    (equals,) = parse("gift-pegjs/escapeEquals.gift")
    assert [option.text for option in equals.options] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    (backslash,) = parse("gift-pegjs/totara_moodle_backslash.gift")
    assert backslash.stem == "A \\\\ B \\\\\\\\ C"
    (latex,) = parse("gift-pegjs/newlineAndLaTeX.gift")
    assert latex.stem == "Blah\nblah $ 1 \\neq 0 $"


def test_numeric_forms() -> None:
    keys = [[(key.value, key.numeric, key.tolerance) for key in question.answers]
            for question in parse("gift-pegjs/numerical1.gift")]
    assert keys[0] == [("1822", 1822.0, 0.0)]
    assert keys[1] == [("-1", -1.0, 0.0)]
    assert keys[2] == [("3.1415", 3.1415, 0.0005)]
    assert keys[6] == [("1..5", 3.0, 2.0)]
    assert keys[7] == [("-5..5", 0.0, 5.0)]
    assert keys[8] == [("1822", 1822.0, 0.0)]  # the 50 % answer is not a key
    assert keys[9] == [("9", 9.0, 0.0)]


def test_missing_word_and_true_false_feedback() -> None:
    questions = parse("gift-pegjs/mc5.gift")
    assert questions[1].stem == "Grant is _____ in Grant's tomb."
    assert [option.text for option in questions[1].options if option.correct] == ["entombed"]
    false_with_two, true_with_right, true_with_wrong = parse("gift-pegjs/TFTwoFeedback.gift")
    assert options(false_with_two) == [("Đúng", False, None, "feedback for false"),
                                       ("Sai", True, None, "feedback for true")]
    assert options(true_with_right)[0] == ("Đúng", True, None, "feedback for true")
    assert options(true_with_wrong)[1] == ("Sai", False, None, "feedback for false")


def test_formats_are_inherited_and_converted() -> None:
    (html_question,) = parse("gift-pegjs/formatExamples.gift")
    assert html_question.stem == "<p>The sun rises in which direction?</p>"
    assert options(html_question)[0] == ("<p>The east.</p>", True, None, "<b>Awesome!</b>")
    (markdown_question,) = parse("gift-pegjs/tf1_markdown.gift")
    assert markdown_question.stem == "<p>Grant is buried in Grant's <em>tomb</em>.</p>"
    (plain_option,) = parse("gift-pegjs/totara_moodle_multichoice.gift")
    assert plain_option.options[2].text == "blue"
    (comment,) = parse("gift-pegjs/mcHTMLComment.gift")
    assert "<!--" not in comment.explanation and "Ley de Enjuiciamiento Criminal" in comment.explanation


def test_unsupported_items_are_rejected_by_line() -> None:
    report = gift.parse(fixture("gift-pegjs/matching1.gift"), filename="m.gift")
    assert [rejection.where for rejection in report.rejected] == ["m.gift, dòng 3", "m.gift, dòng 9"]
    description = gift.parse(fixture("gift-pegjs/description1.gift"))
    assert len(description.questions) == 1
    assert "description" in description.rejected[0].reason
    seasons = gift.parse(fixture("gift-pegjs/escapeColon.gift")).rejected
    assert "4 phương án đúng 100%" in seasons[0].reason


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_round_trip_on_real_fixtures(name: str) -> None:
    first = gift.parse(fixture(name))
    second = gift.parse(gift.export(first.questions))
    assert second.rejected == []
    assert [carried(question) for question in second.questions] == [carried(q) for q in first.questions]


def test_unbalanced_braces_name_their_line() -> None:
    text = ("::Câu 1:: Thủ đô của Việt Nam là {\n=Hà Nội\n~Huế\n\n"
            "::Câu 2:: Số nguyên tố nhỏ nhất là } 2\n\n"
            "::Câu 3:: Chọn {~a {=b ~c}\n\n"
            "::Câu 4:: Còn lại {~x =y}\n")
    report = gift.parse(text.encode(), filename="de.gift")
    assert [question.name for question in report.questions] == ["Câu 4"]
    assert [rejection.where for rejection in report.rejected] == ["de.gift, dòng 1", "de.gift, dòng 5",
                                                                 "de.gift, dòng 7"]
    reasons = [rejection.reason for rejection in report.rejected]
    assert "chưa được đóng" in reasons[0]
    assert "'}' không có dấu '{'" in reasons[1]
    assert "chưa được đóng trước" in reasons[2]


def test_vietnamese_decimal_commas_in_numeric_answers() -> None:
    text = ("::Câu 18:: Xác suất bằng bao nhiêu? {#0,25:0,01}\n\n"
            "::Câu 19:: Nghiệm âm của phương trình là {#-1,5}\n\n"
            "::Câu 20:: Giá trị gần đúng {#1,2..1,4}\n\n"
            "::Câu 21:: Điền số {=0,5}\n")
    q18, q19, q20, q21 = gift.parse(text.encode()).questions
    assert [(key.value, key.numeric, key.tolerance) for key in q18.answers] == [("0,25", 0.25, 0.01)]
    assert [(key.value, key.numeric) for key in q19.answers] == [("-1,5", -1.5)]
    assert q20.answers[0].numeric == pytest.approx(1.3) and q20.answers[0].tolerance == pytest.approx(0.1)
    assert (q21.answers[0].value, q21.answers[0].numeric) == ("0,5", 0.5)
    exported = gift.export([q18, q19]).decode()
    assert "=0.25:0.01" in exported and "=-1.5" in exported


@pytest.mark.parametrize(("text", "expected"), [
    ("0,25", 0.25), ("-1,5", -1.5), ("1.5", 1.5), ("\u22122", -2.0), (" 12 ", 12.0), ("1.000,5", None),
    ("1,234.5", None), ("abc", None), ("", None), ("1..2", None),
])
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_html_is_sanitised_on_import() -> None:
    text = ('[html]<p>Tính <img src\\="a.png" onerror\\="alert(1)"><script>alert(2)</script></p>{\n'
            '=<b onclick\\="x()">đúng</b>\n~sai#<a href\\="javascript\\:alert(3)">xem</a>\n}\n')
    (question,) = gift.parse(text.encode()).questions
    assert question.stem == '<p>Tính <img src="a.png"></p>'
    assert question.options[0].text == "<b>đúng</b>"
    assert "javascript" not in question.options[1].feedback


def test_plain_format_is_escaped() -> None:
    (question,) = gift.parse(b'[plain]Moodle <html class="cool"> & images{T}').questions
    assert question.stem == 'Moodle &lt;html class="cool"&gt; &amp; images'


def test_file_over_the_limit_is_refused() -> None:
    with pytest.raises(QuestionFileError) as error:
        gift.parse(b"//" + b"x" * MAX_FILE_BYTES, filename="lon.gift")
    assert error.value.message_vi.startswith("lon.gift: tệp quá lớn")


def test_oversized_block_is_rejected_without_parsing() -> None:
    text = "::Câu 1:: Chọn {=a ~b}\n\n" + "x" * (2 * MAX_TEXT_CHARS + 1) + "{T}\n"
    report = gift.parse(text.encode(), filename="dai.gift")
    assert [question.name for question in report.questions] == ["Câu 1"]
    assert report.rejected[0].where == "dai.gift, dòng 3" and "quá dài" in report.rejected[0].reason


def test_export_escapes_control_characters_and_keeps_multiple_choice_weights() -> None:
    question = Question(type=QuestionType.MULTIPLE_CHOICE, stem="Chọn {x} sao cho x = 2: a~b #1",
                        name="Câu: 1", topic="Toán/Đại số",
                        options=[Option("x = 2", correct=True), Option("x # 3", correct=True), Option("x")])
    exported = gift.export([question]).decode()
    assert exported.startswith("$CATEGORY: $course$/top/Toán/Đại số\n")
    assert "::Câu\\: 1::" in exported and "Chọn \\{x\\} sao cho x \\= 2\\: a\\~b \\#1" in exported
    (again,) = gift.parse(exported.encode()).questions
    assert again.stem == question.stem and again.name == question.name and again.topic == question.topic
    assert [(option.text, option.correct, option.fraction) for option in again.options] == [
        ("x = 2", True, 0.5), ("x # 3", True, 0.5), ("x", False, None)]
