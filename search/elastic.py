"""The production search engine: Elasticsearch 8 through the official client.

Documents live in versioned indices (``<prefix>-materials-<UTC time>``) behind one alias
(``<prefix>-materials``); an index template gives every versioned index the Vietnamese analysis chain:
syllables split like search.analysis.tokens, lower case, then ASCII folding (which maps đ to d) for
matching, with the diacritics-preserving form in an ``exact`` subfield and adjacent-syllable shingles in
a ``shingles`` subfield. ``rebuild`` fills a new index and swaps the alias in one atomic action.

User text reaches Elasticsearch only as syllables built by search.analysis inside match and
multi_match clauses, never through ``query_string`` or ``simple_query_string``. Connection failures
become SearchUnavailable with a message naming the cluster, so the portal can answer 503 and the outbox
keeps its changes until the cluster is back.

Page hits: the pages of a material of two pages or more are a ``nested`` field with the same analysis.
A text query carries an optional nested clause scoring nothing (``score_mode: none``) whose ``inner_hits``
name each hit's best pages with a highlighted fragment: which materials match, and their order, stay those
of the material fields alone, as in the embedded engine (whose ranking ignores pages too, the body already
holding their text). Every snippet is made safe here (``safe_snippet``) whatever the cluster sent.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from search import audience
from search.analysis import QueryTerm, adjacent_pairs, canonical_tones, clean, fold, parse_query, tokens
from search.interfaces import (
    FACET_FIELDS,
    MAX_INDEXED_CHARS,
    MAX_PAGE,
    MAX_PAGE_HITS,
    MAX_PER_PAGE,
    PAGE_UNITS,
    FacetValue,
    PageHit,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    validate_query,
)
from search.spelling import SUGGEST_LENGTH, respell, unquoted_words

log = logging.getLogger(__name__)

TEXT_FIELDS = {"title": 10, "chapter": 4, "lesson": 4, "subject_name": 3, "description": 2, "body": 1}
KEYWORD_FIELDS = ("level", "subject", "kind", "series", "licence", "province")
EXACT_BOOST = 1000      # every diacritic-typed word found as typed: above any folded-only match
TITLE_PAIR_BOOST = 50   # each pair of adjacent typed syllables found together in the title
PAIR_BOOST = 5          # each pair found together in another field
MAX_PAIRS = 6
BULK_CHUNK = 500
FACET_SIZE = 200
SUGGEST_SCAN = 40
MAX_PREFIX_CHARS = 100
FUZZINESS = "AUTO:5,8"  # as search.spelling: exact below 5 letters, 1 edit from 5, 2 from 8
FUZZY_PREFIX = 1        # search.spelling.PREFIX_LENGTH: the first letter is never an edit
SPELLING_FIELD = "title"  # the term suggester offers words of titles ("Có phải bạn muốn tìm")
SYLLABLE_SPLIT = r"[^\p{L}\p{N}\p{M}]+"   # Java regex: split like search.analysis.tokens
# The version of mappings() in each index's _meta. 2: pages (nested, for page hits) and page_unit. An index of
# an older version gains the new fields in place (its documents get pages at their next write) and the log asks
# for `hoclieu reindex`, which builds a new index of this version behind the alias.
MAPPING_VERSION = 2
ADDED_FIELDS = (*audience.ES_MAPPING, "pages", "page_unit")   # fields added since version 1
MAX_NESTED_PAGES = 10_000   # Elasticsearch's default index.mapping.nested_objects.limit per document
PAGE_HITS = "pages"         # the name of the inner hits of the pages clause
SNIPPET_CHARS = 200
_MARK_TAG = re.compile(r"(</?mark>)")

F = TypeVar("F", bound=Callable[..., Any])


def analysis_settings() -> dict[str, Any]:
    """The Vietnamese analysis chain shared by index and query time."""
    return {
        "tokenizer": {"vi_syllables": {"type": "pattern", "pattern": SYLLABLE_SPLIT}},
        "filter": {"vi_pairs": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 2,
                                "output_unigrams": False}},
        "analyzer": {
            "vi_folded": {"type": "custom", "tokenizer": "vi_syllables", "filter": ["lowercase", "asciifolding"]},
            "vi_exact": {"type": "custom", "tokenizer": "vi_syllables", "filter": ["lowercase"]},
            "vi_pairs": {"type": "custom", "tokenizer": "vi_syllables",
                         "filter": ["lowercase", "asciifolding", "vi_pairs"]},
        },
    }


def _text_field(pairs: bool = True) -> dict[str, Any]:
    fields = {"exact": {"type": "text", "analyzer": "vi_exact"}}
    if pairs:
        fields["shingles"] = {"type": "text", "analyzer": "vi_pairs"}
    return {"type": "text", "analyzer": "vi_folded", "fields": fields}


def mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {name: _text_field() for name in TEXT_FIELDS}
    properties.update({name: {"type": "keyword"} for name in KEYWORD_FIELDS})
    properties.update({
        "material_id": {"type": "long"},
        "grade": {"type": "integer"},
        "published_at": {"type": "date"},
        "popularity": {"type": "integer"},
        "suggest": {"type": "search_as_you_type", "analyzer": "vi_folded"},
        "display": {"type": "object", "enabled": False},
        "page_unit": {"type": "keyword"},
        "pages": {"type": "nested", "properties": {"number": {"type": "integer"}, "text": _text_field(pairs=False)}},
    })
    properties.update(audience.ES_MAPPING)
    return {"dynamic": "strict", "_meta": {"version": MAPPING_VERSION}, "properties": properties}


def added_properties() -> dict[str, Any]:
    """The mappings of the fields an index of an older version lacks."""
    return {name: mappings()["properties"][name] for name in ADDED_FIELDS}


def index_template(prefix: str) -> dict[str, Any]:
    """Keyword arguments of indices.put_index_template for every versioned index of this prefix."""
    return {
        "name": f"{prefix}-materials",
        "index_patterns": [f"{prefix}-materials-*"],
        "priority": 100,
        "template": {
            "settings": {"number_of_shards": 1, "max_result_window": MAX_PAGE * MAX_PER_PAGE,
                         "analysis": analysis_settings()},
            "mappings": mappings(),
        },
    }


# -- documents -------------------------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def indexed_pages(doc: SearchDocument) -> list[dict[str, Any]]:
    """The pages searched for page hits: none for a material of one page (its snippet already shows that page,
    as in the embedded engine); otherwise each number once (the last copy wins), in order, blank pages left out,
    their text cut to MAX_INDEXED_CHARS in all (like the body) and at most MAX_NESTED_PAGES of them."""
    texts = {int(page.number): clean(page.text) for page in doc.pages}
    if len(texts) < 2:
        return []
    pages: list[dict[str, Any]] = []
    budget = MAX_INDEXED_CHARS
    for number, text in sorted(texts.items()):
        if budget <= 0 or len(pages) >= MAX_NESTED_PAGES:
            break
        if text.strip():
            pages.append({"number": number, "text": canonical_tones(text[:budget])})
            budget -= len(text)
    return pages


def to_source(doc: SearchDocument) -> dict[str, Any]:
    """The indexed form of a document: text fields with canonical tones, originals under ``display``."""
    if not isinstance(doc, SearchDocument) or isinstance(doc.material_id, bool) \
            or not isinstance(doc.material_id, int):
        raise TypeError(f"not a SearchDocument with an integer material_id: {doc!r:.200}")
    body = clean(doc.body) or "\n".join(clean(p.text) for p in doc.pages)
    texts = {"title": doc.title, "chapter": doc.chapter, "lesson": doc.lesson, "subject_name": doc.subject_name,
             "description": doc.description, "body": body[:MAX_INDEXED_CHARS]}
    source: dict[str, Any] = {name: canonical_tones(clean(value)) for name, value in texts.items()}
    source.update({name: clean(getattr(doc, name)) for name in KEYWORD_FIELDS})
    source.update(material_id=doc.material_id, grade=doc.grade, published_at=_timestamp(doc.published_at),
                  popularity=int(doc.popularity or 0),
                  suggest=[s for s in (clean(doc.subject_name), clean(doc.title)) if s],
                  display={"title": clean(doc.title)},
                  page_unit=doc.page_unit if doc.page_unit in PAGE_UNITS else "page", pages=indexed_pages(doc))
    source.update(audience.es_source(doc.audience_scope, doc.audience_unit))
    return source


def bulk_actions(index: str, documents: Iterable[SearchDocument]) -> Iterator[dict[str, Any]]:
    for doc in documents:
        yield {"_op_type": "index", "_index": index, "_id": str(doc.material_id), "_source": to_source(doc)}


# -- queries ---------------------------------------------------------------------------------


def _fields(suffix: str = "", weights: bool = True) -> list[str]:
    return [f"{name}{suffix}" + (f"^{weight}" if weights else "") for name, weight in TEXT_FIELDS.items()]


def _term_clause(term: QueryTerm, fields: list[str] | None = None) -> dict[str, Any]:
    """A required term: one folded syllable in any field (typo tolerant from 5 letters), or a folded
    phrase (taken as typed)."""
    fields = fields or _fields()
    if len(term.folded) > 1:
        return {"multi_match": {"query": " ".join(term.folded), "type": "phrase", "fields": fields}}
    return {"multi_match": {"query": term.folded[0], "type": "best_fields", "fields": fields,
                            "fuzziness": FUZZINESS, "prefix_length": FUZZY_PREFIX}}


def _exact_clause(terms: list[QueryTerm], fields: list[str] | None = None) -> dict[str, Any] | None:
    """Scores EXACT_BOOST when every word typed with diacritics is found with them."""
    marked = [t for t in terms if t.exact != t.folded]
    if not marked:
        return None
    fields = fields or _fields(".exact", False)
    phrases = [{"multi_match": {"query": " ".join(t.exact), "type": "phrase", "fields": fields}} for t in marked]
    return {"constant_score": {"filter": {"bool": {"must": phrases}}, "boost": EXACT_BOOST}}


def _pages_clause(terms: list[QueryTerm]) -> dict[str, Any]:
    """The pages holding every term, as inner hits: the best MAX_PAGE_HITS of each hit (pages with the
    diacritics typed first, then by score, then the earliest), each with one highlighted fragment. It scores
    nothing (score_mode none) and is optional: it names pages without changing which materials match or their
    order."""
    exact = _exact_clause(terms, ["pages.text.exact"])
    query = {"bool": {"must": [_term_clause(t, ["pages.text"]) for t in terms], "should": [exact] if exact else []}}
    return {"nested": {"path": "pages", "score_mode": "none", "query": query, "inner_hits": {
        "name": PAGE_HITS, "size": MAX_PAGE_HITS, "_source": False, "docvalue_fields": ["pages.number"],
        "sort": ["_score", {"pages.number": "asc"}],
        "highlight": {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                      "fields": {"pages.text": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1,
                                                "no_match_size": SNIPPET_CHARS}}}}}}


def _pair_clauses(text: str) -> list[dict[str, Any]]:
    clauses = []
    for pair in adjacent_pairs(text, max_pairs=MAX_PAIRS):
        words = " ".join(pair.folded)
        clauses.append({"constant_score": {"filter": {"match": {"title.shingles": words}},
                                           "boost": TITLE_PAIR_BOOST}})
        clauses.append({"multi_match": {"query": words, "fields": _fields(".shingles"), "boost": PAIR_BOOST}})
    return clauses


def _filter_clauses(filters: dict[str, str], skip: str = "") -> list[dict[str, Any]]:
    return [{"term": {name: int(value) if name == "grade" else value}}
            for name, value in sorted(filters.items()) if name != skip]


def _text_query(text: str) -> dict[str, Any]:
    terms = parse_query(text)
    if not terms:
        return {"match_all": {}}
    should = [c for c in (_exact_clause(terms), *(_pair_clauses(text) if len(terms) > 1 else [])) if c]
    return {"bool": {"must": [_term_clause(t) for t in terms], "should": [*should, _pages_clause(terms)]}}


def _sort(query: SearchQuery, has_text: bool) -> list[Any]:
    newest = [{"published_at": {"order": "desc", "missing": "_last"}}, {"material_id": "desc"}]
    if query.sort == "popular":
        return [{"popularity": {"order": "desc", "missing": "_last"}}, *(["_score"] if has_text else []), *newest]
    return ["_score", *newest] if query.sort == "relevance" and has_text else newest


def spelling_suggester(text: str) -> dict[str, Any]:
    """A term suggester over title words for the unquoted words typed (folded), used when nothing is
    found to offer a close spelling."""
    return {"text": " ".join(unquoted_words(text)),
            "spelling": {"term": {"field": SPELLING_FIELD, "suggest_mode": "missing", "prefix_length": FUZZY_PREFIX,
                                  "min_word_length": SUGGEST_LENGTH, "max_edits": 2, "size": 1}}}


def _facet_aggregations(filters: dict[str, str]) -> dict[str, Any]:
    """Each facet counts under every filter but its own, so a filtered facet keeps its other values."""
    return {name: {"filter": {"bool": {"filter": _filter_clauses(filters, skip=name)}},
                   "aggs": {"values": {"terms": {"field": name, "size": FACET_SIZE}}}}
            for name in FACET_FIELDS}


def _with_audience(query: dict[str, Any], viewer: audience.SearchViewer) -> dict[str, Any]:
    """The publication-scope filter (search.audience) around a query; it applies to hits and facets alike."""
    clause = audience.es_clause(viewer)
    return query if clause is None else {"bool": {"must": [query], "filter": [clause]}}


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The request body for a validated query (pinned by tests: no user text outside match clauses)."""
    has_text = bool(parse_query(query.text))
    body: dict[str, Any] = {
        "query": _with_audience(_text_query(query.text), query.viewer),
        "post_filter": {"bool": {"filter": _filter_clauses(query.filters)}},
        "aggs": _facet_aggregations(query.filters),
        "sort": _sort(query, has_text),
        "from": (query.page - 1) * query.per_page,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": ["material_id", "kind", "subject", "grade", "level", "display", "page_unit"],
        "highlight": {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                      "fields": {name: {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1}
                                 for name in ("description", "body", "title")},
                      "no_match_size": 0},
    }
    if unquoted_words(query.text):
        body["suggest"] = spelling_suggester(query.text)
    return body


def suggest_body(prefix: str, viewer: audience.SearchViewer = audience.PUBLIC_VIEWER) -> dict[str, Any]:
    words = " ".join(fold(s) for s in tokens(prefix[:MAX_PREFIX_CHARS]))
    match = {"multi_match": {"query": words, "type": "bool_prefix",
                             "fields": ["suggest", "suggest._2gram", "suggest._3gram"]}}
    return {"query": _with_audience(match, viewer),
            "size": SUGGEST_SCAN, "_source": ["display", "subject_name"]}


# -- results ---------------------------------------------------------------------------------


def safe_snippet(fragment: str) -> str:
    """A highlighted fragment as SAFE HTML whatever the cluster sent (the request asks for the html encoder,
    this does not rely on it): the text between the tags is unescaped then escaped again with html.escape, as
    search.analysis.highlight escapes, and only balanced, non-empty <mark> tags are kept."""
    pieces: list[str] = []
    marked = False
    for part in _MARK_TAG.split(fragment):
        if part in ("<mark>", "</mark>"):
            if (part == "<mark>") != marked:
                pieces.append(part)
                marked = not marked
            continue
        pieces.append(html.escape(html.unescape(part)))
    if marked:
        pieces.append("</mark>")
    return " ".join("".join(pieces).replace("<mark></mark>", "").split())


def _snippet(highlight: dict[str, list[str]]) -> str:
    for name in ("description", "body", "title"):
        if highlight.get(name):
            return safe_snippet(highlight[name][0])
    return ""


def _page_hits(raw: dict[str, Any], unit: str) -> list[PageHit]:
    """The pages the inner hits name (none for a material of one page: it has no pages indexed)."""
    pages = []
    for inner in raw.get("inner_hits", {}).get(PAGE_HITS, {}).get("hits", {}).get("hits", [])[:MAX_PAGE_HITS]:
        numbers = inner.get("fields", {}).get("pages.number") or []
        if numbers:
            fragments = inner.get("highlight", {}).get("pages.text") or [""]
            pages.append(PageHit(number=int(numbers[0]), snippet=safe_snippet(fragments[0]), unit=unit))
    return pages


def _hit(raw: dict[str, Any]) -> SearchHit:
    source = raw["_source"]
    unit = source.get("page_unit") if source.get("page_unit") in PAGE_UNITS else "page"
    return SearchHit(material_id=int(source["material_id"]), title=source["display"]["title"],
                     kind=source.get("kind", ""), subject=source.get("subject", ""), grade=source.get("grade"),
                     level=source.get("level", ""), snippet=_snippet(raw.get("highlight", {})),
                     score=float(raw.get("_score") or 0.0), pages=_page_hits(raw, unit))


def _facets(aggregations: dict[str, Any]) -> dict[str, list[FacetValue]]:
    facets = {}
    for name in FACET_FIELDS:
        buckets = aggregations.get(name, {}).get("values", {}).get("buckets", [])
        values = [FacetValue(str(b["key"]), int(b["doc_count"])) for b in buckets if str(b["key"])]
        facets[name] = sorted(values, key=lambda v: (-v.count, v.value))
    return facets


def did_you_mean(response: dict[str, Any], text: str) -> str:
    """The typed text with each word the suggester respelled replaced by its best option ("" when none
    was respelled)."""
    entries = response.get("suggest", {}).get("spelling", [])
    corrections = {entry["text"]: entry["options"][0]["text"] for entry in entries if entry.get("options")}
    return respell(text, corrections) if corrections else ""


def result_from_response(response: dict[str, Any], text: str = "") -> SearchResult:
    total = int(response["hits"]["total"]["value"])
    return SearchResult(total=total, hits=[_hit(raw) for raw in response["hits"]["hits"]],
                        facets=_facets(response.get("aggregations", {})),
                        suggestion="" if total else did_you_mean(response, text))


def _labels(response: dict[str, Any], prefix: str, limit: int) -> list[str]:
    """Subject names first, then titles, each once, in the order of the hits."""
    key = " ".join(fold(s) for s in tokens(prefix))
    subjects, titles = [], []
    for raw in response["hits"]["hits"]:
        source = raw["_source"]
        subject = source.get("subject_name", "")
        if subject and " ".join(fold(s) for s in tokens(subject)).startswith(key) and subject not in subjects:
            subjects.append(subject)
        title = source["display"]["title"]
        if title not in titles:
            titles.append(title)
    return [*subjects, *(t for t in titles if t not in subjects)][:limit]


# -- the engine ------------------------------------------------------------------------------


def _degraded(method: F) -> F:
    """Turn a cluster that cannot be reached or answers 5xx into SearchUnavailable naming it."""
    @wraps(method)
    def wrapper(self: ElasticsearchIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except TransportError as exc:
            raise self.unavailable(exc) from exc
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise self.unavailable(exc) from exc
            raise
    return wrapper  # type: ignore[return-value]


class ElasticsearchIndex:
    """SearchIndex over an Elasticsearch 8 cluster (one alias over versioned indices)."""

    name = "elasticsearch"

    def __init__(self, url: str, prefix: str = "hoclieu", client: Elasticsearch | None = None,
                 refresh: bool = False) -> None:
        self.url = url
        self.prefix = prefix
        self.alias = f"{prefix}-materials"
        self.refresh = refresh  # make writes visible at once (tests); production relies on refresh_interval
        self.client = client or Elasticsearch(url, request_timeout=10, max_retries=3, retry_on_timeout=True,
                                              retry_on_status=(429, 502, 503, 504))
        self._ready = False

    def unavailable(self, exc: Exception) -> SearchUnavailable:
        """The user-facing error; the log names the cluster and the cause for the operator."""
        log.warning("Elasticsearch at %s unavailable: %s: %.300s", self.url, type(exc).__name__, exc)
        return SearchUnavailable("Tìm kiếm tạm thời gián đoạn: không kết nối được máy chủ tìm kiếm "
                                 "(Elasticsearch). Vui lòng thử lại sau ít phút.")

    # -- indices and alias ---------------------------------------------------------------------

    def new_index_name(self) -> str:
        return f"{self.alias}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _create_index(self) -> str:
        self.client.indices.put_index_template(**index_template(self.prefix))
        name = self.new_index_name()
        self.client.indices.create(index=name)
        return name

    def _alias_targets(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def _ensure_alias(self) -> None:
        if self._ready:
            return
        if not self._alias_targets():
            self.client.indices.update_aliases(actions=[{"add": {"index": self._create_index(),
                                                                 "alias": self.alias}}])
        else:
            self._upgrade_mapping()
        self._ready = True

    def _upgrade_mapping(self) -> None:
        """An index of an older MAPPING_VERSION gains the fields added since (adding fields is allowed), so that
        writes of today's documents are accepted by its strict mapping; documents written before lack what the
        new fields hold (no page hits) until `hoclieu reindex` builds an index of this version."""
        found = self.client.indices.get_mapping(index=self.alias).body
        versions = {int(m.get("mappings", {}).get("_meta", {}).get("version", 1)) for m in found.values()}
        if min(versions, default=MAPPING_VERSION) >= MAPPING_VERSION:
            return
        self.client.indices.put_mapping(index=self.alias, properties=added_properties())
        log.warning("search index %s has mapping version %s (current %s): new fields added in place; run "
                    "`hoclieu reindex` so that every document has them (page hits)", self.alias,
                    min(versions), MAPPING_VERSION)

    def _swap(self, new_index: str) -> None:
        """Point the alias at new_index only, atomically, then drop the indices it pointed at."""
        old = self._alias_targets()
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new_index, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        log.info("search alias %s now points at %s (was %s)", self.alias, new_index, ", ".join(old) or "nothing")
        for name in old:
            self.client.indices.delete(index=name, ignore_unavailable=True)
        self._ready = True

    # -- writing -------------------------------------------------------------------------------

    def _bulk(self, index: str, documents: Iterable[SearchDocument]) -> int:
        done, errors = helpers.bulk(self.client, bulk_actions(index, documents), chunk_size=BULK_CHUNK,
                                    max_retries=3, initial_backoff=1, raise_on_error=False,
                                    refresh=self.refresh)
        if errors:
            raise RuntimeError(f"Elasticsearch refused {len(errors)} documents, first: {errors[0]!s:.300}")
        return done

    @_degraded
    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        self._ensure_alias()
        return self._bulk(self.alias, documents)

    @_degraded
    def delete(self, material_ids: Iterable[int]) -> int:
        ids = [int(i) for i in material_ids]
        if not ids:
            return 0
        self._ensure_alias()
        response = self.client.delete_by_query(index=self.alias, query={"ids": {"values": [str(i) for i in ids]}},
                                               refresh=self.refresh, conflicts="proceed")
        return int(response["deleted"])

    @_degraded
    def rebuild(self, batches: Iterable[Iterable[SearchDocument]]) -> int:
        """Fill a new versioned index, then swap the alias to it: searches never see a partial index."""
        name = self._create_index()
        try:
            count = sum(self._bulk(name, batch) for batch in batches)
            self.client.indices.refresh(index=name)
        except BaseException:
            with suppress(ApiError, TransportError):
                self.client.indices.delete(index=name, ignore_unavailable=True)
            raise
        self._swap(name)
        return count

    @_degraded
    def clear(self) -> None:
        self._swap(self._create_index())

    # -- reading -------------------------------------------------------------------------------

    @_degraded
    def count(self) -> int:
        self._ensure_alias()
        return int(self.client.count(index=self.alias)["count"])

    @_degraded
    def check(self) -> str:
        health = self.client.options(request_timeout=5).cluster.health()
        if health["status"] == "red":
            raise SearchUnavailable(f"Cụm Elasticsearch ({self.url}) ở trạng thái red.")
        self._ensure_alias()
        return "ok"

    @_degraded
    def search(self, query: SearchQuery) -> SearchResult:
        checked = validate_query(query)
        self._ensure_alias()
        response = self.client.search(index=self.alias, body=search_body(checked)).body
        return result_from_response(response, checked.text)

    @_degraded
    def set_popularity(self, scores: dict[int, int]) -> int:
        """Partial updates of the popularity field; materials not in the index (unpublished) are skipped."""
        if not scores:
            return 0
        self._ensure_alias()
        actions = [{"_op_type": "update", "_index": self.alias, "_id": str(material_id),
                    "doc": {"popularity": int(score)}} for material_id, score in sorted(scores.items())]
        done, errors = helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False,
                                    refresh=self.refresh)
        refused = [e for e in errors if e.get("update", {}).get("status") != 404]
        if refused:
            raise RuntimeError(f"Elasticsearch refused {len(refused)} popularity updates, first: {refused[0]!s:.300}")
        return done

    @_degraded
    def suggest(self, prefix: str, limit: int = 8, viewer: audience.SearchViewer = audience.PUBLIC_VIEWER) -> list[str]:
        if not isinstance(prefix, str) or not tokens(prefix[:MAX_PREFIX_CHARS]):
            return []
        self._ensure_alias()
        response = self.client.search(index=self.alias, body=suggest_body(prefix, viewer)).body
        return _labels(response, prefix[:MAX_PREFIX_CHARS], max(1, min(int(limit), 50)))

    def close(self) -> None:
        self.client.close()
