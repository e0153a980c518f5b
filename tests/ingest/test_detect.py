"""detect_type decides by content: real files from the corpus, files made here with their own writers,
and heads cut the way the upload form cuts them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

from ingest.detect import detect_bytes, detect_type
from ingest.errors import IngestError
from tests.conftest import corpus_dir
from tests.ingest.pdf_builders import vietnamese_pdf

UPLOAD_SNIFF_BYTES = 8192


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def head_of(path: Path, tmp_path: Path, size: int = UPLOAD_SNIFF_BYTES) -> Path:
    """The first bytes of a file, as the upload form stores them for sniffing."""
    return write(tmp_path, path.name + ".head", path.read_bytes()[:size])


def test_empty_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        detect_type(write(tmp_path, "rong.pdf", b""))
    assert caught.value.code == "empty"
    assert "rỗng" in caught.value.message_vi


def test_generated_pdf_and_pdf_with_leading_junk(tmp_path: Path) -> None:
    pdf = vietnamese_pdf(tmp_path / "tai-lieu.bin")
    assert detect_type(pdf).family == "pdf"
    assert detect_type(pdf).mime == "application/pdf" and detect_type(pdf).extension == ".pdf"
    junk = write(tmp_path, "junk", b"\x00" * 300 + pdf.read_bytes())
    assert detect_type(junk).family == "pdf"
    too_late = write(tmp_path, "late", b" " * 2000 + b"%PDF-1.4\n")
    assert detect_type(too_late).family != "pdf"


@pytest.mark.parametrize(("content", "family"), [
    (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
    (b"\xef\xbb\xbf  \n<HTML lang=vi><p>Bai hoc</p>", "html"),
    (b"<script>fetch('/x')</script>", "html"),
    (b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
    (b"<svg onload='alert(1)'></svg>", "svg"),
    (b"<?xml version='1.0' encoding='UTF-8'?>\n<quiz><question type='multichoice'/></quiz>", "xml"),
    ("Câu 1. Thủ đô của Việt Nam là?\nA. Hà Nội\nANSWER: A\n".encode(), "text"),
    ("Tiếng Việt".encode("utf-16"), "text"),
    ("Ti\xeang Vi\xeat m\xe3 c\u0169".encode("cp1258", "replace"), "text"),
    (bytes(range(256)) * 4, "unknown"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "ole"),
])
def test_text_and_markup_by_content(tmp_path: Path, content: bytes, family: str) -> None:
    assert detect_type(write(tmp_path, "upload.pdf", content)).family == family


def test_utf8_head_cut_inside_a_character_is_still_text() -> None:
    text = ("Đồ thị hàm số bậc hai " * 2000).encode()
    end = next(i for i in range(UPLOAD_SNIFF_BYTES, len(text)) if 0x80 <= text[i] <= 0xBF)
    cut = text[:end]
    assert cut[-1] >= 0xC0, "the cut must fall inside a multi-byte character"
    assert detect_bytes(cut, complete=False) == detect_bytes(text, complete=True)
    assert detect_bytes(cut, complete=False).family == "text"


def test_images_made_by_pillow(tmp_path: Path) -> None:
    for fmt, family, ext in (("PNG", "png", ".png"), ("JPEG", "jpeg", ".jpg"), ("GIF", "gif", ".gif"),
                             ("WEBP", "webp", ".webp")):
        path = tmp_path / f"anh-{family}.pdf"
        Image.new("RGB", (16, 16), (10, 120, 200)).save(path, format=fmt)
        detected = detect_type(path)
        assert (detected.family, detected.extension) == (family, ext)


def test_plain_zip_and_epub(tmp_path: Path) -> None:
    plain = tmp_path / "goi.docx"
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", "<manifest/>")
        archive.writestr("word/document.xml", "<w/>")
    assert detect_type(plain).family == "zip", "word/ without [Content_Types].xml is not a DOCX"
    epub = tmp_path / "sach.zip"
    with zipfile.ZipFile(epub, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("OEBPS/content.opf", "<package/>", compress_type=zipfile.ZIP_DEFLATED)
    assert detect_type(epub).family == "epub"
    assert detect_type(write(tmp_path, "rong.zip", b"PK\x05\x06" + bytes(18))).family == "zip"


def test_office_files_written_by_their_libraries(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    openpyxl = pytest.importorskip("openpyxl")
    pptx = pytest.importorskip("pptx")
    document = docx.Document()
    document.add_paragraph("Giáo án môn Ngữ văn")
    document.save(tmp_path / "giao-an.pdf")
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Câu hỏi"
    workbook.save(tmp_path / "ngan-hang.txt")
    pptx.Presentation().save(tmp_path / "bai-giang.zip")
    assert detect_type(tmp_path / "giao-an.pdf").family == "ooxml-docx"
    assert detect_type(tmp_path / "ngan-hang.txt").family == "ooxml-xlsx"
    assert detect_type(tmp_path / "bai-giang.zip").family == "ooxml-pptx"
    for name in ("giao-an.pdf", "ngan-hang.txt", "bai-giang.zip"):
        whole = detect_type(tmp_path / name)
        assert detect_type(head_of(tmp_path / name, tmp_path)) == whole


def test_corpus_office_and_video_files_whole_and_by_head(tmp_path: Path) -> None:
    expected = {
        ("docx", "pptx_shp-embedded-docx.docx"): "ooxml-docx",
        ("pptx", "pptx_minimal.pptx"): "ooxml-pptx",
        ("pptx", "pptx_test_slides.pptx"): "ooxml-pptx",
        ("video", "pptx_just-two-mice.mp4"): "mp4",
        ("video", "moviepy_big_buck_bunny_0_30.webm"): "webm",
        ("scorm", "golf_scorm12_multisco_onefilepersco.zip"): "zip",
    }
    for (folder, name), family in expected.items():
        matches = list(corpus_dir(folder).rglob(name))
        assert matches, f"{name} missing from the corpus"
        assert detect_type(matches[0]).family == family, name
        assert detect_type(head_of(matches[0], tmp_path)).family == family, f"head of {name}"


def test_every_corpus_pdf_is_detected_as_pdf() -> None:
    pdfs = sorted(corpus_dir("pdf").glob("*.pdf"))
    assert pdfs
    assert {path.name: detect_type(path).family for path in pdfs} == {path.name: "pdf" for path in pdfs}


def test_file_name_never_matters(tmp_path: Path) -> None:
    html = b"<html><body>Bai tap</body></html>"
    families = {detect_type(write(tmp_path, name, html)).family
                for name in ("a.pdf", "b.docx", "c.mp4", "d", "e.PNG")}
    assert families == {"html"}
