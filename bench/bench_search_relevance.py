"""Relevance of each reachable search engine on the judged query set (search/relevance): nDCG@10 and
success@3 over the demo collection of 2000 lessons, loaded into a temporary data directory with
`python -m repository.cli demo load`. Elasticsearch is measured too when HOCLIEU_TEST_ELASTICSEARCH_URL
is set (the same documents are bulk-indexed into a throw-away index prefix). Target: nDCG@10 >= 0.9.

    .venv/bin/python bench/bench_search_relevance.py [--data-dir DIR] [--worst 10]

With --data-dir the collection is loaded there once and reused by later runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not an installed copy
from common import machine_summary
from elasticsearch import ApiError, TransportError

from repository.demo.generator import generate_lessons
from search.interfaces import SearchIndex, SearchQuery, SearchUnavailable
from search.relevance import JUDGED_LESSONS, JudgedQuery, QueryScore, evaluate, load_judged
from search.sqlite_fts import SqliteFtsIndex

ES_URL_VARIABLE = "HOCLIEU_TEST_ELASTICSEARCH_URL"


def load_collection(data_dir: Path, lessons: int) -> None:
    """`hoclieu db upgrade` and `hoclieu demo load` in a child process on this data directory."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")}, "HOCLIEU_DATA_DIR": str(data_dir)}
    cli = [sys.executable, "-m", "repository.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "load", "--lessons", str(lessons)], env=env, check=True, capture_output=True)


def keys_by_material_id(data_dir: Path, lessons: int) -> dict[int, str]:
    """Materials were created in generation order: the i-th id is the i-th generated lesson (checked)."""
    with sqlite3.connect(data_dir / "hoclieu.db") as conn:
        rows = conn.execute("SELECT id, title FROM materials ORDER BY id").fetchall()
    generated = list(generate_lessons(lessons))
    if [title for _, title in rows[:lessons]] != [lesson.title for lesson in generated]:
        raise SystemExit(f"{data_dir} does not hold generate_lessons({lessons}) in order: use a fresh directory")
    return {material_id: lesson.key for (material_id, _), lesson in zip(rows, generated, strict=False)}


def ranked_keys(index: SearchIndex, keys: dict[int, str], text: str) -> list[str]:
    result = index.search(SearchQuery(text=text, per_page=10))
    return [keys.get(hit.material_id, f"id-{hit.material_id}") for hit in result.hits]


@contextmanager
def sqlite_engine(data_dir: Path) -> Iterator[SearchIndex]:
    index = SqliteFtsIndex(data_dir / "search.db")
    try:
        yield index
    finally:
        index.close()


@contextmanager
def elasticsearch_engine(data_dir: Path, url: str) -> Iterator[SearchIndex]:
    """The demo documents, built from the database as the worker builds them, in a throw-away index."""
    from repository import create_app
    from search.elastic import ElasticsearchIndex
    from search.service import build_documents, published_ids

    app = create_app({"data_dir": str(data_dir), "database": {"url": f"sqlite:///{data_dir / 'hoclieu.db'}"}})
    index = ElasticsearchIndex(url, prefix=f"hoclieu-bench-{os.getpid()}")
    try:
        with app.extensions["db"].session() as session:
            index.rebuild(build_documents(session, ids) for ids in published_ids(session))
        yield index
    finally:
        with suppress(ApiError, TransportError):
            index.client.indices.delete(index=f"{index.alias}-*", ignore_unavailable=True, allow_no_indices=True)
            index.client.indices.delete_index_template(name=index.alias)
        index.close()
        app.extensions["search"].close()
        app.extensions["db"].dispose()


def report(name: str, scores: list[QueryScore], queries: list[JudgedQuery], worst: int) -> None:
    ndcg = mean(s.ndcg for s in scores)
    success = mean(1.0 if s.success else 0.0 for s in scores)
    print(f"{name}: nDCG@10 = {ndcg:.3f}, success@3 = {success:.3f} over {len(scores)} queries "
          f"(target nDCG@10 >= 0.9: {'met' if ndcg >= 0.9 else 'MISSED'})")
    grades = {q.text: q.grades for q in queries}
    for score in sorted(scores, key=lambda s: s.ndcg)[:worst]:
        shown = " ".join(str(grades[score.text].get(key, 0)) for key in score.ranked)
        print(f"  {score.ndcg:.3f} {'ok ' if score.success else 'MISS'} {score.text!r}: grades of top 10: {shown}")


def measure(data_dir: Path, worst: int) -> None:
    queries = load_judged()
    keys = keys_by_material_id(data_dir, JUDGED_LESSONS)
    with sqlite_engine(data_dir) as index:
        report(index.name, evaluate(queries, lambda text: ranked_keys(index, keys, text)), queries, worst)
    url = os.environ.get(ES_URL_VARIABLE)
    if not url:
        print(f"elasticsearch: not measured ({ES_URL_VARIABLE} is not set)")
        return
    try:
        with elasticsearch_engine(data_dir, url) as index:
            report(f"{index.name} ({url})", evaluate(queries, lambda text: ranked_keys(index, keys, text)),
                   queries, worst)
    except SearchUnavailable as exc:
        print(f"elasticsearch: not measured, {url} unreachable: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="load the collection here once and reuse it")
    parser.add_argument("--worst", type=int, default=10, help="list this many worst queries per engine")
    args = parser.parse_args()
    print(machine_summary())
    if args.data_dir:
        if not (args.data_dir / "hoclieu.db").exists():
            load_collection(args.data_dir, JUDGED_LESSONS)
        measure(args.data_dir, args.worst)
        return
    with tempfile.TemporaryDirectory() as data_dir:
        load_collection(Path(data_dir), JUDGED_LESSONS)
        measure(Path(data_dir), args.worst)


if __name__ == "__main__":
    main()
