"""Slide decks end to end on the real embedded stack: upload a PPTX -> ingest (python-pptx, LibreOffice
when installed) -> slide text and notes as the version's pages -> API, material page, page-level search."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from ingest.questions.xlsx_template import build_template
from tests.conftest import bearer, csrf_from, login
from tests.core.test_material_flow import SCORES
from tests.slides.decks import lesson_deck

METADATA = {"kind": "bai-giang", "level": "thpt", "grade": "10", "subject": "vat-li", "licence": "CC-BY-4.0"}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def upload(client, token: str, data: bytes, filename: str = "bai-15.pptx", **fields):
    form = {**METADATA, "title": "", **fields, "file": (io.BytesIO(data), filename)}
    return client.post("/api/v1/materials", data=form, headers=bearer(token), content_type="multipart/form-data")


def ingested(client, tokens, data: bytes, **fields) -> dict:
    created = upload(client, tokens["teacher"], data, **fields)
    assert created.status_code == 201, created.json
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "succeeded", job
    return client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json


def publish(client, tokens, material_id: int) -> None:
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.json["status"] == "published", decided.json


@pytest.fixture
def without_libreoffice(app):
    """The portal as on a server without LibreOffice: its program is not found."""
    app.extensions["settings"].data.setdefault("slides", {})["libreoffice"] = "soffice-not-installed"


def test_deck_text_notes_count_and_title_from_the_deck(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck())
    assert material["title"] == "Bài 15. Định luật 2 Newton"  # the form left it empty
    assert material["pages"] == 3
    assert [(s["number"], s["title"]) for s in material["slides"]] == [
        (1, "Định luật 2 Newton"), (2, "Ví dụ"), (3, "Bài tập về nhà")]
    assert material["slides"][1]["text"] == "Một xe khối lượng 2 kg chịu lực 10 N"
    assert material["slides"][1]["notes"] == "Hỏi lớp: gia tốc bằng bao nhiêu?"
    page = client.get(f"/api/v1/materials/{material['id']}/pages/2", headers=bearer(tokens["teacher"])).json
    assert "Ví dụ" in page["text"] and "Hỏi lớp: gia tốc bằng bao nhiêu?" in page["text"]


def test_a_title_in_the_form_is_kept(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck(), title="Tiêu đề của giáo viên")
    assert material["title"] == "Tiêu đề của giáo viên"


def test_empty_title_is_still_required_for_a_pdf(client, tokens):
    from repository.demo.pdfgen import render_pdf

    refused = upload(client, tokens["teacher"], render_pdf("Sách", ("Trang một",)), filename="sach.pdf")
    assert refused.status_code == 400 and refused.json["error"]["field"] == "title"


def test_search_hits_name_the_slide_of_the_notes(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck())
    publish(client, tokens, material["id"])
    hits = client.get("/api/v1/search", query_string={"q": "hoi lop gia toc"}).json["hits"]
    assert [h["id"] for h in hits] == [material["id"]]
    assert [p["page"] for p in hits[0]["pages"]] == [2]
    html = client.get(hits[0]["pages"][0]["url"]).get_data(as_text=True)
    assert 'id="slide-2" value="2" class="current" aria-current="true"' in html


def test_deck_hits_are_slides_and_link_to_the_slide(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck())
    publish(client, tokens, material["id"])
    [hit] = client.get("/api/v1/search", query_string={"q": "hoi lop gia toc"}).json["hits"]
    [page] = hit["pages"]
    assert (page["unit"], page["page"], page["url"]) == ("slide", 2, f"/materials/{material['id']}?page=2#slide-2")
    html = client.get("/search", query_string={"q": "hoi lop gia toc"}).get_data(as_text=True)
    assert f'<a href="/materials/{material["id"]}?page=2#slide-2" data-page="2">Trang chiếu 2</a>' in html
    assert "Trang 2" not in html
    english = client.get("/search", query_string={"q": "hoi lop gia toc"}, headers={"Accept-Language": "en"})
    assert 'data-page="2">Slide 2</a>' in english.get_data(as_text=True)


def test_without_libreoffice_the_page_says_so_and_shows_the_outline(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck())
    publish(client, tokens, material["id"])
    html = client.get(f"/materials/{material['id']}").get_data(as_text=True)
    assert 'id="no-preview"' in html and "Không có bản xem trước" in html and "LibreOffice" in html
    assert 'id="pdf-viewer"' not in html
    assert "Trang chiếu 3: Bài tập về nhà" in html and "Nhắc học sinh đổi đơn vị" in html
    assert "3 trang chiếu" in html


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_with_libreoffice_the_deck_renders_to_pdf_and_slide_images(app, client, tokens):
    from pypdf import PdfReader

    material = ingested(client, tokens, lesson_deck())
    publish(client, tokens, material["id"])
    html = client.get(f"/materials/{material['id']}?page=2").get_data(as_text=True)
    assert 'id="no-preview"' not in html
    src = html.split('<iframe id="pdf-viewer"', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    assert src.endswith("#page=2")
    pdf = client.get(src.split("#")[0])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 3 and "Ví dụ" in reader.pages[1].extract_text()
    images = [line.split('src="', 1)[1].split('"', 1)[0] for line in html.splitlines()
              if 'alt="Hình trang chiếu' in line]
    assert len(images) == 3
    png = client.get(images[2])
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_unpublished_deck_pages_are_hidden_from_students(client, tokens, without_libreoffice):
    material = ingested(client, tokens, lesson_deck())
    assert client.get(f"/materials/{material['id']}").status_code == 404
    login(client, "student")
    assert client.get(f"/api/v1/materials/{material['id']}/pages/1").status_code == 404


@pytest.mark.parametrize("name", ["pptx_test_slides.pptx", "pptx_ph-populated-placeholders.pptx",
                                  "pptx_prs-notes.pptx", "pptx_tbl-cell.pptx", "pptx_shp-groupshape.pptx",
                                  "pptx_cht-charts.pptx", "pptx_shp-movie-props.pptx", "pptx_missing_rels_item.pptx",
                                  "pptx_no-core-props.pptx", "pptx_minimal.pptx", "pptx_no-slides.pptx"])
def test_corpus_decks_become_lectures(client, tokens, decks, name, without_libreoffice):
    """Every deck of the corpus, the empty ones included."""
    from ingest.slides import inspect_deck

    expected = inspect_deck(decks / name)
    material = ingested(client, tokens, (decks / name).read_bytes(), title="Bộ mẫu")
    assert material["pages"] == expected.slide_count
    assert [s["text"] for s in material["slides"]] == [s.text for s in expected.slides]
    assert [s["notes"] for s in material["slides"]] == [s.notes for s in expected.slides]


def test_zip_bomb_deck_fails_with_a_clear_error_and_stores_nothing(app, client, tokens, decks):
    source = decks / "pptx_test_slides.pptx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("ppt/media/image99.png", bytes(30 * 1024 * 1024))
    created = upload(client, tokens["teacher"], buffer.getvalue(), title="Bom")
    assert created.status_code == 201
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "failed"
    material = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert material["ingest_status"] == "failed" and "slides" not in material
    page = client.get(f"/materials/{created.json['id']}", headers=bearer(tokens["teacher"]))
    assert "ppt/media/image99.png" in page.get_data(as_text=True)
    derived = app.extensions["settings"].data_dir / "blobs" / "derived"
    assert not derived.exists() or not any(p.is_file() for p in derived.rglob("*"))


def test_a_spreadsheet_named_pptx_is_not_accepted_as_a_lecture(client, tokens):
    """The server decides by content: an Excel workbook renamed .pptx is neither a deck nor any other
    format a lecture accepts (a Word document would be, since lectures take DOCX)."""
    refused = upload(client, tokens["teacher"], build_template(), filename="giao-an.pptx", title="Giáo án")
    assert refused.status_code == 415
    assert "không phải loại được chấp nhận" in refused.json["error"]["message"]


def test_the_upload_form_offers_decks(client, tokens):
    login(client, "teacher")
    csrf_from(client, "/materials/new")
    html = client.get("/materials/new").get_data(as_text=True)
    assert ".pptx" in html and "PowerPoint (PPTX)" in html


def test_deck_whose_content_types_come_late_is_still_a_deck(client, tokens, without_libreoffice):
    """The upload sniffer sees 8 KB and takes such a deck for a plain ZIP; ingest reads the whole archive."""
    source = zipfile.ZipFile(io.BytesIO(lesson_deck()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as reordered:
        names = sorted(source.namelist(), key=lambda n: (n == "[Content_Types].xml", n))
        reordered.writestr("docProps/thumbnail.jpeg", bytes(range(256)) * 64)  # 16 KB first
        for name in names:
            if name != "docProps/thumbnail.jpeg":
                reordered.writestr(name, source.read(name))
    material = ingested(client, tokens, buffer.getvalue())
    assert material["pages"] == 3 and material["title"] == "Bài 15. Định luật 2 Newton"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_a_corpus_deck_with_a_movie_renders_one_pdf_page_per_slide(client, tokens, decks):
    """A real deck with an embedded movie, rendered by the real LibreOffice through the ingest job."""
    from pypdf import PdfReader

    from ingest.slides import inspect_deck

    name = "pptx_shp-movie-props.pptx"
    material = ingested(client, tokens, (decks / name).read_bytes(), title="Phim")
    html = client.get(f"/materials/{material['id']}", headers=bearer(tokens["teacher"])).get_data(as_text=True)
    src = html.split('<iframe id="pdf-viewer"', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    pdf = client.get(src, headers=bearer(tokens["teacher"]))
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == inspect_deck(decks / name).slide_count
