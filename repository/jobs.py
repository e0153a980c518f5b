"""Background jobs: a durable record in the database, carried by a Huey queue.

The queue (Huey on a SQLite file, or on Redis in production) only carries job ids. The ``jobs`` table is
the source of truth: a worker *claims* a job with a conditional UPDATE, so no job runs twice at once; a
heartbeat thread marks it alive; a reaper re-queues jobs whose worker died (THREATS.md item 5), and
failed attempts are retried with exponential back-off through Huey's scheduler. Handlers must be
idempotent: they may run again after a crash.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from repository.config import Settings
from repository.db import Database
from repository.models import Job, utcnow

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """A job that must not be retried (bad input). ``message_vi`` is shown to the user."""

    def __init__(self, message_vi: str, message_en: str = "") -> None:
        super().__init__(message_en or message_vi)
        self.message_vi = message_vi
        self.message_en = message_en or message_vi


@dataclass
class JobContext:
    """What a handler gets: ids and services, never ORM objects from another session."""

    app: Flask
    job_id: int
    version_id: int | None
    payload: dict[str, Any]
    _report: Callable[[int, str], None]

    @property
    def db(self) -> Database:
        return self.app.extensions["db"]

    def progress(self, percent: float, message: str = "") -> None:
        self._report(max(0, min(100, int(percent))), message)


@dataclass
class JobKind:
    name: str
    run: Callable[[JobContext], None]
    on_failure: Callable[[JobContext, str], None] | None = None


@dataclass
class JobRegistry:
    kinds: dict[str, JobKind] = field(default_factory=dict)
    notifications: dict[str, Callable[[Flask], None]] = field(default_factory=dict)

    def register(self, kind: JobKind) -> None:
        self.kinds[kind.name] = kind


def make_huey(settings: Settings) -> Huey:
    """Choose the queue implementation from configuration, in this one place."""
    backend = settings.get("queue", "backend")
    if backend == "redis":
        return RedisHuey("hoclieu", url=settings.get("queue", "redis_url"))
    if backend == "memory":
        # Runs each job synchronously when it is enqueued: for tests and one-shot scripts only.
        return MemoryHuey("hoclieu", immediate=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("hoclieu", filename=str(settings.data_dir / "queue.db"))


class JobQueue:
    """Creates, enqueues and runs jobs. Stored in ``app.extensions["jobs"]``."""

    def __init__(self, app: Flask, huey: Huey, settings: Settings) -> None:
        self.app = app
        self.huey = huey
        self.registry = JobRegistry()
        self.retry_delay = float(settings.get("queue", "retry_delay_seconds", 5))
        self.max_attempts = int(settings.get("queue", "retries", 3))
        self.stale_after = timedelta(seconds=float(settings.get("queue", "stale_after_seconds", 120)))
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}"
        self._task = huey.task(name="run_job")(self._run_task)
        self._notify_task = huey.task(name="notify")(self._run_notification)
        huey.periodic_task(crontab(minute="*"), name="maintenance")(self.run_maintenance)

    # -- producing -------------------------------------------------------------------------------
    def create(self, session: Session, kind: str, *, version_id: int | None = None,
               payload: dict[str, Any] | None = None) -> Job:
        """Add a job row to the caller's transaction; call :meth:`enqueue` after the commit."""
        if kind not in self.registry.kinds:
            raise ValueError(f"unknown job kind {kind!r}")
        job = Job(kind=kind, version_id=version_id, payload=payload or {},
                  max_attempts=self.max_attempts, status="queued")
        session.add(job)
        session.flush()
        return job

    def enqueue(self, job_id: int, delay: float = 0) -> None:
        """Hand a committed job to the queue. Never call this before the transaction commits."""
        with self.app.extensions["db"].session() as session:
            session.execute(update(Job).where(Job.id == job_id).values(enqueued_at=utcnow()))
            session.commit()
        if delay > 0:
            self._task.schedule(args=(job_id,), delay=delay)
        else:
            self._task(job_id)

    def notify(self, name: str) -> None:
        """Ask a worker to run a registered housekeeping function soon (e.g. drain the search outbox).
        Call after commit. The periodic maintenance runs them too, so a lost notification only delays."""
        self._notify_task(name)

    def _run_notification(self, name: str) -> None:
        handler = self.registry.notifications.get(name)
        if handler is not None:
            with self.app.app_context():
                handler(self.app)

    # -- consuming -------------------------------------------------------------------------------
    def _run_task(self, job_id: int) -> None:
        with self.app.app_context():
            self.run(job_id)

    def claim(self, session: Session, job_id: int) -> bool:
        """Take the job if it is queued, or running with a dead worker. True if we own it now."""
        now = utcnow()
        result = session.execute(
            update(Job)
            .where(Job.id == job_id,
                   or_(Job.status == "queued",
                       and_(Job.status == "running", Job.heartbeat_at < now - self.stale_after)))
            .values(status="running", attempts=Job.attempts + 1, worker=self.worker_name,
                    started_at=now, heartbeat_at=now, progress=0, error=""))
        session.commit()
        return result.rowcount == 1

    def run(self, job_id: int) -> str:
        """Run one job to completion, failure or a scheduled retry. Returns the job's new status."""
        db: Database = self.app.extensions["db"]
        with db.session() as session:
            if not self.claim(session, job_id):
                log.info("job %s is not claimable (done, or running elsewhere)", job_id)
                return "skipped"
            job = session.get(Job, job_id)
            kind = self.registry.kinds[job.kind]
            ctx = JobContext(self.app, job.id, job.version_id, dict(job.payload),
                             lambda pct, msg: self._report(job_id, pct, msg))
            attempts, max_attempts = job.attempts, job.max_attempts
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, stop), daemon=True)
        beat.start()
        try:
            kind.run(ctx)
        except JobFailed as exc:
            log.warning("job %s (%s) failed: %s", job_id, kind.name, exc.message_en)
            return self._fail(ctx, kind, exc.message_vi)
        except Exception as exc:
            log.exception("job %s (%s) attempt %s raised", job_id, kind.name, attempts)
            if attempts >= max_attempts:
                return self._fail(ctx, kind, f"Lỗi hệ thống sau {attempts} lần thử: {exc}")
            return self._retry(job_id, attempts, str(exc))
        finally:
            stop.set()
            beat.join()
        self._finish(job_id, "succeeded", progress=100)
        return "succeeded"

    def _heartbeat(self, job_id: int, stop: threading.Event) -> None:
        interval = max(0.5, min(10.0, self.stale_after.total_seconds() / 4))
        while not stop.wait(interval):
            self._update(job_id, heartbeat_at=utcnow())

    def _report(self, job_id: int, percent: int, message: str) -> None:
        values: dict[str, Any] = {"progress": percent, "heartbeat_at": utcnow()}
        if message:
            values["message"] = message[:300]
        self._update(job_id, **values)

    def _update(self, job_id: int, **values: Any) -> None:
        with self.app.extensions["db"].session() as session:
            session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))
            session.commit()

    def _finish(self, job_id: int, status: str, **values: Any) -> None:
        self._update(job_id, status=status, finished_at=utcnow(), **values)

    def _fail(self, ctx: JobContext, kind: JobKind, message_vi: str) -> str:
        if kind.on_failure is not None:
            kind.on_failure(ctx, message_vi)
        self._finish(ctx.job_id, "failed", error=message_vi)
        return "failed"

    def _retry(self, job_id: int, attempts: int, error: str) -> str:
        delay = self.retry_delay * (2 ** (attempts - 1))
        self._update(job_id, status="queued", error=error[:1000],
                     run_after=utcnow() + timedelta(seconds=delay))
        self.enqueue(job_id, delay=delay)
        return "queued"

    # -- maintenance -----------------------------------------------------------------------------
    def reap(self) -> list[int]:
        """Re-queue jobs whose worker died, and queued jobs the queue seems to have lost."""
        now = utcnow()
        with self.app.extensions["db"].session() as session:
            lost = session.scalars(select(Job.id).where(or_(
                and_(Job.status == "running", Job.heartbeat_at < now - self.stale_after),
                and_(Job.status == "queued", Job.enqueued_at < now - self.stale_after,
                     or_(Job.run_after.is_(None), Job.run_after < now - self.stale_after)),
            ))).all()
        for job_id in lost:
            log.warning("re-queueing job %s: its worker stopped or its message was lost", job_id)
            self.enqueue(job_id)
        return list(lost)

    def run_maintenance(self) -> None:
        with self.app.app_context():
            self.reap()
            for handler in self.registry.notifications.values():
                handler(self.app)

    def status(self) -> str:
        """'ok' if the queue storage answers, else raise."""
        self.huey.storage.queue_size()
        return "ok"


def job_as_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "message": job.message, "error": job.error or None, "attempts": job.attempts,
            "created_at": _iso(job.created_at), "finished_at": _iso(job.finished_at)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
