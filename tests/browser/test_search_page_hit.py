"""A page hit in a real headless Chromium (Debian's chromium, driven by Playwright) against a real
``hoclieu run`` (web server and worker): a query typed without diacritics, two filters, a click on a
textbook's page hit, and the material page whose viewer opens at that page; with pdf.js installed, the viewer
shows that page with the search term highlighted on it and its page box, previous/next and zoom work."""

from __future__ import annotations

import io
import re
import time

import pytest
from PIL import Image

from repository.app import ROOT
from repository.demo.pdfgen import render_pdf
from repository.materials.views import PDFJS_FILES
from tests.browser.portal import TEACHER_AND_REVIEWER, running_portal
from tests.browser.test_five_steps import CHROMIUM, browser  # noqa: F401 (a shared fixture)
from tests.core.test_material_flow import SCORES

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]

PAGES = ("Chương I. Động học: vận tốc và gia tốc.",
         "Quán tính là tính chất giữ nguyên vận tốc của vật: xe phanh gấp, hành khách ngả về phía trước.",
         "Chương IV. Năng lượng: động năng và thế năng.")
#: (title, subject, grade): every book holds the same page 2, only the first passes both filters.
BOOKS = (("Vật lí 10 — sách thử nghiệm", "vat-li", "10"), ("Vật lí 11 — sách thử nghiệm", "vat-li", "11"),
         ("Công nghệ 10 — sách thử nghiệm", "cong-nghe", "10"))
PDFJS_INSTALLED = all((ROOT / "static" / name).is_file() for name in PDFJS_FILES.values())
#: The search, already narrowed to the one book, whose page-2 hit the pdf.js test opens.
NARROWED_SEARCH = "/search?q=quan+tinh+hanh+khach&subject=vat-li&grade=10"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A portal with a teacher (gv) and a reviewer (td); yields (base URL, {name: token})."""
    with running_portal(tmp_path_factory.mktemp("portal"), TEACHER_AND_REVIEWER) as running:
        yield running


def _wait(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _publish(api, base: str, tokens: dict[str, str], title: str, subject: str, grade: str,
             pdf: bytes | None = None) -> int:
    """Upload, wait for the ingest job, submit and approve through the API (as the teacher and reviewer)."""
    teacher, reviewer = ({"Authorization": f"Bearer {tokens[r]}"} for r in ("gv", "td"))
    form = {"title": title, "kind": "sach-giao-khoa", "level": "thpt", "grade": grade, "subject": subject,
            "series": "kntt", "licence": "CC-BY-4.0",
            "file": {"name": "sach.pdf", "mimeType": "application/pdf", "buffer": pdf or render_pdf(title, PAGES)}}
    created = api.post(f"{base}/api/v1/materials", multipart=form, headers=teacher)
    assert created.status == 201, created.text()
    material_id, job_id = created.json()["id"], created.json()["job_id"]
    _wait(lambda: api.get(f"{base}/api/v1/jobs/{job_id}", headers=teacher).json()["status"] == "succeeded",
          "the ingest job")
    assert api.post(f"{base}/api/v1/materials/{material_id}/submit", headers=teacher).ok
    decided = api.post(f"{base}/api/v1/materials/{material_id}/review", headers=reviewer,
                       data={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.ok, decided.text()
    return material_id


@pytest.fixture(scope="module")
def books(portal, browser) -> list[int]:  # noqa: F811
    """The three books, published and indexed (the first is the only one that passes both filters)."""
    base, tokens = portal
    context = browser.new_context()
    ids = [_publish(context.request, base, tokens, *book) for book in BOOKS]
    _wait(lambda: context.request.get(f"{base}/api/v1/search?q=quan+tinh").json()["total"] == len(BOOKS),
          "the worker to index the books")
    context.close()
    return ids


def test_a_page_hit_opens_the_viewer_at_that_page(portal, books, browser) -> None:  # noqa: F811
    base, _tokens = portal
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.goto(f"{base}/")
    page.get_by_label("Tìm học liệu").first.fill("quan tinh hanh khach")
    page.get_by_label("Tìm học liệu").first.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert page.locator(".hit").count() == len(BOOKS)
    page.locator('a[data-facet="subject"][data-value="vat-li"]').click()
    page.wait_for_url(re.compile(r"subject=vat-li"))
    page.locator('a[data-facet="grade"][data-value="10"]').click()
    page.wait_for_url(re.compile(r"grade=10"))
    assert page.locator(".hit").count() == 1

    page_hit = page.locator(".hit .page-hits a", has_text="Trang 2")
    assert page_hit.count() == 1
    assert "<mark>" in page.locator(".hit .page-hits .snippet").first.inner_html()
    thumbnail = page.locator(".hit .page-hits img.page-thumb").first
    thumbnail.scroll_into_view_if_needed()
    thumbnail.evaluate("img => img.complete ? null : new Promise(done => img.addEventListener('load', done))")
    assert thumbnail.evaluate("img => img.naturalWidth") == 160  # rendered, cached and allowed for a visitor
    page_hit.click()
    page.wait_for_url(re.compile(rf"/materials/{books[0]}\?page=2&q=quan\+tinh\+hanh\+khach#page=2$"))
    viewer = page.locator("#pdf-viewer")
    assert viewer.count() == 1
    if PDFJS_INSTALLED:
        assert viewer.get_attribute("data-page") == "2" and viewer.get_attribute("data-term") == "quan tinh hanh khach"
    else:
        assert viewer.get_attribute("src").endswith("#page=2")  # the browser's own viewer
    context.close()


@pytest.mark.skipif(not PDFJS_INSTALLED, reason="pdfjs-dist is not installed in static/node_modules "
                                                "(run `npm ci` in static/); the page uses the browser's viewer")
def test_the_pdfjs_viewer_shows_the_page_with_the_term_highlighted(portal, books, browser) -> None:  # noqa: F811
    base, _tokens = portal
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    refused = []  # anything the Content-Security-Policy blocked (pdf.js's worker, fonts, styles)
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(base + NARROWED_SEARCH)
    page.locator(".hit .page-hits a", has_text="Trang 2").click()
    page.wait_for_url(re.compile(rf"/materials/{books[0]}\?page=2&q="))
    viewer = page.locator("#pdf-viewer")
    page.wait_for_selector("#pdf-viewer[data-find]", timeout=60_000)
    assert viewer.get_attribute("data-find") == "found"
    assert page.locator("#pdf-page-count").inner_text() == str(len(PAGES))
    assert page.locator("#pdf-page-number").input_value() == "2"

    highlights = page.locator('.page[data-page-number="2"] .textLayer .highlight')
    highlights.first.wait_for()
    marked = " ".join(highlights.all_inner_texts()).lower()
    assert "quán" in marked and "tính" in marked and "khách" in marked, marked  # typed without accents
    assert page.locator(".textLayer .highlight").count() == highlights.count()  # only page 2 has the words
    assert page.locator('.page[data-page-number="2"] canvas').count() == 1  # the page is drawn, not only text

    width = page.locator('.page[data-page-number="2"]').evaluate("page => page.getBoundingClientRect().width")
    page.get_by_role("button", name="Phóng to").click()
    page.wait_for_function("w => document.querySelector('.page[data-page-number=\"2\"]')"
                           ".getBoundingClientRect().width > w * 1.05", arg=width)
    page.get_by_role("button", name="Vừa chiều rộng").click()
    page.get_by_role("button", name="Trang sau").click()
    page.wait_for_function("() => document.getElementById('pdf-page-number').value === '3'")
    page.get_by_role("button", name="Trang trước").click()
    page.wait_for_function("() => document.getElementById('pdf-page-number').value === '2'")
    page.locator("#pdf-page-number").fill("1")
    page.locator("#pdf-page-number").press("Enter")
    page.wait_for_function("() => document.getElementById('pdf-viewer').dataset.currentPage === '1'")
    # A word that is on another page only: it is still marked there, and the viewer stays on the page asked for.
    page.goto(f"{base}/materials/{books[0]}?page=3&q=qu%C3%A1n")
    page.wait_for_selector("#pdf-viewer[data-find]", timeout=60_000)
    assert page.locator("#pdf-page-number").input_value() == "3"
    assert page.locator("#pdf-viewer").get_attribute("data-current-page") == "3"
    assert refused == []
    context.close()


def scanned_page_pdf() -> bytes:
    """A one-page PDF as scanners make them: a JPEG 2000 picture (a red square on white) and a line of text in
    Helvetica, a standard font the PDF does not embed (pdf.js draws it from its own font data)."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 40), (220, 20, 20)).save(picture, format="JPEG2000")
    content = b"q 160 0 0 100 20 80 cm /Im1 Do Q BT /F1 14 Tf 20 40 Td (Quan tinh) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 "
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 40 /BitsPerComponent 8 /Filter /JPXDecode "
        b"/Length %d >>\nstream\n%s\nendstream" % (len(picture.getvalue()), picture.getvalue()),
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.skipif(not PDFJS_INSTALLED, reason="pdfjs-dist is not installed in static/node_modules "
                                                "(run `npm ci` in static/); the page uses the browser's viewer")
def test_the_pdfjs_viewer_draws_jpeg2000_scans_and_standard_fonts_under_the_csp(portal, browser) -> None:  # noqa: F811
    base, tokens = portal
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    material_id = _publish(context.request, base, tokens, "Vật lí 10 — bản quét", "vat-li", "10", scanned_page_pdf())
    page = context.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{base}/materials/{material_id}")
    page.wait_for_selector('.page[data-page-number="1"][data-loaded="true"] canvas', timeout=60_000)
    red, green, blue, _alpha = page.locator('.page[data-page-number="1"] canvas').evaluate(
        "canvas => Array.from(canvas.getContext('2d').getImageData("
        "Math.round(canvas.width / 2), Math.round(canvas.height * 0.35), 1, 1).data)")
    assert red > 180 and green < 80 and blue < 80, (red, green, blue)  # the JPEG 2000 picture, decoded
    assert "Quan tinh" in page.locator('.page[data-page-number="1"] .textLayer').inner_text()
    assert refused == []
    context.close()
