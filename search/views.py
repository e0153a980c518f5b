"""The portal's search: home page, results page, and the search and suggestion API."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from repository.api import api_error
from repository.db import get_session
from repository.models import Material
from repository.publication import reachable_clause, viewer_of
from repository.reference import current_reference
from repository.textbooks.services import hit_thumbnail_url, page_chapter, remember_published_pages
from search.audience import SearchViewer
from search.interfaces import (
    FACET_FIELDS,
    SORT_ERROR,
    SORTS,
    PageHit,
    SearchHit,
    SearchQuery,
    SearchQueryError,
    SearchResult,
    SearchUnavailable,
)
from search.lru import LruCache
from search.usage import most_used

bp = Blueprint("search", __name__, template_folder="templates")

FILTER_FIELDS = (*FACET_FIELDS, "series", "licence", "province")
MAX_PAGE = 1000
MAX_PER_PAGE = 100


class BadSearch(ValueError):
    def __init__(self, field: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.field, self.message_vi = field, message_vi


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    # ASCII digits only and a bounded length: int() refuses "²" and numbers of over 4300 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise BadSearch(name, f"Tham số {name} phải là số nguyên từ {low} đến {high}.")
    return int(raw)


def query_from_request() -> SearchQuery:
    filters = {f: request.args.get(f, "").strip() for f in FILTER_FIELDS if request.args.get(f, "").strip()}
    for value in filters.values():
        if len(value) > 80:
            raise BadSearch("filter", "Giá trị bộ lọc quá dài.")
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        raise BadSearch("sort", SORT_ERROR)
    per_page_default = int(current_app.extensions["settings"].get("search", "per_page", 20))
    return SearchQuery(text=request.args.get("q", "")[:500], filters=filters,
                       page=_int_arg("page", 1, 1, MAX_PAGE),
                       per_page=_int_arg("per_page", per_page_default, 1, MAX_PER_PAGE), sort=sort,
                       viewer=search_viewer())


def search_viewer() -> SearchViewer:
    """The publication-scope filter of the current user (search.audience)."""
    viewer = viewer_of(current_user)
    return SearchViewer(unit_id=viewer.unit_id, province=viewer.province_code, everything=viewer.everything)


def run_search(query: SearchQuery) -> SearchResult:
    return current_app.extensions["search"].search(query)


#: The longest search term a page-hit link hands to the viewer (the viewer highlights its words on the page).
MAX_VIEWER_TERM = 200


def hit_words(query: SearchQuery, result: SearchResult) -> str:
    """The words the viewer highlights: what the search ran on (the corrected spelling when there was one)."""
    return " ".join((result.corrected or query.text).split())[:MAX_VIEWER_TERM]


def page_url(material_id: int, number: int, words: str = "") -> str:
    """The material page with its viewer opened at that page and, with ``words``, the search term highlighted
    (``#page=N`` keeps the browser's own viewer at that page when pdf.js is not installed)."""
    return url_for("materials.detail", material_id=material_id, page=number, q=words or None,
                   _anchor=f"page={number}")


def part_url(material_id: int, part: PageHit, words: str = "") -> str:
    """Where a hit inside a material opens: a question on its bank's page, a slide in its deck's outline (the
    preview opened at it), a page in the viewer with the search words highlighted."""
    if part.unit == "question":
        return url_for("banks.show", bank_id=material_id, _anchor=f"cau-{part.number}")
    if part.unit == "slide":
        return url_for("materials.detail", material_id=material_id, page=part.number,
                       _anchor=f"slide-{part.number}")
    return page_url(material_id, part.number, words)


def part_label(part: PageHit) -> str:
    """A hit inside a material named as the material page names it: "Trang 41", "Trang chiếu 7", "Câu 12"."""
    if part.unit == "question":
        return _("Câu %(n)s", n=part.number)
    if part.unit == "slide":
        return _("Trang chiếu %(n)s", n=part.number)
    return _("Trang %(n)s", n=part.number)


def _pages_as_list(hit: SearchHit, words: str) -> list[dict[str, Any]]:
    chapters = [page_chapter(hit.material_id, p.number) for p in hit.pages]
    return [{"page": p.number, "unit": p.unit, "snippet": p.snippet, "url": part_url(hit.material_id, p, words),
             "book": hit.title, "chapter": chapter.title if chapter else None,
             "thumbnail": hit_thumbnail_url(hit.material_id, p.number)}
            for p, chapter in zip(hit.pages, chapters, strict=True)]


def without_filters_total(query: SearchQuery, result: SearchResult) -> int | None:
    """When a filtered search found nothing: how many the same words find without filters (the "no
    results" page offers that search). None when there is nothing to offer."""
    if result.total or not query.filters:
        return None
    return run_search(replace(query, filters={}, page=1, per_page=1)).total


#: API answers per engine result (engines keep a result object for as long as the index does not change):
#: a repeated search skips the chapters, thumbnails and links of its hits. Each entry holds its result,
#: so the id in its key cannot be reused while it is kept.
_answers = LruCache(256)


def result_as_dict(result: SearchResult, without_filters: int | None = None, words: str = "") -> dict[str, Any]:
    """The API answer, built once per result object (and words): results are read-only and replaced when
    the index changes, which is also when the hits' textbooks (a newly published version) change."""
    key = (id(result), without_filters, words, request.script_root)
    kept = _answers.get(key)
    if kept is not None and kept[0] is result:
        return kept[1]
    return _answers.put(key, (result, _result_dict(result, without_filters, words)))[1]


def _result_dict(result: SearchResult, without_filters: int | None, words: str) -> dict[str, Any]:
    remember_published_pages([h.material_id for h in result.hits if h.pages])
    return {
        "corrected": result.corrected or None,
        "suggestion": result.suggestion or None,
        "without_filters": without_filters,
        "total": result.total,
        "hits": [{"id": h.material_id, "title": h.title, "kind": h.kind, "subject": h.subject,
                  "grade": h.grade, "level": h.level, "snippet": h.snippet,
                  "url": url_for("materials.detail", material_id=h.material_id),
                  "pages": _pages_as_list(h, words)} for h in result.hits],
        "facets": {name: [{"value": v.value, "count": v.count} for v in values]
                   for name, values in result.facets.items()},
    }


@bp.get("/")
def home():
    db = get_session()
    reachable = reachable_clause(viewer_of(current_user))
    newest = db.scalars(select(Material).where(reachable).order_by(Material.published_at.desc()).limit(8)).all()
    counts = dict(db.execute(select(Material.level, func.count()).where(reachable).group_by(Material.level)).all())
    return render_template("search/home.html", newest=newest, level_counts=counts,
                           most_used=most_used(db, reachable=reachable),
                           ref=current_reference(db))


@bp.get("/search")
def results():
    db = get_session()
    ref = current_reference(db)
    try:
        query = query_from_request()
        result = run_search(query)
        without_filters = without_filters_total(query, result)
    except (BadSearch, SearchQueryError) as exc:
        message = getattr(exc, "message_vi", str(exc))
        return render_template("search/results.html", query=None, result=None, error=message, ref=ref,
                               args=request.args), 400
    except SearchUnavailable as exc:
        return render_template("search/results.html", query=None, result=None, error=str(exc), ref=ref,
                               args=request.args), 503
    remember_published_pages([h.material_id for h in result.hits if h.pages])
    return render_template("search/results.html", query=query, result=result, error=None, ref=ref,
                           args=request.args, part_url=part_url, part_label=part_label,
                           without_filters=without_filters,
                           hit_words=hit_words(query, result))


@bp.get("/api/v1/search")
def api_search():
    try:
        query = query_from_request()
        result = run_search(query)
        without_filters = without_filters_total(query, result)
    except BadSearch as exc:
        return api_error(400, "invalid_query", exc.message_vi, exc.field)
    except SearchQueryError as exc:
        return api_error(400, "invalid_query", str(exc), getattr(exc, "field", None))
    except SearchUnavailable as exc:
        return api_error(503, "search_unavailable", str(exc))
    return jsonify(result_as_dict(result, without_filters, hit_words(query, result)))


@bp.get("/api/v1/suggest")
def api_suggest():
    prefix = request.args.get("q", "")[:100]
    try:
        suggestions = current_app.extensions["search"].suggest(prefix, limit=8, viewer=search_viewer()) \
            if prefix.strip() else []
    except SearchUnavailable as exc:
        return api_error(503, "search_unavailable", str(exc))
    response = jsonify({"suggestions": suggestions})
    # What a signed-in user is suggested depends on their publication scope: never in a shared cache.
    response.headers["Cache-Control"] = "private, max-age=60" if current_user.is_authenticated else "public, max-age=60"
    return response
