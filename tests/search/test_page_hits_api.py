"""Page hits through the portal: the search API lists them with a URL opening the viewer at that page,
the results page lists them under their material, and the material page honours ``?page=N``."""

from __future__ import annotations

import re

from repository.demo.pdfgen import render_pdf
from tests.conftest import bearer
from tests.core.test_material_flow import SCORES, upload

PAGES = ("Chuyển động thẳng đều và vận tốc.",
         "Quán tính là tính chất giữ nguyên vận tốc của vật <b>đang chuyển động</b>.",
         "Động năng và thế năng.")
VIEWER_SRC = re.compile(r'<iframe id="pdf-viewer"[^>]* src="([^"]+)"')


def publish_textbook(client, tokens) -> int:
    pdf = render_pdf("Vật lí 10 — sách thử nghiệm", PAGES)
    material_id = upload(client, tokens["teacher"], pdf, filename="vat-li-10.pdf").json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.json["status"] == "published"
    return material_id


def viewer_src(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    match = VIEWER_SRC.search(page.get_data(as_text=True))
    assert match, "no PDF viewer on the material page"
    return match.group(1)


def test_api_hits_carry_their_matching_pages(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    hits = client.get("/api/v1/search", query_string={"q": "quan tinh"}).json["hits"]
    assert [h["id"] for h in hits] == [material_id]
    [page] = hits[0]["pages"]
    assert page["page"] == 2 and page["url"] == f"/materials/{material_id}?page=2#page=2"
    assert "<mark>Quán</mark> <mark>tính</mark>" in page["snippet"] and "&lt;b&gt;" in page["snippet"]
    by_title = client.get("/api/v1/search?q=newton").json["hits"]  # in the metadata, on no page
    assert [(h["id"], h["pages"]) for h in by_title] == [(material_id, [])]


def test_results_page_lists_page_hits_under_their_material(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    html = client.get("/search?q=quan+tinh&subject=vat-li&grade=10").get_data(as_text=True)
    assert html.count('class="hit"') == 1
    assert f'href="/materials/{material_id}?page=2#page=2" data-page="2">Trang 2</a>' in html


def test_material_page_opens_the_viewer_at_a_valid_page_only(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    plain = viewer_src(client, f"/materials/{material_id}")
    assert "#" not in plain
    assert viewer_src(client, f"/materials/{material_id}?page=2") == plain + "#page=2"
    assert viewer_src(client, f"/materials/{material_id}?page=3") == plain + "#page=3"
    for bad in ("abc", "999", "0", "-1", "2.0", "²", "9" * 40):
        assert viewer_src(client, f"/materials/{material_id}?page={bad}") == plain, bad
