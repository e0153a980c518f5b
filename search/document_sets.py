"""Sets of documents kept in memory for the embedded engine: which materials hold a query term, carry a
filter value, reach a viewer.

SQLite FTS5 finds a rare word quickly but reads the whole posting list of a very common one: "bài" and
"học" are in nearly every lesson, and at 100 000 lessons reading their rowids alone takes 50-150 ms,
ranking them all with BM25 200-500 ms, and counting facets through the documents table (whose rows hold
the full text) far more. So the engine keeps sets of material ids as Python integers used as bitmaps
(bit i set = material i): one per filter value and publication scope, built once from narrow indexes, and
one per query term it has been asked about, built from FTS5 the first time. Totals and facets become
popcounts of ANDed bitmaps, whatever the words' frequency.

The sets follow the index through its change log (the ``changes`` table: the material ids each write
touched, with the generation it made): a reader re-reads only the documents changed since its sets'
generation and re-evaluates the cached terms on their text, so a publication does not throw the sets
away. Each generation gets its own ``DocumentSets`` object (bitmaps are immutable and shared between
them), so a thread still reading an older snapshot keeps consistent sets.
"""

from __future__ import annotations

import bisect
import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from search.audience import SearchViewer

log = logging.getLogger(__name__)

FILTER_COLUMNS = ("level", "grade", "subject", "kind", "series", "licence", "province")
MAX_REFRESHED_DOCUMENTS = 5000     # more changed documents than this since a reader's generation: rebuild
MAX_REFRESH_CHECKS = 200_000       # changed documents x cached terms re-evaluated at most, else terms dropped
TERM_BYTES = 64 * 1024 * 1024      # memory for the bitmaps of terms (least recently used dropped first)
KEPT_GENERATIONS = 500             # the change log keeps this many generations

# Where a term is looked for, with the FTS5 column filter of each place (columns of search.sqlite_fts).
TermKey = tuple[str, tuple[str, ...]]   # (place, syllables)

_BITS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))
_NONZERO = re.compile(rb"[^\x00]")


def bitmap_of(ids: Iterable[int]) -> int:
    """The bitmap holding these (non-negative) ids."""
    ids = list(ids)
    if not ids:
        return 0
    data = bytearray((max(ids) >> 3) + 1)
    for i in ids:
        data[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(data, "little")


def members(bitmap: int) -> list[int]:
    """The ids in a bitmap, ascending (the zero bytes of a sparse bitmap are skipped at C speed)."""
    data = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
    found = []
    for match in _NONZERO.finditer(data):
        base = match.start() << 3
        found.extend(base + bit for bit in _BITS[data[match.start()]])
    return found


class Membership:
    """Constant-time "is id in the bitmap" for walks over an ordered list of ids."""

    def __init__(self, bitmap: int) -> None:
        self._data = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")

    def __contains__(self, material_id: int) -> bool:
        byte = material_id >> 3
        return byte < len(self._data) and bool(self._data[byte] >> (material_id & 7) & 1)


def published_key(published_at: str | None, material_id: int) -> tuple[int, float, int]:
    """Sort key of "newest first": published_at descending with undated last, then material id descending."""
    if published_at is None:
        return (1, 0.0, -material_id)
    return (0, -datetime.fromisoformat(published_at).timestamp(), -material_id)


@dataclass
class DocumentValues:
    """What the sets need of one document while they are built or refreshed: its filter values, newest-order
    key and audience (only the key is kept: the rest lives in the bitmaps)."""

    values: dict[str, object]
    newest: tuple[int, float, int]
    popularity: int
    scope: str
    unit_id: int | None
    province: str


@dataclass
class DocumentSets:
    """The sets of one index generation. Term bitmaps are added lazily (under the owner's lock)."""

    generation: int
    newest_keys: dict[int, tuple[int, float, int]]   # material id -> its newest-first sort key
    values: dict[str, dict[object, int]]            # filter column -> value -> bitmap
    scopes: dict[tuple[str, object], int]           # ("national", None) / ("province", code) / ("school", unit)
    everything: int
    newest: list[tuple[tuple[int, float, int], int]]   # (key, material id), sorted: newest first
    terms: OrderedDict[TermKey, int] = field(default_factory=OrderedDict)
    term_bytes: int = 0

    def audience(self, viewer: SearchViewer) -> int:
        """The documents the viewer may find (the rules of search.audience)."""
        if viewer.everything:
            return self.everything
        reach = self.scopes.get(("national", None), 0)
        if viewer.province:
            reach |= self.scopes.get(("province", viewer.province), 0)
        if viewer.unit_id is not None:
            reach |= self.scopes.get(("school", viewer.unit_id), 0)
        return reach

    def filtered(self, filters: dict[str, str], skip: str = "") -> int:
        """The documents carrying every filter value (but ``skip``'s)."""
        found = self.everything
        for name, value in filters.items():
            if name != skip:
                found &= self.values.get(name, {}).get(int(value) if name == "grade" else value, 0)
        return found

    def newest_key(self, material_id: int) -> tuple[int, float, int]:
        found = self.newest_keys.get(material_id)
        return found if found is not None else (1, 0.0, -material_id)

    def newest_first(self, bitmap: int, start: int, count: int) -> list[int]:
        """Ids of the bitmap in newest-first order, from position ``start``: a small set is sorted, a large
        one is found by walking the newest-first list."""
        size = bitmap.bit_count()
        if size <= 4 * (start + count) or size * 16 < len(self.newest):
            ranked = sorted(members(bitmap), key=self.newest_key)
            return ranked[start:start + count]
        inside, found, seen = Membership(bitmap), [], 0
        for _, material_id in self.newest:
            if material_id in inside:
                if seen >= start:
                    found.append(material_id)
                    if len(found) == count:
                        break
                seen += 1
        return found


def _add(bitmaps: dict, key: object, material_id: int) -> None:
    bitmaps[key] = bitmaps.get(key, 0) | 1 << material_id


def _remove_everywhere(sets: DocumentSets, material_ids: set[int]) -> None:
    mask = ~bitmap_of(material_ids)
    sets.everything &= mask
    for by_value in sets.values.values():
        for value in list(by_value):
            by_value[value] &= mask
    for key in list(sets.scopes):
        sets.scopes[key] &= mask


class DocumentSetStore:
    """The current DocumentSets of one index file, shared by the threads of one process."""

    def __init__(self, folded_columns: tuple[str, ...], exact_columns: tuple[str, ...]) -> None:
        self._columns = {"any": folded_columns, "title": folded_columns[:1], "exact": exact_columns}
        self._lock = threading.Lock()
        self._current: DocumentSets | None = None

    # -- whole sets ----------------------------------------------------------------------------

    def at(self, conn: sqlite3.Connection, generation: int) -> DocumentSets:
        """The sets of ``generation``, read through ``conn`` (a read transaction at that generation). A caller
        whose snapshot is older than the sets of this process (a race with a write) gets sets of its own."""
        with self._lock:
            current = self._current
            if current is not None and current.generation == generation:
                return current
            if current is not None and current.generation > generation:
                return self._built(conn, generation)
            refreshed = self._refreshed(conn, current, generation) if current is not None else None
            self._current = refreshed or self._built(conn, generation)
            return self._current

    def _built(self, conn: sqlite3.Connection, generation: int) -> DocumentSets:
        documents: dict[int, DocumentValues] = {}
        audiences = {row[0]: row[1:] for row in conn.execute(
            "SELECT material_id, scope, unit_id, province FROM audiences")}
        columns = ", ".join(FILTER_COLUMNS)
        for material_id, *values, published_at, popularity in conn.execute(
                f"SELECT material_id, {columns}, published_at, popularity FROM documents "  # noqa: S608
                "INDEXED BY documents_values"):
            documents[material_id] = _values(material_id, values, published_at, popularity,
                                             audiences.get(material_id))
        sets = DocumentSets(generation=generation, newest_keys={}, values={name: {} for name in FILTER_COLUMNS},
                            scopes={}, everything=0, newest=[])
        self._put_documents(sets, documents)
        return sets

    def _refreshed(self, conn: sqlite3.Connection, previous: DocumentSets, generation: int) -> DocumentSets | None:
        """The previous sets moved to ``generation`` by re-reading the documents changed in between, or
        None when the change log cannot tell (pruned, a clear) or too much changed."""
        rows = conn.execute("SELECT DISTINCT material_id FROM changes WHERE generation > ? AND generation <= ?",
                            (previous.generation, generation)).fetchall()
        oldest = conn.execute("SELECT min(generation) FROM changes").fetchone()[0]
        changed = {row[0] for row in rows}
        if oldest is None or oldest > previous.generation + 1 or -1 in changed \
                or len(changed) > MAX_REFRESHED_DOCUMENTS:
            return None
        newest = list(previous.newest)
        for material_id in changed:
            old = previous.newest_keys.get(material_id)
            if old is not None:
                del newest[bisect.bisect_left(newest, (old, material_id))]
        # The newest-first keys are one dict shared by every generation, updated in place: copying it costs
        # more than the rest of a refresh, and a reader of an older snapshot only orders ties with it.
        sets = DocumentSets(generation=generation, newest_keys=previous.newest_keys,
                            values={name: dict(v) for name, v in previous.values.items()},
                            scopes=dict(previous.scopes), everything=previous.everything,
                            newest=newest, terms=OrderedDict(previous.terms),
                            term_bytes=previous.term_bytes)
        _remove_everywhere(sets, changed)
        for material_id in changed:
            sets.newest_keys.pop(material_id, None)
        present = self._read_documents(conn, changed)
        self._put_documents(sets, present)
        for material_id, values in present.items():
            bisect.insort(sets.newest, (values.newest, material_id))
        self._refresh_terms(conn, sets, changed, set(present))
        return sets

    @staticmethod
    def _read_documents(conn: sqlite3.Connection, material_ids: set[int]) -> dict[int, DocumentValues]:
        found = {}
        columns = ", ".join(FILTER_COLUMNS)
        for material_id in material_ids:
            row = conn.execute(f"SELECT {columns}, published_at, popularity FROM documents "  # noqa: S608
                               "WHERE material_id = ?", (material_id,)).fetchone()
            if row is None:
                continue
            audience = conn.execute("SELECT scope, unit_id, province FROM audiences WHERE material_id = ?",
                                    (material_id,)).fetchone()
            found[material_id] = _values(material_id, row[:-2], row[-2], row[-1], audience)
        return found

    @staticmethod
    def _put_documents(sets: DocumentSets, documents: dict[int, DocumentValues]) -> None:
        grouped: dict[str, dict[object, list[int]]] = {name: {} for name in FILTER_COLUMNS}
        scopes: dict[tuple[str, object], list[int]] = {}
        for material_id, doc in documents.items():
            for name, value in doc.values.items():
                if value is not None and value != "":
                    grouped[name].setdefault(value, []).append(material_id)
            scope_key = {"school": ("school", doc.unit_id), "province": ("province", doc.province)}.get(
                doc.scope, ("national", None))
            scopes.setdefault(scope_key, []).append(material_id)
        for name, by_value in grouped.items():
            for value, ids in by_value.items():
                sets.values[name][value] = sets.values[name].get(value, 0) | bitmap_of(ids)
        for key, ids in scopes.items():
            sets.scopes[key] = sets.scopes.get(key, 0) | bitmap_of(ids)
        sets.everything |= bitmap_of(documents)
        sets.newest_keys.update((material_id, doc.newest) for material_id, doc in documents.items())
        if not sets.newest:
            sets.newest = sorted((key, material_id) for material_id, key in sets.newest_keys.items())

    # -- terms ---------------------------------------------------------------------------------

    def term(self, conn: sqlite3.Connection, sets: DocumentSets, place: str, syllables: tuple[str, ...]) -> int:
        """The documents holding the syllables as a phrase in ``place``: "any" folded column, the folded
        "title", or "any" exact (diacritics kept) column."""
        key = (place, syllables)
        with self._lock:
            found = sets.terms.get(key)
            if found is not None:
                sets.terms.move_to_end(key)
                return found
        columns = self._columns[place]
        phrase = '"' + " ".join(syllables).replace('"', '""') + '"'
        rows = conn.execute("SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?",
                            ("{" + " ".join(columns) + "} : " + phrase,))
        found = bitmap_of(row[0] for row in rows) & sets.everything
        with self._lock:
            sets.terms[key] = found
            sets.term_bytes += _size(found)
            while sets.term_bytes > TERM_BYTES and len(sets.terms) > 1:
                _, dropped = sets.terms.popitem(last=False)
                sets.term_bytes -= _size(dropped)
        return found

    def _refresh_terms(self, conn: sqlite3.Connection, sets: DocumentSets, changed: set[int],
                       present: set[int]) -> None:
        """Re-evaluate every cached term on the changed documents' indexed text (space-joined syllables,
        as FTS5 tokenised them), or drop the terms when that would cost more than rebuilding them."""
        if len(changed) * len(sets.terms) > MAX_REFRESH_CHECKS:
            sets.terms, sets.term_bytes = OrderedDict(), 0
            return
        texts = dict(self._indexed_texts(conn, present))
        words = {material_id: {place: set(" ".join(columns).split()) for place, columns in by_place.items()}
                 for material_id, by_place in texts.items()}
        mask = ~bitmap_of(changed)
        for key, bitmap in sets.terms.items():
            place, syllables = key
            phrase = " " + " ".join(syllables) + " "
            holding = [material_id for material_id, by_place in texts.items()
                       if words[material_id][place].issuperset(syllables)
                       and (len(syllables) == 1 or any(phrase in column for column in by_place[place]))]
            sets.terms[key] = (bitmap & mask) | bitmap_of(holding)

    def _indexed_texts(self, conn: sqlite3.Connection,
                       material_ids: set[int]) -> Iterator[tuple[int, dict[str, list[str]]]]:
        folded, exact = self._columns["any"], self._columns["exact"]
        for material_id in material_ids:
            row = conn.execute(f"SELECT {', '.join((*folded, *exact))} FROM documents_fts "  # noqa: S608
                               "WHERE rowid = ?", (material_id,)).fetchone()
            if row is None:
                continue
            padded = [f" {text} " for text in row]
            yield material_id, {"any": padded[:len(folded)], "title": padded[:1], "exact": padded[len(folded):]}


def _values(material_id: int, values: list | tuple, published_at: str | None, popularity: int,
            audience: tuple | None) -> DocumentValues:
    scope, unit_id, province = audience if audience is not None else ("national", None, "")
    return DocumentValues(values=dict(zip(FILTER_COLUMNS, values, strict=True)),
                          newest=published_key(published_at, material_id), popularity=popularity or 0,
                          scope=scope, unit_id=unit_id, province=province or "")


def _size(bitmap: int) -> int:
    return (bitmap.bit_length() + 7) // 8 + 64


def record_changes(conn: sqlite3.Connection, material_ids: Iterable[int]) -> None:
    """Log the material ids a write transaction touches under the generation it made (-1: everything),
    and forget generations no reader needs any more (one that far behind rebuilds its sets)."""
    conn.executemany("INSERT INTO changes (generation, material_id) SELECT n, ? FROM generation",
                     [(int(i),) for i in material_ids])
    conn.execute("DELETE FROM changes WHERE generation < (SELECT n FROM generation) - ?", (KEPT_GENERATIONS,))


CHANGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (generation INTEGER NOT NULL, material_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_generation ON changes (generation);
CREATE INDEX IF NOT EXISTS documents_values ON documents (material_id, level, grade, subject, kind, series, licence,
                                                         province, published_at, popularity);
"""
