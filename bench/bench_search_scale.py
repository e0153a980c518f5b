"""The embedded engine alone at scale: raw SqliteFtsIndex.search latency on a collection of N demo lessons
(default 100 000) plus 200 textbooks of 200 pages, built straight into the index from `generate_lessons` (no
database, no web layer: the demo loader would take hours for 100 000 on two cores), for very common terms,
judged queries, browsing and completion. Each query is measured the first time the process meets it, right
after a write by another connection (so no results cache can help), and repeated from the caches. Target
(2 cores): p95 <= 100 ms at 100 000 lessons, very common terms included.

    .venv/bin/python bench/bench_search_scale.py [--lessons 100000] [--textbooks 200] [--pages 200] [--rounds 3]
        [--data-dir DIR]

With --data-dir the index is built there once and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from statistics import quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not an installed copy
from common import machine_summary

from repository.demo.generator import DemoLesson, generate_lessons
from search.interfaces import PageText, SearchDocument, SearchQuery
from search.relevance import load_judged
from search.sqlite_fts import SqliteFtsIndex

COMMON = ["bài", "học", "học sinh", "hoc sinh", "bài học", "toán", "lớp 10", "giáo viên", "kiểm tra", "sách"]
BROWSE: list[dict[str, str]] = [{}, {"subject": "toan"}, {"grade": "10", "level": "thpt"}]
BATCH = 2000


def document(number: int, lesson: DemoLesson) -> SearchDocument:
    return SearchDocument(number, lesson.title, description=lesson.description, chapter=lesson.chapter,
                          lesson=lesson.lesson, body="\n".join(lesson.pages), kind=lesson.kind, level=lesson.level,
                          grade=lesson.grade, subject=lesson.subject, series=lesson.series, licence=lesson.licence,
                          province=lesson.province)


def textbooks(count: int, pages: int, first_id: int) -> Iterator[SearchDocument]:
    """``count`` textbooks of ``pages`` pages: the pages of consecutive demo lessons (another seed than the
    lessons'), each book named after the subject and grade of its first lesson."""
    lessons = generate_lessons(count * pages, seed=7)
    for number in range(count):
        first, texts = None, []
        for lesson in lessons:
            first = first or lesson
            texts.extend(lesson.pages)
            if len(texts) >= pages:
                break
        yield SearchDocument(first_id + number, f"Sách giáo khoa {first.subject} {first.grade} – quyển {number + 1}",
                             kind="sach-giao-khoa", level=first.level, grade=first.grade, subject=first.subject,
                             series=first.series, licence=first.licence, province=first.province,
                             pages=[PageText(n, text) for n, text in enumerate(texts[:pages], 1)])


def build(path: Path, lessons: int, books: int, pages: int) -> float:
    """Index the lessons then the textbooks in batches; returns documents per second."""
    index = SqliteFtsIndex(path)
    started = time.perf_counter()
    stream = enumerate(generate_lessons(lessons), 1)
    while batch := [document(number, lesson) for number, lesson in islice(stream, BATCH)]:
        index.upsert(batch)
    book_stream = textbooks(books, pages, lessons + 1)
    while batch := list(islice(book_stream, 20)):
        index.upsert(batch)
    index.optimize()
    index.close()
    return (lessons + books) / (time.perf_counter() - started)


def percentiles(latencies: list[float]) -> str:
    cuts = quantiles(latencies, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:7.1f} ms  p95 {cuts[94] * 1000:7.1f} ms  p99 {cuts[98] * 1000:7.1f} ms"


def measure(index: SqliteFtsIndex, queries: list[SearchQuery], rounds: int,
            writer: SqliteFtsIndex | None = None) -> list[float]:
    """Latencies of the queries, ``rounds`` times. With a writer (another connection, as the worker is
    another process), one lesson is re-indexed before every query, outside the timed part: each query is
    then the first since the index changed, and includes bringing the document sets up to date."""
    latencies = []
    lesson = next(iter(generate_lessons(1)))
    for _ in range(rounds):
        for query in queries:
            if writer is not None:
                writer.upsert([document(1, lesson)])
            started = time.perf_counter()
            index.search(query)
            latencies.append(time.perf_counter() - started)
    return latencies


def run(path: Path, rounds: int) -> None:
    groups = {"very common terms": [SearchQuery(text=t) for t in COMMON],
              "judged queries": [SearchQuery(text=q.text) for q in load_judged()],
              "browse and filters": [SearchQuery(filters=f) for f in BROWSE]}
    uncached, cached, writer = SqliteFtsIndex(path, cache_entries=0), SqliteFtsIndex(path), SqliteFtsIndex(path)
    try:
        print(f"collection: {cached.count()} documents; load average {os.getloadavg()[0]:.2f}")
        started = time.perf_counter()
        uncached.search(SearchQuery(text="a"))
        print(f"first query of the process (builds the document sets): {(time.perf_counter() - started) * 1000:.0f} ms")
        for name, queries in groups.items():
            first = measure(uncached, queries, 1)
            changed = measure(uncached, queries, rounds, writer)
            measure(cached, queries, 1)  # fills the cache: the cached figures are of repeated queries
            warm = measure(cached, queries, rounds)
            print(f"{name:20s} ({len(queries)} queries x {rounds})\n"
                  f"  first time in the process (term sets built from FTS5): {percentiles(first)}\n"
                  f"  index changed before each query, no results cache:    {percentiles(changed)}\n"
                  f"  repeated, from the results cache:                      {percentiles(warm)}")
            if name == "very common terms":
                print(f"  target p95 <= 100 ms with the index changed before each query: "
                      f"{'met' if quantiles(changed, n=100, method='inclusive')[94] <= 0.1 else 'MISSED'}")
        prefixes = [word[:n] for word in ("phương trình", "toán", "bài học", "sinh", "hóa học") for n in (1, 2, 4, 7)]
        typing = []
        for prefix in prefixes:
            writer.upsert([document(1, next(iter(generate_lessons(1))))])
            started = time.perf_counter()
            uncached.suggest(prefix)
            typing.append(time.perf_counter() - started)
        print(f"completion ({len(prefixes)} prefixes, the index changed before each): {percentiles(typing)}; "
              f"target p95 < 100 ms: {'met' if quantiles(typing, n=100, method='inclusive')[94] < 0.1 else 'MISSED'}")
    finally:
        for index in (uncached, cached, writer):
            index.close()
    print(f"after the run: load average {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--textbooks", type=int, default=200, help="textbooks added to the lessons")
    parser.add_argument("--pages", type=int, default=200, help="pages of each textbook")
    parser.add_argument("--data-dir", type=Path, help="build the index here once and reuse it")
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "search.db"
        if not path.exists():
            rate = build(path, args.lessons, args.textbooks, args.pages)
            print(f"indexing {args.lessons} lessons and {args.textbooks} textbooks of {args.pages} pages: "
                  f"{rate:.0f} documents/s")
        run(path, args.rounds)


if __name__ == "__main__":
    main()
