"""The embedded engine alone at scale: raw SqliteFtsIndex.search latency on a collection of N demo lessons
(default 100 000) built straight into the index from `generate_lessons` (no database, no web layer: the
demo loader would take hours for 100 000 on two cores), for very common terms, judged queries and
browsing. Each query is measured without the caches (cache_entries=0: the cost of a query seen for the
first time since the index last changed) and with them, as the portal runs it. Target (2 cores): p95 <=
100 ms at 100 000 lessons, very common terms included.

    .venv/bin/python bench/bench_search_scale.py [--lessons 100000] [--rounds 3] [--data-dir DIR]

With --data-dir the index is built there once and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from statistics import quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not an installed copy
from common import machine_summary

from repository.demo.generator import DemoLesson, generate_lessons
from search.interfaces import SearchDocument, SearchQuery
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


def build(path: Path, lessons: int) -> float:
    """Index the lessons in batches; returns documents per second."""
    index = SqliteFtsIndex(path)
    started = time.perf_counter()
    stream = enumerate(generate_lessons(lessons), 1)
    while batch := [document(number, lesson) for number, lesson in islice(stream, BATCH)]:
        index.upsert(batch)
    index.optimize()
    index.close()
    return lessons / (time.perf_counter() - started)


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
    parser.add_argument("--data-dir", type=Path, help="build the index here once and reuse it")
    args = parser.parse_args()
    print(machine_summary())
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "search.db"
        if not path.exists():
            print(f"indexing {args.lessons} lessons: {build(path, args.lessons):.0f} documents/s")
        run(path, args.rounds)


if __name__ == "__main__":
    main()
