"""The bank page: a dry run with its report first, then the confirmed import; maths shown as MathML; keys
only for staff; the XLSX template download; CSRF on the forms."""

from __future__ import annotations

import io
import re

import openpyxl

from tests.banks.helpers import GIFT_GOOD, GIFT_TWO_GOOD_ONE_BAD, create_bank, import_file, publish
from tests.conftest import bearer, csrf_from, login


def _upload(client, bank_id: int, data: bytes, token: str, filename: str = "cau-hoi.gift.txt"):
    return client.post(f"/banks/{bank_id}/import", data={"csrf_token": token, "format": "auto",
                                                         "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _questions(client, bank_id: int, token: str) -> int:
    return client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(token)).json["count"]


def test_dry_run_then_confirm_valid_only(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    login(client, "teacher")
    token = csrf_from(client, f"/banks/{bank_id}")
    checked = _upload(client, bank_id, GIFT_TWO_GOOD_ONE_BAD, token)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Tìm thấy 3 câu; hợp lệ 2; bị từ chối 1." in page
    assert "cau-hoi.gift.txt, dòng 7" in page and "chưa được đóng" in page
    assert 'value="valid_only"' in page and 'value="all_or_nothing"' not in page
    assert _questions(client, bank_id, tokens["teacher"]) == 0  # the dry run stored nothing
    done = client.post(f"/banks/{bank_id}/import/confirm", data={"csrf_token": token, "mode": "valid_only"},
                       follow_redirects=True)
    assert "Đã nhập 2/3 câu hỏi." in done.get_data(as_text=True)
    assert _questions(client, bank_id, tokens["teacher"]) == 2
    again = client.post(f"/banks/{bank_id}/import/confirm", data={"csrf_token": token, "mode": "valid_only"},
                        follow_redirects=True)
    assert "Không còn tệp chờ nhập" in again.get_data(as_text=True)  # a confirmation is used once
    assert _questions(client, bank_id, tokens["teacher"]) == 2


def test_confirm_all_or_nothing_of_a_file_with_rejections_imports_nothing(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    login(client, "teacher")
    token = csrf_from(client, f"/banks/{bank_id}")
    _upload(client, bank_id, GIFT_TWO_GOOD_ONE_BAD, token)
    refused = client.post(f"/banks/{bank_id}/import/confirm", data={"csrf_token": token, "mode": "all_or_nothing"},
                          follow_redirects=True)
    assert "Không nhập câu nào: tệp có 1 câu bị từ chối." in refused.get_data(as_text=True)
    assert _questions(client, bank_id, tokens["teacher"]) == 0


def test_forms_need_the_csrf_token_and_an_unusable_file_says_why(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    login(client, "teacher")
    assert _upload(client, bank_id, GIFT_GOOD, "forged").status_code == 400
    token = csrf_from(client, f"/banks/{bank_id}")
    bad = _upload(client, bank_id, b"\x00\x01\x02", token, filename="x.bin")
    assert bad.status_code == 400 and "Không nhận ra định dạng" in bad.get_data(as_text=True)


def test_maths_is_mathml_and_keys_are_for_staff_only(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    publish(client, tokens, bank_id)
    public = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in public
    assert "\\(x^2\\)" not in public
    assert 'class="key"' not in public and "Lời giải" not in public and "Nhập câu hỏi từ tệp" not in public
    assert client.get(f"/api/v1/banks/{bank_id}/export").status_code == 403
    student = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["student"])).json
    first = student["questions"][0]
    assert first["options"][0] == {"text": "2x"} and "answers" not in first and "explanation" not in first
    login(client, "teacher")
    own = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert 'class="key"' in own and "Nhập câu hỏi từ tệp" in own
    assert client.get(f"/materials/{bank_id}").get_data(as_text=True).count(f'href="/banks/{bank_id}"') == 1


def test_other_teachers_cannot_post_imports_into_a_bank(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    login(client, "teacher2")
    token = csrf_from(client, "/materials/new")
    assert _upload(client, bank_id, GIFT_GOOD, token).status_code == 404
    assert client.get(f"/banks/{bank_id}").status_code == 404


def test_xlsx_template_download_is_the_importers_template(client):
    response = client.get("/banks/template.xlsx")
    assert response.status_code == 200 and "mau-ngan-hang-cau-hoi.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "Câu hỏi" in book.sheetnames
    headers = [c.value for c in next(book["Câu hỏi"].iter_rows(max_row=1))]
    assert any(re.match("Loại", str(h)) for h in headers)


def test_the_upload_form_creates_a_bank_without_a_file(client, tokens):
    login(client, "teacher")
    token = csrf_from(client, "/materials/new")
    created = client.post("/materials/new", data={"csrf_token": token, "title": "Ngân hàng Lí 11",
                                                  "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": "11",
                                                  "subject": "vat-li", "licence": "CC-BY-4.0"},
                          follow_redirects=True)
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "Đã tạo ngân hàng câu hỏi. Hãy nhập câu hỏi từ tệp." in page
    assert 'id="bank-link"' in page


def test_a_reviewer_decides_on_a_pending_edit_from_the_bank_page(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    publish(client, tokens, bank_id)
    question = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["teacher"])).json["questions"][0]
    client.put(f"/api/v1/banks/{bank_id}/questions/{question['id']}", headers=bearer(tokens["teacher"]),
               json={"stem": "Câu đã sửa"})
    login(client, "reviewer")
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert "Chờ thẩm định" in page and page.count('name="decision" value="approve"') == 1
    token = csrf_from(client, f"/banks/{bank_id}")
    url = f"/banks/{bank_id}/questions/{question['id']}/review"
    assert client.post(url, data={"decision": "approve"}).status_code == 400  # no CSRF token
    done = client.post(url, data={"csrf_token": token, "decision": "approve"}, follow_redirects=True)
    assert "Đã duyệt phiên bản mới của câu hỏi." in done.get_data(as_text=True)
    public = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["student"])).json
    assert public["questions"][0]["stem"] == "Câu đã sửa" and public["questions"][0]["version"] == 2
