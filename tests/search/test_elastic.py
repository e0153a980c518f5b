"""The Elasticsearch engine without a cluster: the official client talks to a fake node that records
every HTTP request (tests/search/fake_elasticsearch.py). These tests pin the index template and the
query bodies sent; what a live cluster does with them is the contract suite's job (test_contract.py)."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from search.audience import PUBLIC_VIEWER, es_clause
from search.elastic import ElasticsearchIndex, index_template, indexed_pages, safe_snippet, search_body, to_source
from search.interfaces import PageText, SearchDocument, SearchQuery, SearchQueryError, SearchUnavailable
from tests.conftest import make_test_app
from tests.search.conftest import collection
from tests.search.fake_elasticsearch import URL, FakeCluster, empty_response, fake_client

FOLDED_FIELDS = ["title^10", "chapter^4", "lesson^4", "subject_name^3", "description^2", "body^1"]
EXACT_FIELDS = ["title.exact", "chapter.exact", "lesson.exact", "subject_name.exact", "description.exact",
                "body.exact"]
PAIR_FIELDS = ["title.shingles^10", "chapter.shingles^4", "lesson.shingles^4", "subject_name.shingles^3",
               "description.shingles^2", "body.shingles^1"]
FUZZY = {"fuzziness": "AUTO:5,8", "prefix_length": 1}
PAGE_INNER_HITS = {
    "name": "pages", "size": 3, "_source": False, "docvalue_fields": ["pages.number"],
    "sort": ["_score", {"pages.number": "asc"}],
    "highlight": {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                  "fields": {"pages.text": {"fragment_size": 200, "number_of_fragments": 1, "no_match_size": 200}}}}
HOSTILE = ['title:* OR 1=1', 'NEAR(a b', '"unbalanced', '{"query_string": {"query": "*"}}', "a AND b || c",
           "\\\\ / ~ ^ ! @ # $ % & * ( ) [ ] { } < >", "body:(x) -y +z", "a" * 600, "đ*?"]


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def engine(cluster: FakeCluster) -> ElasticsearchIndex:
    return ElasticsearchIndex(URL, prefix="hoclieu", client=fake_client(cluster))


def sent_search_body(engine: ElasticsearchIndex, cluster: FakeCluster, query: SearchQuery,
                     raw: bool = False) -> dict[str, Any]:
    """The body sent, without the publication-scope filter around the query (tests/search/test_audience.py)."""
    engine.search(query)
    body = cluster.requests_to("POST", "/hoclieu-materials/_search")[-1].body
    if raw:
        return body
    wrapped = body["query"]["bool"]
    assert wrapped["filter"] == [es_clause(query.viewer)]
    return {**body, "query": wrapped["must"][0]}


# -- the index template ----------------------------------------------------------------------


def test_index_template_has_the_vietnamese_analysis_chain(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert([])
    template = cluster.templates["hoclieu-materials"]
    assert template["index_patterns"] == ["hoclieu-materials-*"]
    analysis = template["template"]["settings"]["analysis"]
    assert analysis["tokenizer"] == {"vi_syllables": {"type": "pattern", "pattern": r"[^\p{L}\p{N}\p{M}]+"}}
    assert analysis["analyzer"]["vi_folded"]["filter"] == ["lowercase", "asciifolding"]  # đ -> d is in it
    assert analysis["analyzer"]["vi_exact"]["filter"] == ["lowercase"]
    assert analysis["analyzer"]["vi_pairs"]["filter"] == ["lowercase", "asciifolding", "vi_pairs"]
    assert analysis["filter"]["vi_pairs"] == {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 2,
                                              "output_unigrams": False}
    assert template["template"]["settings"]["max_result_window"] == 100_000  # MAX_PAGE * MAX_PER_PAGE


def test_every_text_field_keeps_its_exact_form_and_pairs(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert([])
    properties = cluster.templates["hoclieu-materials"]["template"]["mappings"]["properties"]
    for name in ("title", "chapter", "lesson", "subject_name", "description", "body"):
        assert properties[name] == {"type": "text", "analyzer": "vi_folded", "fields": {
            "exact": {"type": "text", "analyzer": "vi_exact"},
            "shingles": {"type": "text", "analyzer": "vi_pairs"}}}
    assert {properties[name]["type"] for name in ("level", "subject", "kind", "series", "licence", "province")} \
        == {"keyword"}
    assert properties["display"] == {"type": "object", "enabled": False}
    assert cluster.templates["hoclieu-materials"]["template"]["mappings"]["dynamic"] == "strict"


def test_template_is_what_index_template_builds(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert([])
    expected = index_template("hoclieu")
    assert cluster.templates["hoclieu-materials"] == {k: v for k, v in expected.items() if k != "name"}


# -- documents and bulk indexing -------------------------------------------------------------


def test_document_source_canonicalises_tones_and_keeps_the_original_for_display() -> None:
    doc = SearchDocument(7, "Hóa học 10 – Thủy quyển", subject="hoa-hoc", grade=10, subject_name="Hóa học",
                         published_at=datetime(2025, 3, 1, 8, 0))
    source = to_source(doc)
    assert source["title"] == "Hoá học 10 – Thuỷ quyển"
    assert source["display"] == {"title": "Hóa học 10 – Thủy quyển"}
    assert source["published_at"] == "2025-03-01T08:00:00+00:00"
    assert source["suggest"] == ["Hóa học", "Hóa học 10 – Thủy quyển"]
    with pytest.raises(TypeError):
        to_source(SearchDocument(True, "x"))  # type: ignore[arg-type]


def test_bulk_indexing_goes_to_the_alias_in_chunks(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    docs = [SearchDocument(n, f"Bài {n}") for n in range(1, 1201)]
    assert engine.upsert(docs) == 1200
    bulks = cluster.requests_to("PUT", "/_bulk")
    assert [len(b.body) // 2 for b in bulks] == [500, 500, 200]
    assert bulks[0].body[0] == {"index": {"_index": "hoclieu-materials", "_id": "1"}}
    assert engine.count() == 1200


def test_first_write_creates_a_versioned_index_behind_the_alias(engine: ElasticsearchIndex,
                                                                cluster: FakeCluster) -> None:
    engine.upsert(collection())
    (index,) = cluster.aliases["hoclieu-materials"]
    assert re.fullmatch(r"hoclieu-materials-\d{20}", index)
    assert len(cluster.indices[index]) == len(collection())


def test_rebuild_fills_a_new_index_then_swaps_the_alias_atomically(engine: ElasticsearchIndex,
                                                                   cluster: FakeCluster) -> None:
    engine.upsert(collection())
    (old,) = cluster.aliases["hoclieu-materials"]
    start = len(cluster.requests)
    assert engine.rebuild([collection()[:10], collection()[10:]]) == len(collection())
    (new,) = cluster.aliases["hoclieu-materials"]
    assert new != old and old not in cluster.indices
    steps = [(r.method, r.path) for r in cluster.requests[start:]]
    swap = steps.index(("POST", "/_aliases"))
    assert steps[swap + 1] == ("DELETE", f"/{old}")
    assert all(path != "/hoclieu-materials/_search" for _, path in steps)
    bulk_targets = {line["index"]["_index"] for r in cluster.requests[start:] if r.path == "/_bulk"
                    for line in r.body[::2]}
    assert bulk_targets == {new}  # documents went to the new index, not through the alias
    assert cluster.requests[start:][swap].body == {"actions": [
        {"remove": {"index": old, "alias": "hoclieu-materials"}},
        {"add": {"index": new, "alias": "hoclieu-materials"}}]}


def test_a_failed_rebuild_leaves_the_alias_alone(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert(collection())
    before = dict(cluster.aliases)

    def batches():
        yield collection()[:5]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(batches())
    assert cluster.aliases == before and set(cluster.indices) == set(before["hoclieu-materials"])


def test_delete_by_ids(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert(collection())
    assert engine.delete([1, 2, 999]) == 2
    assert cluster.requests_to("POST", "/_delete_by_query")[-1].body == {
        "query": {"ids": {"values": ["1", "2", "999"]}}}


# -- query bodies ----------------------------------------------------------------------------


def test_representative_query_body_is_pinned(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text="Học sinh", filters={"subject": "gdcd"},
                                                         page=2, per_page=5))
    assert body["query"] == {"bool": {
        "must": [{"multi_match": {"query": "hoc", "type": "best_fields", "fields": FOLDED_FIELDS, **FUZZY}},
                 {"multi_match": {"query": "sinh", "type": "best_fields", "fields": FOLDED_FIELDS, **FUZZY}}],
        "should": [
            {"constant_score": {"filter": {"bool": {"must": [
                {"multi_match": {"query": "học", "type": "phrase", "fields": EXACT_FIELDS}}]}}, "boost": 1000}},
            {"constant_score": {"filter": {"match": {"title.shingles": "hoc sinh"}}, "boost": 50}},
            {"multi_match": {"query": "hoc sinh", "fields": PAIR_FIELDS, "boost": 5}},
            {"nested": {"path": "pages", "score_mode": "none", "query": {"bool": {
                "must": [{"multi_match": {"query": "hoc", "type": "best_fields", "fields": ["pages.text"], **FUZZY}},
                         {"multi_match": {"query": "sinh", "type": "best_fields", "fields": ["pages.text"], **FUZZY}}],
                "should": [{"constant_score": {"filter": {"bool": {"must": [
                    {"multi_match": {"query": "học", "type": "phrase", "fields": ["pages.text.exact"]}}]}},
                    "boost": 1000}}]}},
                "inner_hits": PAGE_INNER_HITS}}]}}
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"subject": "gdcd"}}]}}
    assert body["aggs"]["subject"]["filter"] == {"bool": {"filter": []}}  # a facet ignores its own filter
    assert body["aggs"]["level"]["filter"] == {"bool": {"filter": [{"term": {"subject": "gdcd"}}]}}
    assert (body["from"], body["size"], body["track_total_hits"]) == (5, 5, True)
    assert body["sort"] == ["_score", {"published_at": {"order": "desc", "missing": "_last"}},
                            {"material_id": "desc"}]
    assert body["highlight"]["encoder"] == "html"


def test_quoted_phrase_and_d_with_stroke(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text='"Đường thẳng" song song'))
    must = body["query"]["bool"]["must"]
    assert must[0] == {"multi_match": {"query": "duong thang", "type": "phrase", "fields": FOLDED_FIELDS}}
    exact = body["query"]["bool"]["should"][0]["constant_score"]["filter"]["bool"]["must"]
    assert exact == [{"multi_match": {"query": "đường thẳng", "type": "phrase", "fields": EXACT_FIELDS}}]


def test_browse_and_newest_sort_and_grade_filter(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text="!!!", filters={"grade": "10"}, sort="relevance"))
    assert body["query"] == {"match_all": {}}
    assert body["sort"] == [{"published_at": {"order": "desc", "missing": "_last"}}, {"material_id": "desc"}]
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"grade": 10}}]}}
    newest = sent_search_body(engine, cluster, SearchQuery(text="toán", sort="newest"))
    assert newest["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}


def _query_strings(node: Any) -> Any:
    """Every value of a "query" key inside match and multi_match clauses, recursively."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "multi_match"):
                yield from (v["query"] if isinstance(v, dict) else v for v in
                            ([value] if key == "multi_match" else value.values()))
            yield from _query_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _query_strings(item)


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_never_reaches_query_string(engine: ElasticsearchIndex, cluster: FakeCluster, text: str) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text=text))
    serialised = json.dumps(body)
    assert "query_string" not in serialised and "simple_query_string" not in serialised
    assert "regexp" not in serialised and "wildcard" not in serialised
    for value in _query_strings(body):
        assert re.fullmatch(r"[^\W_]+( [^\W_]+)*", value), value  # syllables and single spaces only


def test_search_body_is_what_is_sent(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    query = SearchQuery(text="định luật 2 Newton", filters={"grade": "10", "subject": "vat-li"})
    assert sent_search_body(engine, cluster, query, raw=True) == search_body(query)


def test_invalid_queries_are_refused_before_any_request(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    with pytest.raises(SearchQueryError):
        engine.search(SearchQuery(text="x", page=10**9))
    with pytest.raises(SearchQueryError):
        engine.search(SearchQuery(text="x", filters={"grade": "mười"}))
    assert cluster.requests == []


# -- answers ---------------------------------------------------------------------------------


def test_hits_facets_and_snippets_from_the_answer(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    cluster.search_response = {"hits": {"total": {"value": 42, "relation": "eq"}, "hits": [
        {"_score": 12.5, "_source": {"material_id": 3, "kind": "bai-giang", "subject": "vat-li", "grade": 10,
                                     "level": "thpt", "display": {"title": "Định luật 2 Newton"}},
         "highlight": {"body": ["lực &lt;F&gt; và <mark>gia</mark>   <mark>tốc</mark>"]}}]},
        "aggregations": {"grade": {"doc_count": 42, "values": {"buckets": [{"key": 10, "doc_count": 30},
                                                                           {"key": 11, "doc_count": 12}]}},
                         "kind": {"doc_count": 42, "values": {"buckets": [{"key": "", "doc_count": 2},
                                                                          {"key": "b", "doc_count": 5},
                                                                          {"key": "a", "doc_count": 5}]}}}}
    result = engine.search(SearchQuery(text="gia tốc"))
    assert result.total == 42
    (hit,) = result.hits
    assert (hit.material_id, hit.title, hit.grade, hit.score) == (3, "Định luật 2 Newton", 10, 12.5)
    assert hit.snippet == "lực &lt;F&gt; và <mark>gia</mark> <mark>tốc</mark>"
    assert [(v.value, v.count) for v in result.facets["grade"]] == [("10", 30), ("11", 12)]
    assert [(v.value, v.count) for v in result.facets["kind"]] == [("a", 5), ("b", 5)]
    assert result.facets["level"] == [] and result.facets["subject"] == []


def test_suggest_offers_subject_names_first(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    cluster.search_response = {"hits": {"total": {"value": 3, "relation": "eq"}, "hits": [
        {"_source": {"display": {"title": "Hoá học 10 – Bài 1"}, "subject_name": "Hóa học"}},
        {"_source": {"display": {"title": "Hoạt động trải nghiệm"}, "subject_name": "Hoạt động trải nghiệm"}},
        {"_source": {"display": {"title": "Hoá học 10 – Bài 1"}, "subject_name": "Hóa học"}}]}}
    assert engine.suggest("hoa") == ["Hóa học", "Hoạt động trải nghiệm", "Hoá học 10 – Bài 1"]
    body = cluster.requests_to("POST", "/_search")[-1].body
    assert body["query"]["bool"]["filter"] == [es_clause(PUBLIC_VIEWER)]
    assert body["query"]["bool"]["must"][0]["multi_match"] == {"query": "hoa", "type": "bool_prefix",
                                                               "fields": ["suggest", "suggest._2gram",
                                                                          "suggest._3gram"]}
    assert engine.suggest("!!!") == [] and engine.suggest(None) == []  # type: ignore[arg-type]


# -- degraded mode ---------------------------------------------------------------------------


def test_unreachable_cluster_is_retried_then_a_clear_error(engine: ElasticsearchIndex,
                                                           cluster: FakeCluster) -> None:
    cluster.reachable = False
    with pytest.raises(SearchUnavailable, match="Tìm kiếm tạm thời gián đoạn"):
        engine.search(SearchQuery(text="toán"))
    assert len(cluster.requests) == 4  # the first attempt and three retries
    for call in (lambda: engine.upsert(collection()), lambda: engine.delete([1]), engine.count, engine.check,
                 lambda: engine.suggest("to")):
        with pytest.raises(SearchUnavailable):
            call()


def test_outbox_keeps_changes_while_the_cluster_is_down_and_reindex_swaps(app, client, tokens,
                                                                          cluster: FakeCluster) -> None:
    """The real publication flow and outbox, with the engine on the fake cluster."""
    from search.service import drain_outbox, reindex
    from tests.core.test_search_outbox import _pending, _publish

    app.extensions["search"].close()
    app.extensions["search"] = ElasticsearchIndex(URL, client=fake_client(cluster))
    cluster.reachable = False
    material_id = _publish(client, tokens)
    assert _pending(app) == 1
    assert client.get("/api/v1/search", query_string={"q": "newton"}).status_code == 503
    cluster.reachable = True
    assert drain_outbox(app) == 1 and _pending(app) == 0
    (index,) = cluster.aliases["hoclieu-materials"]
    assert set(cluster.indices[index]) == {str(material_id)}
    assert reindex(app) == 1
    (rebuilt,) = cluster.aliases["hoclieu-materials"]
    assert rebuilt != index and set(cluster.indices) == {rebuilt}
    assert set(cluster.indices[rebuilt]) == {str(material_id)}


def test_portal_answers_503_when_the_configured_cluster_is_down(tmp_path) -> None:
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'hoclieu.db'}",
                        search={"backend": "elasticsearch", "elasticsearch_url": "http://127.0.0.1:9"})
    try:
        assert isinstance(app.extensions["search"], ElasticsearchIndex)
        client = app.test_client()
        response = client.get("/api/v1/search", query_string={"q": "toán"})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "search_unavailable"
        assert client.get("/search", query_string={"q": "toán"}).status_code == 503
        assert client.get("/api/v1/suggest", query_string={"q": "to"}).status_code == 503
        assert client.get("/healthz").get_json()["search"] == "error"
    finally:
        app.extensions["search"].close()
        app.extensions["db"].dispose()


def test_published_at_is_sent_in_utc() -> None:
    hanoi = timezone(timedelta(hours=7))
    aware = to_source(SearchDocument(1, "x", published_at=datetime(2025, 1, 1, 14, tzinfo=hanoi)))
    assert aware["published_at"] == "2025-01-01T07:00:00+00:00"
    assert to_source(SearchDocument(1, "x"))["published_at"] is None


# -- typo tolerance, "did you mean", most used -----------------------------------------------


def test_single_words_are_fuzzy_and_phrases_are_not(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text='phuogn "bậc hai"'))
    must = body["query"]["bool"]["must"]
    assert must == [
        {"multi_match": {"query": "phuogn", "type": "best_fields", "fields": FOLDED_FIELDS, **FUZZY}},
        {"multi_match": {"query": "bac hai", "type": "phrase", "fields": FOLDED_FIELDS}}]


def test_term_suggester_is_asked_for_unquoted_words(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text='Phưong trìhn "bậc hai"', filters={"grade": "9"}))
    assert body["suggest"] == {"text": "phuong trihn", "spelling": {"term": {
        "field": "title", "suggest_mode": "missing", "prefix_length": 1, "min_word_length": 3, "max_edits": 2,
        "size": 1}}}
    browse = sent_search_body(engine, cluster, SearchQuery(text='"bậc hai"'))
    assert "suggest" not in browse


def test_no_hits_offers_the_suggested_spelling(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    cluster.search_response = {**empty_response(), "suggest": {"spelling": [
        {"text": "phuong", "offset": 0, "length": 6, "options": []},
        {"text": "trihn", "offset": 7, "length": 5, "options": [{"text": "trinh", "score": 0.8, "freq": 40}]}]}}
    assert engine.search(SearchQuery(text="phuong trihn")).suggestion == "phuong trinh"
    cluster.search_response = {**empty_response(), "suggest": {"spelling": [
        {"text": "toan", "offset": 0, "length": 4, "options": []}]}}
    assert engine.search(SearchQuery(text="toan")).suggestion == ""


def test_popular_sort_puts_popularity_first(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    newest = [{"published_at": {"order": "desc", "missing": "_last"}}, {"material_id": "desc"}]
    popular = {"popularity": {"order": "desc", "missing": "_last"}}
    assert sent_search_body(engine, cluster, SearchQuery(text="toán", sort="popular"))["sort"] == \
        [popular, "_score", *newest]
    assert sent_search_body(engine, cluster, SearchQuery(sort="popular"))["sort"] == [popular, *newest]


def test_popularity_is_indexed_and_updated_in_place(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    docs = collection()[:3]
    docs[0].popularity = 7
    engine.upsert(docs)
    [index_name] = cluster.targets("hoclieu-materials")
    assert cluster.indices[index_name]["1"]["popularity"] == 7
    assert engine.set_popularity({2: 40, 999: 3}) == 1  # 999 is not in the index: skipped, not an error
    assert cluster.indices[index_name]["2"]["popularity"] == 40
    assert cluster.indices[index_name]["2"]["title"] == docs[1].title
    assert "999" not in cluster.indices[index_name]
    update = cluster.requests_to("PUT", "/_bulk")[-1].body
    assert update[:2] == [{"update": {"_index": "hoclieu-materials", "_id": "2"}}, {"doc": {"popularity": 40}}]


# -- page hits -------------------------------------------------------------------------------

TEXTBOOK_PAGES = [PageText(1, "Chương I. Động học: chuyển động thẳng đều, vận tốc và quãng đường."),
                  PageText(2, "Quán tính là tính chất giữ nguyên vận tốc của vật. <script>alert(1)</script>"),
                  PageText(3, "Chương IV. Năng lượng: động năng và thế năng của vật.")]


def test_pages_are_a_nested_field_with_the_vietnamese_analysis(engine: ElasticsearchIndex,
                                                               cluster: FakeCluster) -> None:
    engine.upsert([])
    mapping = cluster.templates["hoclieu-materials"]["template"]["mappings"]
    assert mapping["properties"]["pages"] == {"type": "nested", "properties": {
        "number": {"type": "integer"},
        "text": {"type": "text", "analyzer": "vi_folded", "fields": {"exact": {"type": "text",
                                                                             "analyzer": "vi_exact"}}}}}
    assert mapping["properties"]["page_unit"] == {"type": "keyword"}
    assert mapping["_meta"] == {"version": 2}


def test_pages_are_indexed_with_their_unit() -> None:
    deck = SearchDocument(5, "Bài giảng", page_unit="slide",
                          pages=[PageText(2, "Hóa học"), PageText(1, "Mở đầu"), PageText(3, "  "),
                                 PageText(2, "Thủy quyển")])
    source = to_source(deck)
    assert source["page_unit"] == "slide"
    # in order, each number once (the last copy wins), blank pages left out, tones canonical like the body
    assert source["pages"] == [{"number": 1, "text": "Mở đầu"}, {"number": 2, "text": "Thuỷ quyển"}]
    one_page = to_source(SearchDocument(6, "Phiếu", pages=[PageText(1, "Quán tính")]))
    assert one_page["pages"] == [] and one_page["page_unit"] == "page"  # its snippet already shows that page


def test_page_text_is_cut_like_the_body() -> None:
    pages = [PageText(n, "x" * 90_000) for n in range(1, 5)]
    indexed = indexed_pages(SearchDocument(1, "Sách", pages=pages))
    assert [len(p["text"]) for p in indexed] == [90_000, 90_000, 20_000]  # MAX_INDEXED_CHARS in all
    many = indexed_pages(SearchDocument(1, "Ngân hàng", pages=[PageText(n, "câu") for n in range(1, 10_050)]))
    assert len(many) == 10_000  # Elasticsearch's default limit of nested objects per document


def test_pages_reach_the_cluster_in_the_bulk_request(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert([SearchDocument(1, "Vật lí 10", pages=TEXTBOOK_PAGES, page_unit="page")])
    (bulk,) = cluster.requests_to("PUT", "/_bulk")
    assert [p["number"] for p in bulk.body[1]["pages"]] == [1, 2, 3]
    assert bulk.body[1]["pages"][1]["text"].endswith("<script>alert(1)</script>")  # escaped when shown, not here


def test_browsing_asks_for_no_pages(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    assert "nested" not in json.dumps(sent_search_body(engine, cluster, SearchQuery(text="?!")))


def test_a_phrase_stays_a_phrase_in_pages(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    body = sent_search_body(engine, cluster, SearchQuery(text='"dong nang"'))
    (pages,) = [c["nested"] for c in body["query"]["bool"]["should"] if "nested" in c]
    assert pages["query"] == {"bool": {"must": [
        {"multi_match": {"query": "dong nang", "type": "phrase", "fields": ["pages.text"]}}], "should": []}}


def _page(number: int, fragment: str, offset: int) -> dict[str, Any]:
    """An inner hit as Elasticsearch 8 answers a sorted nested inner_hits with docvalue_fields."""
    return {"_index": "hoclieu-materials-20250101000000000000", "_id": "1",
            "_nested": {"field": "pages", "offset": offset}, "_score": None, "sort": [2.1, number],
            "fields": {"pages.number": [number]}, "highlight": {"pages.text": [fragment]}}


def test_inner_hits_become_page_hits_with_safe_snippets(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    encoded = "<mark>Quán</mark> <mark>tính</mark> là tính chất. &lt;script&gt;alert(1)&lt;&#x2F;script&gt;"
    pages = [_page(2, encoded, 1),
             _page(7, "raw <script>x</script> <mark>quán</mark>   <mark>tính</mark></mark><mark>", 6),
             _page(9, "a &amp; b &quot;c&quot; <b>quán tính</b>", 8),
             _page(11, "a fourth page is more than MAX_PAGE_HITS", 10)]
    cluster.search_response = {"hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
        {"_id": "1", "_score": 8.5, "_source": {"material_id": 1, "kind": "sach-giao-khoa", "subject": "vat-li",
                                                "grade": 10, "level": "thpt", "display": {"title": "Vật lí 10"},
                                                "page_unit": "slide"},
         "highlight": {"body": ["<mark>Quán</mark> <mark>tính</mark> là"]},
         "inner_hits": {"pages": {"hits": {"total": {"value": 4, "relation": "eq"}, "max_score": None,
                                           "hits": pages}}}},
        {"_id": "2", "_score": 4.0, "_source": {"material_id": 2, "display": {"title": "Phiếu"}},
         "inner_hits": {"pages": {"hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None,
                                           "hits": []}}}}]}}
    first, second = engine.search(SearchQuery(text="quán tính")).hits
    assert [(p.number, p.unit) for p in first.pages] == [(2, "slide"), (7, "slide"), (9, "slide")]
    assert first.pages[0].snippet == ("<mark>Quán</mark> <mark>tính</mark> là tính chất. "
                                      "&lt;script&gt;alert(1)&lt;/script&gt;")
    # a cluster that did not encode: still escaped; a stray or unclosed tag is dropped or closed
    assert first.pages[1].snippet == "raw &lt;script&gt;x&lt;/script&gt; <mark>quán</mark> <mark>tính</mark>"
    assert first.pages[2].snippet == "a &amp; b &quot;c&quot; &lt;b&gt;quán tính&lt;/b&gt;"
    assert second.pages == []


@pytest.mark.parametrize(("fragment", "safe"), [
    ("<mark>a</mark>", "<mark>a</mark>"),
    ("<mark>a", "<mark>a</mark>"),
    ("</mark>a<mark><mark>b</mark>", "a<mark>b</mark>"),
    ("<MARK onclick=x>a</MARK>", "&lt;MARK onclick=x&gt;a&lt;/MARK&gt;"),
    ("&lt;mark&gt;", "&lt;mark&gt;"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
])
def test_safe_snippet_keeps_only_mark_tags(fragment: str, safe: str) -> None:
    assert safe_snippet(fragment) == safe


def test_an_index_of_an_older_mapping_gains_the_page_fields(cluster: FakeCluster, caplog) -> None:
    """An index made by the template before pages existed: writes with pages are accepted after the fields
    are added in place, and the log asks for a reindex."""
    client = fake_client(cluster)
    old = index_template("hoclieu")
    mapping = old["template"]["mappings"]
    del mapping["_meta"]
    for name in ("pages", "page_unit"):
        del mapping["properties"][name]
    client.indices.put_index_template(**old)
    client.indices.create(index="hoclieu-materials-20240101000000000000")
    client.indices.update_aliases(actions=[{"add": {"index": "hoclieu-materials-20240101000000000000",
                                                    "alias": "hoclieu-materials"}}])
    engine = ElasticsearchIndex(URL, client=client)
    with caplog.at_level(logging.WARNING, logger="search.elastic"):
        assert engine.upsert([SearchDocument(1, "Vật lí 10", pages=TEXTBOOK_PAGES)]) == 1
    properties = cluster.mappings["hoclieu-materials-20240101000000000000"]["properties"]
    assert properties["pages"]["type"] == "nested" and properties["page_unit"] == {"type": "keyword"}
    assert "hoclieu reindex" in caplog.text
    assert len(cluster.indices["hoclieu-materials-20240101000000000000"]["1"]["pages"]) == 3


def test_an_index_of_the_current_mapping_is_left_alone(engine: ElasticsearchIndex, cluster: FakeCluster) -> None:
    engine.upsert(collection())
    again = ElasticsearchIndex(URL, client=fake_client(cluster))
    assert again.count() == len(collection())
    assert cluster.requests_to("GET", "/_mapping") and not cluster.requests_to("PUT", "/_mapping")
