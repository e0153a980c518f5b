"""The embedded engine's document sets (search/document_sets.py): bitmaps per filter value, scope and query
term, kept in step with the index file through its change log. Whatever another engine on the same file
writes, a reader holding sets must answer exactly as an engine opened afresh on the file; and a query with
more matches than the BM25 window is ranked by its tiers, then newest, page after page."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

from search.audience import SearchViewer
from search.document_sets import KEPT_GENERATIONS, bitmap_of, members
from search.interfaces import SearchDocument, SearchQuery
from search.sqlite_fts import SqliteFtsIndex
from tests.search.conftest import collection

QUERIES = [SearchQuery(), SearchQuery(text="phương trình"), SearchQuery(text="phuong trinh", filters={"level": "thpt"}),
           SearchQuery(text="đường"), SearchQuery(text='"bậc hai"'), SearchQuery(filters={"grade": "10"}),
           SearchQuery(text="định luật", sort="newest"), SearchQuery(text="hàm số", filters={"subject": "toan"}),
           SearchQuery(viewer=SearchViewer(province="79")), SearchQuery(text="bài", per_page=3, page=2)]


def answers(index: SqliteFtsIndex) -> list[tuple]:
    results = [index.search(query) for query in QUERIES]
    return [(r.total, [h.material_id for h in r.hits], r.facets) for r in results]


def fresh_answers(path: Path) -> list[tuple]:
    fresh = SqliteFtsIndex(path, cache_entries=0)
    try:
        return answers(fresh)
    finally:
        fresh.close()


def test_bitmaps_hold_exactly_their_members() -> None:
    ids = [0, 7, 8, 9, 1000, 123_457]
    assert members(bitmap_of(ids)) == ids
    assert members(bitmap_of([])) == [] and bitmap_of([]) == 0


def test_a_reader_follows_every_write_of_another_engine_without_rebuilding(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    reader, writer = SqliteFtsIndex(path, cache_entries=0), SqliteFtsIndex(path)
    try:
        docs = collection()
        writer.upsert(docs[:8])
        answers(reader)   # the reader builds its sets and the term bitmaps of every query
        built = reader._sets._current
        rng = random.Random(7)
        for step in range(12):
            doc = rng.choice(docs)
            if step % 4 == 3:
                writer.delete([doc.material_id])
            else:   # a new document, or an old one with other text, filters and scope
                writer.upsert([replace(doc, title=doc.title + " bài " + rng.choice(["mới", "ôn tập", "đường"]),
                                       level=rng.choice(["thcs", "thpt"]), grade=rng.choice([8, 10, 11]),
                                       audience_scope=rng.choice(["national", "province"]))])
            assert answers(reader) == fresh_answers(path), f"after write {step}"
        current = reader._sets._current
        assert current.terms.keys() >= built.terms.keys()   # term bitmaps were updated, not thrown away
        assert current.newest_keys is built.newest_keys      # and the newest-first keys followed in place
    finally:
        reader.close()
        writer.close()


def test_term_bitmaps_after_writes_equal_what_fts5_finds(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    reader, writer = SqliteFtsIndex(path), SqliteFtsIndex(path)
    try:
        docs = collection()
        writer.upsert(docs[:6])
        words = ["phuong", "trinh", "duong", "thang", "bai", "luat", "ham", "so"]
        for word in words:
            reader.search(SearchQuery(text=word))
        writer.upsert([replace(d, body=d.body + " phương trình đường thẳng bài") for d in docs[3:12]])
        writer.delete([2])
        reader.search(SearchQuery(text="x"))
        sets = reader._sets._current
        with sqlite3.connect(path) as conn:
            for word in words:
                expected = {row[0] for row in conn.execute(
                    "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?",
                    ('{title_f chapter_f lesson_f subject_name_f description_f body_f} : "' + word + '"',))}
                assert set(members(sets.terms[("any", (word,))])) == expected, word
    finally:
        reader.close()
        writer.close()


def test_a_cleared_index_and_a_pruned_change_log_rebuild_the_sets(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    reader, writer = SqliteFtsIndex(path, cache_entries=0), SqliteFtsIndex(path)
    try:
        writer.upsert(collection())
        assert reader.search(SearchQuery(text="phương trình")).total > 0
        writer.clear()
        assert reader.search(SearchQuery(text="phương trình")).total == 0
        assert reader.search(SearchQuery()).total == 0
        writer.upsert(collection()[:3])
        answers(reader)
        for _ in range(KEPT_GENERATIONS + 2):   # the reader falls behind what the change log keeps
            writer.upsert(collection()[3:4])
        writer.upsert(collection()[4:9])
        assert answers(reader) == fresh_answers(path)
    finally:
        reader.close()
        writer.close()


def lessons_about_lessons() -> list[SearchDocument]:
    """Twelve documents all holding "bai" and "hoc" (unmarked in their description and body), some with the
    marked words or the pair "bài học" in the title, published on distinct days (the newest has the highest id)."""
    titles = ["Bài học về phân số", "Bai hoc ve so thap phan", "Học kì một: bài tập", "Bài học đường tròn",
              "Ôn tập", "Bai tap hoc ki", "Bài học số nguyên", "Hình học: bài ôn", "Bài học tỉ lệ", "Luyện tập",
              "Học và bài", "Bài đọc thêm"]
    return [replace(doc, title=title, description="bai hoc cho hoc sinh", body="bai hoc on tap", pages=[])
            for doc, title in zip(collection(), titles, strict=False)]


def test_many_matches_are_ranked_by_tiers_then_newest_page_after_page(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    windowed, scored = SqliteFtsIndex(path, ranked_window=4), SqliteFtsIndex(path)
    try:
        scored.upsert(lessons_about_lessons())
        query = SearchQuery(text="bài học", per_page=5)
        first = windowed.search(query)
        assert (first.total, first.facets) == (scored.search(query).total, scored.search(query).facets)
        pages = [first] + [windowed.search(replace(query, page=n)) for n in (2, 3)]
        ranked = [hit.material_id for page in pages for hit in page.hits]
        assert sorted(ranked) == list(range(1, 13))   # every match once, none twice across pages
        # Titles with both words as typed first: those with the pair "bài học", then the others (newest
        # first in each); then the unmarked: the pair in the title, both words in the title, the rest.
        assert ranked == [9, 7, 4, 1, 11, 8, 3, 2, 6, 12, 10, 5]
        assert ranked == [h.material_id for h in windowed.search(replace(query, per_page=12)).hits]
        newest = windowed.search(replace(query, sort="newest", per_page=12))
        assert [h.material_id for h in newest.hits] == list(range(12, 0, -1))
    finally:
        windowed.close()
        scored.close()


def test_warming_builds_the_sets_before_the_first_search(tmp_path: Path) -> None:
    index = SqliteFtsIndex(tmp_path / "search.db")
    try:
        index.upsert(collection()[:4])
        assert index._sets._current is None
        index.warm()
        warmed = index._sets._current
        assert warmed is not None and warmed.everything.bit_count() == 4
        index.search(SearchQuery(text="phương trình"))
        assert index._sets._current is warmed   # the first search used them
    finally:
        index.close()
