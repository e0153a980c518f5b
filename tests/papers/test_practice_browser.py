"""A student practises a paper in a real headless Chromium against a real ``hoclieu run``: the bank comes
from an XLSX file imported through the API, is published by a reviewer, the teacher draws and publishes a
two-version paper, and the student answers parts I–III on the page and sees the grade."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from ingest.questions.xlsx_import import COLUMNS, SHEET_NAME
from tests.browser.portal import PASSWORD, running_portal
from tests.browser.test_five_steps import CHROMIUM, browser  # noqa: F401 (a shared fixture)
from tests.core.test_material_flow import SCORES

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]

ROWS = ([["I", f"Đạo hàm của hàm số y = x^{n} là", f"{n}x^{n - 1}", f"x^{n - 1}", f"{n}x", "0", "A", "",
          "Đạo hàm", "Biết", 12, "toan"] for n in range(2, 6)]
        + [["II", f"Cho hàm số y = x^2 - {n}x. Xét các mệnh đề", "Hàm số có đạo hàm y' = 2x", "y(0) = 1",
            "Đồ thị đi qua gốc toạ độ", "Hàm số đồng biến trên R", "ĐSĐS", "", "Đạo hàm", "Hiểu", 12, "toan"]
           for n in range(1, 3)]
        + [["III", f"Tính giá trị của {n} chia 4", "", "", "", "", f"{n / 4:g}".replace(".", ","), "", "Đạo hàm",
            "Vận dụng", 12, "toan"] for n in (2, 6)])
MATRIX = [{"topic": "Đạo hàm", "level": "biet", "part": "I", "count": 3},
          {"topic": "Đạo hàm", "level": "hieu", "part": "II", "count": 2},
          {"topic": "Đạo hàm", "level": "van-dung", "part": "III", "count": 2}]


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    sheet.append([header for header, _ in COLUMNS])
    for number, row in enumerate(ROWS, start=1):
        sheet.append([number, *row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    accounts = {"gv": "teacher", "td": "reviewer", "hs": "student"}
    with running_portal(tmp_path_factory.mktemp("portal"), accounts) as running:
        yield running


def published_paper(api, base: str, tokens: dict[str, str]) -> dict:
    teacher, reviewer = ({"Authorization": f"Bearer {tokens[r]}"} for r in ("gv", "td"))
    bank = api.post(f"{base}/api/v1/materials", headers=teacher, multipart={
        "title": "Ngân hàng Đạo hàm", "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": "12", "subject": "toan",
        "licence": "CC-BY-4.0"})
    assert bank.status == 201, bank.text()
    bank_id = bank.json()["id"]
    imported = api.post(f"{base}/api/v1/banks/{bank_id}/import", headers=teacher, multipart={
        "format": "xlsx", "mode": "all_or_nothing",
        "file": {"name": "dao-ham.xlsx", "mimeType": "application/octet-stream", "buffer": workbook()}})
    assert imported.ok and imported.json()["imported"] == len(ROWS), imported.text()
    assert api.post(f"{base}/api/v1/materials/{bank_id}/submit", headers=teacher).ok
    decided = api.post(f"{base}/api/v1/materials/{bank_id}/review", headers=reviewer,
                       data={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.ok, decided.text()
    paper = api.post(f"{base}/api/v1/papers", headers=teacher, data={
        "banks": [bank_id], "matrix": MATRIX, "seed": "lop-12", "versions": 2, "title": "Kiểm tra 15 phút: Đạo hàm",
        "header": {"school": "THPT Phan Đình Phùng", "subject": "Toán", "duration": "15"}})
    assert paper.status == 201 and paper.json()["shortfall"] == [], paper.text()
    assert api.post(f"{base}/api/v1/papers/{paper.json()['id']}/publish", headers=teacher).ok
    return paper.json()


def test_student_takes_a_published_paper_and_is_graded(portal, browser) -> None:  # noqa: F811
    base, tokens = portal
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})  # a phone
    paper = published_paper(context.request, base, tokens)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("hs@truong.edu.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Đề kiểm tra").click()
    page.get_by_role("link", name=paper["title"]).click()
    page.get_by_role("link", name="Làm bài luyện tập").click()
    assert page.get_by_role("heading", name="PHẦN II. Câu trắc nghiệm đúng sai.").is_visible()
    code = page.locator(".version-code").inner_text()
    key = next(v["key"] for v in paper["versions"] if v["code"] == code)
    for entry in key:
        name = f"{entry['part']}.{entry['number']}"
        if entry["part"] == "I":  # every part I answer right: 3 × 0,25
            page.locator(f'input[name="{name}"][value="{entry["answer"]}"]').check()
        elif entry["part"] == "II":  # a), b), c) right, d) wrong: 0,5 each
            for label, value in entry["answer"].items():
                right = value if label != "d" else not value
                page.locator(f'input[name="{name}.{label}"][value="{"dung" if right else "sai"}"]').check()
        else:  # decimal point where the key has a comma: 0,5 each
            page.locator(f'input[name="{name}"]').fill(entry["answer"].replace(",", "."))
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_selector("#score")
    assert page.locator("#score").inner_text() == "2,75"
    assert "2,75 / 3,75" in page.locator(".score").inner_text()  # 0,75 + 2 × 0,5 + 2 × 0,5 of 3,75
