"""The embedded SQLite FTS5 engine against the SearchIndex contract, on a real Vietnamese collection."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from search.interfaces import (
    FACET_FIELDS,
    PageText,
    SearchDocument,
    SearchQuery,
    SearchQueryError,
    SearchResult,
)
from search.sqlite_fts import SqliteFtsIndex
from tests.search.conftest import LESSONS, collection, corpus_dir


def ids(result: SearchResult) -> list[int]:
    return [hit.material_id for hit in result.hits]


def titles(result: SearchResult) -> list[str]:
    return [hit.title for hit in result.hits]


def lesson_id(title: str) -> int:
    return next(number for number, lesson in enumerate(LESSONS, 1) if lesson[0] == title)


def count_lessons(**wanted: object) -> int:
    positions = {"subject": 1, "level": 2, "grade": 3}
    return sum(all(lesson[positions[k]] == v for k, v in wanted.items()) for lesson in LESSONS)


def facet(result: SearchResult, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


# -- writing -------------------------------------------------------------------------------------


def test_upsert_search_delete(index: SqliteFtsIndex) -> None:
    assert index.upsert(collection()) == len(LESSONS)
    assert index.count() == len(LESSONS)
    assert index.check() == "ok"
    newton = lesson_id("Định luật II Newton")
    assert newton in ids(index.search(SearchQuery(text="gia tốc")))
    assert index.delete([newton, 999_999]) == 1
    assert index.count() == len(LESSONS) - 1
    assert newton not in ids(index.search(SearchQuery(text="gia tốc")))
    assert index.suggest("dinh luat ii") == ["Định luật III Newton"]


def test_upsert_replaces_a_document_with_the_same_id(index: SqliteFtsIndex) -> None:
    index.upsert(collection())
    newton = lesson_id("Định luật II Newton")
    revised = replace(collection()[newton - 1], title="Định luật 2 Newton (bản sửa)", body="Lực quán tính")
    assert index.upsert([revised]) == 1
    assert index.count() == len(LESSONS)
    assert ids(index.search(SearchQuery(text="bản sửa"))) == [newton]
    assert newton not in ids(index.search(SearchQuery(text="tỉ lệ nghịch")))
    assert "Định luật II Newton" not in index.suggest("dinh luat")


def test_the_last_copy_of_a_document_in_one_batch_wins(index: SqliteFtsIndex) -> None:
    first = SearchDocument(material_id=7, title="Bản nháp")
    index.upsert([first, replace(first, title="Bản cuối")])
    assert index.count() == 1
    assert titles(index.search(SearchQuery(text="bản"))) == ["Bản cuối"]


def test_clear_drops_every_document(index: SqliteFtsIndex) -> None:
    index.upsert(collection())
    index.optimize()
    assert index.search(SearchQuery(text="newton")).total == 2
    index.clear()
    assert index.count() == 0
    assert index.search(SearchQuery()).total == 0
    assert index.suggest("to") == []


def test_the_index_survives_reopening_and_is_shared_by_two_engines(tmp_path: Path) -> None:
    writer = SqliteFtsIndex(tmp_path / "search.db")
    reader = SqliteFtsIndex(tmp_path / "search.db")
    writer.upsert(collection()[:3])
    assert reader.count() == 3
    writer.close()
    reopened = SqliteFtsIndex(tmp_path / "search.db")
    assert reopened.count() == 3
    assert reopened.search(SearchQuery(text="newton")).total == 2
    reopened.close()
    reader.close()


def test_an_unusual_document_is_stored_safely(index: SqliteFtsIndex) -> None:
    doc = SearchDocument(material_id=1, title="Tiêu đề\x00 lạ \ud800", body="x" * 300_000 + " cuối",
                         published_at=datetime(2025, 5, 1, 7, 0, tzinfo=UTC))
    assert index.upsert([doc]) == 1
    assert index.search(SearchQuery(text="tiêu đề lạ")).total == 1
    assert index.search(SearchQuery(text="cuối")).total == 0  # beyond the indexed 200 000 characters


def test_upsert_refuses_something_that_is_not_a_document(index: SqliteFtsIndex) -> None:
    with pytest.raises(TypeError):
        index.upsert([{"material_id": 1, "title": "x"}])  # type: ignore[list-item]
    assert index.count() == 0


# -- Vietnamese matching and ranking -------------------------------------------------------------


@pytest.mark.parametrize("text", ["phương trình", "phuong trinh", "PHƯƠNG TRÌNH", "Phuong Trinh"])
def test_matching_ignores_diacritics_and_case(library: SqliteFtsIndex, text: str) -> None:
    found = set(titles(library.search(SearchQuery(text=text))))
    assert {"Phương trình bậc hai một ẩn", "Phương trình đường thẳng", "Hệ thức Vi-ét và ứng dụng"} <= found


def test_d_with_stroke_matches_d(library: SqliteFtsIndex) -> None:
    for text in ("đường thẳng", "duong thang", "ĐƯỜNG THẲNG"):
        assert titles(library.search(SearchQuery(text=text)))[0] == "Phương trình đường thẳng"
    assert "Chiến thắng Điện Biên Phủ" in titles(library.search(SearchQuery(text="dien bien phu")))


def test_decomposed_query_matches_like_composed(library: SqliteFtsIndex) -> None:
    composed = library.search(SearchQuery(text="Truyện Kiều"))
    assert ids(library.search(SearchQuery(text=unicodedata.normalize("NFD", "Truyện Kiều")))) == ids(composed)
    assert composed.total >= 3


def test_exact_diacritics_rank_above_folded_only_matches(library: SqliteFtsIndex) -> None:
    # "toán" (mathematics) and "toàn" (whole) both fold to "toan".
    found = titles(library.search(SearchQuery(text="toán")))
    whole_words = {"Toàn cầu hoá và khu vực hoá kinh tế", "Chiến thắng Điện Biên Phủ", "Đường lối đổi mới",
                   "Học sinh với an toàn giao thông"}
    assert len(found) == count_lessons(subject="toan") + len(whole_words)
    assert set(found[-len(whole_words):]) == whole_words
    whole = titles(library.search(SearchQuery(text="toàn cầu")))
    assert whole[0] == "Toàn cầu hoá và khu vực hoá kinh tế"


def test_exact_form_wins_even_against_a_better_field(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Toàn tập"), SearchDocument(2, "Ôn tập", body="môn Toán lớp 10"),
                  SearchDocument(3, "Ngữ văn"), SearchDocument(4, "Lịch sử"), SearchDocument(5, "Địa lí")])
    assert ids(index.search(SearchQuery(text="toán"))) == [2, 1]
    assert ids(index.search(SearchQuery(text="toàn"))) == [1, 2]


def test_words_typed_without_diacritics_do_not_demote_exact_matches(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Ôn tập toàn học kì"), SearchDocument(2, "Bài 1", body="môn toán học"),
                  SearchDocument(3, "Văn"), SearchDocument(4, "Sử"), SearchDocument(5, "Địa")])
    assert ids(index.search(SearchQuery(text="toan hoc"))) == [1, 2]  # title beats body
    assert ids(index.search(SearchQuery(text="toán hoc"))) == [2, 1]  # "toán" typed: the exact word first


def test_old_and_new_tone_placement_are_the_same_exact_word(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Hoá học 10"), SearchDocument(2, "Hòa bình"),
                  SearchDocument(3, "Văn"), SearchDocument(4, "Sử")])
    assert ids(index.search(SearchQuery(text="hóa"))) == [1, 2]
    assert ids(index.search(SearchQuery(text="hoà"))) == [2, 1]


def test_field_weights_title_above_chapter_above_description_above_body(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Ôn tập", body="quang hợp"),
                  SearchDocument(2, "Ôn tập", description="quang hợp"),
                  SearchDocument(3, "Ôn tập", chapter="Quang hợp"),
                  SearchDocument(4, "Quang hợp"),
                  *(SearchDocument(n, "Bài khác") for n in range(5, 12))])
    assert ids(index.search(SearchQuery(text="quang hợp"))) == [4, 3, 2, 1]


def test_adjacent_syllables_rank_above_the_same_syllables_apart(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="học sinh"))
    assert set(titles(result)) >= {"Học sinh với an toàn giao thông", "Sinh hoạt dưới cờ"}
    assert titles(result)[0] == "Học sinh với an toàn giao thông"


def test_phrase_ranking_on_equal_fields(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Bài 1", body="sinh hoạt và học tập, học tập và sinh hoạt"),
                  SearchDocument(2, "Bài 2", body="nội quy học sinh"),
                  *(SearchDocument(n, "Bài khác") for n in range(3, 9))])
    assert ids(index.search(SearchQuery(text="học sinh"))) == [2, 1]


def test_all_words_must_match(library: SqliteFtsIndex) -> None:
    assert set(titles(library.search(SearchQuery(text="định luật newton")))) == {
        "Định luật II Newton", "Định luật III Newton"}
    assert library.search(SearchQuery(text="newton kiều")).total == 0


def test_quoted_text_is_a_phrase(library: SqliteFtsIndex) -> None:
    assert "Sinh hoạt dưới cờ" in titles(library.search(SearchQuery(text="học sinh")))
    assert titles(library.search(SearchQuery(text='"học sinh"'))) == ["Học sinh với an toàn giao thông"]
    # "Sinh học" is the subject (and a chapter title) of exactly the biology lessons
    assert facet(library.search(SearchQuery(text='"sinh học"')), "subject") == {"sinh-hoc": 2}


def test_subject_names_are_searchable(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="vật lí"))
    assert result.total == 4
    assert facet(result, "subject") == {"vat-li": 4}


# -- snippets ------------------------------------------------------------------------------------


def test_snippet_marks_original_words_in_the_best_field(library: SqliteFtsIndex) -> None:
    hit = library.search(SearchQuery(text="ti le nghich")).hits[0]
    assert hit.title == "Định luật II Newton"
    assert "<mark>tỉ</mark> <mark>lệ</mark> <mark>nghịch</mark>" in hit.snippet


def test_snippet_escapes_document_html(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Bài <b>1</b>",
                                 description='<img src=x onerror="alert(1)"> Đường tròn & tiếp tuyến')])
    hit = index.search(SearchQuery(text="duong tron")).hits[0]
    assert hit.snippet == ("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>Đường</mark> "
                           "<mark>tròn</mark> &amp; tiếp tuyến")
    assert hit.title == "Bài <b>1</b>"  # plain text: the page escapes it


def test_page_text_is_searchable_when_no_body_is_given(index: SqliteFtsIndex) -> None:
    index.upsert([SearchDocument(1, "Sách giáo khoa Vật lí 10",
                                 pages=[PageText(1, "Mở đầu"), PageText(2, "Động lượng và va chạm")])])
    hit = index.search(SearchQuery(text="va cham")).hits[0]
    assert "<mark>va</mark> <mark>chạm</mark>" in hit.snippet


# -- filters, facets, browse, pagination -----------------------------------------------------------


def test_browse_without_text_lists_newest_first_with_facets(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(filters={"level": "thpt"}))
    expected = [n for n, lesson in enumerate(LESSONS, 1) if lesson[2] == "thpt"]
    assert result.total == len(expected)
    assert ids(result) == sorted(expected, reverse=True)[:20]
    assert set(result.facets) == set(FACET_FIELDS)
    levels = ("thpt", "thcs", "tieu-hoc")
    assert facet(result, "level") == {level: count_lessons(level=level) for level in levels}


def test_filters_combine_and_facets_ignore_their_own_filter(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="phương trình", filters={"subject": "toan", "grade": "10"}))
    assert sorted(titles(result)) == ["Kiểm tra giữa kì I", "Phương trình đường thẳng",
                                      "Đường tròn trong mặt phẳng toạ độ"]
    assert facet(result, "grade") == {"10": 3, "9": 2}          # grade filter not applied to itself
    assert facet(result, "subject") == {"toan": 3}              # grade filter applied
    assert facet(result, "kind") == {"bai-giang": 2, "de-kiem-tra": 1}


def test_facet_values_are_sorted_by_count_then_value(library: SqliteFtsIndex) -> None:
    subjects = library.search(SearchQuery()).facets["subject"]
    keys = [(-v.count, v.value) for v in subjects]
    assert keys == sorted(keys)
    assert subjects[0].value == "toan" and subjects[0].count == count_lessons(subject="toan")


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("series", "kntt", 15), ("licence", "CC-BY-4.0", 30), ("province", "HUE", 10), ("kind", "de-kiem-tra", 3),
    ("subject", "khong-co", 0),
])
def test_every_filter_field_filters(library: SqliteFtsIndex, name: str, value: str, expected: int) -> None:
    assert library.search(SearchQuery(filters={name: value})).total == expected


def test_sort_newest_with_text(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="truyện kiều", sort="newest"))
    assert ids(result) == sorted(ids(result), reverse=True)


def test_pagination_walks_every_result_once(library: SqliteFtsIndex) -> None:
    seen: list[int] = []
    for page in range(1, 6):
        result = library.search(SearchQuery(page=page, per_page=7))
        assert result.total == len(LESSONS)
        seen.extend(ids(result))
    assert sorted(seen) == list(range(1, len(LESSONS) + 1))
    assert library.search(SearchQuery(page=1000, per_page=100)).hits == []


@pytest.mark.parametrize(("field", "query"), [
    ("page", SearchQuery(page=0)), ("page", SearchQuery(page=1001)), ("per_page", SearchQuery(per_page=0)),
    ("per_page", SearchQuery(per_page=101)), ("page", SearchQuery(page="2")),  # type: ignore[arg-type]
    ("sort", SearchQuery(sort="random")), ("grade", SearchQuery(filters={"grade": "mười"})),
    ("filters", SearchQuery(filters={"title": "x"})),
    ("subject", SearchQuery(filters={"subject": "a\ud800"})),
])
def test_out_of_range_queries_are_refused_in_vietnamese(library: SqliteFtsIndex, field: str,
                                                       query: SearchQuery) -> None:
    with pytest.raises(SearchQueryError) as refused:
        library.search(query)
    assert refused.value.field == field
    assert any(ch in str(refused.value) for ch in "ảạốệ")


# -- hostile text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    'NEAR(toán "học"', "toán OR văn", "toán AND", "NOT văn", "-toán", "toán*", "*", "^toán", "title:toán",
    "title:(", '"học sinh', '"', '""', "(((", ")", "{title}: x", "!!!", "?", "x" * 10_000,
    "toán " * 2000, "\x00", "\ud800", "' OR 1=1 --", "<script>alert(1)</script>", "/.*/", "*a*", "ǅ İ ß ﬁ",
])
def test_hostile_text_gets_a_sane_answer(library: SqliteFtsIndex, text: str) -> None:
    result = library.search(SearchQuery(text=text))
    assert 0 <= result.total <= len(LESSONS)
    assert len(result.hits) <= 20
    assert all("<script" not in hit.snippet for hit in result.hits)


def test_operators_are_searched_as_words(library: SqliteFtsIndex) -> None:
    assert library.search(SearchQuery(text="toán OR văn")).total == 0     # "or" is just a word
    assert library.search(SearchQuery(text="title:newton")).total == 0    # so is "title"
    assert library.search(SearchQuery(text="newton*")).total == 2


def test_text_without_words_browses(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="!!! ---", filters={"grade": "12"}))
    assert result.total == count_lessons(grade=12)


def test_long_text_is_cut_not_refused(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="newton " + "x" * 10_000))
    assert result.total == 0
    assert library.search(SearchQuery(text="newton" + " " * 600 + "kiều")).total == 2


# -- suggestions ---------------------------------------------------------------------------------


def test_suggest_completes_titles_without_diacritics(library: SqliteFtsIndex) -> None:
    assert library.suggest("dinh lu") == ["Định luật II Newton", "Định luật III Newton"]
    assert library.suggest("ĐỊNH LUẬT II") == ["Định luật II Newton", "Định luật III Newton"]
    assert library.suggest("dinh luat iii") == ["Định luật III Newton"]


def test_suggest_offers_subjects_first_then_title_starts_then_inner_words(library: SqliteFtsIndex) -> None:
    suggestions = library.suggest("toa", limit=20)
    assert suggestions[0] == "Toán"
    assert "Toàn cầu hoá và khu vực hoá kinh tế" in suggestions
    assert suggestions.index("Toàn cầu hoá và khu vực hoá kinh tế") < suggestions.index(
        "Đường tròn trong mặt phẳng toạ độ")
    assert "Kiểm tra giữa kì I" not in suggestions


def test_suggest_matches_later_words_and_respects_limit(library: SqliteFtsIndex) -> None:
    assert "Định luật II Newton" in library.suggest("newt")
    assert len(library.suggest("t", limit=3)) == 3
    assert library.suggest("") == library.suggest("   ") == library.suggest("!!") == []
    assert library.suggest("x" * 5000) == []
    assert library.suggest("hoa ")[0] == "Hóa học"
    assert library.suggest("hoa h") == ["Hóa học", "Bảng tuần hoàn các nguyên tố hoá học"]


# -- concurrency -----------------------------------------------------------------------------------


def test_two_threads_search_while_one_upserts(index: SqliteFtsIndex) -> None:
    docs = collection()
    index.upsert(docs[:10])
    errors: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        try:
            while not done.is_set():
                result = index.search(SearchQuery(text="bài"))
                assert result.total >= 0 and len(result.facets) == len(FACET_FIELDS)
                index.suggest("dinh")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    def write() -> None:
        try:
            for round_number in range(10):
                index.upsert(replace(d, title=f"{d.title} bài {round_number}") for d in docs)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=target) for target in (search, search, write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert index.count() == len(docs)
    assert index.search(SearchQuery(text="bài 9")).total == len(docs)


# -- a real document -------------------------------------------------------------------------------


def test_a_real_pdf_is_indexed_page_by_page(index: SqliteFtsIndex) -> None:
    pdf = corpus_dir("pdf") / "uscis_2025-Civics-Test-128-Questions-and-Answers.pdf"
    if not pdf.is_file():
        pytest.skip(f"{pdf.name} is absent from the test corpus")
    pages = [PageText(n, page.extract_text() or "") for n, page in enumerate(PdfReader(pdf).pages, 1)]
    index.upsert([SearchDocument(1, "Civics test", pages=pages),
                  SearchDocument(2, "Định luật II Newton", body="gia tốc")])
    hits = index.search(SearchQuery(text="Constitution amendments")).hits
    assert [hit.material_id for hit in hits] == [1]
    assert "<mark>Constitution</mark>" in hits[0].snippet and len(hits[0].snippet) < 600
