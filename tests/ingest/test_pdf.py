"""inspect_pdf and render_thumbnail on real PDFs generated here with known Vietnamese content."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from ingest.errors import IngestError
from ingest.pdf import PdfLimits, inspect_pdf, render_thumbnail
from tests.ingest.pdf_builders import (
    VIETNAMESE_BOOKMARKS,
    VIETNAMESE_METADATA,
    VIETNAMESE_PAGES,
    dejavu_font,
    vietnamese_pdf,
)


def test_text_comes_back_per_page_exactly_and_nfc(vietnamese_pdf_path: Path,
                                                  expected_pages: list[str]) -> None:
    info = inspect_pdf(vietnamese_pdf_path)
    assert info.page_count == 4
    assert info.pages == expected_pages
    assert all(unicodedata.is_normalized("NFC", page) for page in info.pages)
    assert info.encrypted is False


def test_decomposed_text_is_recomposed_to_nfc(tmp_path: Path) -> None:
    path = vietnamese_pdf(tmp_path / "nfd.pdf", decomposed=True)
    raw_first_page = PdfReader(path).pages[0].extract_text()
    assert not unicodedata.is_normalized("NFC", raw_first_page), "the fixture must really hold NFD text"
    assert inspect_pdf(path).pages[:3] == VIETNAMESE_PAGES


def test_bookmarks_become_a_flat_outline_with_page_numbers(vietnamese_pdf_path: Path) -> None:
    outline = inspect_pdf(vietnamese_pdf_path).outline
    assert outline == [(title, number) for number, title in enumerate(VIETNAMESE_BOOKMARKS, start=1)]


def test_nested_bookmarks_are_flattened_depth_first(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(vietnamese_pdf(tmp_path / "plain.pdf")))
    chapter = writer.add_outline_item(title="Chương I", page_number=0)
    writer.add_outline_item(title="§1. Mệnh đề", page_number=0, parent=chapter)
    writer.add_outline_item(title="§2. Tập hợp", page_number=1, parent=chapter)
    writer.add_outline_item(title="Chương II", page_number=2)
    path = tmp_path / "nested.pdf"
    writer.write(path)
    outline = inspect_pdf(path).outline
    assert outline[-4:] == [("Chương I", 1), ("§1. Mệnh đề", 1), ("§2. Tập hợp", 2), ("Chương II", 3)]


def test_metadata_fields_are_cleaned_strings(vietnamese_pdf_path: Path) -> None:
    assert inspect_pdf(vietnamese_pdf_path).metadata == VIETNAMESE_METADATA


def test_metadata_with_control_characters_and_no_bookmarks(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "  Sinh học\x00 lớp\t\t11\n ", "/Author": "", "/Custom": "bỏ qua"})
    path = tmp_path / "meta.pdf"
    writer.write(path)
    info = inspect_pdf(path)
    assert info.metadata.get("title") == "Sinh học lớp 11"
    assert "author" not in info.metadata and "custom" not in info.metadata
    assert info.outline == []
    assert info.pages == [""]


def test_image_only_page_gives_empty_text(tmp_path: Path) -> None:
    from fpdf import FPDF

    picture = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(picture, format="PNG")
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(dejavu_font()))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.image(picture, x=10, y=10, w=100)
    pdf.add_page()
    pdf.cell(0, 10, "Trang có chữ")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    info = inspect_pdf(path)
    assert info.pages == ["", "Trang có chữ"]


def test_empty_user_password_is_opened_and_flagged(tmp_path: Path, expected_pages: list[str]) -> None:
    writer = PdfWriter(clone_from=PdfReader(vietnamese_pdf(tmp_path / "plain.pdf")))
    writer.encrypt(user_password="", owner_password="chi-chu-so-huu", algorithm="AES-256")
    path = tmp_path / "owner-only.pdf"
    writer.write(path)
    info = inspect_pdf(path)
    assert info.encrypted is True
    assert info.pages == expected_pages
    out = tmp_path / "owner-only.png"
    render_thumbnail(path, out)
    assert Image.open(out).width == 320


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_real_password_is_refused_with_vietnamese_advice(tmp_path: Path, algorithm: str) -> None:
    writer = PdfWriter(clone_from=PdfReader(vietnamese_pdf(tmp_path / "plain.pdf")))
    writer.encrypt(user_password="mat-khau-bi-mat", owner_password="chu", algorithm=algorithm)
    path = tmp_path / "locked.pdf"
    writer.write(path)
    with pytest.raises(IngestError) as caught:
        inspect_pdf(path)
    assert caught.value.code == "encrypted"
    assert "mật khẩu" in caught.value.message_vi and "gỡ mật khẩu" in caught.value.message_vi
    out = tmp_path / "locked.png"
    with pytest.raises(IngestError) as caught:
        render_thumbnail(path, out)
    assert caught.value.code == "encrypted"
    assert not out.exists()


def test_page_limit_is_enforced(vietnamese_pdf_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        inspect_pdf(vietnamese_pdf_path, PdfLimits(max_pages=3))
    assert caught.value.code == "too_many_pages"
    assert "4 trang" in caught.value.message_vi and "3 trang" in caught.value.message_vi


def test_long_page_text_is_cut_at_the_limit(vietnamese_pdf_path: Path) -> None:
    info = inspect_pdf(vietnamese_pdf_path, PdfLimits(max_text_chars_per_page=10))
    assert info.pages[:3] == [page[:10] for page in VIETNAMESE_PAGES]


def test_thumbnail_is_a_png_of_the_requested_width(vietnamese_pdf_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "bia.png"
    render_thumbnail(vietnamese_pdf_path, out)
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(out) as image:
        image.verify()
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.width == 320
        assert 440 <= image.height <= 460, "A4 portrait at 320 px wide is about 453 px high"
        assert image.convert("L").getextrema()[0] < 128, "the page's text must be drawn, not a blank image"
    assert not list(tmp_path.glob("*.part"))


def test_thumbnail_of_another_page_and_width(vietnamese_pdf_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "trang-4.png"
    render_thumbnail(vietnamese_pdf_path, out, page=4, width=150)
    with Image.open(out) as image:
        assert image.width == 150
        assert image.convert("L").getextrema() == (255, 255), "page 4 is blank"


def test_thumbnail_of_a_missing_page_is_refused(vietnamese_pdf_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.png"
    with pytest.raises(IngestError) as caught:
        render_thumbnail(vietnamese_pdf_path, out, page=9)
    assert caught.value.code == "no_such_page"
    assert not out.exists()


def test_very_tall_page_thumbnail_is_cut(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(100, 14000)
    path = tmp_path / "tall.pdf"
    writer.write(path)
    out = tmp_path / "tall.png"
    render_thumbnail(path, out, width=100)
    with Image.open(out) as image:
        assert image.size == (100, 400)
