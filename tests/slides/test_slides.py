"""ingest.slides on the real python-pptx decks of the corpus and on hostile decks built from them."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.archive_safety import PackageError
from ingest.slides import inspect_deck, render_deck_pdf, write_render_copy

SLIDE_RELS = "ppt/slides/_rels/slide1.xml.rels"


def rebuild(source: Path, target: Path, replace: dict[str, bytes] | None = None,
            add: dict[str, bytes] | None = None) -> Path:
    """Copy a real deck entry by entry, swapping or adding parts."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, data in add.items():
            dst.writestr(name, data)
    return target


def _refused(path: Path) -> PackageError:
    with pytest.raises(PackageError) as caught:
        inspect_deck(path)
    return caught.value


def test_deck_without_core_properties_takes_its_first_slide_title(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_no-core-props.pptx")
    assert deck.slide_count == 1
    assert deck.title == "Minimal Deck"
    [slide] = deck.slides
    assert (slide.number, slide.title, slide.notes) == (1, "Minimal Deck", "")
    assert slide.text == "Single slide, “White” template"


def test_speaker_notes(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_prs-notes.pptx")
    assert deck.slide_count == 1
    assert deck.slides[0].notes == "Notes"


def test_populated_placeholders(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_ph-populated-placeholders.pptx")
    assert deck.slide_count == 9
    assert [s.number for s in deck.slides] == list(range(1, 10))
    assert deck.slides[4].title == "Title Text"
    assert deck.slides[5].text == "Content"
    assert deck.slides[6].text == "Body text"


def test_group_shapes_tables_and_core_title(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_test_slides.pptx")
    assert deck.title == "python-pptx was here!"
    lines = deck.slides[0].text.splitlines()
    assert "Group test text" in lines
    assert "Col head 1 | Col head 2" in lines and "Cell text 1 | Cell text 2" in lines


def test_table_rows(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_tbl-cell.pptx")
    assert deck.slide_count == 3
    assert deck.slides[2].text == "a | b | c\nd | e | f\ng | h | i"


@pytest.mark.parametrize(("name", "title"), [
    ("pptx_minimal.pptx", "Presentation"),
    ("pptx_no-slides.pptx", "Empty Default White PowerPoint Presentation"),
])
def test_decks_without_slides(decks: Path, name: str, title: str) -> None:
    deck = inspect_deck(decks / name)
    assert (deck.slide_count, deck.slides, deck.title) == (0, [], title)


def test_layout_without_rels_part_does_not_break_ingest(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_missing_rels_item.pptx")
    assert deck.slide_count == 1
    assert deck.slides[0].title == "Presentation Title Text"
    assert deck.slides[0].text == "Subtitle Text"


def test_deck_with_embedded_movie(decks: Path) -> None:
    deck = inspect_deck(decks / "pptx_shp-movie-props.pptx")
    assert deck.slide_count == 1


def test_word_document_is_not_a_deck(corpus: Path) -> None:
    path = corpus / "docx" / "pptx_shp-embedded-docx.docx"
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    error = _refused(path)
    assert error.code == "not_pptx"
    assert "Word" in error.message_vi


def test_text_file_renamed_pptx(tmp_path: Path) -> None:
    path = tmp_path / "bai-giang.pptx"
    path.write_text("Bài giảng Ngữ văn 7 — chỉ là văn bản.", encoding="utf-8")
    assert _refused(path).code == "not_zip"


def test_plain_zip_is_not_ooxml(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("slide1.txt", "xin chào")
    error = _refused(path)
    assert error.code == "not_ooxml"
    assert "[Content_Types].xml" in error.message_vi


def test_zip_bomb_deck(decks: Path, tmp_path: Path) -> None:
    path = rebuild(decks / "pptx_test_slides.pptx", tmp_path / "bomb.pptx",
                   add={"ppt/media/image99.png": bytes(30 * 1024 * 1024)})
    error = _refused(path)
    assert error.code == "zip_bomb"
    assert "ppt/media/image99.png" in error.message_vi


def test_slide_with_external_entity_is_refused(decks: Path, tmp_path: Path) -> None:
    source = decks / "pptx_test_slides.pptx"
    with zipfile.ZipFile(source) as archive:
        slide = archive.read("ppt/slides/slide1.xml")
    hostile = slide.replace(b"?>", b'?><!DOCTYPE p:sld [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    hostile = hostile.replace(b"Test text", b"&x;", 1)
    path = rebuild(source, tmp_path / "xxe.pptx", replace={"ppt/slides/slide1.xml": hostile})
    error = _refused(path)
    assert error.code == "xml_forbidden"
    assert "ppt/slides/slide1.xml" in error.message_vi


def test_xml_part_hidden_behind_another_extension_is_checked(decks: Path, tmp_path: Path) -> None:
    """python-pptx trusts [Content_Types].xml, not the extension, so neither do we."""
    source = decks / "pptx_test_slides.pptx"
    with zipfile.ZipFile(source) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(b"</Types>", b'<Override PartName="/ppt/extra.dat" ContentType="application/xml"/>'
                                       b"</Types>")
    payload = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><r>&b;</r>'
    path = rebuild(source, tmp_path / "hidden.pptx", replace={"[Content_Types].xml": types},
                   add={"ppt/extra.dat": payload})
    error = _refused(path)
    assert error.code == "xml_forbidden"
    assert "ppt/extra.dat" in error.message_vi


def test_render_copy_neutralises_linked_files_but_keeps_hyperlinks(decks: Path, tmp_path: Path) -> None:
    source = decks / "pptx_test_slides.pptx"
    with zipfile.ZipFile(source) as archive:
        rels = archive.read(SLIDE_RELS).decode()
        picture = archive.read("ppt/media/image2.jpeg")
    rels = rels.replace("</Relationships>",
                        '<Relationship Id="rId90" TargetMode="External" Target="file:///etc/passwd" '
                        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'
                        '<Relationship Id="rId91" TargetMode="External" Target="https://moet.gov.vn/" '
                        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"/>'
                        "</Relationships>")
    hostile = rebuild(source, tmp_path / "linked.pptx", replace={SLIDE_RELS: rels.encode()})
    copy = write_render_copy(hostile, tmp_path / "copy.pptx")
    with zipfile.ZipFile(copy) as archive:
        written = archive.read(SLIDE_RELS).decode()
        assert archive.read("ppt/media/image2.jpeg") == picture
    assert "file:///etc/passwd" not in written and "about:blank" in written
    assert "https://moet.gov.vn/" in written
    assert inspect_deck(copy).slides == inspect_deck(source).slides


def test_render_returns_none_without_libreoffice(decks: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    assert render_deck_pdf(decks / "pptx_no-core-props.pptx", tmp_path / "out") is None
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_render_with_libreoffice(decks: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed on this machine")
    out_dir = tmp_path / "out"
    pdf = render_deck_pdf(decks / "pptx_no-core-props.pptx", out_dir)
    assert pdf == out_dir / "pptx_no-core-props.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    assert "Minimal Deck" in reader.pages[0].extract_text()
    assert [p.name for p in out_dir.iterdir()] == [pdf.name]
