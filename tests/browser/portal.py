"""A real `hoclieu run` (web server and worker) on a fresh data directory, for the browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.core.test_cli import _get_json, free_port

PY = [sys.executable, "-m", "repository.cli"]
PASSWORD = "mat-khau-trinh-duyet"
#: Account name (e-mail local part) -> role, for the tests that need only a teacher and a reviewer.
TEACHER_AND_REVIEWER = {"gv": "teacher", "td": "reviewer"}


def hoclieu(env: dict[str, str], *args: str) -> str:
    return subprocess.run([*PY, *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def running_portal(data_dir: Path, accounts: dict[str, str],
                   extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """Create the accounts (name -> role, each with a token), start the portal; yield (base URL, tokens)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOCLIEU_")},
           "HOCLIEU_DATA_DIR": str(data_dir), "HOCLIEU_REVIEW_SINGLE_STEP_PUBLICATION": "true",
           **(extra_env or {})}
    hoclieu(env, "db", "upgrade")
    tokens = {}
    for name, role in accounts.items():
        hoclieu(env, "users", "create", "--email", f"{name}@truong.edu.vn", "--password", PASSWORD,
                "--role", role, "--unit", "so-hn")
        tokens[name] = hoclieu(env, "users", "token", "--email", f"{name}@truong.edu.vn").splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([*PY, "run", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _get_json(f"{base}/healthz", timeout=60)
        yield base, tokens
    finally:
        server.terminate()
        server.wait(30)
