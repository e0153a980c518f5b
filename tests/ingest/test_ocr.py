"""OCR of scanned pages: detection of pages without a usable text layer, and real tesseract on a scan of
known Vietnamese text inside a mixed document (one born-digital page, one scanned page)."""

from __future__ import annotations

import difflib
import io
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from ingest.errors import IngestError
from ingest.ocr import OcrSettings, ocr_pages, page_needs_ocr, tesseract_available
from ingest.pdf import inspect_pdf
from repository.demo.pdfgen import render_pdf, scanned_copy
from repository.materials.queries import chapters_from_outline
from repository.models import Material, MaterialVersion, PageText
from search.service import drain_outbox
from tests.conftest import bearer
from tests.core.test_material_flow import SCORES, upload

SCANNED_TEXT = ("Định luật 2 Newton: gia tốc của một vật cùng hướng với lực tác dụng lên vật. "
                "Độ lớn của gia tốc tỉ lệ thuận với độ lớn của lực và tỉ lệ nghịch với khối lượng của vật.")
DIGITAL_TEXT = "Trang này có lớp chữ: chuyển động thẳng biến đổi đều và đồ thị vận tốc theo thời gian."

needs_tesseract = pytest.mark.skipif(not tesseract_available("vie"),
                                     reason="tesseract with Vietnamese data (tesseract-ocr-vie) is not installed")


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory) -> Path:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(render_pdf("Chương II. Động học", [DIGITAL_TEXT]))))
    writer.append(PdfReader(io.BytesIO(scanned_copy(render_pdf("Bài 15", [SCANNED_TEXT])))))
    path = tmp_path_factory.mktemp("ocr") / "sach-scan.pdf"
    with path.open("wb") as out:
        writer.write(out)
    return path


@pytest.mark.parametrize(("text", "expected"), [
    ("", True),
    ("   \n 12 \n", True),  # a scan with a printed page number
    ("\ue001\ue002\ue003 " * 20, True),  # a font without a usable encoding
    ("\ufffd" * 30 + "abc", True),
    (DIGITAL_TEXT, False),
    ("Bài 1. Hàm số y = ax² + bx + c; đồ thị là một parabol (P) có đỉnh I(−b/2a; −Δ/4a).", False),
])
def test_page_needs_ocr(text, expected):
    assert page_needs_ocr(text) is expected


@needs_tesseract
def test_only_the_scanned_page_of_a_mixed_document_is_ocrd(mixed_pdf):
    info = inspect_pdf(mixed_pdf)
    assert [page_needs_ocr(text) for text in info.pages] == [False, True]
    seen = []
    texts = ocr_pages(mixed_pdf, [2], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 1)] and list(texts) == [2]
    text = unicodedata.normalize("NFC", " ".join(texts[2].split()))
    expected = " ".join(("Bài 15 " + SCANNED_TEXT).split())
    similarity = difflib.SequenceMatcher(None, text, expected).ratio()
    assert similarity > 0.9, (similarity, text)
    for word in ("Định luật", "gia tốc", "khối lượng", "tỉ lệ nghịch"):
        assert word in text


@needs_tesseract
def test_ocr_of_no_page_starts_nothing(mixed_pdf):
    assert ocr_pages(mixed_pdf, []) == {}


def test_missing_language_data_is_a_clear_error(mixed_pdf):
    with pytest.raises(IngestError) as raised:
        ocr_pages(mixed_pdf, [2], settings=OcrSettings(language="khong-co-ngon-ngu-nay"))
    assert raised.value.code == "ocr_unavailable" and "tesseract" in raised.value.message_vi


@needs_tesseract
def test_uploaded_scan_is_ocrd_by_the_ingest_job_and_found_by_search(app, client, tokens, mixed_pdf):
    created = upload(client, tokens["teacher"], mixed_pdf.read_bytes(), filename="sach-scan.pdf")
    assert created.status_code == 201, created.json
    material_id = created.json["id"]
    with app.extensions["db"].session() as session:
        version_id = session.get(Material, material_id).current_version_id
        rows = session.scalars(select(PageText).where(PageText.version_id == version_id)
                               .order_by(PageText.number)).all()
        metadata = session.get(MaterialVersion, version_id).doc_metadata
    assert [row.source for row in rows] == ["text-layer", "ocr"]
    assert "khối lượng" in rows[1].text and metadata["ocr_pages"] == [2]
    described = client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["teacher"])).json
    assert described["ocr_pages"] == [2] and described["pages"] == 2
    page = client.get(f"/api/v1/materials/{material_id}/pages/2", headers=bearer(tokens["teacher"])).json
    assert page["source"] == "ocr" and "khối lượng" in page["text"]
    assert client.get(f"/api/v1/materials/{material_id}/pages/2",
                      headers=bearer(tokens["student"])).status_code == 404  # not published yet
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    drain_outbox(app)
    hits = client.get("/api/v1/search?q=ti le nghich khoi luong").json["hits"]
    assert [hit["id"] for hit in hits] == [material_id]


def test_outline_becomes_chapters_with_page_ranges():
    outline = [["Chương 2. Động lực học", 41], ["Chương 1. Động học", 1], ["Ngoài sách", 900], ["Bài 3", 48]]
    assert chapters_from_outline(outline, 60) == [
        {"title": "Chương 1. Động học", "first_page": 1, "last_page": 40},
        {"title": "Chương 2. Động lực học", "first_page": 41, "last_page": 47},
        {"title": "Bài 3", "first_page": 48, "last_page": 60},
    ]
