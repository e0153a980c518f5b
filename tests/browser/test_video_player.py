"""A published video lecture plays in a real headless Chromium (Debian's chromium, driven by Playwright),
served by a real ``hoclieu run`` (web server and worker) on 127.0.0.1 that transcoded it with ffmpeg."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from review.config import DEFAULT_CRITERIA
from tests.browser.portal import PASSWORD, TEACHER_AND_REVIEWER, running_portal
from tests.media.mediatools import lavfi_clip, needs_ffmpeg

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is installed by the test command")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
METADATA = {"title": "Bài giảng video thử nghiệm", "kind": "bai-giang", "level": "thpt", "grade": "10",
            "subject": "vat-li", "licence": "CC-BY-4.0"}

HLS_JS = Path(__file__).resolve().parents[2] / "static" / "node_modules" / "hls.js" / "dist" / "hls.min.js"

pytestmark = [pytest.mark.browser, needs_ffmpeg,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
              pytest.mark.skipif(not HLS_JS.is_file(), reason="hls.js is not installed: run "
                                 "`python3 repository/bootstrap.py test` (npm ci in static/)")]



@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A portal with a teacher (gv) and a reviewer (td); yields (base URL, {name: token})."""
    with running_portal(tmp_path_factory.mktemp("portal"), TEACHER_AND_REVIEWER,
                        {"HOCLIEU_MEDIA_SEGMENT_SECONDS": "2"}) as running:
        yield running


def _api(p, base: str, token: str):
    return p.request.new_context(base_url=base, extra_http_headers={"Authorization": f"Bearer {token}"})


def _upload_lecture(p, base: str, tokens: dict[str, str], clip) -> int:
    teacher = _api(p, base, tokens["gv"])
    created = teacher.post("/api/v1/materials", multipart={
        **METADATA, "file": {"name": "bai-giang.mp4", "mimeType": "video/mp4", "buffer": clip.read_bytes()}})
    assert created.status == 201, created.text()
    material_id, job_id = created.json()["id"], created.json()["job_id"]
    deadline = time.monotonic() + 120
    while (job := teacher.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["status"] == "succeeded", job
    return material_id


def _add_captions_in_the_browser(browser, base: str, material_id: int, srt) -> None:
    page = browser.new_context(locale="vi-VN").new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill("gv@truong.edu.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/materials/{material_id}")
    page.get_by_label("Ngôn ngữ").select_option("vi")
    page.get_by_label("Tệp phụ đề (SRT hoặc WebVTT)").set_input_files(str(srt))
    page.get_by_role("button", name="Lưu phụ đề").click()
    page.get_by_text("Đã lưu phụ đề.").wait_for()
    page.context.close()


def _publish(p, base: str, tokens: dict[str, str], material_id: int) -> str:
    teacher, reviewer = _api(p, base, tokens["gv"]), _api(p, base, tokens["td"])
    assert teacher.post(f"/api/v1/materials/{material_id}/submit").ok
    decided = reviewer.post(f"/api/v1/materials/{material_id}/review",
                            data={"decision": "approve", "comment": "Rõ ràng.",
                                  "scores": dict.fromkeys(DEFAULT_CRITERIA, 4)})
    assert decided.json()["status"] == "published", decided.text()
    return f"{base}/materials/{material_id}"


def test_published_lecture_plays_and_resumes(portal, tmp_path):
    base, tokens = portal
    # Long enough that playback cannot reach the end (which clears the saved position) on a slow machine.
    clip = lavfi_clip(tmp_path / "lecture.mp4", size="640x360", seconds=12)
    srt = tmp_path / "phu-de.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:12,000\nLực bằng khối lượng nhân gia tốc\n", encoding="utf-8")
    with playwright_api.sync_playwright() as p:
        material_id = _upload_lecture(p, base, tokens, clip)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--autoplay-policy=no-user-gesture-required"])
        try:
            _add_captions_in_the_browser(browser, base, material_id, srt)
            url = _publish(p, base, tokens, material_id)
            page = browser.new_context(locale="vi-VN").new_page()  # a visitor, not signed in
            page.goto(url)
            player = page.locator("#lecture-player")
            assert player.get_attribute("poster")
            page.evaluate("() => { const v = document.getElementById('lecture-player'); v.muted = true; v.play(); }")
            page.wait_for_function("() => document.getElementById('lecture-player').currentTime > 1.5",
                                   timeout=30_000)
            caption = page.evaluate("() => { const t = document.getElementById('lecture-player').textTracks[0];"
                                    " return t.mode + ':' + Array.from(t.activeCues || []).map(c => c.text).join(); }")
            assert caption == "showing:Lực bằng khối lượng nhân gia tốc"
            # hls.js (installed by npm at setup) plays the ladder through Media Source Extensions.
            source = page.evaluate("() => document.getElementById('lecture-player').currentSrc")
            assert source.startswith("blob:"), source
            menu = page.get_by_label("Chất lượng")
            assert menu.locator("option").all_inner_texts() == ["Tự động", "234p", "360p"]
            menu.select_option(label="234p")
            page.wait_for_function("() => document.getElementById('lecture-player').dataset.level === '234'",
                                   timeout=20_000)
            assert page.locator("#quality-current").inner_text() == "234p"
            # The thumbnail strip: over the timeline, the preview shows the sprite tile of that moment.
            box = player.bounding_box()
            page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] - 20)
            preview = page.locator("#seek-preview")
            preview.wait_for(state="visible", timeout=10_000)
            assert preview.get_attribute("data-time") == "6"  # 12 s clip, a thumbnail every 2 s
            style = preview.evaluate("el => [el.style.backgroundImage, el.style.backgroundPosition, el.style.width]")
            assert "/thumbs/sprite-001.jpg" in style[0] and style[1:] == ["-480px 0px", "160px"]
            page.mouse.move(box["x"] + 5, box["y"] + 5)
            preview.wait_for(state="hidden")
            # Keyboard: focus the player, pause with "k"; the position is kept for the next visit.
            player.focus()
            player.press("k")
            page.wait_for_function("() => document.getElementById('lecture-player').paused")
            # The "pause" event that saves the position is dispatched after `paused` turns true: wait for it.
            page.wait_for_function("() => localStorage.getItem(document.getElementById('lecture-player')"
                                   ".dataset.resumeKey) !== null", timeout=10_000)
            saved = page.evaluate("() => parseFloat(localStorage.getItem(document.getElementById("
                                  "'lecture-player').dataset.resumeKey))")
            assert saved >= 1.5
        finally:
            browser.close()
