"""A real ``hoclieu worker`` process is killed (SIGKILL) in the middle of an ingest job; after a restart
the job completes, exactly once, with no half-published state."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from repository.demo.pdfgen import render_pdf
from repository.models import Job, MaterialFile, MaterialVersion, PageText
from tests.conftest import bearer, make_test_app
from tests.core.test_material_flow import METADATA

PAGES = 400


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "repository.cli", "worker", "--threads", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
def test_killed_worker_job_completes_after_restart(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'hoclieu.db'}"
    data_dir = tmp_path / "data"
    queue = {"backend": "sqlite", "stale_after_seconds": 2, "retry_delay_seconds": 1}
    app = make_test_app(tmp_path, db_url, queue=queue, storage={"max_upload_mb": 50})
    from repository.auth.services import create_token, create_user

    with app.extensions["db"].session() as session:
        user = create_user(session, email="gv@truong.edu.vn", password="mat-khau-dai-1", role="teacher")
        token = create_token(session, user)
        session.commit()
    pages = [f"Trang {n}: Hàm số bậc hai y = ax² + bx + c và đồ thị parabol." * 8 for n in range(1, PAGES + 1)]
    pdf = render_pdf("Sách giáo khoa Toán 10", pages)
    response = app.test_client().post(
        "/api/v1/materials", headers=bearer(token), content_type="multipart/form-data",
        data={**METADATA, "subject": "toan", "file": (io.BytesIO(pdf), "toan10.pdf")})
    assert response.status_code == 201
    job_id = response.json["job_id"]

    env = {**os.environ, "HOCLIEU_DATA_DIR": str(data_dir), "HOCLIEU_DATABASE_URL": db_url,
           "HOCLIEU_QUEUE_BACKEND": "sqlite", "HOCLIEU_QUEUE_STALE_AFTER_SECONDS": "2",
           "HOCLIEU_QUEUE_RETRY_DELAY_SECONDS": "1"}
    db = app.extensions["db"]

    def job() -> Job:
        with db.session() as session:
            return session.get(Job, job_id)

    first = _worker(env)
    try:
        _wait(lambda: job().status == "running", 60, "the worker to start the job")
        time.sleep(0.5)
        assert job().status == "running", "the job ended before the worker could be killed"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    with db.session() as session:
        version = session.scalar(select(MaterialVersion))
        assert version.ingest_status == "running"
        assert session.scalar(select(func.count()).select_from(PageText)) == 0  # nothing half-written

    time.sleep(2.5)  # let the heartbeat go stale
    second = _worker(env)
    try:
        finished = _wait(lambda: job().status in {"succeeded", "failed"} and job(), 180, "the job to finish")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
    assert finished.status == "succeeded", finished.error
    assert finished.attempts == 2
    with db.session() as session:
        version = session.scalar(select(MaterialVersion))
        assert (version.ingest_status, version.page_count) == ("succeeded", PAGES)
        assert session.scalar(select(func.count()).select_from(PageText)) == PAGES
        roles = sorted(session.scalars(select(MaterialFile.role)))
        assert roles == ["original", "thumbnail"]
    app.extensions["search"].close()
