"""The embedded search engine: a SQLite file of its own with an FTS5 full-text index.

Every text field is indexed twice, as space-joined syllables: folded (no diacritics, for matching)
and normalised (diacritics kept, for ranking). A query matches on the folded columns and scores on
both, so "toán" finds "Toan" and "Toán" but ranks "Toán" first. User text only ever reaches FTS5 as
quoted syllables built by search.analysis, never as syntax.

Connections come from a small pool, each used by one thread at a time, so the engine may be shared
by the threads of the web server while a worker process writes to the same file (WAL mode).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

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
from search.document_sets import (
    CHANGES_SCHEMA,
    DocumentSets,
    DocumentSetStore,
    Membership,
    bitmap_of,
    members,
    record_changes,
)
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
from search.lru import LruCache
from search.spelling import SUGGEST_LENGTH, TOLERANT_LENGTH, closest, max_edits, respell, unquoted_words

log = logging.getLogger(__name__)

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
PAGE_CANDIDATES = 12       # pages of one material read for its page hits, best first (whole words checked)
RANKED_WINDOW = 3000        # at most this many matches are ranked by BM25 (beyond: tiers, then newest)

# Indexed text fields with their BM25 weights: title > chapter/lesson > subject > description > body.
TEXT_FIELDS = {"title": 10.0, "chapter": 4.0, "lesson": 4.0, "subject_name": 3.0, "description": 2.0,
               "body": 1.0}
FOLDED_COLUMNS = tuple(f"{name}_f" for name in TEXT_FIELDS)
EXACT_COLUMNS = tuple(f"{name}_x" for name in TEXT_FIELDS)
BM25_WEIGHTS = ", ".join(str(w) for w in (*TEXT_FIELDS.values(), *TEXT_FIELDS.values()))
FOLDED_FILTER = "{" + " ".join(FOLDED_COLUMNS) + "}"
EXACT_FILTER = "{" + " ".join(EXACT_COLUMNS) + "}"

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
TABLES = ("documents", "pages", "documents_fts", "suggestions", "audiences", "changes")
SCHEMA_TABLES = (*TABLES, "documents_vocab", "generation")
DOCUMENT_COLUMNS = ("material_id", *TEXT_FIELDS, "kind", "level", "grade", "subject", "series", "licence",
                    "province", "published_at", "popularity", "page_unit")
# SQL below is assembled from this module's constant identifiers only; every value is a bound parameter.
INSERT_DOCUMENT = (f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "  # noqa: S608
                   f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)})")
INSERT_FTS = (f"INSERT INTO documents_fts (rowid, {', '.join((*FOLDED_COLUMNS, *EXACT_COLUMNS))}) "  # noqa: S608
              f"VALUES ({', '.join(['?'] * (1 + 2 * len(TEXT_FIELDS)))})")
# The range scan reads at most SUGGEST_SCAN rows of the key index however short the prefix; the rows the
# viewer may not reach are dropped with the document sets (an IN over the audiences table cost up to 1 s at
# 100 000 lessons), and labels are ranked: subject names, titles starting with the prefix, titles with a later
# word matching it.
SUGGEST_SQL = "SELECT label, rank, key, material_id FROM suggestions WHERE key >= ? AND key < ? LIMIT ?"


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


def scoring_expression(terms: list[QueryTerm]) -> str:
    """The FTS5 query BM25 scores a page of candidates with: every term on the folded columns."""
    return " AND ".join(f"{FOLDED_FILTER} : {_phrase(t.folded)}" for t in terms)


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


def _sorted_facet(values: list[FacetValue]) -> list[FacetValue]:
    return sorted(values, key=lambda v: (-v.count, v.value))


def _counts(sets: DocumentSets, reachable: int, filters: dict[str, str]) -> tuple[int, dict[str, list[FacetValue]]]:
    """Total and facets of the ``reachable`` documents (text matched, viewer's scope). Each facet applies
    every filter but its own, so the other values of a filtered facet keep their counts."""
    total = (reachable & sets.filtered(filters)).bit_count()
    facets = {}
    for name in FACET_FIELDS:
        base = reachable & sets.filtered(filters, skip=name)
        values = (FacetValue(value=str(value), count=(base & bitmap).bit_count())
                  for value, bitmap in sets.values[name].items())
        facets[name] = _sorted_facet([v for v in values if v.count])
    return total, facets


def _by_count(within: int, bitmaps: list[int]) -> list[int]:
    """The documents of ``within`` split by how many of ``bitmaps`` hold them: item k holds exactly k."""
    levels = [within]
    for bitmap in bitmaps:
        levels = [(levels[k] & ~bitmap if k < len(levels) else 0) | (levels[k - 1] & bitmap if k else 0)
                  for k in range(len(levels) + 1)]
    return levels


def _popular_first(sets: DocumentSets, found: int, popularity: dict[int, int], start: int, count: int) -> list[int]:
    """Ids of ``found``, most used first, then newest first among the never used."""
    inside = Membership(found)
    used = sorted((i for i in popularity if i in inside), key=lambda i: (-popularity[i], sets.newest_key(i)))
    head = used[start:start + count]
    if len(head) == count:
        return head
    rest = found & ~bitmap_of(used)
    return head + sets.newest_first(rest, max(0, start - len(used)), count - len(head))


def _page_hits(conn: sqlite3.Connection, material_ids: list[int], terms: list[QueryTerm],
               units: dict[int, str]) -> dict[int, list[PageHit]]:
    """For each material, its best MAX_PAGE_HITS pages holding every term, each named with its material's
    page unit (``units``: page, slide or question): most occurrences of the query's words first, then the
    earliest page. One statement for all the materials of a page of results: SQLite keeps the pages whose
    folded text contains every word, of materials of two pages or more (a material of one page has none:
    its snippet already shows that page), and returns each material's PAGE_CANDIDATES best (a textbook has
    hundreds); whole words and phrases are checked on those only."""
    words = sorted({w for term in terms for w in term.folded})
    if not words or not material_ids:
        return {}
    ids = ", ".join("?" * len(material_ids))
    contains = " AND ".join(["instr(folded, ?) > 0"] * len(words))
    occurrences = " + ".join(["(length(folded) - length(replace(folded, ?, ''))) / length(?)"] * len(words))
    rows = conn.execute(
        f"SELECT material_id, number, text, folded FROM (SELECT material_id, number, text, folded, "  # noqa: S608
        f"row_number() OVER (PARTITION BY material_id ORDER BY {occurrences} DESC, number) AS place FROM pages "
        f"WHERE material_id IN ({ids}) AND {contains} AND material_id IN (SELECT material_id FROM pages "
        f"WHERE material_id IN ({ids}) GROUP BY material_id HAVING count(*) > 1)) WHERE place <= ? ORDER BY place",
        (*(w for w in words for _ in range(2)), *material_ids, *words, *material_ids, PAGE_CANDIDATES)).fetchall()
    patterns = term_patterns(terms)
    found: dict[int, list[PageHit]] = {}
    for material_id, number, text, folded in rows:
        hits = found.setdefault(material_id, [])
        if len(hits) < MAX_PAGE_HITS and holds_every_term(folded, patterns):
            hits.append(PageHit(number=number, snippet=highlight([text], words), unit=units.get(material_id, "page")))
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


class SqliteFtsIndex:
    """SearchIndex over its own SQLite file, created with WAL on first use."""

    name = "sqlite-fts5"

    def __init__(self, path: Path, cache_entries: int = CACHE_ENTRIES, ranked_window: int = RANKED_WINDOW) -> None:
        """``cache_entries`` = 0 turns the counts and results caches off (to measure the uncached path);
        a query matching more than ``ranked_window`` documents is ranked by tiers instead of BM25."""
        self.ranked_window = ranked_window
        self.path = Path(path)
        self._pool: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._schema_ready = False
        self._counts_cache = LruCache(cache_entries)
        self._results_cache = LruCache(cache_entries)
        self._vocabulary_cache: dict[tuple[int, str], list[tuple[str, int]]] = {}
        self._popularity_cache: tuple[int, dict[int, int]] | None = None
        self._sets = DocumentSetStore(FOLDED_COLUMNS, EXACT_COLUMNS)

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
            for statement in CHANGES_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
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
            record_changes(conn, {item.row["material_id"] for item in prepared})
        return len(prepared)

    def delete(self, material_ids: Iterable[int]) -> int:
        ids = [int(i) for i in material_ids]
        if not ids:
            return 0
        with self._transaction() as conn:
            record_changes(conn, ids)
            return self._remove(conn, ids)

    def clear(self) -> None:
        with self._transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608
            record_changes(conn, [-1])

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

    def warm(self) -> None:
        """Build the document sets now (a web process at start), so that its first search does not wait for
        them (1.7 s at 100 000 lessons)."""
        with self._snapshot() as conn:
            self._sets.at(conn, conn.execute("SELECT n FROM generation").fetchone()[0])

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
                sets = self._sets.at(conn, generation)
                cached = self._results_cache.put(key, self._search(conn, sets, checked, popularity_generation))
        return cached

    def _search(self, conn: sqlite3.Connection, sets: DocumentSets, checked: SearchQuery,
                popularity_generation: int) -> SearchResult:
        corrections = self._corrections(conn, sets, checked.text, TOLERANT_LENGTH)
        text = respell(checked.text, corrections)
        checked = replace(checked, text=text)
        terms = parse_query(text)
        matched = self._matching(conn, sets, terms)
        total, facets = self._cached_counts(sets, text, matched, checked.filters, checked.viewer)
        found = matched & sets.audience(checked.viewer) & sets.filtered(checked.filters)
        ranked = self._ranked(conn, sets, checked, terms, matched, found, popularity_generation) if total else []
        hits = self._with_snippets(conn, ranked, text if terms else "")
        suggestion = self._did_you_mean(conn, sets, text, checked.viewer) if terms and not total else ""
        return SearchResult(total=total, hits=hits, facets=facets, suggestion=suggestion,
                            corrected=text if corrections else "")

    def _matching(self, conn: sqlite3.Connection, sets: DocumentSets, terms: list[QueryTerm]) -> int:
        """The documents holding every term (a folded phrase in any text column); all of them for no term."""
        matched = sets.everything
        for term in sorted(terms, key=lambda t: -len(t.folded)):
            matched &= self._sets.term(conn, sets, "any", term.folded)
            if not matched:
                break
        return matched

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

    def _corrections(self, conn: sqlite3.Connection, sets: DocumentSets, text: str, shortest: int) -> dict[str, str]:
        """Closest index word for each unquoted word of at least `shortest` letters the index lacks."""
        corrections = {}
        for word in dict.fromkeys(unquoted_words(text)):
            edits = max_edits(word, shortest)
            if not edits or self._sets.term(conn, sets, "any", (word,)):
                continue
            found = closest(word, self._vocabulary(conn, sets.generation, word[0]), edits)
            if found:
                corrections[word] = found[0]
        return corrections

    def _did_you_mean(self, conn: sqlite3.Connection, sets: DocumentSets, text: str, viewer: SearchViewer) -> str:
        """A close spelling of a query that found nothing, offered only when it finds something
        (without filters, which the page offers to drop as well)."""
        respelled = respell(text, self._corrections(conn, sets, text, SUGGEST_LENGTH))
        if respelled == text:
            return ""
        found = self._matching(conn, sets, parse_query(respelled)) & sets.audience(viewer)
        return respelled if found else ""

    # -- counting and ranking ------------------------------------------------------------------

    def _cached_counts(self, sets: DocumentSets, text: str, matched: int, filters: dict[str, str],
                       viewer: SearchViewer) -> tuple[int, dict[str, list[FacetValue]]]:
        """Total and facets depend only on the documents, so they are kept per index generation. Every
        input of the count must be part of the key (the text stands for ``matched``)."""
        key = (sets.generation, match_expression(text), tuple(sorted(filters.items())), viewer)
        cached = self._counts_cache.get(key)
        if cached is None:
            cached = self._counts_cache.put(key, _counts(sets, matched & sets.audience(viewer), filters))
        return cached

    def _ranked(self, conn: sqlite3.Connection, sets: DocumentSets, query: SearchQuery, terms: list[QueryTerm],
                matched: int, found: int, popularity_generation: int) -> list[tuple[int, float]]:
        """(material id, score) of the page of results asked for. Up to RANKED_WINDOW matches are ranked
        by BM25 as FTS5 scores them; beyond, BM25 over them all would cost more than the whole page's
        budget, and the documents are ranked by tiers of bitmaps then newest (see _ranked_by_tiers)."""
        start, count = (query.page - 1) * query.per_page, query.per_page
        popularity = self._popularity(conn, popularity_generation) if query.sort == "popular" else None
        if not terms:
            return [(i, 0.0) for i in _popular_first(sets, found, popularity, start, count)] if popularity \
                is not None else [(i, 0.0) for i in sets.newest_first(found, start, count)]
        if matched.bit_count() <= self.ranked_window:
            return self._ranked_by_score(conn, sets, query, terms, found, popularity)[start:start + count]
        if query.sort == "newest":
            return [(i, 0.0) for i in sets.newest_first(found, start, count)]
        if popularity is not None:
            return [(i, 0.0) for i in _popular_first(sets, found, popularity, start, count)]
        return [(i, 0.0) for i in self._ranked_by_tiers(conn, sets, query.text, terms, found, start, count)]

    def _tiers(self, conn: sqlite3.Connection, sets: DocumentSets, text: str,
               terms: list[QueryTerm]) -> tuple[int | None, list[int], list[int]]:
        """The documents holding every term typed with diacritics as typed (None: nothing was typed with
        them); per pair of adjacent syllables typed, the documents whose title holds it, and those holding it
        anywhere ("học sinh" as a phrase above the two syllables apart)."""
        marked = [t for t in terms if t.exact != t.folded]
        exact = None
        if marked:
            exact = sets.everything
            for term in marked:
                exact &= self._sets.term(conn, sets, "exact", term.exact)
        pairs = adjacent_pairs(text, max_pairs=MAX_TITLE_PAIRS) if len(terms) > 1 else []
        return (exact, [self._sets.term(conn, sets, "title", pair.folded) for pair in pairs],
                [self._sets.term(conn, sets, "any", pair.folded) for pair in pairs])

    def _ranked_by_score(self, conn: sqlite3.Connection, sets: DocumentSets, query: SearchQuery,
                         terms: list[QueryTerm], found: int, popularity: dict[int, int] | None) -> list[tuple]:
        """Every document found, in order: exact forms first, then more pairs in the title, then more pairs
        anywhere, then BM25 of the folded terms, then newest. (Scoring the pairs and exact forms inside FTS5
        as OR'ed branches read every common word's whole posting list: ten times slower at 100 000.)"""
        inside = Membership(found)
        scores = {material_id: score for material_id, score in conn.execute(
            f"SELECT rowid, -bm25(documents_fts, {BM25_WEIGHTS}) FROM documents_fts "  # noqa: S608
            "WHERE documents_fts MATCH ?", (scoring_expression(terms),)) if material_id in inside}
        if query.sort == "newest":
            order = sorted(scores, key=lambda i: sets.newest_key(i))
        elif popularity is not None:
            order = sorted(scores, key=lambda i: (-popularity.get(i, 0), -scores[i], sets.newest_key(i)))
        else:
            order = []
            for bucket in self._relevance_buckets(conn, sets, query.text, terms, found):
                order += sorted(members(bucket), key=lambda i: (-scores[i], sets.newest_key(i)))
        return [(i, scores[i]) for i in order]

    def _relevance_buckets(self, conn: sqlite3.Connection, sets: DocumentSets, text: str, terms: list[QueryTerm],
                           found: int, in_title: int | None = None) -> Iterator[int]:
        """``found`` split into tiers, best first: exact forms, then more adjacent pairs in the title, then more
        pairs anywhere (then, when ``in_title`` is given, every term in the title). Only non-empty ones."""
        exact, title_pairs, pairs = self._tiers(conn, sets, text, terms)
        tiers = [found & exact, found & ~exact] if exact is not None else [found]
        for splitters in (title_pairs, pairs):
            tiers = [part for tier in tiers for part in reversed(_by_count(tier, splitters))]
        if in_title is not None:
            tiers = [part for tier in tiers for part in (tier & in_title, tier & ~in_title)]
        yield from (tier for tier in tiers if tier)

    def _ranked_by_tiers(self, conn: sqlite3.Connection, sets: DocumentSets, text: str, terms: list[QueryTerm],
                         found: int, start: int, count: int) -> list[int]:
        """Many matches: the relevance tiers, then every term in the title, then newest first within each tier.
        Each tier is a bitmap; only the page's ids are ever listed."""
        in_title = sets.everything
        for term in terms:
            in_title &= self._sets.term(conn, sets, "title", term.folded)
        ranked: list[int] = []
        for bucket in self._relevance_buckets(conn, sets, text, terms, found, in_title):
            size = bucket.bit_count()
            if start >= size:
                start -= size
                continue
            ranked += sets.newest_first(bucket, start, count - len(ranked))
            start = 0
            if len(ranked) == count:
                break
        return ranked

    def _popularity(self, conn: sqlite3.Connection, popularity_generation: int) -> dict[int, int]:
        """Material id -> popularity of the documents used at least once, read again when it changed."""
        with self._lock:
            cached = self._popularity_cache
        if cached is not None and cached[0] == popularity_generation:
            return cached[1]
        scores = dict(conn.execute("SELECT material_id, popularity FROM documents WHERE popularity > 0"))
        with self._lock:
            self._popularity_cache = (popularity_generation, scores)
        return scores

    @staticmethod
    def _with_snippets(conn: sqlite3.Connection, ranked: list[tuple[int, float]],
                       text: str) -> list[SearchHit]:
        """The hits with their snippets and page hits, read for all of them at once."""
        terms = parse_query(text)
        words = [w for term in terms for w in term.folded]
        ids = [material_id for material_id, _ in ranked]
        marks = ", ".join("?" * len(ids))
        fields, units = {}, {}
        for material_id, *row, unit in conn.execute(
                f"SELECT material_id, title, description, body, kind, subject, grade, level, page_unit "  # noqa: S608
                f"FROM documents WHERE material_id IN ({marks})", ids):
            fields[material_id], units[material_id] = row, unit
        pages = _page_hits(conn, ids, terms, units)
        hits = []
        for material_id, score in ranked:
            if material_id not in fields:
                continue  # removed by a write this snapshot already sees (document sets of a newer generation)
            title, description, body, kind, subject, grade, level = fields[material_id]
            hits.append(SearchHit(material_id=material_id, title=title, kind=kind, subject=subject, grade=grade,
                                  level=level, snippet=highlight((description, body, title), words),
                                  score=float(score), pages=pages.get(material_id, [])))
        return hits

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
        with self._snapshot() as conn:
            sets = self._sets.at(conn, conn.execute("SELECT n FROM generation").fetchone()[0])
            reach = Membership(sets.audience(viewer))
            labels: dict[str, list] = {}   # label -> [best rank, rows, first key]
            for label, rank, row_key, material_id in conn.execute(SUGGEST_SQL, (key, key + "\U0010ffff",
                                                                               SUGGEST_SCAN)):
                if material_id in reach:
                    found = labels.setdefault(label, [rank, 0, row_key])
                    found[0], found[1], found[2] = min(found[0], rank), found[1] + 1, min(found[2], row_key)
        ranked = sorted(labels.items(), key=lambda item: (item[1][0], -item[1][1], item[1][2], item[0]))
        return [label for label, _ in ranked[:limit]]

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()
