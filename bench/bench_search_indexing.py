"""Indexing throughput of both engines' bulk paths on N generated demo lessons (default 20 000), each a
document with its pages (as `hoclieu reindex` builds them: body plus numbered pages, for page hits).

- SQLite FTS5: SqliteFtsIndex.upsert in batches of search.service.BATCH, into a fresh file.
- Elasticsearch: ElasticsearchIndex.rebuild (the `hoclieu reindex` path: template, new index, bulk helper in
  chunks, refresh, alias swap) through the official client. Without a cluster (none can run here) the client
  talks to a minimal local HTTP server (stdlib http.server, a thread of this process) that answers every _bulk
  with a valid "no errors" response and counts the documents and bytes received (its small work shares this
  process's interpreter and is part of the figure): the figure is what our code can prepare (to_source),
  serialise and send over HTTP, NOT what a cluster can index (analysis, nested page documents, merges and
  refreshes are all missing from it). With --url or HOCLIEU_TEST_ELASTICSEARCH_URL it is
  measured against that cluster instead (a throwaway index prefix, deleted afterwards).
- References in the same run: to_source alone, and to_source plus JSON serialisation of the bulk lines.

    .venv/bin/python bench/bench_search_indexing.py [--lessons 20000] [--url http://127.0.0.1:9200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not an installed copy
from common import machine_summary

from repository.demo.generator import DemoLesson, generate_lessons
from search.elastic import BULK_CHUNK, ElasticsearchIndex, to_source
from search.interfaces import PageText, SearchDocument
from search.service import BATCH
from search.sqlite_fts import SqliteFtsIndex


def document(number: int, lesson: DemoLesson) -> SearchDocument:
    pages = [PageText(n, text) for n, text in enumerate(lesson.pages, 1)]
    return SearchDocument(number, lesson.title, description=lesson.description, chapter=lesson.chapter,
                          lesson=lesson.lesson, body="\n".join(lesson.pages), kind=lesson.kind, level=lesson.level,
                          grade=lesson.grade, subject=lesson.subject, series=lesson.series, licence=lesson.licence,
                          province=lesson.province, pages=pages)


def batches(documents: list[SearchDocument], size: int = BATCH) -> Iterator[list[SearchDocument]]:
    stream = iter(documents)
    while batch := list(islice(stream, size)):
        yield batch


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def line(name: str, count: int, seconds: float, note: str = "") -> None:
    print(f"{name:56s} {count / seconds:9.0f} documents/s  ({count} in {seconds:.2f} s){note}")


# -- a stand-in for a cluster: answers, counts, indexes nothing ------------------------------


class BulkSink(BaseHTTPRequestHandler):
    """Every request answered at once: _bulk with one "created" item per action line (the bulk helper reads
    them), a missing alias with 404, anything else acknowledged. Keep-alive (HTTP/1.1) like a cluster."""

    protocol_version = "HTTP/1.1"
    documents = 0
    bytes_received = 0
    lock = threading.Lock()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer = 200, b'{"acknowledged":true}'
        if self.path.split("?")[0].endswith("/_bulk"):
            actions = body.count(b"\n") // 2   # index actions: an action line and a source line each
            with BulkSink.lock:
                BulkSink.documents += actions
                BulkSink.bytes_received += len(body)
            answer = b'{"took":1,"errors":false,"items":[' + b",".join(
                [b'{"index":{"status":201,"result":"created"}}'] * actions) + b"]}"
        elif self.command == "GET" and self.path.startswith("/_alias/"):
            status, answer = 404, b'{"error":"alias missing","status":404}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def local_sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BulkSink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- the measures ----------------------------------------------------------------------------


def sqlite_upsert(documents: list[SearchDocument], folder: Path) -> None:
    index = SqliteFtsIndex(folder / "search.db")
    try:
        seconds = timed(lambda: [index.upsert(batch) for batch in batches(documents)])
        line(f"SQLite FTS5 upsert, batches of {BATCH}", len(documents), seconds,
             f"; file {(folder / 'search.db').stat().st_size / 2**20:.0f} MiB + WAL")
    finally:
        index.close()


def elastic_rebuild(documents: list[SearchDocument], url: str, live: bool) -> None:
    engine = ElasticsearchIndex(url, prefix=f"hoclieu-bench-{uuid.uuid4().hex[:8]}")
    try:
        seconds = timed(lambda: engine.rebuild(batches(documents)))
        where = "cluster" if live else "local sink"
        line(f"Elasticsearch rebuild, bulk chunks of {BULK_CHUNK} ({where})", len(documents), seconds)
        if not live:
            print(f"{'':56s} sink received {BulkSink.documents} documents, "
                  f"{BulkSink.bytes_received / 2**20:.0f} MiB ({BulkSink.bytes_received / len(documents) / 1024:.1f} "
                  f"KiB per document); NO CLUSTER INDEXED THEM")
    finally:
        if live:
            engine.client.indices.delete(index=f"{engine.alias}-*", ignore_unavailable=True, allow_no_indices=True)
            engine.client.indices.delete_index_template(name=engine.alias)
        engine.close()


def references(documents: list[SearchDocument]) -> None:
    line("reference: to_source alone", len(documents), timed(lambda: [to_source(d) for d in documents]))

    def serialised() -> None:
        for doc in documents:
            json.dumps({"index": {"_index": "x", "_id": str(doc.material_id)}}, ensure_ascii=False)
            json.dumps(to_source(doc), ensure_ascii=False)

    line("reference: to_source + json.dumps of its two bulk lines", len(documents), timed(serialised))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=20_000)
    parser.add_argument("--url", default=os.environ.get("HOCLIEU_TEST_ELASTICSEARCH_URL", ""),
                        help="an Elasticsearch cluster to index into (default: none, a local HTTP sink)")
    args = parser.parse_args()
    print(machine_summary())
    started = time.perf_counter()
    documents = [document(number, lesson) for number, lesson in enumerate(generate_lessons(args.lessons), 1)]
    pages = sum(len(d.pages) for d in documents)
    chars = sum(len(d.body) for d in documents)
    print(f"{len(documents)} demo lessons generated in {time.perf_counter() - started:.1f} s (not counted): "
          f"{pages / len(documents):.1f} pages and {chars / len(documents):.0f} body characters per lesson; "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        sqlite_upsert(documents, Path(scratch))
    if args.url:
        elastic_rebuild(documents, args.url, live=True)
    else:
        with local_sink() as url:
            elastic_rebuild(documents, url, live=False)
    references(documents)
    print(f"after the run: load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
