"""The embedded search engine: a SQLite file of its own with an FTS5 full-text index.

Every text field is indexed twice, as space-joined syllables: folded (no diacritics, for matching)
and normalised (diacritics kept, for ranking). A query matches on the folded columns and scores on
both, so "toán" finds "Toan" and "Toán" but ranks "Toán" first. User text only ever reaches FTS5 as
quoted syllables built by search.analysis, never as syntax.

Connections come from a small pool, each used by one thread at a time, so the engine may be shared
by the threads of the web server while a worker process writes to the same file (WAL mode).
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from search.analysis import (
    QueryTerm,
    adjacent_pairs,
    clean,
    fold,
    highlight,
    holds_every_term,
    normalise,
    parse_query,
    term_patterns,
    tokens,
)
from search.audience import PUBLIC_VIEWER, SearchViewer
from search.audience import SQLITE_DELETE as AUDIENCE_DELETE
from search.audience import SQLITE_SCHEMA as AUDIENCE_SCHEMA
from search.audience import SQLITE_UPSERT as AUDIENCE_UPSERT
from search.audience import sqlite_clause as audience_clause
from search.interfaces import (
    FACET_FIELDS,
    MAX_INDEXED_CHARS,
    MAX_PAGE_HITS,
    PAGE_UNITS,
    FacetValue,
    PageHit,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
    validate_query,
)
from search.spelling import SUGGEST_LENGTH, TOLERANT_LENGTH, closest, max_edits, respell, unquoted_words

log = logging.getLogger(__name__)
T = TypeVar("T")

# 2: pages keep their folded text; 3: documents keep their popularity; 4: documents say what their pages are
# (page, slide, question). Each is applied in place to a file of an earlier version.
SCHEMA_VERSION = 4
POOL_SIZE = 8
BUSY_TIMEOUT_SECONDS = 30.0
MAX_TITLE_PAIRS = 6         # adjacent pairs of the query looked up in titles to rank closer titles first
SUGGEST_WORDS = 12          # a title is suggested from each of its first words
SUGGEST_SCAN = 2000         # rows read per suggestion look-up, however short the prefix
MAX_PREFIX_CHARS = 100
CACHE_ENTRIES = 1024        # entries of each cache: counts per (match, filters), results per whole query

# Indexed text fields with their BM25 weights: title > chapter/lesson > subject > description > body.
TEXT_FIELDS = {"title": 10.0, "chapter": 4.0, "lesson": 4.0, "subject_name": 3.0, "description": 2.0,
               "body": 1.0}
FOLDED_COLUMNS = tuple(f"{name}_f" for name in TEXT_FIELDS)
EXACT_COLUMNS = tuple(f"{name}_x" for name in TEXT_FIELDS)
BM25_WEIGHTS = ", ".join(str(w) for w in (*TEXT_FIELDS.values(), *TEXT_FIELDS.values()))
FOLDED_FILTER = "{" + " ".join(FOLDED_COLUMNS) + "}"
EXACT_FILTER = "{" + " ".join(EXACT_COLUMNS) + "}"
STORED_FILTERS = ("level", "grade", "subject", "kind", "series", "licence", "province")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    material_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL, description TEXT NOT NULL, chapter TEXT NOT NULL, lesson TEXT NOT NULL,
    body TEXT NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL, grade INTEGER, subject TEXT NOT NULL,
    subject_name TEXT NOT NULL, series TEXT NOT NULL, licence TEXT NOT NULL, province TEXT NOT NULL,
    published_at TEXT, popularity INTEGER NOT NULL DEFAULT 0, page_unit TEXT NOT NULL DEFAULT 'page'
);
CREATE INDEX IF NOT EXISTS documents_newest ON documents (published_at DESC, material_id DESC);
CREATE INDEX IF NOT EXISTS documents_subject ON documents (subject, grade);
CREATE INDEX IF NOT EXISTS documents_level ON documents (level, grade);
CREATE INDEX IF NOT EXISTS documents_kind ON documents (kind);
CREATE INDEX IF NOT EXISTS documents_grade ON documents (grade);
CREATE INDEX IF NOT EXISTS documents_popular ON documents (popularity DESC, material_id DESC);
CREATE TABLE IF NOT EXISTS pages (
    material_id INTEGER NOT NULL, number INTEGER NOT NULL, text TEXT NOT NULL, folded TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (material_id, number)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    {", ".join((*FOLDED_COLUMNS, *EXACT_COLUMNS))},
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"
);
CREATE TABLE IF NOT EXISTS suggestions (
    key TEXT NOT NULL, label TEXT NOT NULL, material_id INTEGER NOT NULL, rank INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS suggestions_key ON suggestions (key);
CREATE INDEX IF NOT EXISTS suggestions_material ON suggestions (material_id);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_vocab USING fts5vocab(documents_fts, 'row');
CREATE TABLE IF NOT EXISTS generation (
    id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL, popularity_n INTEGER NOT NULL
);
"""
TABLES = ("documents", "pages", "documents_fts", "suggestions", "audiences")
SCHEMA_TABLES = (*TABLES, "documents_vocab", "generation")
DOCUMENT_COLUMNS = ("material_id", *TEXT_FIELDS, "kind", "level", "grade", "subject", "series", "licence",
                    "province", "published_at", "popularity", "page_unit")
# SQL below is assembled from this module's constant identifiers only; every value is a bound parameter.
INSERT_DOCUMENT = (f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "  # noqa: S608
                   f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)})")
INSERT_FTS = (f"INSERT INTO documents_fts (rowid, {', '.join((*FOLDED_COLUMNS, *EXACT_COLUMNS))}) "  # noqa: S608
              f"VALUES ({', '.join(['?'] * (1 + 2 * len(TEXT_FIELDS)))})")
# The range scan reads at most :scan rows of the key index however short the prefix; labels are
# then ranked: subject names, titles starting with the prefix, titles with a later word matching it.
SUGGEST_SQL = (
    "SELECT label, min(rank) AS best, count(*) AS n, min(key) AS first_key FROM "
    "(SELECT label, rank, key FROM suggestions s WHERE key >= :low AND key < :high AND {audience} LIMIT :scan) "
    "GROUP BY label ORDER BY best, n DESC, first_key, label LIMIT :limit"
)


@dataclass
class _Prepared:
    """A document as rows, computed before the write transaction to keep it short."""

    row: dict[str, object]
    pages: list[tuple[int, int, str, str]]
    indexed: tuple[str, ...]
    suggestions: list[tuple[str, str, int, int]]
    audience: tuple[int, str, int | None, str]


def _phrase(syllables: Iterable[str]) -> str:
    """An FTS5 string: syllables are letters and digits only, quotes are doubled all the same."""
    return '"' + " ".join(syllables).replace('"', '""') + '"'


def _term_expression(term: QueryTerm) -> str:
    """Matches on the folded columns; when the user typed diacritics, the exact form adds to the
    score. (Without diacritics typed, an exact match would only favour text written without them.)"""
    folded = f"{FOLDED_FILTER} : {_phrase(term.folded)}"
    if term.exact == term.folded:
        return folded
    return f"({folded} OR {EXACT_FILTER} : {_phrase(term.exact)})"


def match_expression(text: str) -> str:
    """The FTS5 query for user text, or "" when it holds no syllable. All terms are required; the
    pairs of adjacent syllables only add to the score (the OR'ed branch matches the same rows)."""
    terms = parse_query(text)
    if not terms:
        return ""
    required = " AND ".join(_term_expression(t) for t in terms)
    pairs = adjacent_pairs(text) if len(terms) > 1 else []
    if not pairs:
        return required
    boost = " OR ".join(_term_expression(p) for p in pairs)
    return f"({required}) OR (({required}) AND ({boost}))"


def exact_expression(text: str) -> str:
    """The FTS5 query matching every term typed with diacritics as typed ("" when there is none):
    documents it matches rank above those matching only once folded ("toán" above "toàn")."""
    marked = [t for t in parse_query(text) if t.exact != t.folded]
    return " AND ".join(f"{EXACT_FILTER} : {_phrase(t.exact)}" for t in marked)


def title_pair_expressions(text: str) -> list[str]:
    """One FTS5 query per pair of adjacent syllables typed ("cấp số cộng": "cap so", "so cong") on the
    folded title: the more pairs a title holds, the closer it is to what was typed."""
    pairs = adjacent_pairs(text, max_pairs=MAX_TITLE_PAIRS) if len(parse_query(text)) > 1 else []
    return [f"title_f : {_phrase(pair.folded)}" for pair in pairs]


def _indexed_form(text: str) -> tuple[str, str]:
    exact = normalise(" ".join(tokens(text)))
    return fold(exact), exact


def _suggestion_rows(doc: SearchDocument, title: str, subject_name: str) -> list[tuple[str, str, int, int]]:
    rows = []
    if subject_name:
        rows.append((" ".join(fold(s) for s in tokens(subject_name)), subject_name, doc.material_id, 0))
    words = [fold(s) for s in tokens(title)]
    for start in range(min(len(words), SUGGEST_WORDS)):
        rows.append((" ".join(words[start:]), title, doc.material_id, 1 if start == 0 else 2))
    return rows


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _prepare(doc: SearchDocument) -> _Prepared:
    if not isinstance(doc, SearchDocument) or isinstance(doc.material_id, bool) \
            or not isinstance(doc.material_id, int):
        raise TypeError(f"not a SearchDocument with an integer material_id: {doc!r:.200}")
    if doc.page_unit not in PAGE_UNITS:
        raise ValueError(f"page_unit of material {doc.material_id} is not one of {PAGE_UNITS}: {doc.page_unit!r:.40}")
    pages = [(doc.material_id, int(p.number), clean(p.text)) for p in doc.pages]
    body = clean(doc.body) or "\n".join(text for _, _, text in pages)
    fields = {"title": clean(doc.title), "chapter": clean(doc.chapter), "lesson": clean(doc.lesson),
              "subject_name": clean(doc.subject_name), "description": clean(doc.description),
              "body": body[:MAX_INDEXED_CHARS]}
    forms = [_indexed_form(fields[name]) for name in TEXT_FIELDS]
    row = {**fields, "material_id": doc.material_id, "kind": clean(doc.kind), "level": clean(doc.level),
           "grade": doc.grade, "subject": clean(doc.subject), "series": clean(doc.series),
           "licence": clean(doc.licence), "province": clean(doc.province),
           "published_at": _timestamp(doc.published_at), "popularity": int(doc.popularity or 0),
           "page_unit": doc.page_unit}
    unique_pages = {(m, n): (m, n, t, fold(t)) for m, n, t in pages}
    return _Prepared(row=row, pages=list(unique_pages.values()),
                     indexed=(*(f for f, _ in forms), *(x for _, x in forms)),
                     suggestions=_suggestion_rows(doc, fields["title"], fields["subject_name"]),
                     audience=(doc.material_id, doc.audience_scope or "national", doc.audience_unit,
                               clean(doc.province)))


def _in_fts(parameter: str) -> str:
    """SQL true (1) for the rows of `d` the FTS5 query bound to `parameter` matches."""
    return f"(d.material_id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH {parameter}))"  # noqa: S608


def _filter_sql(filters: dict[str, str], skip: str = "",
                viewer: SearchViewer = PUBLIC_VIEWER) -> tuple[str, dict[str, object]]:
    audience, params = audience_clause(viewer)
    clauses = ["1", audience]
    for name, value in filters.items():
        if name != skip:
            clauses.append(f"d.{name} = :filter_{name}")
            params[f"filter_{name}"] = int(value) if name == "grade" else value
    return " AND ".join(clauses), params


def _sorted_facet(values: list[FacetValue]) -> list[FacetValue]:
    return sorted(values, key=lambda v: (-v.count, v.value))


def _page_hits(conn: sqlite3.Connection, material_ids: list[int], terms: list[QueryTerm],
               units: dict[int, str]) -> dict[int, list[PageHit]]:
    """For each material, its best MAX_PAGE_HITS pages holding every term, each named with its material's
    page unit (``units``: page, slide or question): most occurrences of the query's words first, then the
    earliest page. One statement for all the materials of a page of results: SQLite keeps the pages whose
    folded text contains every word, of materials of two pages or more (a material of one page has none:
    its snippet already shows that page); whole words and phrases are checked on the best of them only."""
    words = sorted({w for term in terms for w in term.folded})
    if not words or not material_ids:
        return {}
    ids = ", ".join("?" * len(material_ids))
    contains = " AND ".join(["instr(folded, ?) > 0"] * len(words))
    rows = conn.execute(f"SELECT material_id, number, text, folded FROM pages WHERE material_id IN ({ids}) "  # noqa: S608
                        f"AND {contains} AND material_id IN (SELECT material_id FROM pages WHERE material_id "
                        f"IN ({ids}) GROUP BY material_id HAVING count(*) > 1)",
                        (*material_ids, *words, *material_ids)).fetchall()
    by_material: dict[int, list[tuple[int, str, str]]] = {}
    for material_id, number, text, folded in rows:
        by_material.setdefault(material_id, []).append((number, text, folded))
    patterns = term_patterns(terms)
    found = {}
    for material_id, pages in by_material.items():
        ranked = sorted(pages, key=lambda row: (-sum(row[2].count(w) for w in words), row[0]))
        best = (row for row in ranked if holds_every_term(row[2], patterns))
        found[material_id] = [PageHit(number=number, snippet=highlight([text], words),
                                      unit=units.get(material_id, "page"))
                              for number, text, _ in itertools.islice(best, MAX_PAGE_HITS)]
    return found


def _query_key(query: SearchQuery) -> tuple:
    """Every field of the query, hashable: a field added to SearchQuery (a visibility scope, say) is part
    of the results cache key without anyone having to remember it."""
    def hashable(value: object) -> object:
        if isinstance(value, dict):
            return tuple(sorted((k, hashable(v)) for k, v in value.items()))
        if isinstance(value, list | set | tuple):
            return tuple(hashable(v) for v in value)
        return value
    return tuple((f.name, hashable(getattr(query, f.name))) for f in fields(query))


class LruCache:
    """A thread-safe mapping keeping its `size` most recently used entries (size 0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            if self.size:
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value


class SqliteFtsIndex:
    """SearchIndex over its own SQLite file, created with WAL on first use."""

    name = "sqlite-fts5"

    def __init__(self, path: Path, cache_entries: int = CACHE_ENTRIES) -> None:
        """``cache_entries`` = 0 turns the counts and results caches off (to measure the uncached path)."""
        self.path = Path(path)
        self._pool: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._schema_ready = False
        self._counts_cache = LruCache(cache_entries)
        self._results_cache = LruCache(cache_entries)
        self._vocabulary_cache: dict[tuple[int, str], list[tuple[str, int]]] = {}

    # -- connections ---------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # the index is derived: reindex repairs a lost commit
        if not self._schema_ready:
            self._create_schema(conn)
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, 1, 2, 3, SCHEMA_VERSION):
                log.warning("search index %s has schema %s, rebuilding it empty: run reindex", self.path,
                            version)
                for table in SCHEMA_TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
            if version in (1, 2):
                self._add_popularity(conn)
            if version in (1, 2, 3):
                self._add_page_unit(conn)
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO generation VALUES (1, 0, 0)")
            conn.execute(AUDIENCE_SCHEMA)
            if version == 1:
                self._fold_stored_pages(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._schema_ready = True

    @staticmethod
    def _add_popularity(conn: sqlite3.Connection) -> None:
        """Version 2 to 3: documents gain their popularity (0 until the next usage flush or reindex)."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
        if "popularity" not in columns:
            conn.execute("ALTER TABLE documents ADD COLUMN popularity INTEGER NOT NULL DEFAULT 0")

    @staticmethod
    def _add_page_unit(conn: sqlite3.Connection) -> None:
        """Version 3 to 4: documents say what their pages are. Until the next reindex every stored document
        says "page", as all of them did before (a deck's hits read "Trang N" until it is indexed again)."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
        if "page_unit" not in columns:
            conn.execute("ALTER TABLE documents ADD COLUMN page_unit TEXT NOT NULL DEFAULT 'page'")

    @staticmethod
    def _fold_stored_pages(conn: sqlite3.Connection) -> None:
        """Version 1 to 2: the pages table gains the folded text page hits look words up in."""
        conn.create_function("hoclieu_fold", 1, fold, deterministic=True)
        conn.execute("ALTER TABLE pages ADD COLUMN folded TEXT NOT NULL DEFAULT ''")
        conn.execute("UPDATE pages SET folded = hoclieu_fold(text)")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            with self._lock:
                keep = len(self._pool) < POOL_SIZE
                if keep:
                    self._pool.append(conn)
            if not keep:
                conn.close()

    @contextmanager
    def _transaction(self, bump: str = "n") -> Iterator[sqlite3.Connection]:
        """A write transaction that bumps a generation number: ``n`` when documents change (it keys the
        cached counts, vocabulary and results), ``popularity_n`` when only popularity does (it keys the
        cached results only, as counts and words do not depend on it)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute({"n": "UPDATE generation SET n = n + 1",
                          "popularity_n": "UPDATE generation SET popularity_n = popularity_n + 1"}[bump])
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so that hits, counts and facets see the same state."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------------

    @staticmethod
    def _remove(conn: sqlite3.Connection, material_ids: list[int]) -> int:
        removed = 0
        for material_id in material_ids:
            removed += conn.execute("DELETE FROM documents WHERE material_id = ?", (material_id,)).rowcount
            conn.execute("DELETE FROM documents_fts WHERE rowid = ?", (material_id,))
            conn.execute("DELETE FROM pages WHERE material_id = ?", (material_id,))
            conn.execute("DELETE FROM suggestions WHERE material_id = ?", (material_id,))
            conn.execute(AUDIENCE_DELETE, (material_id,))
        return removed

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents by material_id, all in one transaction."""
        prepared = [_prepare(doc) for doc in documents]
        if not prepared:
            return 0
        with self._transaction() as conn:
            for item in prepared:
                self._remove(conn, [item.row["material_id"]])  # a later copy in the same batch wins
                conn.execute(INSERT_DOCUMENT, item.row)
                conn.execute(INSERT_FTS, (item.row["material_id"], *item.indexed))
                conn.executemany("INSERT INTO pages (material_id, number, text, folded) VALUES (?, ?, ?, ?)",
                                 item.pages)
                conn.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?)", item.suggestions)
                conn.execute(AUDIENCE_UPSERT, item.audience)
        return len(prepared)

    def delete(self, material_ids: Iterable[int]) -> int:
        ids = [int(i) for i in material_ids]
        if not ids:
            return 0
        with self._transaction() as conn:
            return self._remove(conn, ids)

    def clear(self) -> None:
        with self._transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608

    def set_popularity(self, scores: dict[int, int]) -> int:
        """Set the popularity (sort "popular") of documents in the index; others are ignored."""
        rows = [(int(score), int(material_id)) for material_id, score in scores.items()]
        if not rows:
            return 0
        with self._transaction(bump="popularity_n") as conn:
            before = conn.total_changes
            conn.executemany("UPDATE documents SET popularity = ? WHERE material_id = ?", rows)
            return conn.total_changes - before

    def optimize(self) -> None:
        """Merge the full-text index into one segment (optional: worth running after a reindex)."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')")

    # -- reading -------------------------------------------------------------------------------

    def count(self) -> int:
        with self._connection() as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]

    def check(self) -> str:
        """Cheap health check: the file opens and every table answers (raises otherwise)."""
        with self._snapshot() as conn:
            for table in TABLES:
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()  # noqa: S608
            conn.execute("SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? LIMIT 1",
                         (_phrase(["ok"]),)).fetchall()
        return "ok"

    def search(self, query: SearchQuery) -> SearchResult:
        """Answered from the results cache when the same query was answered since the index last changed
        (for sort "popular": since popularity last changed, too). The result is shared with later callers:
        treat it as read-only."""
        checked = validate_query(query)
        with self._snapshot() as conn:
            generation, popularity_generation = conn.execute("SELECT n, popularity_n FROM generation").fetchone()
            key = (generation, popularity_generation if checked.sort == "popular" else 0, _query_key(checked))
            cached = self._results_cache.get(key)
            if cached is None:
                cached = self._results_cache.put(key, self._search(conn, generation, checked))
        return cached

    def _search(self, conn: sqlite3.Connection, generation: int, checked: SearchQuery) -> SearchResult:
        corrections = self._corrections(conn, generation, checked.text, TOLERANT_LENGTH)
        text = respell(checked.text, corrections)
        checked = replace(checked, text=text)
        match = match_expression(text)
        total, facets = self._cached_counts(conn, generation, match, checked.filters, checked.viewer)
        rows = self._hits(conn, match, exact_expression(text), checked) if total else []
        hits = self._with_snippets(conn, rows, text if match else "")
        suggestion = self._did_you_mean(conn, generation, text, checked.viewer) if match and not total else ""
        return SearchResult(total=total, hits=hits, facets=facets, suggestion=suggestion,
                            corrected=text if corrections else "")

    # -- spelling ------------------------------------------------------------------------------

    def _vocabulary(self, conn: sqlite3.Connection, generation: int, first: str) -> list[tuple[str, int]]:
        """Folded index words starting with `first`, with their document counts, cached per generation."""
        key = (generation, first)
        cached = self._vocabulary_cache.get(key)
        if cached is None:
            rows = conn.execute("SELECT term, doc FROM documents_vocab WHERE term >= ? AND term < ?",
                                (first, chr(ord(first) + 1))).fetchall()
            cached = [(term, documents) for term, documents in rows if fold(term) == term]
            with self._lock:
                self._vocabulary_cache = {k: v for k, v in self._vocabulary_cache.items() if k[0] == generation}
                self._vocabulary_cache[key] = cached
        return cached

    def _corrections(self, conn: sqlite3.Connection, generation: int, text: str, shortest: int) -> dict[str, str]:
        """Closest index word for each unquoted word of at least `shortest` letters the index lacks."""
        corrections = {}
        for word in dict.fromkeys(unquoted_words(text)):
            edits = max_edits(word, shortest)
            if not edits or conn.execute("SELECT 1 FROM documents_vocab WHERE term = ?", (word,)).fetchone():
                continue
            found = closest(word, self._vocabulary(conn, generation, word[0]), edits)
            if found:
                corrections[word] = found[0]
        return corrections

    def _did_you_mean(self, conn: sqlite3.Connection, generation: int, text: str, viewer: SearchViewer) -> str:
        """A close spelling of a query that found nothing, offered only when it finds something
        (without filters, which the page offers to drop as well)."""
        respelled = respell(text, self._corrections(conn, generation, text, SUGGEST_LENGTH))
        if respelled == text:
            return ""
        total, _ = self._cached_counts(conn, generation, match_expression(respelled), {}, viewer)
        return respelled if total else ""

    def _cached_counts(self, conn: sqlite3.Connection, generation: int, match: str, filters: dict[str, str],
                       viewer: SearchViewer) -> tuple[int, dict[str, list[FacetValue]]]:
        """Total and facets depend only on the documents, so they are kept per index generation:
        a common query or browse page is counted once until the index changes. Every input of _counts
        must be part of the key."""
        key = (generation, match, tuple(sorted(filters.items())), viewer)
        cached = self._counts_cache.get(key)
        return cached if cached is not None else self._counts_cache.put(key, self._counts(conn, match, filters,
                                                                                          viewer))

    @staticmethod
    def _candidates(match: str) -> str:
        columns = ", ".join(f"d.{name}" for name in ("material_id", *STORED_FILTERS))  # the id: search.audience
        if not match:
            return f"SELECT {columns} FROM documents d"  # noqa: S608
        return (f"SELECT {columns} FROM documents d JOIN (SELECT rowid AS id FROM documents_fts "  # noqa: S608
                "WHERE documents_fts MATCH :match) m ON d.material_id = m.id")

    def _counts(self, conn: sqlite3.Connection, match: str, filters: dict[str, str],
                viewer: SearchViewer = PUBLIC_VIEWER) -> tuple[int, dict[str, list[FacetValue]]]:
        """Total and facets in one statement over the candidates computed once. Each facet applies
        every filter but its own, so the other values of a filtered facet keep their counts."""
        where, params = _filter_sql(filters, viewer=viewer)
        selects = [f"SELECT '' AS facet, NULL AS value, count(*) AS n FROM base d WHERE {where}"]  # noqa: S608
        for name in FACET_FIELDS:
            facet_where, facet_params = _filter_sql(filters, skip=name, viewer=viewer)
            params.update(facet_params)
            selects.append(f"SELECT '{name}', d.{name}, count(*) FROM base d "  # noqa: S608
                           f"WHERE {facet_where} AND d.{name} IS NOT NULL AND d.{name} != '' "
                           f"GROUP BY d.{name}")
        # The candidates of a text query are computed once; browsing reads the documents table directly
        # in each select, so that each facet counts over its own index.
        materialized = "MATERIALIZED" if match else "NOT MATERIALIZED"
        sql = f"WITH base AS {materialized} ({self._candidates(match)}) " + " UNION ALL ".join(selects)
        if match:
            params["match"] = match
        facets: dict[str, list[FacetValue]] = {name: [] for name in FACET_FIELDS}
        total = 0
        for facet, value, count in conn.execute(sql, params):
            if facet:
                facets[facet].append(FacetValue(value=str(value), count=count))
            else:
                total = count
        return total, {name: _sorted_facet(values) for name, values in facets.items()}

    @staticmethod
    def _hits(conn: sqlite3.Connection, match: str, exact: str, query: SearchQuery) -> list[tuple]:
        where, params = _filter_sql(query.filters, viewer=query.viewer)
        newest = "d.published_at DESC NULLS LAST, d.material_id DESC"
        popular = "d.popularity DESC, "
        columns = "d.material_id, d.title, d.kind, d.subject, d.grade, d.level"
        if match:
            tier = f"{_in_fts(':exact')} DESC, " if exact else ""
            pairs = title_pair_expressions(query.text)
            params.update({f"pair{i}": pair for i, pair in enumerate(pairs)})
            title_tier = " + ".join(_in_fts(f":pair{i}") for i in range(len(pairs)))
            relevance = f"{tier}{title_tier + ' DESC, ' if pairs else ''}score DESC, {newest}"
            order = {"relevance": relevance, "newest": newest, "popular": f"{popular}score DESC, {newest}"}
            sql = (f"SELECT {columns}, -bm25(documents_fts, {BM25_WEIGHTS}) AS score "  # noqa: S608
                   f"FROM documents_fts JOIN documents d ON d.material_id = documents_fts.rowid "
                   f"WHERE documents_fts MATCH :match AND {where} ORDER BY " + order[query.sort])
            params.update(match=match, exact=exact)
        else:
            order = f"{popular}{newest}" if query.sort == "popular" else newest
            sql = f"SELECT {columns}, 0.0 AS score FROM documents d WHERE {where} ORDER BY {order}"  # noqa: S608
        params.update(limit=query.per_page, offset=(query.page - 1) * query.per_page)
        return conn.execute(sql + " LIMIT :limit OFFSET :offset", params).fetchall()

    @staticmethod
    def _with_snippets(conn: sqlite3.Connection, rows: list[tuple], text: str) -> list[SearchHit]:
        """The hits with their snippets and page hits, read for all of them at once."""
        terms = parse_query(text)
        words = [w for term in terms for w in term.folded]
        ids = [row[0] for row in rows]
        marks = ", ".join("?" * len(ids))
        fields, units = {}, {}
        for material_id, description, body, title, unit in conn.execute(
                f"SELECT material_id, description, body, title, page_unit FROM documents "  # noqa: S608
                f"WHERE material_id IN ({marks})", ids):
            fields[material_id], units[material_id] = (description, body, title), unit
        pages = _page_hits(conn, ids, terms, units)
        return [SearchHit(material_id=material_id, title=title, kind=kind, subject=subject, grade=grade, level=level,
                          snippet=highlight(fields.get(material_id, ("", "", "")), words), score=float(score),
                          pages=pages.get(material_id, []))
                for material_id, title, kind, subject, grade, level, score in rows]

    def suggest(self, prefix: str, limit: int = 8, viewer: SearchViewer = PUBLIC_VIEWER) -> list[str]:
        """Titles and subject names whose words start with the prefix (diacritics-insensitive):
        subjects first, then titles starting with it, then titles with a later word starting with it."""
        if not isinstance(prefix, str):
            return []
        prefix = prefix[:MAX_PREFIX_CHARS]
        words = [fold(s) for s in tokens(prefix)]
        if not words:
            return []
        key = " ".join(words) + ("" if unicodedata.normalize("NFC", prefix)[-1].isalnum() else " ")
        limit = max(1, min(int(limit), 50))
        audience, params = audience_clause(viewer, column="s.material_id")
        with self._connection() as conn:
            rows = conn.execute(SUGGEST_SQL.format(audience=audience),
                                {"low": key, "high": key + "\U0010ffff", "scan": SUGGEST_SCAN, "limit": limit,
                                 **params}).fetchall()
        return [label for label, *_ in rows]

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()
