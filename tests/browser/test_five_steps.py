"""The foundation's five steps in a real headless Chromium (Debian's chromium, driven by Playwright),
against a real ``hoclieu run`` (web server and worker) on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.documents import newton_pdf
from tests.core.test_cli import _get_json, free_port

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by the test command")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PY = [sys.executable, "-m", "repository.cli"]
PASSWORD = "mat-khau-trinh-duyet"
ACCOUNTS = {"gv": "teacher", "td": "reviewer", "hs": "student", "qt": "admin"}

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    data = tmp_path_factory.mktemp("portal")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")},
           "HOCLIEU_DATA_DIR": str(data)}
    subprocess.run([*PY, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*PY, "demo", "load", "--lessons", "30"], env=env, check=True, capture_output=True)
    for name, role in ACCOUNTS.items():
        subprocess.run([*PY, "users", "create", "--email", f"{name}@truong.edu.vn", "--password", PASSWORD,
                        "--role", role, "--unit", "so-hn"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*PY, "run", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _get_json(f"{base}/healthz", timeout=60)
    yield base
    server.terminate()
    server.wait(30)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def _login(browser, base: str, who: str):
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(f"{who}@truong.edu.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    return page


def test_upload_review_search_view_download_administer(portal, browser, tmp_path: Path):
    pdf = tmp_path / "dinh-luat-2-newton.pdf"
    pdf.write_bytes(newton_pdf())

    # 2. The teacher uploads with metadata, sees the upload and ingest progress, then submits.
    teacher = _login(browser, portal, "gv")
    teacher.goto(f"{portal}/materials/new")
    teacher.get_by_label("Tệp (PDF)").set_input_files(str(pdf))
    teacher.get_by_label("Tiêu đề").fill("Định luật 2 Newton — bài giảng thử nghiệm")
    teacher.get_by_label("Loại học liệu").select_option("sach-giao-khoa")
    teacher.get_by_label("Cấp học").select_option("thpt")
    teacher.get_by_label("Lớp").select_option("10")
    teacher.get_by_label("Môn học").select_option("vat-li")
    teacher.get_by_label("Bộ sách").select_option("kntt")
    teacher.get_by_label("Chương").fill("Chương III. Động lực học")
    teacher.get_by_label("Bài", exact=True).fill("Bài 15. Định luật 2 Newton")
    teacher.get_by_label("Giấy phép").select_option("CC-BY-4.0")
    teacher.get_by_role("button", name="Tải lên").click()
    teacher.wait_for_url(re.compile(r"/materials/\d+$"))
    assert teacher.locator("#upload-bar").count() == 0  # we left the form once the upload finished
    material_url = teacher.url
    teacher.locator("#ready-note").wait_for(timeout=60_000)  # the job page reloads itself when done
    teacher.get_by_role("button", name="Gửi thẩm định").click()
    assert teacher.locator("#material-status").get_attribute("data-status") == "in_review"

    # 4 (before approval). A student can neither open it nor find it.
    student = _login(browser, portal, "hs")
    assert student.goto(material_url).status == 404
    student.goto(f"{portal}/search?q=dinh+luat+2+newton+bai+giang+thu+nghiem")
    assert "thử nghiệm" not in student.locator(".hit-list").inner_text()

    # 3. The reviewer finds it in the queue, scores the rubric beside the viewer and approves it.
    reviewer = _login(browser, portal, "td")
    reviewer.goto(f"{portal}/review/queue")
    reviewer.get_by_role("link", name="Định luật 2 Newton — bài giảng thử nghiệm").click()
    assert reviewer.locator("#pdf-viewer").count() == 1  # the document beside the rubric
    for score in reviewer.locator("#rubric select[id^=score-]").all():
        score.select_option("5")
    reviewer.get_by_label("Nhận xét tổng hợp").fill("Nội dung chính xác.")
    reviewer.get_by_label("Quyết định").select_option("approve")
    reviewer.get_by_role("button", name="Ghi quyết định").click()
    reviewer.wait_for_url(f"{portal}/review/queue")

    # 4. The student searches without diacritics, opens it, sees the viewer, downloads it.
    student.goto(f"{portal}/")
    student.get_by_label("Tìm học liệu").first.fill("dinh luat 2 newton thu nghiem")
    student.get_by_label("Tìm học liệu").first.press("Enter")
    hit = student.get_by_role("link", name="Định luật 2 Newton — bài giảng thử nghiệm")
    # The worker indexes the approval within a second or two; a person would reload the results.
    for _ in range(30):
        if hit.count():
            break
        student.wait_for_timeout(1000)
        student.reload()
    hit.click()
    viewer = student.locator("#pdf-viewer")
    assert viewer.count() == 1
    file_url = viewer.get_attribute("data-file") or viewer.get_attribute("src")  # pdf.js viewer, else the iframe
    view_response = student.request.get(portal + file_url)
    assert view_response.status == 200 and view_response.headers["content-type"] == "application/pdf"
    with student.expect_download() as download_info:
        student.locator("#download").click()
    assert Path(download_info.value.path()).read_bytes() == pdf.read_bytes()
    student.screenshot(path=str(tmp_path / "student-phone.png"), full_page=True)

    # 5. The administrator creates a user with a role and a unit, and sees every material and job.
    admin = _login(browser, portal, "qt")
    admin.goto(f"{portal}/admin/users")
    form = admin.locator("#create-user")
    form.get_by_label("E-mail").fill("moi@truong.edu.vn")
    form.get_by_label("Mật khẩu (ít nhất 10 ký tự)").fill("mat-khau-moi-123")
    form.get_by_label("Vai trò").select_option("reviewer")
    form.get_by_label("Đơn vị").select_option("so-hcm")
    form.get_by_role("button", name="Tạo").click()
    assert "moi@truong.edu.vn" in admin.locator("table.list").inner_text()
    admin.goto(f"{portal}/admin/materials")
    assert "Định luật 2 Newton — bài giảng thử nghiệm" in admin.content()
    admin.goto(f"{portal}/admin/jobs?status=succeeded")
    assert "ingest" in admin.locator("table.list").inner_text()
