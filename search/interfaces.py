"""The search contract every engine implements (SQLite FTS5 embedded, Elasticsearch in production).

Engines receive documents built from the database (the source of truth) and answer queries made of
untrusted user text plus filters. ``validate_query`` holds the rules every engine applies before
looking anything up, so that both engines refuse the same queries with the same Vietnamese message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from search.audience import PUBLIC_VIEWER, SearchViewer

FACET_FIELDS = ("level", "grade", "subject", "kind")  # facets returned by every engine
FILTER_FIELDS = (*FACET_FIELDS, "series", "licence", "province")
SORTS = ("relevance", "newest", "popular")     # "popular": most used first (search.usage)
MAX_PAGE = 1000
MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
MAX_INDEXED_CHARS = 200_000
SORT_ERROR = "Cách sắp xếp không hợp lệ (relevance, newest hoặc popular)."
MAX_PAGE_HITS = 3          # pages listed under one material hit
# What the numbered parts of a material are: pages of a book, slides of a deck, questions of a bank.
# Hits inside a material name them ("Trang 41", "Slide 7", "Câu 12").
PAGE_UNITS = ("page", "slide", "question")


@dataclass(frozen=True)
class PageText:
    """One numbered part of a material (a page, a slide or a question: SearchDocument.page_unit), stored with
    the material for hits inside it."""

    number: int
    text: str


@dataclass
class SearchDocument:
    material_id: int
    title: str
    description: str = ""
    chapter: str = ""
    lesson: str = ""
    body: str = ""             # extracted full text; engines index at most MAX_INDEXED_CHARS of it
    kind: str = ""             # reference codes, e.g. "sach-giao-khoa"
    level: str = ""            # "tieu-hoc" | "thcs" | "thpt" | "mam-non"
    grade: int | None = None
    subject: str = ""          # e.g. "vat-li"
    series: str = ""
    licence: str = ""
    province: str = ""
    published_at: datetime | None = None
    pages: list[PageText] = field(default_factory=list)
    subject_name: str = ""     # display name of the subject ("Vật lí"): searchable and suggested
    popularity: int = 0        # weighted usage (search.usage), the key of sort "popular"
    audience_scope: str = "national"   # publication scope (search.audience): school | province | national
    audience_unit: int | None = None   # the unit a school-scope document belongs to
    page_unit: str = "page"            # what ``pages`` are: one of PAGE_UNITS


@dataclass
class SearchQuery:
    text: str = ""                                          # raw user text, untrusted
    filters: dict[str, str] = field(default_factory=dict)   # keys among FILTER_FIELDS
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"                                 # one of SORTS
    viewer: SearchViewer = PUBLIC_VIEWER                    # who asks: the publication-scope filter


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class PageHit:
    """A page (slide, question: ``unit``) of a hit's material that matches the query on its own (numbered from 1)."""

    number: int
    snippet: str        # SAFE HTML, made like SearchHit.snippet
    unit: str = "page"  # one of PAGE_UNITS, the material's SearchDocument.page_unit


@dataclass
class SearchHit:
    """One material found. ``pages`` lists its best matching pages (at most MAX_PAGE_HITS), computed for
    the hits of the page of results being shown, each named with its unit (page, slide, question)."""

    material_id: int
    title: str
    kind: str
    subject: str
    grade: int | None
    level: str
    snippet: str        # SAFE HTML: all document text HTML-escaped, matched terms wrapped in <mark>…</mark>
    score: float
    pages: list[PageHit] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]   # one entry per FACET_FIELDS, values sorted by count desc then value
    corrected: str = ""     # the query as searched when typo tolerance respelled a word ("" when it did not)
    suggestion: str = ""    # a close spelling to offer when nothing was found ("" when there is none)


class SearchIndex(Protocol):
    name: str

    def upsert(self, documents: Iterable[SearchDocument]) -> int: ...
    def delete(self, material_ids: Iterable[int]) -> int: ...
    def search(self, query: SearchQuery) -> SearchResult: ...
    def suggest(self, prefix: str, limit: int = 8, viewer: SearchViewer = PUBLIC_VIEWER) -> list[str]: ...
    def set_popularity(self, scores: dict[int, int]) -> int: ...
    def clear(self) -> None: ...
    def count(self) -> int: ...
    def check(self) -> str: ...
    def close(self) -> None: ...


class SearchQueryError(ValueError):
    """A query the engine refuses. The message is for the user (Vietnamese); ``field`` names the
    offending parameter ("q", "page", "per_page", "sort" or a filter name)."""

    def __init__(self, message: str, field: str = "q") -> None:
        super().__init__(message)
        self.field = field


def _bounded_int(value: object, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise SearchQueryError(f"Tham số {name} phải là số nguyên từ 1 đến {high}.", field=name)
    return value


def _checked_filters(filters: dict[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, raw in (filters or {}).items():
        if name not in FILTER_FIELDS:
            raise SearchQueryError(f"Bộ lọc không hợp lệ: {name!s:.40}.", field="filters")
        value = "" if raw is None else str(raw).strip()
        if not value:
            continue
        if len(value) > MAX_FILTER_CHARS or not value.isprintable():
            raise SearchQueryError(f"Giá trị của bộ lọc {name} không hợp lệ.", field=name)
        if name == "grade" and not (value.isascii() and value.isdigit() and len(value) <= 2):
            raise SearchQueryError("Bộ lọc lớp phải là một số (ví dụ 10).", field=name)
        checked[name] = value
    return checked


def validate_query(query: SearchQuery) -> SearchQuery:
    """The query as engines run it: bounds checked, text cut to MAX_QUERY_CHARS, empty filters dropped.
    Raises SearchQueryError for what cannot be answered."""
    page = _bounded_int(query.page, "page", MAX_PAGE)
    per_page = _bounded_int(query.per_page, "per_page", MAX_PER_PAGE)
    if query.sort not in SORTS:
        raise SearchQueryError(SORT_ERROR, field="sort")
    text = query.text if isinstance(query.text, str) else ""
    return replace(query, text=text[:MAX_QUERY_CHARS], filters=_checked_filters(query.filters),
                   page=page, per_page=per_page)


class SearchUnavailable(RuntimeError):
    """The engine cannot be reached (a cluster down or overloaded). The message is for the user and the
    operator; pages answer 503 with it and the outbox keeps pending changes until the engine is back."""
