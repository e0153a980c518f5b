"""A SCORM package plays in a real headless Chromium (Debian's chromium, driven by Playwright) from a real
``hoclieu run``: its page finds the runtime API, reads and reports progress; the portal stores it for the
signed-in student, and the next launch resumes from the stored data."""

from __future__ import annotations

import shutil
import time

import pytest

from review.config import DEFAULT_CRITERIA
from tests.browser.portal import PASSWORD, running_portal
from tests.conftest import corpus_dir
from tests.scorm.packages import package_12

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by the test command")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
METADATA = {"title": "", "kind": "bai-giang", "level": "thcs", "grade": "6", "subject": "toan",
            "licence": "CC-BY-4.0"}
ACCOUNTS = {"gv": "teacher", "td": "reviewer", "hs": "student"}

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with running_portal(tmp_path_factory.mktemp("portal"), ACCOUNTS) as running:
        yield running


def _api(p, base: str, token: str):
    return p.request.new_context(base_url=base, extra_http_headers={"Authorization": f"Bearer {token}"})


def _publish_package(p, base: str, tokens: dict[str, str], package: bytes | None = None,
                     name: str = "phan-so.zip") -> int:
    teacher, reviewer = _api(p, base, tokens["gv"]), _api(p, base, tokens["td"])
    created = teacher.post("/api/v1/materials", multipart={
        **METADATA, "file": {"name": name, "mimeType": "application/zip", "buffer": package or package_12()}})
    assert created.status == 201, created.text()
    material_id, job_id = created.json()["id"], created.json()["job_id"]
    deadline = time.monotonic() + 60
    while (job := teacher.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
    assert job["status"] == "succeeded", job
    assert teacher.post(f"/api/v1/materials/{material_id}/submit").ok
    decided = reviewer.post(f"/api/v1/materials/{material_id}/review",
                            data={"decision": "approve", "comment": "Đạt.",
                                  "scores": dict.fromkeys(DEFAULT_CRITERIA, 4)})
    assert decided.json()["status"] == "published", decided.text()
    return material_id


def test_student_progress_is_stored_and_resumed(portal):
    base, tokens = portal
    with playwright_api.sync_playwright() as p:
        material_id = _publish_package(p, base, tokens)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_context(locale="vi-VN").new_page()
            page.goto(f"{base}/login")
            page.get_by_label("E-mail").fill("hs@truong.edu.vn")
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/materials/{material_id}")
            frame = page.frame_locator("#scorm-frame")
            frame.locator("#out").filter(has_text="committed").wait_for(timeout=20_000)
            body = frame.locator("body")
            assert body.get_attribute("data-entry") == "ab-initio"
            assert body.get_attribute("data-student") == "hs"  # the name `hoclieu users create` gave the account
            assert body.get_attribute("data-bad-set") == "false:403"  # read-only element refused
            # The package runs in an opaque origin: it cannot reach the portal page or its cookies.
            assert frame.locator("body").evaluate("() => { try { return String(window.parent.document.title); }"
                                                  " catch (e) { return 'blocked'; } }") == "blocked"
            assert frame.locator("body").evaluate("() => { try { return document.cookie; }"
                                                  " catch (e) { return 'blocked'; } }") == "blocked"
            assert frame.locator("#hinh").evaluate("img => img.complete && img.naturalWidth") == 1
            page.wait_for_selector("#scorm-player[data-saved='1']", timeout=10_000)
            frame.locator("#done").click()
            frame.locator("#out").filter(has_text="finished:true").wait_for()
            page.wait_for_selector("#scorm-player[data-saved='2']", timeout=10_000)
            assert page.locator("#scorm-status").inner_text() == "Đã lưu kết quả học tập."

            student = _api(p, base, tokens["hs"])
            [progress] = student.get(f"/api/v1/materials/{material_id}").json()["scorm"]["progress"]
            assert progress["completion_status"] == "passed" and progress["success_status"] == "passed"
            assert (progress["score_raw"], progress["score_max"], progress["location"]) == (85.0, 100.0, "trang-3")
            assert progress["suspend_data"] == "trang=3;đáp án=B" and progress["total_seconds"] == 90.0

            page.reload()
            frame = page.frame_locator("#scorm-frame")
            frame.locator("#out").filter(has_text="committed").wait_for(timeout=20_000)
            assert frame.locator("body").get_attribute("data-entry") == "resume"
            assert frame.locator("body").get_attribute("data-suspend") == "trang=3;đáp án=B"
        finally:
            browser.close()


def test_real_multi_sco_package_plays_with_its_styles_images_and_contents(portal):
    """Rustici's golf sample (SCORM 1.2, one file per SCO, corpus): scripts, @import-ed CSS and images all load
    under the package CSP, and the contents list opens each SCO in the sandboxed frame."""
    base, tokens = portal
    golf = corpus_dir("scorm") / "golf_scorm12_multisco_onefilepersco.zip"
    with playwright_api.sync_playwright() as p:
        material_id = _publish_package(p, base, tokens, golf.read_bytes(), "golf.zip")
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_context(locale="vi-VN").new_page()  # a visitor: plays, stores nothing
            page.goto(f"{base}/materials/{material_id}")
            assert page.locator("#scorm-status").inner_text() == "Đăng nhập để lưu kết quả học tập."
            frame = page.frame_locator("#scorm-frame")
            assert frame.locator("h1").inner_text() == "Play of the game"
            image = frame.locator("#golfimg")
            image.wait_for()
            width = image.evaluate("img => img.complete ? img.naturalWidth : new Promise(done => {"
                                   " img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })")
            assert width > 0
            assert image.evaluate("img => getComputedStyle(img).width") == "300px"  # from ../shared/style.css
            assert frame.locator("#attribution").count() == 1  # written by ../shared/contentfunctions.js
            assert frame.locator("body").evaluate("() => typeof window.API.LMSInitialize") == "function"
            page.get_by_role("link", name="Par", exact=True).click()
            frame.locator("h1").filter(has_text="Par").wait_for()
        finally:
            browser.close()
