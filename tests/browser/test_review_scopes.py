"""The review workflow in a real headless Chromium (Debian's chromium, driven by Playwright) on a tablet-sized
screen, against a real ``hoclieu run`` whose configuration asks two approvals for the province scope:
submit → changes requested (with a comment on a page) → revision → two approvals → national scope → visible to a
student of another province."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from repository.config import DEFAULT_CONFIG
from repository.demo.pdfgen import render_pdf
from tests.browser.portal import PASSWORD, hoclieu, running_portal

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by the test command")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]

TITLE = "Định luật 2 Newton — thẩm định nhiều cấp"
REVISED = "Định luật 2 Newton — thẩm định nhiều cấp (bản sửa)"
#: Other accounts than the teacher: name -> (role, unit).
ACCOUNTS = {"td1": ("reviewer", "so-hn"), "td2": ("reviewer", "so-hn"), "tdbo": ("reviewer", "bo-gddt"),
            "hsdn": ("student", "so-dn")}
TABLET = {"width": 820, "height": 1180}


def _two_approval_config(tmp: Path) -> Path:
    """The shipped config.toml with the province scope needing two approvals."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    changed = re.sub(r"(\[review\.scopes\.province\]\n#[^\n]*\n)approvals = 1\n", r"\1approvals = 2\n", text)
    assert changed != text, "config.toml no longer has [review.scopes.province] approvals = 1"
    path = tmp / "config.toml"
    path.write_text(changed, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    data = tmp_path_factory.mktemp("portal")
    env = {"HOCLIEU_CONFIG": str(_two_approval_config(data)), "HOCLIEU_REVIEW_SINGLE_STEP_PUBLICATION": "false"}
    with running_portal(data / "data", {"gv": "teacher"}, env) as (base, tokens):
        portal_env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")},
                      "HOCLIEU_DATA_DIR": str(data / "data"), **env}
        for name, (role, unit) in ACCOUNTS.items():
            hoclieu(portal_env, "users", "create", "--email", f"{name}@truong.edu.vn", "--password", PASSWORD,
                    "--role", role, "--unit", unit)
        yield base, tokens


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def _login(browser, base: str, who: str):
    page = browser.new_context(locale="vi-VN", viewport=TABLET, has_touch=True).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(f"{who}@truong.edu.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    return page


def _wait_ingested(page, base: str, material_id: int, number: int) -> None:
    deadline = time.monotonic() + 90
    while True:
        data = page.request.get(f"{base}/api/v1/materials/{material_id}").json()
        versions = [v for v in data["versions"] if v["number"] == number]
        if versions and versions[0]["ingest_status"] == "succeeded":
            return
        assert time.monotonic() < deadline, data
        time.sleep(0.5)


def _decide(page, base: str, material_id: int, decision: str, summary: str) -> None:
    page.goto(f"{base}/review/materials/{material_id}")
    for score in page.locator("#rubric select[id^=score-]").all():
        score.select_option("4")
    page.get_by_label("Nhận xét tổng hợp").fill(summary)
    page.get_by_label("Quyết định").select_option(decision)
    page.get_by_role("button", name="Ghi quyết định").click()
    page.wait_for_url(f"{base}/review/queue")


def _submit(page, base: str, material_id: int, scope_label: str) -> None:
    page.goto(f"{base}/materials/{material_id}")
    page.get_by_label("Phạm vi xuất bản đề nghị").select_option(label=scope_label)
    page.get_by_role("button", name="Gửi thẩm định").click()
    assert page.locator("#material-status").get_attribute("data-status") == "in_review"


def test_submit_revise_two_approvals_national_scope(portal, browser, tmp_path: Path):
    base, _tokens = portal
    first, second = tmp_path / "v1.pdf", tmp_path / "v2.pdf"
    first.write_bytes(render_pdf(TITLE, ("Định luật 2 Newton: F = m.a.", "Gia tốc tỉ lệ nghịch với khối lượng.")))
    second.write_bytes(render_pdf(REVISED, ("Định luật 2 Newton: F = m.a.", "Bài tập vận dụng có lời giải.")))

    teacher = _login(browser, base, "gv")
    teacher.goto(f"{base}/materials/new")
    teacher.get_by_label("Tệp (PDF)").set_input_files(str(first))
    teacher.get_by_label("Tiêu đề").fill(TITLE)
    teacher.get_by_label("Loại học liệu").select_option("sach-giao-khoa")
    teacher.get_by_label("Cấp học").select_option("thpt")
    teacher.get_by_label("Lớp").select_option("10")
    teacher.get_by_label("Môn học").select_option("vat-li")
    teacher.get_by_label("Giấy phép").select_option("CC-BY-4.0")
    teacher.get_by_role("button", name="Tải lên").click()
    teacher.wait_for_url(re.compile(r"/materials/\d+$"))
    material_id = int(teacher.url.rsplit("/", 1)[1])
    teacher.locator("#ready-note").wait_for(timeout=60_000)
    _submit(teacher, base, material_id, "Tỉnh/thành phố")

    # The first reviewer asks for changes, with a comment anchored on page 2.
    td1 = _login(browser, base, "td1")
    td1.goto(f"{base}/review/queue?scope=province")
    td1.get_by_role("link", name=TITLE).click()
    td1.get_by_label("Vị trí").select_option("page")
    td1.get_by_label("Số trang / thời điểm / số câu").fill("2")
    td1.locator("#comment-body").fill("Trang 2 cần thêm bài tập vận dụng.")
    td1.get_by_role("button", name="Ghi nhận xét").click()
    assert "Trang 2" in td1.locator("#comments").inner_text()
    _decide(td1, base, material_id, "request_changes", "Cần bổ sung bài tập.")

    # The author is notified, revises title and file, and submits again.
    teacher.goto(f"{base}/my/materials")
    assert teacher.locator("#unread-count").inner_text() == "1"
    teacher.goto(f"{base}/materials/{material_id}/revise")
    teacher.get_by_label("Tệp của phiên bản mới").set_input_files(str(second))
    teacher.get_by_label("Tiêu đề").fill(REVISED)
    teacher.get_by_role("button", name="Lưu bản sửa").click()
    teacher.wait_for_url(f"{base}/materials/{material_id}")
    _wait_ingested(teacher, base, material_id, 2)
    _submit(teacher, base, material_id, "Tỉnh/thành phố")

    # Two approvals by Hà Nội reviewers; the first sees what changed since the version they reviewed.
    td1.goto(f"{base}/review/materials/{material_id}")
    changes = td1.locator("#changes").inner_text()
    assert REVISED in changes and "Mã băm nội dung" in changes
    _decide(td1, base, material_id, "approve", "Đã bổ sung đủ.")
    td1.goto(f"{base}/review/materials/{material_id}")
    assert td1.locator("#scope").get_attribute("data-approvals") == "1"
    assert td1.locator("#material-status").get_attribute("data-status") == "in_review"
    td2 = _login(browser, base, "td2")
    _decide(td2, base, material_id, "approve", "Đạt.")

    # Published for the province: a student of Đà Nẵng cannot reach it.
    student = _login(browser, base, "hsdn")
    assert student.goto(f"{base}/materials/{material_id}").status == 404

    # National scope: submitted again, approved by the ministry's reviewer.
    _submit(teacher, base, material_id, "Toàn quốc")
    tdbo = _login(browser, base, "tdbo")
    tdbo.goto(f"{base}/review/queue?scope=national")
    tdbo.get_by_role("link", name=REVISED).click()
    _decide(tdbo, base, material_id, "approve", "Đủ chất lượng dùng toàn quốc.")

    assert student.goto(f"{base}/materials/{material_id}").status == 200
    assert REVISED in student.locator("h1").inner_text()
    deadline = time.monotonic() + 30
    while REVISED not in (student.goto(f"{base}/search?q=tham+dinh+nhieu+cap") and
                          student.locator("main").inner_text()):
        assert time.monotonic() < deadline, "not found by search"
        time.sleep(0.5)
