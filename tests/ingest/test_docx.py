"""DOCX documents: text, headings as chapters, page-like sections, LibreOffice PDF (when installed), the
upload and ingest flow, and hostile packages refused with clear Vietnamese errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.detect import detect_type
from ingest.docx_doc import convert_to_pdf, find_soffice, inspect_docx, locate_headings, write_render_copy
from ingest.errors import IngestError
from ingest.pdf import inspect_pdf
from repository.auth.services import create_token
from repository.materials.queries import chapters_from_outline
from repository.models import Material, MaterialFile, User
from search.service import drain_outbox
from tests.conftest import bearer, corpus_dir, login, make_test_app
from tests.core.test_material_flow import SCORES, upload
from tests.ingest.docx_builders import (
    LESSON_PLAN,
    PACKAGE_RELS,
    PAGE_BREAK_TEXT,
    deeply_nested_docx,
    document_xml,
    entity_docx,
    external_entity_docx,
    lesson_plan_docx,
    missing_main_part_docx,
    package,
    zip_bomb_docx,
)


@pytest.fixture(scope="module")
def soffice(tmp_path_factory) -> str:
    """The LibreOffice command, when it is installed with Writer (Impress alone cannot load a DOCX)."""
    command = find_soffice()
    if command is None:
        pytest.skip("LibreOffice (soffice) is not installed: no DOCX to PDF conversion")
    folder = tmp_path_factory.mktemp("soffice")
    try:
        convert_to_pdf(lesson_plan_docx(folder / "probe.docx"), folder / "probe.pdf", soffice=command)
    except IngestError as exc:
        pytest.skip(f"LibreOffice cannot convert a DOCX here (is libreoffice-writer installed?): {exc.message_en}")
    return command


@pytest.fixture
def lesson_plan(tmp_path) -> Path:
    return lesson_plan_docx(tmp_path / "ke-hoach-bai-day.docx")


def test_headings_become_chapters_and_sections_hold_the_text(lesson_plan):
    info = inspect_docx(lesson_plan)
    headings = [heading for _level, heading, _paragraphs in LESSON_PLAN]
    assert [title for title, _page in info.outline] == headings
    # Each chapter heading opens its own section, the page break opens another, the table stays with it.
    assert info.page_count == 4 == len(info.pages)
    assert [page for _title, page in info.outline] == [1, 2, 3]
    assert info.pages[0].startswith("Chương I. Động học\nChuyển động thẳng biến đổi đều")
    assert "Định luật 2 Newton" in info.pages[2] and "Khối lượng" in info.pages[2]
    assert info.pages[3] == f"{PAGE_BREAK_TEXT}\nĐại lượng | Đơn vị\nGia tốc | m/s²"
    assert info.metadata["title"] == "Kế hoạch bài dạy Vật lí 10"
    chapters = chapters_from_outline([list(entry) for entry in info.outline], info.page_count)
    assert chapters[-1] == {"title": "Chương II. Động lực học", "first_page": 3, "last_page": 4}


def test_long_documents_are_cut_into_sections_at_paragraph_boundaries(tmp_path):
    paragraph = b"<w:p><w:r><w:t>" + ("Luyện tập về phương trình bậc hai. " * 20).encode() + b"</w:t></w:r></w:p>"
    path = package(tmp_path / "dai.docx", {"_rels/.rels": PACKAGE_RELS,
                                           "word/document.xml": document_xml(paragraph * 30)})
    info = inspect_docx(path)
    assert info.page_count > 5
    assert all(len(page) <= 3000 for page in info.pages)
    assert sum(page.count("Luyện tập") for page in info.pages) == 600


def test_a_real_docx_from_the_corpus_is_read():
    folder = corpus_dir("docx")
    files = sorted(folder.glob("*.docx"))
    if not files:
        pytest.skip(f"no .docx file in {folder}")
    for path in files:
        info = inspect_docx(path)
        assert info.page_count >= 1 and any(page.strip() for page in info.pages), path.name
    embedded = folder / "pptx_shp-embedded-docx.docx"
    if embedded.is_file():
        assert inspect_docx(embedded).pages == ["Foo de bar"]


@pytest.mark.parametrize(("builder", "code", "words"), [
    (zip_bomb_docx, "zip_bomb", "bom nén"),
    (missing_main_part_docx, "missing_entry", "thiếu phần nội dung chính"),
    (entity_docx, "xml_forbidden", "thực thể XML"),
    (external_entity_docx, "xml_forbidden", "thực thể XML"),
])
def test_hostile_packages_are_refused_clearly(tmp_path, builder, code, words):
    path = builder(tmp_path / "doc.docx")
    assert detect_type(path).family == "ooxml-docx"  # they pass the upload sniffer: the parser must refuse
    with pytest.raises(IngestError) as caught:
        inspect_docx(path)
    assert caught.value.code == code
    assert caught.value.message_vi.startswith("Tệp Word (DOCX) bị từ chối") and words in caught.value.message_vi


def test_deeply_nested_xml_is_refused_not_crashed(tmp_path):
    with pytest.raises(IngestError) as caught:
        inspect_docx(deeply_nested_docx(tmp_path / "sau.docx"))
    assert caught.value.code == "docx_unreadable" and "tệp DOCX bị hỏng" in caught.value.message_vi


def test_not_a_zip_and_truncated_docx_are_refused(tmp_path, lesson_plan):
    text = tmp_path / "gia-mao.docx"
    text.write_text("Đây là văn bản thường, không phải tệp Word.", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        inspect_docx(text)
    assert caught.value.code == "not_docx" and "không phải tài liệu Word" in caught.value.message_vi
    truncated = tmp_path / "cut.docx"
    truncated.write_bytes(lesson_plan.read_bytes()[:4000])
    with pytest.raises(IngestError) as caught:
        inspect_docx(truncated)
    assert caught.value.code == "not_zip" and "không phải gói ZIP hợp lệ" in caught.value.message_vi


def test_render_copy_points_external_links_and_include_fields_nowhere(tmp_path):
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/image" Target="file:///etc/passwd" TargetMode="External"/>'
            b'<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'hyperlink" Target="https://moet.gov.vn/" TargetMode="External"/></Relationships>')
    body = (b'<w:p><w:r><w:instrText xml:space="preserve"> INCLUDETEXT "/etc/passwd" </w:instrText></w:r></w:p>'
            b'<w:p><w:fldSimple w:instr=" INCLUDEPICTURE http://169.254.169.254/ "/></w:p>'
            b'<w:p><w:r><w:t>B\xc3\xa0i h\xe1\xbb\x8dc</w:t></w:r></w:p>')
    source = package(tmp_path / "links.docx", {"_rels/.rels": PACKAGE_RELS, "word/document.xml": document_xml(body),
                                               "word/_rels/document.xml.rels": rels})
    copy = write_render_copy(source, tmp_path / "copy.docx")
    with zipfile.ZipFile(copy) as archive:
        copied_rels = archive.read("word/_rels/document.xml.rels")
        document = archive.read("word/document.xml")
    assert b"/etc/passwd" not in copied_rels and b"about:blank" in copied_rels
    assert b"https://moet.gov.vn/" in copied_rels  # hyperlinks are only followed by a reader's click
    assert b"INCLUDETEXT" not in document and b"INCLUDEPICTURE" not in document
    assert "Bài học".encode() in document


def test_headings_are_found_on_the_pages_of_the_converted_pdf():
    pdf_pages = ["Mục lục", "CHƯƠNG I. ĐỘNG HỌC\nChuyển động", "tiếp", "Chương  II.  Động lực học\nLực"]
    located = locate_headings([("Chương I. Động học", 1), ("Không có trong PDF", 2),
                               ("Chương II. Động lực học", 3)], pdf_pages)
    assert located == [("Chương I. Động học", 2), ("Chương II. Động lực học", 4)]


def test_libreoffice_converts_the_docx_and_its_pages_are_what_ingest_records(app, client, tokens, lesson_plan,
                                                                             soffice):
    created = upload(client, tokens["teacher"], lesson_plan.read_bytes(), filename="ke-hoach.docx",
                     kind="tai-lieu-tham-khao")
    assert created.status_code == 201, created.json
    described = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert described["ingest_status"] == "succeeded" and described["source_format"] == "docx"
    assert described["preview"] is not None and described["cover"] is not None
    preview = client.get(described["preview"], headers=bearer(tokens["teacher"]))
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF-")
    assert [c["title"] for c in described["chapters"]] == [h for _level, h, _paragraphs in LESSON_PLAN]
    pdf_pages = inspect_pdf(_blob(app, preview_key(app, created.json["id"]))).pages
    assert described["pages"] == len(pdf_pages)
    last = described["chapters"][-1]["first_page"]
    page = client.get(f"/api/v1/materials/{created.json['id']}/pages/{last}", headers=bearer(tokens["teacher"])).json
    assert "Định luật 2 Newton" in page["text"] and page["text"] == pdf_pages[last - 1]


def preview_key(app, material_id: int) -> str:
    with app.extensions["db"].session() as session:
        version_id = session.get(Material, material_id).current_version_id
        return session.scalar(select(MaterialFile.storage_key).where(MaterialFile.version_id == version_id,
                                                                     MaterialFile.role == "preview"))


def _blob(app, key: str) -> Path:
    return app.extensions["storage"].local_path(key)


@pytest.fixture
def app_without_libreoffice(tmp_path, database_url):
    app = make_test_app(tmp_path, database_url, ingest={"soffice": ""})
    yield app
    app.extensions["search"].close()
    app.extensions["db"].dispose()


def test_docx_upload_without_libreoffice_is_ingested_as_text(app_without_libreoffice, users, lesson_plan):
    app = app_without_libreoffice
    client = app.test_client()
    with app.extensions["db"].session() as session:
        token = create_token(session, session.get(User, users["teacher"].id), "t")
        session.commit()
    created = upload(client, token, lesson_plan.read_bytes(), filename="ke-hoach.docx", kind="tai-lieu-tham-khao")
    assert created.status_code == 201, created.json
    material_id = created.json["id"]
    described = client.get(f"/api/v1/materials/{material_id}", headers=bearer(token)).json
    assert described["ingest_status"] == "succeeded" and described["source_format"] == "docx"
    assert described["pages"] == 4 and described["preview"] is None
    assert described["chapters"][1] == {"title": "Bài 7. Đồ thị vận tốc", "first_page": 2, "last_page": 2}
    page = client.get(f"/api/v1/materials/{material_id}/pages/3", headers=bearer(token)).json
    assert page["source"] == "text-layer" and "Định luật 2 Newton" in page["text"]
    login(client, "teacher")
    html = client.get(f"/materials/{material_id}?page=3").get_data(as_text=True)
    assert 'id="doc-text"' in html and 'id="page=3"' in html and "Định luật 2 Newton" in html
    assert "pdf-viewer" not in html and "thumbnail.png" not in html  # no PDF: no page images
    assert client.get(f"/materials/{material_id}/pages/3/thumbnail.png").status_code == 404

    with app.extensions["db"].session() as session:
        reviewer = create_token(session, session.get(User, users["reviewer"].id), "t")
        session.commit()
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(token))
    client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(reviewer),
                json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    drain_outbox(app)
    hits = client.get("/api/v1/search?q=quán tính").json["hits"]
    assert [hit["id"] for hit in hits] == [material_id]
    assert [(p["page"], p["chapter"], p["thumbnail"]) for p in hits[0]["pages"]] == [
        (3, "Chương II. Động lực học", None)]


def test_hostile_docx_upload_fails_the_job_with_the_vietnamese_reason(app, client, tokens, tmp_path):
    created = upload(client, tokens["teacher"], zip_bomb_docx(tmp_path / "bom.docx").read_bytes(),
                     filename="bom.docx", kind="tai-lieu-tham-khao")
    assert created.status_code == 201, created.json
    described = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert described["ingest_status"] == "failed"
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert "bom nén" in job["error"]


def test_text_renamed_docx_is_refused_at_upload(client, tokens):
    response = upload(client, tokens["teacher"], "Không phải tệp Word".encode(), filename="bai.docx")
    assert response.status_code == 415
    assert "Loại tệp được xác định theo nội dung" in response.json["error"]["message"]


def test_pdf_pages_of_a_docx_conversion_round_trip(tmp_path, soffice):
    """The converted PDF is read by the same capped reader as any PDF (so hit pages match viewer pages)."""
    pdf = convert_to_pdf(lesson_plan_docx(tmp_path / "k.docx"), tmp_path / "k.pdf", soffice=soffice)
    assert "Định luật 2 Newton" in "\n".join(inspect_pdf(pdf).pages)
