"""Latency of the search API end to end (HTTP to `hoclieu run`, waitress, in a child process) under 1 and
20 concurrent clients, against the raw engine query (SearchIndex.search in this process) in the same run,
with its caches (as the portal runs it) and without them (cache_entries=0: every query computed), on the
demo collection of 7000 lessons; then the completion API (/api/v1/suggest) as a user types. Targets
(2 cores, embedded engine): API p95 <= 50 ms, zero errors under 20 clients, at least 300 searches/s,
completion under 100 ms.

The workload repeats a fixed list of queries, so after the first round every API answer comes from the
engine's results cache (valid until the index changes): the "no cache" line is the cost of a query
seen for the first time since the last change.

    .venv/bin/python bench/bench_search_latency.py [--lessons 7000] [--seconds 20] [--data-dir DIR]

The 20-client API line is measured twice: against `hoclieu run` (waitress: one process, so one core for
Python) and against `hoclieu run --processes 2` (gunicorn, one web process per core).

With --data-dir the collection is loaded there once and reused by later runs. The clients run as threads
of this process on the same machine as the server, so both share its cores.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code, not an installed copy
from bench_search_relevance import load_collection
from common import machine_summary

from search.interfaces import SearchQuery
from search.relevance import load_judged
from search.sqlite_fts import SqliteFtsIndex

# Very common words, filtered searches and browsing, beside the judged teacher queries.
EXTRA_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("bài", {}), ("học sinh", {}), ("toán", {}), ("hoc sinh", {}), ("bài học", {"grade": "10"}),
    ("", {"subject": "toan"}), ("", {}), ("giáo viên", {"level": "thcs"}), ("định luật", {"subject": "vat-li"}),
]
SERVER_THREADS = 8
PROCESSES = 2


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)   # seconds
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        if len(self.latencies) < 2:
            return f"{len(self.latencies)} requests, {self.errors} errors"
        cuts = quantiles(self.latencies, n=100, method="inclusive")
        p50, p95, p99 = (cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000)
        rate = len(self.latencies) / self.seconds
        return (f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  {rate:6.0f} searches/s  "
                f"{len(self.latencies)} requests, {self.errors} errors")

    def p95_ms(self) -> float:
        return quantiles(self.latencies, n=100, method="inclusive")[94] * 1000 if len(self.latencies) > 1 else 0.0


def workload() -> list[tuple[str, dict[str, str]]]:
    return [(q.text, {}) for q in load_judged()] + EXTRA_QUERIES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def portal(data_dir: Path, processes: int = 1) -> Iterator[int]:
    """`hoclieu run --no-worker --processes N` on a free port (1: waitress; more: gunicorn), stopped on exit."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")}, "HOCLIEU_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "repository.cli", "run", "--no-worker", "--port", str(port),
               "--threads", str(SERVER_THREADS // processes), "--processes", str(processes)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_up(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the portal did not start on port {port}")


def api_client(port: int) -> Callable[[str, dict[str, str]], bool]:
    """One keep-alive connection per client thread; True when the answer is a 200 with JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(text: str, filters: dict[str, str]) -> bool:
        connection.request("GET", "/api/v1/search?" + urlencode({"q": text, **filters}))
        response = connection.getresponse()
        body = response.read()
        return response.status == 200 and body.startswith(b"{")
    return call


def suggest_prefixes() -> list[str]:
    """What the search box sends while a teacher types the judged queries: prefixes of 2, 4, 7 and 11
    characters."""
    return [q.text[:n] for q in load_judged() for n in (2, 4, 7, 11) if len(q.text) > n]


def suggest_client(port: int) -> Callable[[str, dict[str, str]], bool]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(text: str, filters: dict[str, str]) -> bool:
        connection.request("GET", "/api/v1/suggest?" + urlencode({"q": text}))
        response = connection.getresponse()
        return response.status == 200 and response.read().startswith(b"{")
    return call


def engine_client(index: SqliteFtsIndex) -> Callable[[str, dict[str, str]], bool]:
    def call(text: str, filters: dict[str, str]) -> bool:
        index.search(SearchQuery(text=text, filters=filters))
        return True
    return call


def drive(make_client: Callable[[], Callable[[str, dict[str, str]], bool]], clients: int,
          seconds: float, queries: list[tuple[str, dict[str, str]]] | None = None) -> Run:
    """`clients` threads, each sending the workload round-robin (from its own offset) for `seconds`."""
    run, lock, queries = Run(), threading.Lock(), queries or workload()
    deadline = time.monotonic() + seconds

    def loop(offset: int) -> None:
        call, latencies, errors, n = make_client(), [], 0, offset
        while time.monotonic() < deadline:
            text, filters = queries[n % len(queries)]
            started = time.perf_counter()
            try:
                ok = call(text, filters)
            except (OSError, http.client.HTTPException):
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok
            n += 1
        with lock:
            run.latencies.extend(latencies)
            run.errors += errors

    threads = [threading.Thread(target=loop, args=(i * 7,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.monotonic() - started
    return run


def load_average() -> str:
    """Other work on the machine skews every figure: printed before and after the measurements."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def measure(data_dir: Path, seconds: float) -> None:
    index = SqliteFtsIndex(data_dir / "search.db")
    uncached = SqliteFtsIndex(data_dir / "search.db", cache_entries=0)
    print(f"collection: {index.count()} documents; workload: {len(workload())} queries "
          f"(judged set plus very common words, filters, browsing); {seconds:.0f} s per line; {load_average()}")
    try:
        with portal(data_dir) as port:
            drive(lambda: api_client(port), 2, 2.0)  # warm both sides up
            for clients in (1, 20):
                cold = drive(lambda: engine_client(uncached), clients, seconds)
                raw = drive(lambda: engine_client(index), clients, seconds)
                api = drive(lambda: api_client(port), clients, seconds)
                print(f"{clients:2d} client(s)  raw engine, no cache: {cold.summary()}")
                print(f"{clients:2d} client(s)  raw engine: {raw.summary()}")
                print(f"{clients:2d} client(s)  search API: {api.summary()}")
                ratio = api.p95_ms() / raw.p95_ms() if raw.p95_ms() else 0.0
                print(f"{clients:2d} client(s)  API p95 / engine p95 = {ratio:.1f}; target API p95 <= 50 ms: "
                      f"{'met' if api.p95_ms() <= 50 else 'MISSED'}")
            typing = [(prefix, {}) for prefix in suggest_prefixes()]
            completion = drive(lambda: suggest_client(port), 1, seconds, typing)
            print(f" 1 client   completion API ({len(typing)} prefixes): {completion.summary()}; target p95 < 100 ms: "
                  f"{'met' if completion.p95_ms() < 100 else 'MISSED'}")
        with portal(data_dir, processes=PROCESSES) as port:
            drive(lambda: api_client(port), 2, 2.0)
            api = drive(lambda: api_client(port), 20, seconds)
            print(f"20 client(s)  search API, hoclieu run --processes {PROCESSES} (one web process per core): "
                  f"{api.summary()}; target p95 <= 50 ms: {'met' if api.p95_ms() <= 50 else 'MISSED'}")
    finally:
        index.close()
        uncached.close()
    print(f"after the run: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=7000)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each measured line")
    parser.add_argument("--data-dir", type=Path, help="load the collection here once and reuse it")
    args = parser.parse_args()
    print(machine_summary())
    if args.data_dir:
        if not (args.data_dir / "hoclieu.db").exists():
            load_collection(args.data_dir, args.lessons)
        measure(args.data_dir, args.seconds)
        return
    with tempfile.TemporaryDirectory() as data_dir:
        load_collection(Path(data_dir), args.lessons)
        measure(Path(data_dir), args.seconds)


if __name__ == "__main__":
    main()
