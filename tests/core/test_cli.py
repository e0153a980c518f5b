"""The ``hoclieu`` command, run as a user runs it, against a temporary data directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PY = [sys.executable, "-m", "repository.cli"]


def hoclieu(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*PY, *args], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")}
    return {**clean, "HOCLIEU_DATA_DIR": str(tmp_path / "instance")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_users_and_tokens_from_the_command_line(env):
    hoclieu(env, "db", "upgrade")
    created = hoclieu(env, "users", "create", "--email", "Co.Lan@Truong.edu.vn", "--password", "mot-mat-khau-dai",
                      "--role", "teacher", "--unit", "so-hn")
    assert "co.lan@truong.edu.vn" in created.stdout
    refused = hoclieu(env, "users", "create", "--email", "x@truong.edu.vn", "--password", "ngan",
                      "--role", "teacher", check=False)
    assert refused.returncode != 0 and "ít nhất" in refused.stderr
    token = hoclieu(env, "users", "token", "--email", "co.lan@truong.edu.vn").stdout.strip()
    assert token.startswith("hl_") and len(token) > 40


def test_demo_load_reindex_and_run(env, tmp_path):
    hoclieu(env, "db", "upgrade")
    loaded = hoclieu(env, "demo", "load", "--lessons", "12")
    assert "12 new, 12 published" in loaded.stdout
    for role in ("admin", "teacher", "reviewer", "student"):
        assert role in loaded.stdout
    again = hoclieu(env, "demo", "load", "--lessons", "15")
    assert "3 new, 15 published" in again.stdout
    assert "indexed 15" in hoclieu(env, "reindex").stdout

    port = free_port()
    server = subprocess.Popen([*PY, "run", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        health = _get_json(f"http://127.0.0.1:{port}/healthz", timeout=60)
        assert health == {"status": "ok", "database": "ok", "storage": "ok", "search": "ok", "queue": "ok"}
        result = _get_json(f"http://127.0.0.1:{port}/api/v1/search?per_page=5")
        assert result["total"] == 15
        worker_pids = _children(server.pid)
        assert len(worker_pids) == 1  # the worker beside the web server
    finally:
        server.terminate()
        server.wait(30)
    assert not Path(f"/proc/{worker_pids[0]}").exists() or _is_zombie(worker_pids[0])  # SIGTERM stops both
    assert (tmp_path / "instance" / "hoclieu.db").exists()
    assert (tmp_path / "instance" / "blobs").is_dir()
    assert (tmp_path / "instance" / "search.db").exists()
    assert (tmp_path / "instance" / "queue.db").exists()


def test_run_on_an_empty_data_directory_gives_an_empty_portal(env):
    hoclieu(env, "db", "upgrade")
    port = free_port()
    server = subprocess.Popen([*PY, "run", "--port", str(port), "--no-worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _get_json(f"http://127.0.0.1:{port}/api/v1/search", timeout=60)["total"] == 0
    finally:
        server.terminate()
        server.wait(30)


def test_run_with_several_processes_serves_from_each_and_stops_them_all(env):
    hoclieu(env, "db", "upgrade")
    hoclieu(env, "demo", "load", "--lessons", "6")
    port = free_port()
    server = subprocess.Popen([*PY, "run", "--port", str(port), "--no-worker", "--processes", "2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _get_json(f"http://127.0.0.1:{port}/healthz", timeout=60)["search"] == "ok"
        assert all(_get_json(f"http://127.0.0.1:{port}/api/v1/search?q=bai")["total"] > 0 for _ in range(6))
        web_processes = _children(server.pid)
        assert len(web_processes) == 2
    finally:
        server.terminate()
        server.wait(30)
    assert all(not Path(f"/proc/{pid}").exists() or _is_zombie(pid) for pid in web_processes)


def test_production_profile_refuses_a_missing_secret(env):
    result = hoclieu({**env, "HOCLIEU_APP_PROFILE": "production"}, "db", "upgrade", check=False)
    assert result.returncode != 0
    assert "HOCLIEU_APP_SECRET_KEY" in result.stderr


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def _get_json(url: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
