"""QTI 2.x import on the real fixtures in ../shared/corpus, hostile inputs, export round trip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.questions import qti
from ingest.questions.limits import QuestionFileError
from ingest.questions.model import Image, Option, Question, QuestionType, ShortAnswerKey, Statement

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "questions" / "qti"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def corpus(relative: str) -> bytes:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"QTI corpus file {path} is absent (the shared corpus lives beside the checkout)")
    return path.read_bytes()


def parse_corpus(relative: str):
    return qti.parse(corpus(relative), filename=Path(relative).name)


def test_single_choice_item():
    report = parse_corpus("items/qtisdk_2_1_choice.xml")
    q = report.questions[0]
    assert q.type == QuestionType.SINGLE_CHOICE
    assert q.name == "Unattended Luggage"
    assert "<p>Look at the text in the picture.</p>" in q.stem
    assert q.stem.endswith("<p>What does it say?</p>")
    assert [o.correct for o in q.options] == [True, False, False]
    assert q.options[0].text == "You must stay with your luggage at all times."
    assert q.source_ref == "item choice"


def test_multiple_response_with_mapping_gives_fractions():
    q = parse_corpus("items/qtisdk_2_1_choice_multiple.xml").questions[0]
    assert q.type == QuestionType.MULTIPLE_CHOICE
    assert [o.text for o in q.options if o.correct] == ["Hydrogen", "Oxygen"]
    assert [o.fraction for o in q.options] == [0.5, None, None, 0.5, None, -0.5]


def test_text_entry_and_its_blank():
    q = parse_corpus("items/qtisdk_2_1_text_entry.xml").questions[0]
    assert q.type == QuestionType.SHORT_ANSWER
    assert [a.value for a in q.answers] == ["York"]
    assert "sun of _____;" in q.stem


def test_text_entry_key_with_markup_and_ampersand_stays_plain_text():
    q = parse_corpus("items/tao_textentry_response_special_chars.xml").questions[0]
    assert q.answers[0].value == "This is <strong>\"bold\"</strong> & this is <em>'italic'</em>"
    assert "<p>This is <strong>\"bold\"</strong> &amp; this is <em>'italic'</em></p>" in q.stem


def test_numeric_text_entry_with_relative_tolerance():
    q = parse_corpus("tests/interaction_mix_sachsen/TextEntrynumeric_770468849.xml").questions[0]
    key = q.answers[0]
    assert (key.value, key.numeric) == ("4,136", 4.136)
    assert key.tolerance == pytest.approx(4.136 * 0.05)
    assert q.points == 1.0


def test_extended_text_is_an_essay():
    q = parse_corpus("items/qtisdk_2_2_essay.xml").questions[0]
    assert q.type == QuestionType.ESSAY
    assert "Write an abstract about the life of this historical figure." in q.stem


@pytest.mark.parametrize(("relative", "interaction"), [
    ("items/qtisdk_2_1_inline_choice.xml", "inlineChoiceInteraction"),
    ("items/qtisdk_2_1_match.xml", "matchInteraction"),
    ("items/qtisdk_2_1_order.xml", "orderInteraction"),
    ("items/tao_sample-planet-moon.xml", "associateInteraction"),
    ("tests/interaction_mix_sachsen/Hotspot_278940407.xml", "hotspotInteraction"),
    ("tests/interaction_mix_sachsen/Hottext_801974120.xml", "hottextInteraction"),
])
def test_unsupported_interactions_are_rejected_by_name(relative, interaction):
    report = parse_corpus(relative)
    assert report.questions == []
    assert interaction in report.rejected[0].reason
    assert report.rejected[0].where.startswith(Path(relative).name + ", item ")


def test_templated_item_is_rejected():
    report = parse_corpus("items/qtisdk_2_1_mc_stat2.xml")
    assert "templateDeclaration" in report.rejected[0].reason


@pytest.mark.parametrize("relative", [
    "items/qtisdk_invalid_empty.xml", "items/qtisdk_invalid_malformed.xml",
    "items/qtisdk_invalid_noversion.xml",
    "tests/interaction_mix_sachsen/interaction_mix_sachsen.xml",
    "packages/broken/tao_InvalidArchive.zip", "packages/broken/tao_MalformedManifest.zip",
    "packages/broken/tao_MissingManifest.zip",
])
def test_unusable_files_raise(relative):
    with pytest.raises(QuestionFileError) as err:
        parse_corpus(relative)
    assert err.value.message_vi.startswith(Path(relative).name)


def test_package_with_image():
    report = parse_corpus("packages/tao_package.zip")
    q = report.questions[0]
    assert q.name == "Unattended Luggage"
    assert [o.correct for o in q.options] == [True, False, False]
    assert [(i.name, i.content_type) for i in q.images] == [("images/sign.png", "image/png")]
    assert q.images[0].data.startswith(b"\x89PNG")


def test_qti22_package_has_three_items_with_keys():
    report = parse_corpus("packages/tao_qti22.zip")
    assert [q.name for q in report.questions] == ["What is TAO?", "What are his favourite collectables?",
                                                  "What does mean GT?"]
    assert [next(o.text for o in q.options if o.correct) for q in report.questions] == [
        "A commercial-grade, open-source assessment platform.",
        "A building-block game we are not allowed to say the name", "Gran Turismo"]


def test_package_zipped_with_its_folder_is_accepted():
    report = parse_corpus("packages/broken/tao_NestedRootFolder.zip")
    assert report.questions[0].name == "Unattended Luggage"
    assert report.questions[0].images[0].name == "images/sign.png"


def test_package_item_problems_are_rejections():
    missing = parse_corpus("packages/broken/tao_WrongManifestFileItemHref.zip")
    assert missing.questions == [] and "không có trong gói" in missing.rejected[0].reason
    malformed = parse_corpus("packages/broken/tao_MalformedItemXml.zip")
    assert "XML không hợp lệ" in malformed.rejected[0].reason
    hotspot = parse_corpus("packages/tao_package_with_ampersand.zip")
    assert "hotspotInteraction" in hotspot.rejected[0].reason


# --- hostile ---------------------------------------------------------------------------------------------

XXE_ITEM = b"""<?xml version="1.0"?>
<!DOCTYPE assessmentItem [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x" title="&secret;"
  adaptive="false" timeDependent="false"><itemBody><p>&secret;</p></itemBody></assessmentItem>"""


def make_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def manifest(href: str) -> bytes:
    return (f'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
            f'<resource identifier="R" type="imsqti_item_xmlv2p1" href="{href}"/>'
            '</resources></manifest>').encode()


def test_xxe_item_is_refused():
    with pytest.raises(QuestionFileError) as err:
        qti.parse(XXE_ITEM, filename="xxe.xml")
    assert "DOCTYPE" in err.value.message_vi


def test_xxe_item_inside_a_package_is_refused():
    package = make_zip({"imsmanifest.xml": manifest("item.xml"), "item.xml": XXE_ITEM})
    with pytest.raises(QuestionFileError):
        qti.parse(package, filename="xxe.zip")


def test_package_with_dotdot_entry_is_refused():
    package = make_zip({"imsmanifest.xml": manifest("item.xml"), "../../app/config.py": b"x"})
    with pytest.raises(QuestionFileError) as err:
        qti.parse(package, filename="slip.zip")
    assert ".." in err.value.message_vi


def test_manifest_href_climbing_out_is_refused():
    package = make_zip({"imsmanifest.xml": manifest("../outside/item.xml")})
    with pytest.raises(QuestionFileError) as err:
        qti.parse(package, filename="href.zip")
    assert "../outside/item.xml" in err.value.message_vi


def test_package_bomb_is_refused():
    package = make_zip({"imsmanifest.xml": manifest("item.xml"), "item.xml": b" " * (8 * 1024 * 1024)})
    with pytest.raises(QuestionFileError):
        qti.parse(package, filename="bomb.zip")


# --- export ----------------------------------------------------------------------------------------------

def bank() -> list[Question]:
    return [
        Question(type=QuestionType.SINGLE_CHOICE,
                 stem="<p>Thủ đô của Việt Nam là <img src=\"img/map.png\"></p>",
                 options=[Option("Huế", feedback="Cố đô"), Option("<b>Hà Nội</b>", correct=True),
                          Option("Đà Nẵng"), Option("Cần Thơ")],
                 explanation="Hà Nội là thủ đô từ năm 1945.", name="Thủ đô", subject="Địa lí", grade=12,
                 topic="Địa lí Việt Nam", cognitive_level="biet", difficulty=0.3, points=0.25,
                 images=[Image("img/map.png", "image/png", PNG)]),
        Question(type=QuestionType.MULTIPLE_CHOICE, stem="Số nguyên tố", name="Nguyên tố",
                 options=[Option("2", True, fraction=0.5), Option("4", fraction=-0.5),
                          Option("5", True, fraction=0.5)]),
        Question(type=QuestionType.TRUE_FALSE_CLUSTER, stem="Cho hàm số f(x) = x².", name="Đúng sai",
                 statements=[Statement("a", "f(0) = 0", True), Statement("b", "f đồng biến", False),
                             Statement("c", "f chẵn", True), Statement("d", "f(1) = 2", False)], points=1.0),
        Question(type=QuestionType.SHORT_ANSWER, stem="Nghiệm của 2x + 3 = 0", name="Ngắn",
                 answers=[ShortAnswerKey("-1,5", -1.5, 0.01)], explanation="x = −1,5"),
        Question(type=QuestionType.SHORT_ANSWER, stem="Thủ đô của Pháp", name="Chữ",
                 answers=[ShortAnswerKey("Paris"), ShortAnswerKey("Pa-ri")]),
        Question(type=QuestionType.ESSAY, stem="Trình bày ý nghĩa \\(\\frac{1}{2}\\)", name="Tự luận",
                 model_answer="Độc lập &amp; tự do"),
    ]


def test_export_round_trip_keeps_every_field():
    exported = qti.export(bank())
    report = qti.parse(exported, filename="xuat.zip")
    assert report.rejected == []
    for original, back in zip(bank(), report.questions, strict=True):
        back.source_ref = original.source_ref
        assert back == original


def test_export_is_a_qti21_content_package():
    with zipfile.ZipFile(io.BytesIO(qti.export(bank()))) as zf:
        names = zf.namelist()
        assert "imsmanifest.xml" in names
        assert "items/Q0001/qti.xml" in names and "items/Q0001/img/map.png" in names
        item = zf.read("items/Q0001/qti.xml").decode()
        assert 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"' in item
        assert "<correctResponse><value>C2</value></correctResponse>" in item
        assert 'type="imsqti_item_xmlv2p1"' in zf.read("imsmanifest.xml").decode()


def test_export_skips_unsafe_image_names():
    question = bank()[0]
    question.images = [Image("../../etc/x.png", "image/png", PNG)]
    with zipfile.ZipFile(io.BytesIO(qti.export([question]))) as zf:
        assert all(".." not in name for name in zf.namelist())
