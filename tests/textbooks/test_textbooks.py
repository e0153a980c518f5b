"""Textbooks: image-only scans marked "no text", page thumbnails cached and permission-checked, chapters on
page hits, and chapters linked to lessons shown on the lesson's page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.auth.services import create_token
from repository.demo.pdfgen import render_pdf, scanned_copy
from repository.materials.queries import chapters_from_outline
from repository.models import Material, MaterialFile, User
from repository.textbooks.services import Chapter, chapter_of_page
from repository.textbooks.thumbnails import page_block, page_thumbnail_key
from search.service import drain_outbox
from tests.conftest import bearer, csrf_from, login, make_test_app
from tests.core.test_material_flow import SCORES, upload
from tests.ingest.pdf_builders import VIETNAMESE_BOOKMARKS, vietnamese_pdf

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def book_pdf(tmp_path) -> bytes:
    """Four pages; bookmarks "Bài 1" on page 1, "Bài 2" on page 2, "Bài 3" on page 3 (to page 4)."""
    return vietnamese_pdf(tmp_path / "toan-10.pdf").read_bytes()


def publish(client, tokens, material_id: int) -> None:
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.status_code == 200, decided.json


def logged_in(app, who: str):
    client = app.test_client()
    login(client, who)
    return client


def test_a_page_is_rendered_with_its_block_of_neighbours():
    assert page_block(2, 4) == [1, 2, 3, 4]
    assert page_block(41, 300) == list(range(41, 61))
    assert page_block(300, 300) == list(range(281, 301))
    assert page_block(21, 25) == [21, 22, 23, 24, 25]


def test_chapter_of_a_page_is_the_last_one_starting_at_or_before_it():
    chapters = [Chapter(1, "Chương 1", 1, 40), Chapter(2, "Chương 2", 41, 47), Chapter(3, "Chương 3", 48, 60)]
    assert chapter_of_page(chapters, 41).title == "Chương 2"
    assert chapter_of_page(chapters, 47).number == 2
    assert chapter_of_page(chapters, 60).number == 3
    assert chapter_of_page(chapters, 61) is None and chapter_of_page([], 1) is None


@pytest.fixture
def app_without_ocr(tmp_path, database_url):
    app = make_test_app(tmp_path, database_url, ingest={"ocr": False})
    yield app
    app.extensions["search"].close()
    app.extensions["db"].dispose()


def test_image_only_pdf_without_ocr_is_accepted_and_marked_no_text(app_without_ocr, users):
    app = app_without_ocr
    client = app.test_client()
    with app.extensions["db"].session() as session:
        token = create_token(session, session.get(User, users["teacher"].id), "t")
        session.commit()
    scan = scanned_copy(render_pdf("Bài 15", ["Định luật 2 Newton về gia tốc và lực."]))
    created = upload(client, token, scan, filename="scan.pdf")
    assert created.status_code == 201, created.json
    described = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(token)).json
    assert described["ingest_status"] == "succeeded"
    assert described["has_text"] is False and described["ocr_pages"] == []
    login(client, "teacher")
    html = client.get(f"/materials/{created.json['id']}").get_data(as_text=True)
    assert 'id="no-text"' in html and "Không có chữ" in html
    text_pdf = upload(client, token, render_pdf("Bài 16", ["Trang có lớp chữ."]), filename="chu.pdf")
    assert client.get(f"/api/v1/materials/{text_pdf.json['id']}", headers=bearer(token)).json["has_text"] is True
    assert 'id="no-text"' not in client.get(f"/materials/{text_pdf.json['id']}").get_data(as_text=True)


def test_page_thumbnails_are_rendered_once_cached_and_permission_checked(app, client, users, tokens, book_pdf):
    created = upload(client, tokens["teacher"], book_pdf, filename="toan-10.pdf")
    material_id = created.json["id"]
    owner, student, other = logged_in(app, "teacher"), logged_in(app, "student"), logged_in(app, "teacher2")
    url = f"/materials/{material_id}/pages/2/thumbnail.png"
    first = owner.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png" and first.data.startswith(PNG)
    storage = app.extensions["storage"]
    with app.extensions["db"].session() as session:
        version_id = session.get(Material, material_id).current_version_id
        original = session.scalar(select(MaterialFile).where(MaterialFile.version_id == version_id,
                                                             MaterialFile.role == "original"))
        cover = session.scalar(select(MaterialFile).where(MaterialFile.version_id == version_id,
                                                          MaterialFile.role == "thumbnail"))
    # The whole block of pages around page 2 was rendered by that one request and stored.
    assert [storage.exists(page_thumbnail_key(version_id, n)) for n in (1, 2, 3, 4, 5)] == [True] * 4 + [False]
    # Served from the blob store from now on: it no longer needs the PDF.
    storage.delete(original.storage_key)
    again = owner.get(url)
    assert again.status_code == 200 and again.data == first.data
    neighbour = owner.get(f"/materials/{material_id}/pages/4/thumbnail.png")
    assert neighbour.status_code == 200 and neighbour.data.startswith(PNG) and neighbour.data != first.data
    for outsider in (student, other, client):
        assert outsider.get(url).status_code == 404
    assert owner.get(f"/materials/{material_id}/pages/5/thumbnail.png").status_code == 404
    assert owner.get(f"/materials/{material_id}/pages/0/thumbnail.png").status_code == 404
    html = owner.get(f"/materials/{material_id}?page=2").get_data(as_text=True)
    assert f'/materials/{material_id}/files/{cover.id}/view' in html  # the cover
    assert f'src="/materials/{material_id}/pages/2/thumbnail.png"' in html  # the page being viewed


def test_published_page_thumbnail_is_open_to_students_and_page_hits_name_book_chapter_page(
        app, client, tokens, book_pdf):
    created = upload(client, tokens["teacher"], book_pdf, filename="toan-10.pdf", title="Toán 10 — Kết nối")
    material_id = created.json["id"]
    publish(client, tokens, material_id)
    drain_outbox(app)
    student = logged_in(app, "student")
    thumb = student.get(f"/materials/{material_id}/pages/3/thumbnail.png")
    assert thumb.status_code == 200 and thumb.data.startswith(PNG)
    hits = client.get("/api/v1/search?q=parabol").json["hits"]
    assert [hit["id"] for hit in hits] == [material_id]
    page = next(p for p in hits[0]["pages"] if p["page"] == 3)
    assert page["book"] == "Toán 10 — Kết nối" and page["chapter"] == VIETNAMESE_BOOKMARKS[2]
    assert page["url"] == f"/materials/{material_id}?page=3&q=parabol#page=3"
    assert page["thumbnail"] == f"/materials/{material_id}/pages/3/thumbnail.png"
    html = client.get("/search?q=parabol").get_data(as_text=True)
    assert f'<span class="chapter">{VIETNAMESE_BOOKMARKS[2]}</span>, Trang 3' in html
    assert f'src="/materials/{material_id}/pages/3/thumbnail.png"' in html


def test_chapter_linked_to_a_lesson_shows_on_the_lesson_page(app, client, tokens, book_pdf):
    book = upload(client, tokens["teacher"], book_pdf, filename="toan-10.pdf", title="Toán 10 — Kết nối").json["id"]
    lesson = upload(client, tokens["teacher"], render_pdf("Bài 3", ["Hàm số bậc hai."]), filename="bai-3.pdf",
                    kind="bai-giang", title="Bài giảng: hàm số bậc hai").json["id"]
    linked = client.post(f"/api/v1/materials/{book}/chapter-links", headers=bearer(tokens["teacher"]),
                         json={"chapter": 3, "lesson_id": lesson})
    assert linked.status_code == 201, linked.json
    assert linked.json["chapter"] == 3 and (linked.json["first_page"], linked.json["last_page"]) == (3, 4)
    assert linked.json["chapter_title"] == VIETNAMESE_BOOKMARKS[2]
    owner = logged_in(app, "teacher")
    lesson_page = owner.get(f"/materials/{lesson}").get_data(as_text=True)
    assert "Trong sách giáo khoa" in lesson_page and "chương 3" in lesson_page and "trang 3–4" in lesson_page
    assert f"/materials/{book}?page=3#page=3" in lesson_page
    listed = client.get(f"/api/v1/materials/{lesson}/chapter-links", headers=bearer(tokens["teacher"])).json
    assert [link["textbook"]["id"] for link in listed["in_textbooks"]] == [book]

    # The lesson is published, the book is not: a student sees the lesson without the book's name.
    publish(client, tokens, lesson)
    student = logged_in(app, "student")
    seen = student.get(f"/materials/{lesson}").get_data(as_text=True)
    assert "Trong sách giáo khoa" not in seen and "Toán 10 — Kết nối" not in seen
    assert client.get(f"/api/v1/materials/{lesson}/chapter-links",
                      headers=bearer(tokens["student"])).json["in_textbooks"] == []
    publish(client, tokens, book)
    assert "Trong sách giáo khoa" in student.get(f"/materials/{lesson}").get_data(as_text=True)


def test_only_the_books_owner_or_an_admin_links_chapters_and_bad_links_change_nothing(
        app, client, tokens, book_pdf):
    book = upload(client, tokens["teacher"], book_pdf, filename="toan-10.pdf").json["id"]
    lesson = upload(client, tokens["teacher2"], render_pdf("Bài 1", ["Mệnh đề."]), filename="b1.pdf",
                    kind="bai-giang").json["id"]
    url = f"/api/v1/materials/{book}/chapter-links"
    assert client.post(url, headers=bearer(tokens["teacher2"]), json={"chapter": 1, "lesson_id": lesson}
                       ).status_code == 404  # teacher2 cannot even see the unpublished book
    refused = client.post(url, headers=bearer(tokens["teacher"]), json={"chapter": 1, "lesson_id": lesson})
    assert refused.status_code == 404 and "Không tìm thấy học liệu" in refused.json["error"]["message"]
    bad = client.post(url, headers=bearer(tokens["teacher"]), json={"chapter": 9, "lesson_id": book})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "chapter"
    assert client.post(url, headers=bearer(tokens["teacher"]), json={"chapter": "x", "lesson_id": 1}
                       ).status_code == 400
    assert client.post(url, headers=bearer(tokens["teacher"]), json={"chapter": 1, "lesson_id": book}
                       ).status_code == 400  # a book is not its own lesson
    assert client.post(f"/api/v1/materials/{lesson}/chapter-links", headers=bearer(tokens["teacher2"]),
                       json={"chapter": 1, "lesson_id": book}).status_code == 403  # a lecture is not a book
    publish(client, tokens, book)
    assert client.post(url, headers=bearer(tokens["teacher2"]), json={"chapter": 1, "lesson_id": lesson}
                       ).status_code == 403
    admin = client.post(url, headers=bearer(tokens["admin"]), json={"chapter": 1, "lesson_id": lesson})
    assert admin.status_code == 201
    assert client.post(url, headers=bearer(tokens["admin"]), json={"chapter": 1, "lesson_id": lesson}
                       ).status_code == 409
    assert len(client.get(url, headers=bearer(tokens["admin"])).json["links"]) == 1
    assert client.delete(f"{url}/{admin.json['id']}", headers=bearer(tokens["teacher2"])).status_code == 403
    assert client.delete(f"{url}/{admin.json['id']}", headers=bearer(tokens["admin"])).status_code == 204
    assert client.get(url, headers=bearer(tokens["admin"])).json["links"] == []


def test_chapter_link_form_needs_csrf_and_works_with_it(app, client, tokens, book_pdf):
    book = upload(client, tokens["teacher"], book_pdf, filename="toan-10.pdf").json["id"]
    lesson = upload(client, tokens["teacher"], render_pdf("Bài 2", ["Bảng chữ cái."]), filename="b2.pdf",
                    kind="bai-giang").json["id"]
    owner = logged_in(app, "teacher")
    page = owner.get(f"/materials/{book}").get_data(as_text=True)
    assert 'id="link-chapter"' in page and "Mục lục" in page
    assert owner.post(f"/materials/{book}/chapter-links", data={"chapter": "2", "lesson_id": str(lesson)}
                      ).status_code == 400  # no CSRF token
    token = csrf_from(owner, f"/materials/{book}")
    done = owner.post(f"/materials/{book}/chapter-links",
                      data={"chapter": "2", "lesson_id": str(lesson), "csrf_token": token})
    assert done.status_code == 302
    lesson_page = owner.get(f"/materials/{lesson}").get_data(as_text=True)
    assert "chương 2" in lesson_page and "trang 2</p>" in lesson_page.replace("\n", "")
    other = logged_in(app, "teacher2")
    assert other.post(f"/materials/{book}/chapter-links", data={"chapter": "2", "lesson_id": str(lesson),
                                                                 "csrf_token": csrf_from(other, "/")}
                      ).status_code == 404


def test_chapters_starting_on_the_same_page_keep_the_outline_order():
    outline = [["Chương I. Động học", 1], ["Bài 7. Đồ thị vận tốc", 1], ["Chương II. Động lực học", 2]]
    assert [c["title"] for c in chapters_from_outline(outline, 3)] == [title for title, _page in outline]
