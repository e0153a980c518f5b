"""Blob store in a local directory: the embedded default, one machine only.

Every write goes to a temporary file under ``<root>/.tmp`` (same file system, and no key can start
with a dot), is fsynced, then renamed into place with ``os.replace``, so a reader or a crash never sees
a partial blob.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from repository.storage.interfaces import (
    BlobNotFound,
    LimitedReader,
    StoredBlob,
    check_range,
    content_key,
    spool_stream,
    validate_key,
    write_atomically,
)

log = logging.getLogger(__name__)

TMP_DIR_NAME = ".tmp"


class LocalBlobStore:
    """Blobs as files under ``root``; the key is the relative path."""

    name = "local"

    def __init__(self, root: Path, *, profile: str = "embedded") -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / TMP_DIR_NAME
        if profile == "production":
            log.warning("local blob store at %s used with the production profile: blobs stay on this "
                        "machine only; use the s3 backend to scale past one machine", self.root)

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put_stream(self, stream: BinaryIO, *, max_bytes: int, content_type: str = "application/octet-stream",
                   expected_sha256: str | None = None) -> StoredBlob:
        spooled = spool_stream(stream, tmp_dir=self.tmp_dir, max_bytes=max_bytes,
                               expected_sha256=expected_sha256)
        key = content_key(spooled.sha256)
        target = self._path(key)
        if target.is_file():
            spooled.path.unlink(missing_ok=True)
        else:
            self._move_into_place(spooled.path, target)
        return StoredBlob(key=key, size=spooled.size, sha256=spooled.sha256)

    def put_file(self, path: Path, key: str, content_type: str = "application/octet-stream") -> StoredBlob:
        target = self._path(key)
        with Path(path).open("rb") as source:
            spooled = spool_stream(source, tmp_dir=self.tmp_dir)
        self._move_into_place(spooled.path, target)
        return StoredBlob(key=key, size=spooled.size, sha256=spooled.sha256)

    def _move_into_place(self, temporary: Path, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFound(key) from exc

    def open_range(self, key: str, start: int, length: int) -> BinaryIO:
        check_range(start, length)
        handle = self.open(key)
        handle.seek(start)
        return LimitedReader(handle, length)  # type: ignore[return-value]

    def download_to(self, key: str, path: Path) -> None:
        with self.open(key) as source:
            write_atomically(source, Path(path))

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        return path.stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        """Where the blob's file is (for send_file, X-Sendfile); existence is not checked."""
        return self._path(key)

    def presigned_url(self, key: str, *, expires: timedelta, filename: str | None = None,
                      content_type: str | None = None, inline: bool = True) -> str | None:
        validate_key(key)
        return None

    def check(self) -> str:
        """'ok' when a file can be written, synced and removed under the root."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix="check-", dir=self.tmp_dir) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
        return "ok"


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (the directory entry, not only the file data, must reach the disk)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
