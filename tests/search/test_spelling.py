"""Typo tolerance and "did you mean" on the embedded engine (FTS5 vocabulary + edit distance on folded
words), the no-results page that offers them and the search without filters, and the rules themselves."""

from __future__ import annotations

import pytest

from search.interfaces import SearchQuery
from search.spelling import closest, edit_distance, max_edits, respell, unquoted_words
from search.sqlite_fts import SqliteFtsIndex
from tests.search.conftest import collection


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("phuong", "phuong", 0), ("phuogn", "phuong", 1), ("phuon", "phuong", 1), ("phuonng", "phuong", 1),
    ("phxong", "phuong", 1), ("pheong", "phuong", 1), ("chuyne", "chuyen", 1), ("chuyen", "chuong", 3), ("", "abc", 3),
])
def test_edit_distance_counts_swaps_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 3) == distance


def test_edit_distance_stops_past_its_limit() -> None:
    assert edit_distance("phuong", "xyzxyz", 1) == 2 and edit_distance("ab", "abcdef", 2) == 3


def test_longer_words_allow_more_edits() -> None:
    assert [max_edits(w) for w in ("toan", "phuong", "nghieng", "electron", "parabolic")] == [0, 1, 1, 2, 2]
    assert max_edits("toan", shortest=3) == 1


def test_closest_prefers_nearer_then_more_frequent_words_and_keeps_the_first_letter() -> None:
    vocabulary = [("phuong", 40), ("phuoc", 90), ("huong", 500), ("phuongs", 2), ("phương", 60)]
    assert closest("phuonh", vocabulary, 1) == ["phuong"]
    assert closest("phuongg", vocabulary, 1) == ["phuong", "phuongs"]
    assert closest("xhuong", vocabulary, 1) == []  # the first letter is never an edit


def test_respell_changes_unquoted_words_only() -> None:
    assert respell('phuogn "phuogn trinh" Phuogn', {"phuogn": "phuong"}) == 'phuong "phuogn trinh" phuong'
    assert unquoted_words('Phương "bậc hai" trìhn 2024 phuong') == ["phuong", "trihn"]


def test_a_misspelled_long_word_finds_the_right_word(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="phuogn trinh bac hai"))
    assert result.corrected == "phuong trinh bac hai"
    assert result.hits[0].title == "Phương trình bậc hai một ẩn"
    assert "<mark>" in result.hits[0].snippet


def test_correct_words_are_not_respelled(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="phương trình"))
    assert result.corrected == "" and result.total >= 3


def test_short_words_are_not_respelled_but_a_spelling_is_offered(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="tieng viwt"))  # "viwt": four letters, one edit from "viet"
    assert result.total == 0 and result.corrected == ""
    assert result.suggestion == "tieng viet"
    assert library.search(SearchQuery(text=result.suggestion)).total >= 1


def test_no_spelling_is_offered_when_it_would_find_nothing_too(library: SqliteFtsIndex) -> None:
    result = library.search(SearchQuery(text="qqqq zzzz"))
    assert (result.total, result.suggestion) == (0, "")


def test_a_quoted_phrase_is_taken_as_typed(library: SqliteFtsIndex) -> None:
    assert library.search(SearchQuery(text='"phuogn trinh"')).total == 0


def test_the_vocabulary_follows_the_index(index: SqliteFtsIndex) -> None:
    index.upsert(collection()[:3])
    assert index.search(SearchQuery(text="parabool")).total == 0
    index.upsert(collection()[8:9])  # "Hàm số bậc hai và đồ thị ... parabol"
    result = index.search(SearchQuery(text="parabool"))
    assert result.corrected == "parabol" and result.total == 1


@pytest.fixture
def indexed(app):
    app.extensions["search"].upsert(collection())
    return app


def test_no_results_page_offers_a_spelling_and_the_search_without_filters(indexed, client) -> None:
    api = client.get("/api/v1/search", query_string={"q": "tieng viwt"}).json
    assert (api["total"], api["suggestion"], api["without_filters"]) == (0, "tieng viet", None)
    filtered = client.get("/api/v1/search", query_string={"q": "newton", "grade": "12"}).json
    assert (filtered["total"], filtered["without_filters"]) == (0, 2)
    page = client.get("/search", query_string={"q": "tieng viwt"}).get_data(as_text=True)
    assert 'id="did-you-mean"' in page and "Có phải bạn muốn tìm:" in page
    assert 'href="/search?q=tieng+viet"' in page
    page = client.get("/search", query_string={"q": "newton", "grade": "12"}).get_data(as_text=True)
    assert 'id="without-filters"' in page and 'href="/search?q=newton"' in page and "2 học liệu" in page


def test_results_page_says_which_spelling_was_searched(indexed, client) -> None:
    page = client.get("/search", query_string={"q": "phuogn trinh"}).get_data(as_text=True)
    assert 'id="corrected"' in page and "“phuong trinh”" in page
    assert client.get("/api/v1/search", query_string={"q": "phuogn trinh"}).json["corrected"] == "phuong trinh"


def test_only_the_first_words_of_a_long_query_are_looked_up() -> None:
    text = " ".join(f"phuong{'abcdefghij'[i % 10]}{'klmnopqrst'[i // 10]}" for i in range(60)) + ' "quoted"'
    words = unquoted_words(text + " 12345 " + "x" * 40)
    assert len(words) == 8 and words[0] == "phuongak"


def test_a_long_junk_query_gets_a_sane_answer(library: SqliteFtsIndex) -> None:
    text = " ".join(["phuongxx", "truongyy", "nguyenzz", "chuongqq"] * 40)
    result = library.search(SearchQuery(text=text))
    assert result.total == 0 and isinstance(result.suggestion, str)
