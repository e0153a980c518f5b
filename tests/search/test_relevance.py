"""The judged query set is well formed and names real demo materials; the measures are right; the
embedded engine ranks the title holding the typed words together first."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from repository.demo.generator import generate_lessons
from search.analysis import fold
from search.interfaces import SearchDocument, SearchQuery
from search.relevance import BEST, JUDGED_LESSONS, load_judged, ndcg_at, success_at
from search.sqlite_fts import SqliteFtsIndex


def test_judged_set_has_forty_queries_each_with_a_best_material() -> None:
    queries = load_judged()
    assert len(queries) >= 40
    assert all(BEST in q.grades.values() for q in queries)
    folded = [q for q in queries if q.text == fold(q.text)]
    assert 10 <= len(folded) < len(queries)  # typed with and without diacritics
    assert any(len(q.text.split()) >= 6 for q in queries) and any(len(q.text.split()) == 2 for q in queries)


def test_judged_keys_are_materials_of_the_demo_collection() -> None:
    lessons = {lesson.key: lesson for lesson in generate_lessons(JUDGED_LESSONS)}
    for query in load_judged():
        assert set(query.grades) <= set(lessons), query.text


def test_a_malformed_judgment_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "judged.csv"
    path.write_text("query,grade,key,title\ntoán,3,k1,T\ntoán,x,k2,T\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dòng 3"):
        load_judged(path)


def test_ndcg_and_success() -> None:
    grades = {"a": 3, "b": 1}
    assert ndcg_at(["a", "b"], grades) == 1.0
    assert ndcg_at(["x", "y"], grades) == 0.0
    swapped = (1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3))
    assert ndcg_at(["b", "a"], grades) == pytest.approx(swapped)
    assert success_at(["x", "y", "a"], grades) and not success_at(["x", "y", "z", "a"], grades)
    assert ndcg_at(["a"], {}) == 0.0


def demo_documents(subject: str) -> list[SearchDocument]:
    lessons = [lesson for lesson in generate_lessons(JUDGED_LESSONS) if lesson.subject == subject]
    return [SearchDocument(number, lesson.title, description=lesson.description, chapter=lesson.chapter,
                           lesson=lesson.lesson, body="\n".join(lesson.pages), kind=lesson.kind,
                           subject=lesson.subject, grade=lesson.grade)
            for number, lesson in enumerate(lessons, 1)]


@pytest.mark.parametrize(("text", "title_words"), [("điện phân", "Điện phân"), ("cap so cong", "Cấp số cộng")])
def test_title_holding_the_typed_words_together_ranks_first(tmp_path: Path, text: str, title_words: str) -> None:
    """Demo lessons of one subject: without the title-pair tier (MAX_TITLE_PAIRS = 0), "Thế điện cực và
    nguồn điện hóa học" outranks both "Điện phân" materials."""
    index = SqliteFtsIndex(tmp_path / "search.db")
    index.upsert(demo_documents("hoa-hoc" if "phan" in fold(text) else "toan"))
    try:
        hits = index.search(SearchQuery(text=text, per_page=10)).hits
        expected = sum(title_words in hit.title for hit in hits)
        assert expected >= 2 and all(title_words in hit.title for hit in hits[:expected])
    finally:
        index.close()
