"""The job queue on its real storages (Huey on SQLite, and on Redis when HOCLIEU_TEST_REDIS_URL is set):
durable job records, claiming, retries with back-off, permanent failures, and the reaper."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from repository.jobs import JobFailed, JobKind
from repository.models import Job, utcnow
from tests.conftest import make_test_app

QUEUES = ["sqlite"] + (["redis"] if os.environ.get("HOCLIEU_TEST_REDIS_URL") else [])


@pytest.fixture(params=QUEUES)
def queue_app(request, tmp_path):
    queue = {"backend": request.param, "retry_delay_seconds": 30, "retries": 3, "stale_after_seconds": 60}
    if request.param == "redis":
        queue["redis_url"] = os.environ["HOCLIEU_TEST_REDIS_URL"]
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'jobs.db'}", queue=queue)
    app.extensions["jobs"].huey.flush()
    yield app
    app.extensions["jobs"].huey.flush()
    app.extensions["search"].close()


def _register(app, name, run, on_failure=None):
    app.extensions["jobs"].registry.register(JobKind(name, run=run, on_failure=on_failure))


def _create(app, kind: str) -> int:
    with app.extensions["db"].session() as session:
        job = app.extensions["jobs"].create(session, kind, payload={"n": 1})
        session.commit()
        return job.id


def _job(app, job_id: int) -> Job:
    with app.extensions["db"].session() as session:
        return session.get(Job, job_id)


def _work(app, until: float | None = None) -> int:
    """Run what the queue holds (and scheduled tasks due by ``until``), as a worker would."""
    huey = app.extensions["jobs"].huey
    ran = 0
    if until is not None:
        # Huey keeps its schedule in naive UTC datetimes.
        for task in huey.read_schedule(datetime.fromtimestamp(until, UTC).replace(tzinfo=None)):
            task.eta = None  # pretend the clock reached it, so execute() runs it instead of re-scheduling
            huey.enqueue(task)
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def test_job_runs_through_the_queue_and_reports_progress(queue_app):
    seen = []

    def run(ctx):
        ctx.progress(40, "nửa chừng")
        seen.append(_job(queue_app, ctx.job_id).progress)

    _register(queue_app, "demo_ok", run)
    job_id = _create(queue_app, "demo_ok")
    queue_app.extensions["jobs"].enqueue(job_id)
    assert _job(queue_app, job_id).status == "queued"
    assert _work(queue_app) == 1
    job = _job(queue_app, job_id)
    assert seen == [40]
    assert (job.status, job.progress, job.attempts) == ("succeeded", 100, 1)


def test_failing_job_is_retried_with_back_off_then_succeeds(queue_app):
    attempts = []

    def flaky(ctx):
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionError("storage hiccup")

    _register(queue_app, "flaky", flaky)
    job_id = _create(queue_app, "flaky")
    queue_app.extensions["jobs"].enqueue(job_id)
    _work(queue_app)
    job = _job(queue_app, job_id)
    assert job.status == "queued" and "hiccup" in job.error
    first_delay = job.run_after - utcnow()
    assert timedelta(seconds=25) < first_delay <= timedelta(seconds=30)
    assert _work(queue_app) == 0  # nothing due yet: the retry waits in the schedule
    _work(queue_app, until=time.time() + 40)
    second_delay = _job(queue_app, job_id).run_after - utcnow()
    assert timedelta(seconds=55) < second_delay <= timedelta(seconds=60)  # doubled
    _work(queue_app, until=time.time() + 100)
    job = _job(queue_app, job_id)
    assert (job.status, job.attempts, len(attempts)) == ("succeeded", 3, 3)


def test_job_fails_after_its_last_attempt(queue_app):
    failures = []
    _register(queue_app, "broken", lambda ctx: 1 / 0, lambda ctx, msg: failures.append(msg))
    job_id = _create(queue_app, "broken")
    queue_app.extensions["jobs"].enqueue(job_id)
    for _ in range(3):
        _work(queue_app, until=time.time() + 1000)
    job = _job(queue_app, job_id)
    assert (job.status, job.attempts) == ("failed", 3)
    assert "3 lần thử" in job.error and failures == [job.error]


def test_permanent_failure_is_not_retried(queue_app):
    def bad_input(ctx):
        raise JobFailed("Tệp hỏng ở trang 3.", "page 3 is damaged")

    _register(queue_app, "bad_input", bad_input)
    job_id = _create(queue_app, "bad_input")
    queue_app.extensions["jobs"].enqueue(job_id)
    _work(queue_app, until=time.time() + 1000)
    job = _job(queue_app, job_id)
    assert (job.status, job.attempts, job.error) == ("failed", 1, "Tệp hỏng ở trang 3.")


def test_a_job_runs_once_even_if_delivered_twice(queue_app):
    runs = []
    _register(queue_app, "once", lambda ctx: runs.append(ctx.job_id))
    job_id = _create(queue_app, "once")
    queue_app.extensions["jobs"].enqueue(job_id)
    queue_app.extensions["jobs"].enqueue(job_id)
    assert _work(queue_app) == 2
    assert runs == [job_id]


def test_reaper_requeues_a_job_whose_worker_died(queue_app):
    runs = []
    _register(queue_app, "orphan", lambda ctx: runs.append(ctx.job_id))
    job_id = _create(queue_app, "orphan")
    with queue_app.extensions["db"].session() as session:  # as left by a worker killed mid-job
        session.execute(update(Job).where(Job.id == job_id).values(
            status="running", attempts=1, heartbeat_at=utcnow() - timedelta(minutes=5)))
        session.commit()
    assert queue_app.extensions["jobs"].reap() == [job_id]
    _work(queue_app)
    job = _job(queue_app, job_id)
    assert runs == [job_id] and (job.status, job.attempts) == ("succeeded", 2)


def test_reaper_leaves_live_jobs_alone(queue_app):
    _register(queue_app, "alive", lambda ctx: None)
    job_id = _create(queue_app, "alive")
    with queue_app.extensions["db"].session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(status="running", heartbeat_at=utcnow()))
        session.commit()
    assert queue_app.extensions["jobs"].reap() == []
