"""Usage (views, plays, downloads) counted without slowing the page, feeding the "most used" sort.

Why a buffer in memory rather than a row per event: on SQLite every commit is an fsync (synchronous=FULL)
and takes the one writer lock, so a write per page view would add milliseconds to every page and
contend with uploads and reviews. Instead each web process counts in a dict under a lock (a few
microseconds per request) and a daemon thread flushes the batch every ``usage_flush_seconds`` (or as
soon as ``usage_flush_events`` events wait) in ONE transaction: an additive upsert into material_usage
(so any number of processes and machines can flush into the same table), then the new popularity of
the materials touched goes to the search index. A process that dies loses at most its last unflushed
seconds of counts, which a popularity ranking can afford; the totals in the database are never lost and
``hoclieu reindex`` copies them into a rebuilt index.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, Response
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from repository.models import Material, utcnow
from search.service import push_popularity
from search.usage_models import MaterialUsage

log = logging.getLogger(__name__)

#: How much one event of each kind adds to a material's popularity (a download is a stronger signal).
USAGE_WEIGHTS = {"views": 1, "plays": 3, "downloads": 5}
MP4_SUFFIXES = (".mp4", ".m4a")
MASTER_PLAYLIST = "master.m3u8"


def _view(view_args: Mapping[str, Any], request: Request) -> str | None:
    return "views"


def _from_first_byte(request: Request) -> bool:
    """A whole file, or the first of the Range requests a player or download manager makes for it."""
    return request.headers.get("Range", "bytes=0-").replace(" ", "").startswith("bytes=0-")


def _download(view_args: Mapping[str, Any], request: Request) -> str | None:
    return "downloads" if view_args.get("action") == "download" and _from_first_byte(request) else None


def _play(view_args: Mapping[str, Any], request: Request) -> str | None:
    """A play starts with the HLS master playlist, or with the first bytes of the MP4 fallback (later
    Range requests of the same playback, segments and variant playlists are not counted)."""
    name = str(view_args.get("name", ""))
    if name == MASTER_PLAYLIST:
        return "plays"
    return "plays" if name.endswith(MP4_SUFFIXES) and _from_first_byte(request) else None


#: The endpoints that are a use of a material, and what kind of use a successful GET of them is.
USAGE_ENDPOINTS: dict[str, Callable[[Mapping[str, Any], Request], str | None]] = {
    "materials.detail": _view,
    "materials.file": _download,
    "materials.media": _play,
}


def usage_of(request: Request, response: Response) -> tuple[int, str] | None:
    """(material id, kind) when this request was a successful use of a material, else None."""
    count = USAGE_ENDPOINTS.get(request.endpoint or "")
    if count is None or request.method != "GET" or response.status_code not in (200, 206):
        return None
    view_args = request.view_args or {}
    kind = count(view_args, request)
    material_id = view_args.get("material_id")
    return (int(material_id), kind) if kind and isinstance(material_id, int) else None


def popularity(views: int, plays: int, downloads: int) -> int:
    counts = {"views": views, "plays": plays, "downloads": downloads}
    return sum(USAGE_WEIGHTS[kind] * n for kind, n in counts.items())


def apply_usage(session: Session, batch: Mapping[tuple[int, str], int]) -> dict[int, int]:
    """Add a batch of counts to material_usage (one additive upsert per material, safe when several
    processes flush at once) and return the new popularity of each material touched. Counts of
    materials deleted meanwhile are dropped. The caller commits."""
    per_material: dict[int, dict[str, int]] = {}
    for (material_id, kind), n in batch.items():
        per_material.setdefault(material_id, dict.fromkeys(USAGE_WEIGHTS, 0))[kind] += n
    existing = set(session.scalars(select(Material.id).where(Material.id.in_(per_material))))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = MaterialUsage.__table__
    for material_id in sorted(existing):
        counts = per_material[material_id]
        statement = insert(table).values(material_id=material_id, popularity=popularity(**counts),
                                         updated_at=utcnow(), **counts)
        added = {kind: table.c[kind] + statement.excluded[kind] for kind in USAGE_WEIGHTS}
        added["popularity"] = table.c.popularity + statement.excluded.popularity
        session.execute(statement.on_conflict_do_update(index_elements=["material_id"],
                                                        set_={**added, "updated_at": utcnow()}))
    if not existing:
        return {}
    return dict(session.execute(select(MaterialUsage.material_id, MaterialUsage.popularity)
                                .where(MaterialUsage.material_id.in_(existing))).all())


def most_used(session: Session, limit: int = 8, *, reachable: ColumnElement[bool] | None = None) -> list[Material]:
    """Published materials by popularity, most used first (the home page's list); ``reachable`` narrows them
    to what the viewer may see (repository.publication.reachable_clause)."""
    visible = Material.published_version_id.is_not(None) if reachable is None else reachable
    return list(session.scalars(
        select(Material).join(MaterialUsage, MaterialUsage.material_id == Material.id)
        .where(visible, MaterialUsage.popularity > 0)
        .order_by(MaterialUsage.popularity.desc(), Material.id.desc()).limit(limit)))


class UsageRecorder:
    """The per-process buffer of usage events and the thread that flushes it.
    Stored in ``app.extensions["usage"]``."""

    def __init__(self, app: Flask, flush_seconds: float, flush_events: int) -> None:
        self.app = app
        self.flush_seconds = flush_seconds
        self.flush_events = flush_events
        self._counts: Counter[tuple[int, str]] = Counter()
        self._events = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, material_id: int, kind: str) -> None:
        """Count one event: a dict update under a lock, nothing else on the request's path."""
        with self._lock:
            self._counts[(material_id, kind)] += 1
            self._events += 1
            full = self._events >= self.flush_events
            if self._thread is None and self.flush_seconds > 0:
                self._start()
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return self._events

    def _take(self) -> Counter[tuple[int, str]]:
        with self._lock:
            batch, self._counts, self._events = self._counts, Counter(), 0
        return batch

    def _give_back(self, batch: Counter[tuple[int, str]]) -> None:
        with self._lock:
            self._counts.update(batch)
            self._events += sum(batch.values())

    def flush(self) -> int:
        """Write the buffered counts and push the new popularity to the index. Returns the number of
        events written. A database failure keeps the counts in the buffer for the next flush; an index
        failure is logged (the totals are in the database; the next flush or a reindex carries them)."""
        batch = self._take()
        if not batch:
            return 0
        db = self.app.extensions["db"]
        try:
            with db.session() as session:
                scores = apply_usage(session, batch)
                session.commit()
        except Exception:
            log.exception("usage flush failed, %d events kept for the next one", sum(batch.values()))
            self._give_back(batch)
            return 0
        push_popularity(self.app, scores)
        return sum(batch.values())

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="usage-flusher", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def close(self) -> None:
        """Stop the flusher and write what is left (at exit)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
            self._thread = None
            atexit.unregister(self.close)
        self.flush()
