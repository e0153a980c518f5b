"""Page hits through the portal: the search API lists them with a URL opening the viewer at that page,
the results page lists them under their material, and the material page honours ``?page=N`` and ``?q=`` in
the pdf.js viewer when pdfjs-dist is installed, else ``?page=N`` in the browser's own viewer (an iframe)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import event

from repository.app import ROOT
from repository.demo.pdfgen import render_pdf
from repository.materials.views import PDFJS_FILES
from search.interfaces import SearchQuery, SearchResult
from search.views import MAX_VIEWER_TERM, hit_words
from tests.conftest import bearer
from tests.core.test_material_flow import SCORES, upload

PAGES = ("Chuyển động thẳng đều và vận tốc.",
         "Quán tính là tính chất giữ nguyên vận tốc của vật <b>đang chuyển động</b>.",
         "Động năng và thế năng.")
VIEWER_SRC = re.compile(r'<iframe id="pdf-viewer"[^>]* src="([^"]+)"')
PDFJS_VIEWER = re.compile(r'<div id="pdf-viewer" class="pdfjs-viewer" data-file="([^"]+)" data-page="([^"]*)"\s+'
                          r'data-term="([^"]*)"')
PDFJS_INSTALLED = all((ROOT / "static" / name).is_file() for name in PDFJS_FILES.values())
NEEDS_PDFJS = pytest.mark.skipif(not PDFJS_INSTALLED, reason="pdfjs-dist is not installed in static/node_modules "
                                                             "(run `npm ci` in static/)")


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


def pdfjs_viewer(client, url: str) -> tuple[str, str, str]:
    """(file URL, page, term) of the pdf.js viewer on the material page."""
    page = client.get(url)
    assert page.status_code == 200
    match = PDFJS_VIEWER.search(page.get_data(as_text=True))
    assert match, "no pdf.js viewer on the material page"
    return tuple(html_lib.unescape(group) for group in match.groups())


@pytest.fixture
def without_pdfjs(app, tmp_path):
    """The app with a static folder that holds no node_modules: pdfjs-dist is not installed."""
    app.static_folder = str(tmp_path / "static-without-node-modules")
    return app


def test_api_hits_carry_their_matching_pages(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    hits = client.get("/api/v1/search", query_string={"q": "quan tinh"}).json["hits"]
    assert [h["id"] for h in hits] == [material_id]
    [page] = hits[0]["pages"]
    assert page["page"] == 2 and page["url"] == f"/materials/{material_id}?page=2&q=quan+tinh#page=2"
    assert "<mark>Quán</mark> <mark>tính</mark>" in page["snippet"] and "&lt;b&gt;" in page["snippet"]
    by_title = client.get("/api/v1/search?q=newton").json["hits"]  # in the metadata, on no page
    assert [(h["id"], h["pages"]) for h in by_title] == [(material_id, [])]


def test_results_page_lists_page_hits_under_their_material(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    html = client.get("/search?q=quan+tinh&subject=vat-li&grade=10").get_data(as_text=True)
    assert html.count('class="hit"') == 1
    assert f'href="/materials/{material_id}?page=2&amp;q=quan+tinh#page=2" data-page="2">Trang 2</a>' in html


def test_the_term_a_page_hit_carries_is_what_was_searched_collapsed_and_bounded() -> None:
    assert hit_words(SearchQuery(text="quan tinhh"), SearchResult(0, [], {}, corrected="quan tinh")) == "quan tinh"
    assert hit_words(SearchQuery(text="  quán\t tính \n"), SearchResult(0, [], {})) == "quán tính"
    assert len(hit_words(SearchQuery(text="vật " * 300), SearchResult(0, [], {}))) == MAX_VIEWER_TERM


def test_a_long_query_gives_a_bounded_term_in_the_page_hit_link(client, tokens) -> None:
    publish_textbook(client, tokens)
    [hit] = client.get("/api/v1/search", query_string={"q": "quan tinh " + "vat " * 120}).json["hits"]
    term = hit["pages"][0]["url"].split("&q=", 1)[1].split("#", 1)[0]
    assert term.startswith("quan+tinh+vat+") and len(term) == MAX_VIEWER_TERM


@NEEDS_PDFJS
def test_pdfjs_viewer_opens_at_a_valid_page_with_the_term(client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    page = client.get(f"/materials/{material_id}?page=2&q=quan+tinh")
    body = page.get_data(as_text=True)
    assert 'src="/static/js/pdf-viewer.js"' in body and "<iframe id=\"pdf-viewer\"" not in body
    assert 'href="/static/node_modules/pdfjs-dist/web/pdf_viewer.css"' in body
    policy = page.headers["Content-Security-Policy"]  # pdf.js's worker from our origin, nothing loosened
    assert "worker-src 'self';" in policy and "unsafe" not in policy and "blob:" not in policy.split("script-src")[1]
    file_url, number, term = pdfjs_viewer(client, f"/materials/{material_id}?page=2&q=quan+tinh")
    assert file_url.startswith(f"/materials/{material_id}/files/") and file_url.endswith("/view")
    assert (number, term) == ("2", "quan tinh")
    assert client.get(file_url).headers["Content-Type"] == "application/pdf"
    for bad in ("abc", "999", "0", "-1", "2.0", "²", "9" * 40):
        assert pdfjs_viewer(client, f"/materials/{material_id}?page={bad}")[1] == "1", bad
    hostile = pdfjs_viewer(client, f"/materials/{material_id}?page=2&q=%22%3E%3Cscript%3Ex%3C/script%3E")
    assert hostile[2] == '"><script>x</script>'  # escaped into the attribute, read back as plain text
    assert "<script>x" not in client.get(f"/materials/{material_id}?q=%22%3E%3Cscript%3Ex").get_data(as_text=True)
    assert len(pdfjs_viewer(client, f"/materials/{material_id}?q={'a' * 5000}")[2]) == 200
    for name in PDFJS_FILES.values():  # served from static/node_modules, as JavaScript for the module scripts
        served = client.get(f"/static/{name}")
        assert served.status_code == 200, name
        assert served.mimetype == ("text/css" if name.endswith(".css") else "text/javascript"), name
        served.close()


def test_without_pdfjs_the_browser_viewer_opens_at_a_valid_page_only(without_pdfjs, client, tokens) -> None:
    material_id = publish_textbook(client, tokens)
    plain = viewer_src(client, f"/materials/{material_id}")
    assert "#" not in plain
    assert "pdf-viewer.js" not in client.get(f"/materials/{material_id}?page=2&q=quan+tinh").get_data(as_text=True)
    assert viewer_src(client, f"/materials/{material_id}?page=2") == plain + "#page=2"
    assert viewer_src(client, f"/materials/{material_id}?page=3") == plain + "#page=3"
    for bad in ("abc", "999", "0", "-1", "2.0", "²", "9" * 40):
        assert viewer_src(client, f"/materials/{material_id}?page={bad}") == plain, bad


def test_hits_with_pages_read_their_textbooks_in_a_fixed_number_of_statements(app, client, tokens) -> None:
    """The chapter and thumbnail of every page hit come from one read for the whole page of results: the
    statements a search runs do not grow with the number of textbooks found (two per hit before); a search
    repeated while the index is unchanged reads nothing."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    def statements_of_search(url: str) -> tuple[int, int]:
        statements.clear()
        listener = app.extensions["db"].engine
        event.listen(listener, "before_cursor_execute", count)
        try:
            answer = client.get(url)
        finally:
            event.remove(listener, "before_cursor_execute", count)
        assert answer.status_code == 200
        hits = answer.json["hits"] if answer.is_json else []
        return len(statements), sum(1 for h in hits if h["pages"])

    publish_textbook(client, tokens)
    one, with_pages = statements_of_search("/api/v1/search?q=quan+tinh")
    assert with_pages == 1
    for _ in range(3):
        publish_textbook(client, tokens)
    four, with_pages = statements_of_search("/api/v1/search?q=quan+tinh")
    assert with_pages == 4
    assert four == one
    again, with_pages = statements_of_search("/api/v1/search?q=quan+tinh")
    assert (again, with_pages) == (0, 4)   # the same search again: the answer built for that result
