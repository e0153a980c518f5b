"""Storing the files an ingest derives (rendered previews, extracted packages) in the blob store, all or
nothing: when one put fails, the blobs already written for this run are deleted again."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from repository.models import MaterialFile
from repository.storage import BlobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DerivedFile:
    """One local file to store: its role, the name the routes look it up by, its storage key."""

    local: Path
    role: str
    filename: str
    key: str
    content_type: str


def store_derived(storage: BlobStore, wanted: Iterable[DerivedFile]) -> list[MaterialFile]:
    """Put every file in the blob store; returns unsaved MaterialFile rows (version_id still unset)."""
    files: list[MaterialFile] = []
    try:
        for item in wanted:
            stored = storage.put_file(item.local, item.key, content_type=item.content_type)
            files.append(MaterialFile(role=item.role, filename=item.filename, size=stored.size,
                                      sha256=stored.sha256, content_type=item.content_type,
                                      storage_backend=storage.name, storage_key=stored.key))
    except BaseException:
        delete_blobs(storage, files)
        raise
    return files


def delete_blobs(storage: BlobStore, files: Iterable[MaterialFile]) -> None:
    for stored in files:
        try:
            storage.delete(stored.storage_key)
        except Exception as exc:  # cleanup must not hide the original failure
            log.warning("could not delete %s: %s", stored.storage_key, exc)
