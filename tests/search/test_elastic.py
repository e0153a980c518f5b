"""The Elasticsearch engine without a cluster: the official client talks to a fake node that records
every HTTP request (tests/search/fake_elasticsearch.py). These tests pin the index template and the
query bodies sent; what a live cluster does with them is the contract suite's job (test_contract.py)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from search.audience import PUBLIC_VIEWER, es_clause
from search.elastic import ElasticsearchIndex, index_template, search_body, to_source
from search.interfaces import SearchDocument, SearchQuery, SearchQueryError, SearchUnavailable
from tests.conftest import make_test_app
from tests.search.conftest import collection
from tests.search.fake_elasticsearch import URL, FakeCluster, empty_response, fake_client

FOLDED_FIELDS = ["title^10", "chapter^4", "lesson^4", "subject_name^3", "description^2", "body^1"]
EXACT_FIELDS = ["title.exact", "chapter.exact", "lesson.exact", "subject_name.exact", "description.exact",
                "body.exact"]
PAIR_FIELDS = ["title.shingles^10", "chapter.shingles^4", "lesson.shingles^4", "subject_name.shingles^3",
               "description.shingles^2", "body.shingles^1"]
FUZZY = {"fuzziness": "AUTO:5,8", "prefix_length": 1}
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
            {"multi_match": {"query": "hoc sinh", "fields": PAIR_FIELDS, "boost": 5}}]}}
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
