"""Range-request throughput of a large MP4: the app's authorised media route vs plain static servers.

In one run, on one machine: the app (``hoclieu run --no-worker``, waitress, embedded profile, so Flask's
send_file answers) serves a published lecture's MP4 at /materials/<id>/media/1/fallback.mp4; the same file
is served by ``python -m http.server`` (no Range support: whole-file GETs only) and by the standard
library's handler with Range added (for the 206 comparison). Measured: whole-file GET throughput, and
random 1 MiB Range requests from several concurrent keep-alive clients (MB/s, requests/s, median latency).

    .venv/bin/python bench/bench_media_range.py [--size-mb 256] [--clients 4] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine_summary  # noqa: E402

CHUNK = 1024 * 1024


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """The standard library's static handler plus single byte ranges (it has none of its own)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, *args) -> None:
        return

    def do_GET(self) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if match is None:
            return super().do_GET()
        path = Path(self.translate_path(self.path))
        size = path.stat().st_size
        start, end = int(match.group(1)), min(int(match.group(2)), size - 1)
        self.send_response(206)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        with path.open("rb") as fh:
            fh.seek(start)
            self.wfile.write(fh.read(end - start + 1))
        return None


def make_mp4(path: Path, size_mb: int) -> None:
    """An H.264 MP4 of about ``size_mb`` MB (noisy test pattern at a high bitrate, ultrafast)."""
    seconds = 60
    kbps = size_mb * 8 * 1024 // seconds
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s=1280x720:r=25:d={seconds},noise=alls=60:allf=t", "-c:v", "libx264",
                    "-preset", "ultrafast", "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k",
                    "-movflags", "+faststart", str(path)], check=True)


def publish_lecture(data_dir: Path, mp4: Path) -> str:
    """A published lecture whose fallback MP4 is ``mp4`` (rows written directly: no transcode needed)."""
    os.environ["HOCLIEU_DATA_DIR"] = str(data_dir)
    from repository import create_app
    from repository.auth.services import create_user
    from repository.migrate import upgrade
    from repository.models import Material, MaterialFile, MaterialVersion, utcnow

    app = create_app()
    upgrade(app.extensions["db"])
    stored = app.extensions["storage"].put_file(mp4, "derived/v1/media/fallback.mp4", content_type="video/mp4")
    with app.extensions["db"].session() as session:
        owner = create_user(session, email="bench@truong.edu.vn", password=secrets.token_urlsafe(16), role="teacher",
                            unit_code="so-hn")
        material = Material(owner_id=owner.id, unit_id=owner.unit_id, title="Bench", kind="bai-giang",
                            level="thpt", grade=10, subject="vat-li", licence="CC-BY-4.0", status="published",
                            published_at=utcnow())
        session.add(material)
        session.flush()
        version = MaterialVersion(material_id=material.id, number=1, created_by=owner.id, file_type="mp4",
                                  ingest_status="succeeded", doc_metadata={})
        session.add(version)
        session.flush()
        session.add(MaterialFile(version_id=version.id, role="mp4", filename="fallback.mp4", size=stored.size,
                                 sha256=stored.sha256, content_type="video/mp4", storage_backend="local",
                                 storage_key=stored.key))
        material.current_version_id = material.published_version_id = version.id
        session.commit()
        path = f"/materials/{material.id}/media/1/fallback.mp4"
    app.extensions["db"].dispose()
    return path


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def whole_file(port: int, path: str) -> float:
    """MB/s of one whole-file GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    total = 0
    while block := response.read(CHUNK):
        total += len(block)
    elapsed = time.perf_counter() - started
    conn.close()
    assert response.status == 200, response.status
    return total / CHUNK / elapsed


def range_client(port: int, path: str, size: int, length: int, count: int, seed: int,
                 latencies: list[float]) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(count):
        start = rng.randrange(0, size - length)
        began = time.perf_counter()
        conn.request("GET", path, headers={"Range": f"bytes={start}-{start + length - 1}"})
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - began)
        assert response.status == 206 and len(body) == length, (response.status, len(body))
    conn.close()


def ranges(port: int, path: str, size: int, length: int, clients: int, per_client: int) -> tuple[float, float]:
    """(requests/s, median ms) of random ranges of ``length`` bytes from concurrent keep-alive clients."""
    latencies: list[float] = []
    threads = [threading.Thread(target=range_client, args=(port, path, size, length, per_client, i, latencies))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def serve_ranges(directory: str, port: int) -> None:
    handler = lambda *a: RangeHandler(*a, directory=directory)  # noqa: E731
    http.server.ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200, help="range requests per client")
    parser.add_argument("--serve-ranges", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_ranges:
        serve_ranges(args.serve_ranges[0], int(args.serve_ranges[1]))
        return
    print(machine_summary())
    work = Path(tempfile.mkdtemp(prefix="bench-range-"))
    processes: list[subprocess.Popen] = []
    try:
        mp4 = work / "static" / "lecture.mp4"
        mp4.parent.mkdir()
        make_mp4(mp4, args.size_mb)
        size = mp4.stat().st_size
        app_path = publish_lecture(work / "data", mp4)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")},
               "HOCLIEU_DATA_DIR": str(work / "data")}
        ports = {"app": free_port(), "http.server": free_port(), "http.server+Range": free_port()}
        processes.append(start([sys.executable, "-m", "repository.cli", "run", "--no-worker",
                                "--port", str(ports["app"])], env))
        processes.append(start([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                "--directory", str(mp4.parent), str(ports["http.server"])]))
        processes.append(start([sys.executable, __file__, "--serve-ranges", str(mp4.parent),
                                str(ports["http.server+Range"])]))
        paths = {"app": app_path, "http.server": "/lecture.mp4", "http.server+Range": "/lecture.mp4"}
        for name, port in ports.items():
            wait_for(f"http://127.0.0.1:{port}{paths[name]}")
        print(f"file: {size / CHUNK:.0f} MiB H.264 MP4; {args.clients} concurrent clients x "
              f"{args.requests} random 1 MiB ranges")
        for name in ("app", "http.server"):
            print(f"{name:>18}: whole-file GET {whole_file(ports[name], paths[name]):7.0f} MiB/s")
        for length, label in ((CHUNK, "1 MiB"), (1, "1 byte")):
            for name in ("app", "http.server+Range"):
                rps, median = ranges(ports[name], paths[name], size, length, args.clients, args.requests)
                print(f"{name:>18}: 206 {label:>6} ranges {rps:6.0f} req/s ({rps * length / CHUNK:6.1f} MiB/s), "
                      f"median {median:6.1f} ms")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
