"""The paper pages: the author's view with keys and downloads, and a student's practice graded on the spot."""

from __future__ import annotations

import io
import re

import docx
import pypdf
from sqlalchemy import select

from tests.conftest import bearer, csrf_from, login
from tests.papers.test_api import draw_paper

HEADER = {"school": "TRƯỜNG THPT LÊ QUÝ ĐÔN", "subject": "Toán", "exam": "Kiểm tra cuối kì", "duration": "90"}


def published_paper(client, tokens, bank_id) -> dict:
    paper = draw_paper(client, tokens["teacher"], [bank_id], header=HEADER).get_json()
    assert client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"])).status_code == 200
    return paper


def test_author_sees_the_key_table_and_downloads_each_version(app, client, tokens, bank_id):
    paper = draw_paper(client, tokens["teacher"], [bank_id], header=HEADER).get_json()
    login(client, "teacher")
    page = client.get(f"/papers/{paper['id']}").get_data(as_text=True)
    assert "Bảng đáp án" in page and all(f"<th>{code}</th>" in page for code in ("101", "102", "103", "104"))
    pdf = client.get(f"/papers/{paper['id']}/ma-de-103.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "TRƯỜNG THPT LÊ QUÝ ĐÔN" in text and "Mã đề: 103" in text and "PHẦN III" in text
    word = client.get(f"/papers/{paper['id']}/ma-de-101.docx")
    assert word.status_code == 200
    document = docx.Document(io.BytesIO(word.data))
    assert "Mã đề: 101" in document.tables[0].rows[0].cells[1].text
    assert client.get(f"/papers/{paper['id']}/ma-de-999.pdf").status_code == 404
    key = client.get(f"/papers/{paper['id']}/dap-an.docx")
    rows = docx.Document(io.BytesIO(key.data)).tables[0].rows
    assert [c.text for c in rows[0].cells] == ["Phần", "Câu", "Mã 101", "Mã 102", "Mã 103", "Mã 104"]
    assert client.get(f"/papers/{paper['id']}/dap-an.pdf").mimetype == "application/pdf"


def test_draft_papers_and_downloads_are_hidden_from_others(app, client, tokens, bank_id):
    paper = draw_paper(client, tokens["teacher"], [bank_id]).get_json()
    login(client, "student")
    assert client.get(f"/papers/{paper['id']}").status_code == 404
    assert client.get(f"/papers/{paper['id']}/practice").status_code == 404
    client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"]))
    page = client.get(f"/papers/{paper['id']}").get_data(as_text=True)
    assert "Làm bài luyện tập" in page and "Bảng đáp án" not in page
    assert client.get(f"/papers/{paper['id']}/ma-de-101.pdf").status_code == 404  # keys travel with the print
    assert client.get(f"/papers/{paper['id']}/dap-an.pdf").status_code == 404


def test_student_practises_a_published_paper_and_is_graded(app, client, tokens, bank_id):
    paper = published_paper(client, tokens, bank_id)
    version = next(v for v in paper["versions"] if v["code"] == "102")
    login(client, "student")
    page = client.get(f"/papers/{paper['id']}/practice?ma=102").get_data(as_text=True)
    assert "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn." in page and 'lang="vi"' in page
    assert 'name="II.1.a" value="dung"' in page and 'name="III.6"' in page
    assert "Lời giải" not in page  # the key's explanations stay out of the practice page
    form = {"csrf_token": csrf_from(client, f"/papers/{paper['id']}/practice?ma=102")}
    for entry in version["key"]:
        name = f"{entry['part']}.{entry['number']}"
        if entry["part"] == "I" and entry["number"] <= 8:        # 8 of 12 right: 2 points
            form[name] = entry["answer"]
        elif entry["part"] == "II" and entry["number"] == 1:     # 2 of 4 statements right: 0,25
            for label, value in entry["answer"].items():
                form[f"{name}.{label}"] = ("dung" if value else "sai") if label in "ab" else \
                    ("sai" if value else "dung")
        elif entry["part"] == "III":                             # decimal comma, all right: 3 points
            form[name] = entry["answer"]
    result = client.post(f"/papers/{paper['id']}/practice?ma=102", data=form)
    assert result.status_code == 200
    html = result.get_data(as_text=True)
    assert re.search(r'id="score">5,25</strong> / 10,00', html), html[:2000]
    assert "Lời giải" in html  # explanations are shown once the paper is handed in
    detail = client.get(f"/papers/{paper['id']}").get_data(as_text=True)
    assert "102: 5,25 / 10,00" in detail


def test_practice_form_needs_its_csrf_token(app, client, tokens, bank_id):
    paper = published_paper(client, tokens, bank_id)
    login(client, "student")
    assert client.post(f"/papers/{paper['id']}/practice", data={"I.1": "A"}).status_code == 400


def test_question_html_is_sanitised_on_the_practice_page(app, client, tokens, users):
    from tests.papers.conftest import make_bank
    from tests.papers.factory import single_choice

    hostile = [single_choice(n, "Hàm số", "biet") for n in range(2)]
    hostile[0].stem = 'Cho <b>hàm số</b><img src=x onerror="alert(1)"><script>alert(2)</script>'
    hostile[1].stem = "Tính \\(x^{2}\\) khi x = 3"
    bank = make_bank(app, users, hostile)
    paper = draw_paper(client, tokens["teacher"], [bank],
                       matrix=[{"topic": "Hàm số", "level": "biet", "part": "I", "count": 2}]).get_json()
    login(client, "teacher")
    page = client.get(f"/papers/{paper['id']}/practice").get_data(as_text=True)
    assert "<b>hàm số</b>" in page and "onerror" not in page and "alert(2)" not in page
    assert re.search(r"<math [^>]*>.*<msup><mi>x</mi>.*<mn>2</mn>.*</math>", page)  # MathML from the server


def new_paper_form(client, bank_id: int, **fields) -> dict:
    form = {"csrf_token": csrf_from(client, "/papers/new"), "banks": [str(bank_id)], "school": "THPT Nguyễn Huệ",
            "subject": "Toán", "exam": "Kiểm tra giữa kì", "duration": "45", "versions": "2", "seed": "lop-12a",
            "points-I": "0,25", "points-II": "1", "points-III": "0,5",
            "topic-0": "Hàm số", "level-0": "biet", "part-0": "I", "count-0": "10",
            "topic-1": "Hàm số", "level-1": "hieu", "part-1": "II", "count-1": "2"}
    form.update(fields)
    return form


def test_teacher_draws_a_paper_from_the_new_paper_page(app, client, tokens, bank_id):
    login(client, "teacher")
    page = client.get("/papers/new").get_data(as_text=True)
    assert "Ngân hàng Toán 12" in page and 'value="van-dung"' in page
    response = client.post("/papers/new", data=new_paper_form(client, bank_id))
    assert response.status_code == 302
    paper_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    body = client.get(f"/api/v1/papers/{paper_id}").get_json()
    assert body["header"]["school"] == "THPT Nguyễn Huệ" and [v["code"] for v in body["versions"]] == ["101", "102"]
    assert [len(v["questions"]) for v in body["versions"]] == [12, 12] and body["shortfall"] == []
    api = client.post("/api/v1/papers", headers=bearer(tokens["teacher"]), json={
        "banks": [bank_id], "seed": "lop-12a", "versions": 2,
        "matrix": [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 10},
                   {"topic": "Hàm số", "level": "hieu", "part": "II", "count": 2}]}).get_json()
    assert api["versions"] == body["versions"]  # the page and the API draw the same paper from the same seed


def test_new_paper_page_reports_errors_in_vietnamese_and_keeps_the_input(app, client, tokens, bank_id):
    login(client, "teacher")
    response = client.post("/papers/new", data=new_paper_form(client, bank_id, **{"count-1": "0"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ô thứ 2 của ma trận: số câu phải là số nguyên" in page and 'value="THPT Nguyễn Huệ"' in page
    assert client.get("/api/v1/papers/1", headers=bearer(tokens["teacher"])).status_code == 404


def test_students_cannot_open_the_new_paper_page(app, client, tokens, bank_id):
    login(client, "student")
    assert client.get("/papers/new").status_code == 403


def test_question_images_show_on_the_practice_page_for_students(app, client, tokens, users):
    from PIL import Image as PILImage

    from ingest.questions.model import Image
    from tests.papers.conftest import make_bank
    from tests.papers.factory import single_choice

    png = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(png, format="PNG")
    with_figure = single_choice(1, "Hình học", "biet")
    with_figure.stem = '<p>Quan sát hình vẽ <img src="hinh%201.png" alt="Hình 1"></p>'
    with_figure.images = [Image("hinh 1.png", "image/png", png.getvalue())]
    bank = make_bank(app, users, [with_figure])
    paper = draw_paper(client, tokens["teacher"], [bank],
                       matrix=[{"topic": "Hình học", "level": "biet", "part": "I", "count": 1}]).get_json()
    client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"]))
    login(client, "student")
    page = client.get(f"/papers/{paper['id']}/practice").get_data(as_text=True)
    source = re.search(r'<img [^>]*src="(/banks/\d+/images/\d+)"', page)
    assert source, page
    image = client.get(source.group(1))
    assert image.status_code == 200 and image.data == png.getvalue()
    login(client, "teacher")
    printed = client.get(f"/papers/{paper['id']}/ma-de-101.pdf")
    assert sum(len(p.images) for p in pypdf.PdfReader(io.BytesIO(printed.data)).pages) == 1
    word = docx.Document(io.BytesIO(client.get(f"/papers/{paper['id']}/ma-de-101.docx").data))
    assert len(word.inline_shapes) == 1


def test_an_essay_part_is_answered_in_a_text_box_and_left_for_the_teacher(app, client, tokens, users):
    from repository.papers.models import PracticeAttempt
    from tests.papers.conftest import make_bank
    from tests.papers.factory import essay, single_choice

    bank = make_bank(app, users, [single_choice(1, "Hàm số", "biet"), essay(1), essay(2)])
    matrix = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 1},
              {"topic": "Hàm số", "level": "van-dung", "part": "TL", "count": 2}]
    paper = draw_paper(client, tokens["teacher"], [bank], matrix=matrix, versions=1,
                       points={"TL": 1.5}).get_json()
    client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"]))
    login(client, "student")
    page = client.get(f"/papers/{paper['id']}/practice").get_data(as_text=True)
    assert "PHẦN TỰ LUẬN." in page and '<textarea name="TL.2"' in page
    key = paper["versions"][0]["key"]
    form = {"csrf_token": csrf_from(client, f"/papers/{paper['id']}/practice"), "I.1": key[0]["answer"],
            "TL.1": "Tập xác định D = R, đạo hàm y' = 3x² − 3."}
    html = client.post(f"/papers/{paper['id']}/practice", data=form).get_data(as_text=True)
    assert 'id="score">0,25</strong> / 0,25' in html and "Phần tự luận (3 điểm) chờ giáo viên chấm." in html
    with app.extensions["db"].session() as session:
        attempt = session.scalars(select(PracticeAttempt)).one()
        assert attempt.answers["TL.1"].startswith("Tập xác định") and attempt.result["pending_points"] == 3.0


def test_a_matrix_saved_from_the_form_is_offered_and_reused_with_its_points(app, client, tokens, bank_id):
    login(client, "teacher")
    saved = client.post("/papers/new", data=new_paper_form(client, bank_id, matrix_name="Giữa kì I — 12A",
                                                           **{"points-I": "0,5"}))
    assert saved.status_code == 302
    matrices = client.get("/api/v1/matrices").get_json()["matrices"]
    assert [(m["name"], m["points"]["I"], len(m["matrix"])) for m in matrices] == [("Giữa kì I — 12A", 0.5, 2)]
    page = client.get("/papers/new").get_data(as_text=True)
    assert f'<option value="{matrices[0]["id"]}">Giữa kì I — 12A</option>' in page
    reused = client.post("/papers/new", data={
        "csrf_token": csrf_from(client, "/papers/new"), "banks": [str(bank_id)], "matrix_id": str(matrices[0]["id"]),
        "seed": "lop-12a", "versions": "2", "points-I": "0,25"})
    paper_id = int(reused.headers["Location"].rstrip("/").split("/")[-1])
    body = client.get(f"/api/v1/papers/{paper_id}").get_json()
    assert body["matrix"] == matrices[0]["matrix"] and body["points"]["I"] == 0.5  # the saved matrix's points
    assert client.get("/api/v1/matrices", headers=bearer(tokens["teacher2"])).get_json()["matrices"] == []


def test_a_bad_matrix_is_not_saved_either(app, client, tokens, bank_id):
    login(client, "teacher")
    response = client.post("/papers/new", data=new_paper_form(client, bank_id, matrix_name="Hỏng",
                                                              **{"part-1": "V"}))
    assert response.status_code == 400
    assert client.get("/api/v1/matrices").get_json()["matrices"] == []
