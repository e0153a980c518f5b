"""Page-level hits of the embedded engine: the pages of a hit that match the query, with safe snippets."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from search import sqlite_fts
from search.analysis import holds_every_term
from search.interfaces import PageText, SearchDocument, SearchQuery
from search.sqlite_fts import SqliteFtsIndex

TEXTBOOK_PAGES = [
    PageText(1, "Chương I. Động học: chuyển động thẳng đều, vận tốc và quãng đường."),
    PageText(2, "Quán tính là tính chất giữ nguyên vận tốc của vật. Ví dụ: <script>alert(1)</script> "
                "khi xe phanh gấp, hành khách ngả về phía trước vì quán tính."),
    PageText(3, "Chương IV. Năng lượng: động năng và thế năng của vật."),
]


def textbook(material_id: int = 1, pages: list[PageText] | None = None) -> SearchDocument:
    return SearchDocument(material_id=material_id, title="Vật lí 10", kind="sach-giao-khoa", subject="vat-li",
                          grade=10, level="thpt", pages=TEXTBOOK_PAGES if pages is None else pages)


def only_hit_pages(index: SqliteFtsIndex, text: str) -> list[tuple[int, str]]:
    result = index.search(SearchQuery(text=text))
    assert result.total == 1, text
    return [(page.number, page.snippet) for page in result.hits[0].pages]


def test_a_query_matching_one_page_names_that_page(index: SqliteFtsIndex) -> None:
    index.upsert([textbook()])
    for text in ("quán tính", "QUAN TINH", "quan tính hanh khach"):
        pages = only_hit_pages(index, text)
        assert [number for number, _ in pages] == [2], text
        snippet = pages[0][1]
        assert "<mark>Quán</mark> <mark>tính</mark>" in snippet
        assert "&lt;script&gt;" in snippet and "<script>" not in snippet


def test_d_with_stroke_folds_to_d_in_pages(index: SqliteFtsIndex) -> None:
    index.upsert([textbook()])
    assert [number for number, _ in only_hit_pages(index, "quang duong")] == [1]
    assert "<mark>đường</mark>" in only_hit_pages(index, "quang duong")[0][1]


def test_a_page_needs_every_term_and_phrases_stay_phrases(index: SqliteFtsIndex) -> None:
    index.upsert([textbook()])
    assert only_hit_pages(index, "động năng vận tốc") == []  # the material matches, no single page does
    assert [number for number, _ in only_hit_pages(index, '"dong nang"')] == [3]
    assert index.search(SearchQuery(text='"nang dong"')).total == 0


def test_at_most_three_pages_best_first(index: SqliteFtsIndex) -> None:
    counts = {1: 1, 2: 3, 3: 0, 4: 2, 5: 3, 6: 1}
    pages = [PageText(n, " ".join(["gia tốc"] * k) + " lực") for n, k in counts.items()]
    index.upsert([textbook(pages=pages)])
    assert [number for number, _ in only_hit_pages(index, "gia toc")] == [2, 5, 4]


def test_no_page_hits_without_text_or_for_one_page_materials(index: SqliteFtsIndex) -> None:
    index.upsert([textbook(1), textbook(2, pages=[PageText(1, "Quán tính của vật.")])])
    result = index.search(SearchQuery(text="quan tinh"))
    assert {hit.material_id: [p.number for p in hit.pages] for hit in result.hits} == {1: [2], 2: []}
    assert all(hit.pages == [] for hit in index.search(SearchQuery(text="")).hits)


def test_pages_are_read_for_the_shown_hits_only(index: SqliteFtsIndex, monkeypatch) -> None:
    index.upsert([textbook(n) for n in range(1, 6)])
    scanned: list[str] = []

    def counting(folded: str, patterns: list) -> bool:
        scanned.append(folded)
        return holds_every_term(folded, patterns)

    monkeypatch.setattr(sqlite_fts, "holds_every_term", counting)
    shown = index.search(SearchQuery(text="quan tinh", page=2, per_page=2))
    assert shown.total == 5 and len(shown.hits) == 2
    assert all([p.number for p in hit.pages] == [2] for hit in shown.hits)
    assert len(scanned) == 2  # the one page of each shown book that holds both words


def index_of_an_older_schema(path: Path, version: int, undo: str) -> SqliteFtsIndex:
    """An index file holding textbook() as schema ``version`` made it (``undo`` removes what came later),
    opened again by the current engine."""
    old = SqliteFtsIndex(path)
    old.upsert([textbook()])
    old.close()
    with sqlite3.connect(path) as conn:
        conn.execute(undo)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    return SqliteFtsIndex(path)


def test_an_index_of_schema_1_gains_folded_pages_in_place(tmp_path: Path) -> None:
    upgraded = index_of_an_older_schema(tmp_path / "search.db", 1, "ALTER TABLE pages DROP COLUMN folded")
    try:
        assert [number for number, _ in only_hit_pages(upgraded, "quan tinh")] == [2]
        assert upgraded.count() == 1
    finally:
        upgraded.close()


def test_page_hits_say_what_the_numbered_parts_are(index: SqliteFtsIndex) -> None:
    deck = SearchDocument(material_id=2, title="Bài 15", page_unit="slide",
                          pages=[PageText(1, "Định luật 2 Newton"), PageText(2, "Quán tính và gia tốc")])
    bank = SearchDocument(material_id=3, title="Ngân hàng Vật lí 10", page_unit="question",
                          pages=[PageText(1, "Lực là gì?"), PageText(4, "Vì sao hành khách ngả về phía trước? "
                                                                           "Do quán tính.")])
    index.upsert([textbook(), deck, bank])
    result = index.search(SearchQuery(text="quan tinh"))
    assert {hit.material_id: [(p.unit, p.number) for p in hit.pages] for hit in result.hits} == {
        1: [("page", 2)], 2: [("slide", 2)], 3: [("question", 4)]}


def test_an_unknown_page_unit_is_refused(index: SqliteFtsIndex) -> None:
    with pytest.raises(ValueError, match="page_unit"):
        index.upsert([SearchDocument(material_id=1, title="Vật lí 10", page_unit="chapter")])
    assert index.count() == 0


def test_an_index_of_schema_3_gains_page_units_in_place(tmp_path: Path) -> None:
    upgraded = index_of_an_older_schema(tmp_path / "search.db", 3, "ALTER TABLE documents DROP COLUMN page_unit")
    try:
        [hit] = upgraded.search(SearchQuery(text="quan tinh")).hits
        assert [(p.unit, p.number) for p in hit.pages] == [("page", 2)]  # kept, and named as before
        upgraded.upsert([replace(textbook(2, pages=[PageText(1, "Động học"), PageText(2, "Quán tính")]),
                                 page_unit="slide")])
        units = {h.material_id: [p.unit for p in h.pages] for h in upgraded.search(SearchQuery(text="quan tinh")).hits}
        assert units == {1: ["page"], 2: ["slide"]}
        with sqlite3.connect(upgraded.path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_fts.SCHEMA_VERSION
        conn.close()
    finally:
        upgraded.close()
