"""One contract for every reachable engine: the same collection, the same queries, the same answers.

SQLite FTS5 always runs. Elasticsearch runs when HOCLIEU_TEST_ELASTICSEARCH_URL points at a cluster
(for example `docker run -p 9200:9200 -e discovery.type=single-node -e xpack.security.enabled=false
docker.elastic.co/elasticsearch/elasticsearch:8.15.0` and HOCLIEU_TEST_ELASTICSEARCH_URL=http://127.0.0.1:9200);
each run uses a fresh index prefix and deletes its indices and template afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.interfaces import PageText, SearchDocument, SearchIndex, SearchQuery, SearchResult
from tests.search.conftest import LESSONS, collection

ES_URL = os.environ.get("HOCLIEU_TEST_ELASTICSEARCH_URL", "")
ENGINES = ["sqlite", "elasticsearch"]
# A textbook of three pages, a one-page sheet and a book of six pages repeating a word 0 to 3 times.
TEXTBOOK_PAGES = [
    PageText(1, "Chương I. Động học: chuyển động thẳng đều, vận tốc và quãng đường."),
    PageText(2, "Quán tính là tính chất giữ nguyên vận tốc của vật. Ví dụ: <script>alert(1)</script> "
                "khi xe phanh gấp, hành khách ngả về phía trước vì quán tính."),
    PageText(3, "Chương IV. Năng lượng: động năng và thế năng của vật."),
]
REPEATS = {1: 1, 2: 3, 3: 0, 4: 2, 5: 3, 6: 1}
BOOKS = [SearchDocument(1, "Vật lí 10", kind="sach-giao-khoa", subject="vat-li", grade=10, level="thpt",
                        pages=TEXTBOOK_PAGES),
         SearchDocument(2, "Phiếu học tập", kind="bai-giang", subject="vat-li", grade=10, level="thpt",
                        pages=[PageText(1, "Quán tính của vật.")]),
         SearchDocument(3, "Bài tập gia tốc", kind="bai-tap", subject="vat-li", grade=10, level="thpt",
                        pages=[PageText(n, " ".join(["gia tốc"] * k) + " lực") for n, k in REPEATS.items()]),
         SearchDocument(4, "Bài giảng điện trường", kind="bai-giang", subject="vat-li", grade=11, level="thpt",
                        page_unit="slide", pages=[PageText(1, "Điện trường"), PageText(2, "Cường độ điện trường")]),
         SearchDocument(5, "Ngân hàng câu hỏi từ trường", kind="ngan-hang-cau-hoi", subject="vat-li", grade=11,
                        level="thpt", page_unit="question",
                        pages=[PageText(1, "Cảm ứng từ là gì?"), PageText(2, "Đơn vị của từ thông là gì?")])]
SAME_AS_EMBEDDED = ["dinh luat newton", "toán", "toan", "học sinh", '"học sinh"', "duong thang", "phương trình",
                    "truyện kiều", "gia tốc lực", "bảng tuần hoàn", "quang hop", "NEAR(tây tiến", "title:*", "1954"]


def open_engine(name: str, path: Path) -> SearchIndex:
    if name == "sqlite":
        from search.sqlite_fts import SqliteFtsIndex

        return SqliteFtsIndex(path / "search.db")
    if not ES_URL:
        pytest.skip("Elasticsearch contract not run: set HOCLIEU_TEST_ELASTICSEARCH_URL to a cluster's URL")
    from search.elastic import ElasticsearchIndex

    return ElasticsearchIndex(ES_URL, prefix=f"hoclieu-test-{uuid.uuid4().hex[:12]}", refresh=True)


def dispose(engine: SearchIndex) -> None:
    if engine.name == "elasticsearch":
        engine.client.indices.delete(index=f"{engine.alias}-*", ignore_unavailable=True, allow_no_indices=True)
        engine.client.indices.delete_index_template(name=engine.alias)
    engine.close()


@pytest.fixture(scope="module", params=ENGINES)
def library(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """The test collection in each engine, indexed once per module; tests using it must not write."""
    engine = open_engine(request.param, tmp_path_factory.mktemp(request.param))
    engine.upsert(collection())
    yield engine
    dispose(engine)


@pytest.fixture(scope="module", params=ENGINES)
def books(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """BOOKS in each engine, indexed once per module; tests using it must not write."""
    engine = open_engine(request.param, tmp_path_factory.mktemp(f"books-{request.param}"))
    engine.upsert(BOOKS)
    yield engine
    dispose(engine)


@pytest.fixture(params=ENGINES)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    engine = open_engine(request.param, tmp_path)
    yield engine
    dispose(engine)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    engine = open_engine("sqlite", tmp_path_factory.mktemp("embedded"))
    engine.upsert(collection())
    yield engine
    dispose(engine)


def ids(result: SearchResult) -> list[int]:
    return [hit.material_id for hit in result.hits]


def titles(engine: SearchIndex, text: str, **options: object) -> list[str]:
    return [hit.title for hit in engine.search(SearchQuery(text=text, per_page=100, **options)).hits]


def lesson_id(title: str) -> int:
    return next(number for number, lesson in enumerate(LESSONS, 1) if lesson[0] == title)


def test_writes_count_replace_and_delete(empty: SearchIndex) -> None:
    assert empty.count() == 0 and empty.check() == "ok"
    assert empty.upsert(collection()) == len(LESSONS)
    assert empty.upsert([SearchDocument(1, "Định luật Hooke")]) == 1
    assert empty.count() == len(LESSONS)
    assert titles(empty, "hooke") == ["Định luật Hooke"]
    assert empty.delete([1, 999_999]) == 1
    assert titles(empty, "hooke") == [] and empty.count() == len(LESSONS) - 1
    empty.clear()
    assert empty.count() == 0


@pytest.mark.parametrize("text", ["định luật Newton", "dinh luat newton", "ĐỊNH LUẬT NEWTON", "Dinh Luat Newton"])
def test_diacritics_and_case_do_not_matter_for_matching(library: SearchIndex, text: str) -> None:
    assert set(titles(library, text)) == {"Định luật II Newton", "Định luật III Newton"}


def test_d_with_stroke_folds_to_d(library: SearchIndex) -> None:
    assert "Phương trình đường thẳng" in titles(library, "duong thang")
    assert "Chiến thắng Điện Biên Phủ" in titles(library, "dien bien phu")


def test_exact_diacritics_rank_first(library: SearchIndex) -> None:
    found = titles(library, "toán")
    whole_words = {"Toàn cầu hoá và khu vực hoá kinh tế", "Chiến thắng Điện Biên Phủ", "Đường lối đổi mới",
                   "Học sinh với an toàn giao thông"}
    assert set(found[-len(whole_words):]) == whole_words
    assert titles(library, "toàn cầu")[0] == "Toàn cầu hoá và khu vực hoá kinh tế"


def test_adjacent_syllables_rank_first(library: SearchIndex) -> None:
    assert titles(library, "học sinh")[0] == "Học sinh với an toàn giao thông"


def test_every_word_is_required_and_quotes_make_a_phrase(library: SearchIndex) -> None:
    assert titles(library, "newton gia tốc") == ["Định luật II Newton"]
    assert "Sinh hoạt dưới cờ" in titles(library, "sinh học")
    assert "Sinh hoạt dưới cờ" not in titles(library, '"sinh học"')


def test_filters_and_facets(library: SearchIndex) -> None:
    result = library.search(SearchQuery(filters={"subject": "toan", "grade": "10"}, per_page=100))
    toan_10 = sum(lesson[1] == "toan" and lesson[3] == 10 for lesson in LESSONS)
    assert result.total == len(result.hits) == toan_10
    subjects = {v.value: v.count for v in result.facets["subject"]}
    assert subjects["vat-li"] == sum(lesson[1] == "vat-li" and lesson[3] == 10 for lesson in LESSONS)
    assert {v.value for v in result.facets["grade"]} >= {"1", "2", "9", "10"}
    assert library.search(SearchQuery(text="toán", filters={"subject": "khong-co"})).total == 0


def test_browse_lists_newest_first(library: SearchIndex) -> None:
    result = library.search(SearchQuery(text="?!", per_page=5))
    assert result.total == len(LESSONS) and ids(result) == list(range(len(LESSONS), len(LESSONS) - 5, -1))


def test_pagination_walks_every_result_once(library: SearchIndex) -> None:
    total = library.search(SearchQuery(text="bài", per_page=1)).total
    seen = [i for page in range(1, total // 3 + 2) for i in ids(library.search(SearchQuery(text="bài", page=page,
                                                                                             per_page=3)))]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("text", ["title:*", "NEAR(", '"', "-", "OR", "*", "a" * 10_000, "\x00", "{zzz}:qqq"])
def test_hostile_text_is_answered_sanely(library: SearchIndex, text: str) -> None:
    result = library.search(SearchQuery(text=text))
    assert result.total in (0, len(LESSONS))


def test_snippets_are_safe_html_with_marks(library: SearchIndex) -> None:
    snippet = library.search(SearchQuery(text="gia tốc")).hits[0].snippet
    assert "<mark>" in snippet and "<script" not in snippet


def test_suggest_completes_without_diacritics(library: SearchIndex) -> None:
    assert "Định luật II Newton" in library.suggest("dinh luat")
    assert library.suggest("") == []


@pytest.mark.parametrize("library", ENGINES[1:], indirect=True)
@pytest.mark.parametrize("text", SAME_AS_EMBEDDED)
def test_same_matches_as_the_embedded_engine(library: SearchIndex, embedded: SearchIndex, text: str) -> None:
    expected = embedded.search(SearchQuery(text=text, per_page=100))
    result = library.search(SearchQuery(text=text, per_page=100))
    assert result.total == expected.total and set(ids(result)) == set(ids(expected))
    assert result.facets == expected.facets


# -- page hits -------------------------------------------------------------------------------


def page_hits(engine: SearchIndex, text: str) -> dict[int, list[int]]:
    """The page numbers listed under each material found."""
    return {hit.material_id: [page.number for page in hit.pages]
            for hit in engine.search(SearchQuery(text=text, per_page=100)).hits}


@pytest.mark.parametrize("text", ["năng lượng", "NANG LUONG", "the nang", '"dong nang"'])
def test_a_word_only_on_page_3_names_page_3(books: SearchIndex, text: str) -> None:
    assert page_hits(books, text) == {1: [3]}
    (hit,) = books.search(SearchQuery(text=text)).hits
    assert hit.pages[0].unit == "page" and "<mark>" in hit.pages[0].snippet


def test_d_with_stroke_folds_to_d_in_pages(books: SearchIndex) -> None:
    assert page_hits(books, "quang duong") == {1: [1]}
    (hit,) = books.search(SearchQuery(text="quang duong")).hits
    assert "<mark>đường</mark>" in hit.pages[0].snippet


def test_a_page_needs_every_term(books: SearchIndex) -> None:
    assert page_hits(books, "động năng vận tốc") == {1: []}  # the book holds both, no single page does


def test_a_material_of_one_page_lists_no_page(books: SearchIndex) -> None:
    assert page_hits(books, "quán tính") == {1: [2], 2: []}


def test_page_snippets_are_safe_html(books: SearchIndex) -> None:
    (book,) = [hit for hit in books.search(SearchQuery(text="quán tính")).hits if hit.material_id == 1]
    snippet = book.pages[0].snippet
    assert "<mark>Quán</mark> <mark>tính</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script" not in snippet


def test_at_most_three_pages_best_first(books: SearchIndex) -> None:
    assert page_hits(books, "gia toc") == {3: [2, 5, 4]}  # 3, 3 and 2 times; a tie goes to the earlier page


def test_hits_inside_decks_and_banks_are_slides_and_questions(books: SearchIndex) -> None:
    (deck,) = books.search(SearchQuery(text="cuong do")).hits
    assert (deck.material_id, [(p.number, p.unit) for p in deck.pages]) == (4, [(2, "slide")])
    (bank,) = books.search(SearchQuery(text="tu thong")).hits
    assert (bank.material_id, [(p.number, p.unit) for p in bank.pages]) == (5, [(2, "question")])


def test_browsing_lists_no_page(books: SearchIndex) -> None:
    assert all(hit.pages == [] for hit in books.search(SearchQuery(text="")).hits)
