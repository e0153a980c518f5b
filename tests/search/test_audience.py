"""The publication-scope filter of search (search.audience): each engine finds a document only for the viewers
its scope reaches, in hits, totals, facets and suggestions."""

from __future__ import annotations

import pytest

from search.audience import PUBLIC_VIEWER, SearchViewer, es_clause
from search.elastic import search_body, suggest_body
from search.interfaces import SearchDocument, SearchQuery
from search.sqlite_fts import SqliteFtsIndex

SCHOOL_UNIT, OTHER_SCHOOL = 41, 42
DOCS = [
    SearchDocument(1, "Định luật Newton toàn quốc", subject="vat-li", province="HN", audience_scope="national"),
    SearchDocument(2, "Định luật Newton của Hà Nội", subject="vat-li", province="HN", audience_scope="province",
                   audience_unit=SCHOOL_UNIT),
    SearchDocument(3, "Định luật Newton của trường", subject="hoa-hoc", province="HN", audience_scope="school",
                   audience_unit=SCHOOL_UNIT),
    SearchDocument(4, "Định luật Newton của Đà Nẵng", subject="vat-li", province="DN", audience_scope="province",
                   audience_unit=77),
]
VIEWERS = {
    "anonymous": (PUBLIC_VIEWER, [1]),
    "same school": (SearchViewer(unit_id=SCHOOL_UNIT, province="HN"), [1, 2, 3]),
    "other Hà Nội school": (SearchViewer(unit_id=OTHER_SCHOOL, province="HN"), [1, 2]),
    "Đà Nẵng": (SearchViewer(unit_id=99, province="DN"), [1, 4]),
    "reviewer": (SearchViewer(unit_id=5, everything=True), [1, 2, 3, 4]),
}


@pytest.fixture
def index(tmp_path):
    engine = SqliteFtsIndex(tmp_path / "search.db")
    engine.upsert(DOCS)
    yield engine
    engine.close()


@pytest.mark.parametrize("who", list(VIEWERS))
def test_each_viewer_finds_what_its_scope_reaches(index, who):
    viewer, expected = VIEWERS[who]
    for text in ("newton", ""):
        result = index.search(SearchQuery(text=text, viewer=viewer))
        assert sorted(h.material_id for h in result.hits) == expected
        assert result.total == len(expected)
        subjects = {v.value: v.count for v in result.facets["subject"]}
        assert sum(subjects.values()) == len(expected)


def test_cached_counts_and_results_are_kept_apart_per_viewer(index):
    """The embedded engine caches counts and result pages per index generation: every viewer asking the same
    query in the same generation must still get its own answer, in either order."""
    for order in (list(VIEWERS), list(reversed(VIEWERS))):
        for who in order:
            viewer, expected = VIEWERS[who]
            result = index.search(SearchQuery(text="newton", viewer=viewer))
            assert sorted(h.material_id for h in result.hits) == expected, who
            assert result.total == len(expected), who
            assert sum(v.count for v in result.facets["subject"]) == len(expected), who


def test_spelling_help_counts_only_documents_the_viewer_reaches(index):
    index.upsert([SearchDocument(5, "Phương trình lượng giác", subject="toan", province="DN",
                                 audience_scope="province", audience_unit=77)])
    danang = index.search(SearchQuery(text="phuongx", viewer=SearchViewer(unit_id=99, province="DN")))
    assert (danang.total, danang.corrected) == (1, "phuong")
    public = index.search(SearchQuery(text="phuongx", viewer=PUBLIC_VIEWER))
    assert (public.total, public.suggestion) == (0, "")


def test_suggestions_do_not_reveal_titles_out_of_scope(index):
    assert index.suggest("dinh luat newton cua") == []
    hanoi = index.suggest("dinh luat newton cua", viewer=SearchViewer(unit_id=OTHER_SCHOOL, province="HN"))
    assert hanoi == ["Định luật Newton của Hà Nội"]


def test_a_query_without_a_viewer_is_a_public_one(index):
    assert [h.material_id for h in index.search(SearchQuery(text="newton")).hits] == [1]


def test_deleted_and_cleared_documents_leave_no_audience_behind(index):
    index.delete([2])
    hanoi = SearchViewer(unit_id=OTHER_SCHOOL, province="HN")
    assert [h.material_id for h in index.search(SearchQuery(text="newton", viewer=hanoi)).hits] == [1]
    index.clear()
    index.upsert([DOCS[0]])
    assert index.search(SearchQuery(viewer=SearchViewer(everything=True))).total == 1


def test_elasticsearch_bodies_carry_the_viewer_filter():
    hanoi = SearchViewer(unit_id=SCHOOL_UNIT, province="HN")
    body = search_body(SearchQuery(text="newton", viewer=hanoi))
    assert body["query"]["bool"]["filter"] == [{"bool": {"should": [
        {"term": {"audience_scope": "national"}},
        {"bool": {"filter": [{"term": {"audience_scope": "province"}}, {"term": {"province": "HN"}}]}},
        {"bool": {"filter": [{"term": {"audience_scope": "school"}}, {"term": {"audience_unit": "41"}}]}}],
        "minimum_should_match": 1}}]
    assert es_clause(SearchViewer(everything=True)) is None
    assert "filter" not in search_body(SearchQuery(text="newton", viewer=SearchViewer(everything=True)))["query"]
    assert suggest_body("newton")["query"]["bool"]["filter"] == [es_clause(PUBLIC_VIEWER)]
