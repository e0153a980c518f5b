"""The shipped nginx configuration (repository/deploy/nginx.conf), run by the real nginx in front of a real
``hoclieu run`` with media_offload = "x-accel": the app authorises, nginx sends the bytes (with Range), and
the protected location cannot be reached directly. Only the deployment values of the file are changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.config import DEFAULT_CRITERIA
from tests.browser.portal import TEACHER_AND_REVIEWER, running_portal
from tests.core.test_cli import free_port
from tests.media.mediatools import lavfi_clip, needs_ffmpeg

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "repository" / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
METADATA = {"title": "Bài giảng qua nginx", "kind": "bai-giang", "level": "thpt", "grade": "10",
            "subject": "vat-li", "licence": "CC-BY-4.0"}

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install -y nginx-light)")


def site_config(app_port: int, listen_port: int, blobs: Path) -> str:
    """The shipped file with its three DEPLOY values (and the listen address) set for this machine."""
    text = SITE.read_text(encoding="utf-8")
    replacements = [(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
                    (r"listen 80;", f"listen 127.0.0.1:{listen_port};"),
                    (r"alias /var/lib/hoclieu/blobs/;", f"alias {blobs}/;"),
                    (r"alias /opt/hoclieu/static/;", f"alias {REPO / 'static'}/;")]
    for pattern, value in replacements:
        text, count = re.subn(pattern, value, text)
        assert count == 1, f"{SITE.name} no longer has {pattern!r}"
    return text


def main_config(workdir: Path, site: Path) -> Path:
    """What /etc/nginx/nginx.conf provides on Debian, pointed at a private directory."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {workdir / kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    path = workdir / "nginx.conf"
    path.write_text(f"""{user}daemon off;
worker_processes 1;
pid {workdir / 'nginx.pid'};
error_log {workdir / 'error.log'} info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {workdir / 'access.log'};
{temp}
    include {site};
}}
""", encoding="utf-8")
    return path


def test_shipped_config_passes_nginx_syntax_check(tmp_path):
    site = tmp_path / "hoclieu.conf"
    site.write_text(site_config(8000, free_port(), tmp_path / "blobs"), encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-c", str(main_config(tmp_path, site)), "-p", str(tmp_path)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to 127.0.0.1


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "hoclieu-nginx-test"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: video/mp4\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def fronted(tmp_path_factory) -> Iterator[tuple[str, dict[str, str], Path]]:
    """nginx (shipped config) in front of a portal with media_offload = x-accel; yields (nginx URL, tokens,
    blob directory)."""
    data_dir = tmp_path_factory.mktemp("portal")
    workdir = tmp_path_factory.mktemp("nginx")
    env = {"HOCLIEU_APP_MEDIA_OFFLOAD": "x-accel", "HOCLIEU_MEDIA_SEGMENT_SECONDS": "2"}
    with running_portal(data_dir, TEACHER_AND_REVIEWER, env) as (base, tokens):
        listen = free_port()
        site = workdir / "hoclieu.conf"
        site.write_text(site_config(int(base.rsplit(":", 1)[1]), listen, data_dir / "blobs"), encoding="utf-8")
        nginx = subprocess.Popen([NGINX, "-c", str(main_config(workdir, site)), "-p", str(workdir)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            front = f"http://127.0.0.1:{listen}"
            deadline = time.monotonic() + 30
            while not _answers(f"{front}/healthz"):
                assert nginx.poll() is None, (workdir / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.2)
            yield front, tokens, data_dir / "blobs"
        finally:
            nginx.terminate()
            nginx.wait(30)


def _answers(url: str) -> bool:
    try:
        return fetch(url)[0] == 200
    except urllib.error.URLError:
        return False


def _wait_for_job(front: str, token: str, job_id: int) -> dict:
    deadline = time.monotonic() + 120
    while True:
        job = json.loads(fetch(f"{front}/api/v1/jobs/{job_id}", {"Authorization": f"Bearer {token}"})[2])
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.5)


@needs_ffmpeg
def test_nginx_sends_authorised_media_with_ranges(fronted, tmp_path):
    front, tokens, blobs = fronted
    teacher = {"Authorization": f"Bearer {tokens['gv']}"}
    clip = lavfi_clip(tmp_path / "lecture.mp4", size="320x180", seconds=3)
    body, content_type = multipart(METADATA, "bai-giang.mp4", clip.read_bytes())
    status, _headers, created = fetch(f"{front}/api/v1/materials", {**teacher, "Content-Type": content_type}, body)
    assert status == 201, created
    created = json.loads(created)
    assert _wait_for_job(front, tokens["gv"], created["job_id"])["status"] == "succeeded"
    media = json.loads(fetch(f"{front}/api/v1/materials/{created['id']}", teacher)[2])["media"]
    fallback = front + media["mp4"]
    assert fetch(fallback)[0] == 404  # a visitor, before publication: the app refuses, nginx sends nothing

    status, headers, data = fetch(fallback, teacher)
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    assert headers["Content-Disposition"].startswith("inline;") and headers["Cache-Control"] == "private, max-age=3600"
    key = next(p for p in (blobs / "derived").rglob("fallback.mp4"))
    assert data == key.read_bytes()

    status, headers, part = fetch(fallback, {**teacher, "Range": "bytes=100-199"})
    assert status == 206 and headers["Content-Range"] == f"bytes 100-199/{key.stat().st_size}"
    assert part == key.read_bytes()[100:200]

    protected = "/_protected/" + key.relative_to(blobs).as_posix()
    assert fetch(front + protected, teacher)[0] == 404  # internal: only reachable through the app

    reviewer = {"Authorization": f"Bearer {tokens['td']}"}
    fetch(f"{front}/api/v1/materials/{created['id']}/submit", teacher, b"")
    decision = json.dumps({"decision": "approve", "comment": "Đạt.", "scores": dict.fromkeys(DEFAULT_CRITERIA, 4)})
    fetch(f"{front}/api/v1/materials/{created['id']}/review", {**reviewer, "Content-Type": "application/json"},
          decision.encode())
    status, headers, data = fetch(front + media["hls"].replace("master.m3u8", "234p/seg_00000.ts"))
    assert status == 200 and headers["Content-Type"] == "video/mp2t" and data[:1] == b"\x47"
