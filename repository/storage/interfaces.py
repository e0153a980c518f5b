"""The blob store contract shared by every storage backend, and the helpers that make it hold.

Blobs are immutable once stored under a content-addressed key ("sha256/<aa>/<bb>/<hex>"), so a
re-upload of the same bytes is stored once and no upload can overwrite another (THREATS.md item 22).
Derivatives live under keys chosen by our own code ("derived/v<version>/thumbnail.png"); user file
names never become keys (THREATS.md item 15).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK_SIZE = 1024 * 1024
MAX_KEY_LENGTH = 300  # the width of MaterialFile.storage_key
_SEGMENT = r"[a-z0-9][a-z0-9._-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class BlobTooLarge(Exception):
    """The stream was longer than ``max_bytes``; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"blob exceeds the limit of {limit} bytes")
        self.limit = limit


class BlobNotFound(KeyError):
    """No blob is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no blob stored under {self.key!r}"


class BlobIntegrityError(Exception):
    """The bytes received do not have the SHA-256 the caller expected; nothing was stored."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"SHA-256 mismatch: expected {expected}, received {actual}")
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    sha256: str


@runtime_checkable
class BlobStore(Protocol):
    """What the rest of the product may ask of a blob store (see the module docstring)."""

    name: str

    def put_stream(self, stream: BinaryIO, *, max_bytes: int, content_type: str = "application/octet-stream",
                   expected_sha256: str | None = None) -> StoredBlob:
        """Store a stream under its content-addressed key; nothing is left behind on any error."""
        ...

    def put_file(self, path: Path, key: str, content_type: str = "application/octet-stream") -> StoredBlob:
        """Store a file under a caller-chosen key, atomically replacing what was there."""
        ...

    def open(self, key: str) -> BinaryIO: ...

    def open_range(self, key: str, start: int, length: int) -> BinaryIO:
        """At most ``length`` bytes from offset ``start``; empty past the end of the blob."""
        ...

    def download_to(self, key: str, path: Path) -> None: ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path | None: ...

    def presigned_url(self, key: str, *, expires: timedelta, filename: str | None = None,
                      content_type: str | None = None, inline: bool = True) -> str | None: ...

    def check(self) -> str: ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe storage key, else raise ValueError.

    Lower-case ASCII segments separated by single slashes, each starting with a letter or digit:
    no "..", no leading "/", no empty segments, nothing a path or URL could reinterpret.
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key) or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


def content_key(sha256_hex: str) -> str:
    """The content-addressed key of a blob with this SHA-256."""
    if not _SHA256_RE.fullmatch(sha256_hex):
        raise ValueError(f"not a lower-case hex SHA-256: {sha256_hex!r}")
    return f"sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


@dataclass(frozen=True)
class SpooledFile:
    """A fully written, fsynced temporary copy of a stream, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str


def spool_stream(stream: BinaryIO, *, tmp_dir: Path, max_bytes: int | None = None,
                 expected_sha256: str | None = None) -> SpooledFile:
    """Copy ``stream`` chunk by chunk into a new file in ``tmp_dir``, hashing on the way.

    Raises BlobTooLarge as soon as more than ``max_bytes`` arrive and BlobIntegrityError when
    ``expected_sha256`` does not match; on those and on any error from the stream the temporary
    file is removed. The caller owns (and must remove or rename) the returned file.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="blob-", suffix=".part", dir=tmp_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size, digest = _copy_hashing(stream, out, max_bytes)
            out.flush()
            os.fsync(out.fileno())
        if expected_sha256 is not None and expected_sha256.lower() != digest:
            raise BlobIntegrityError(expected_sha256, digest)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return SpooledFile(path=path, size=size, sha256=digest)


def _copy_hashing(source: BinaryIO, target: BinaryIO, max_bytes: int | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while True:
        # Ask for one byte past the limit at most, so an oversized stream is caught without reading on.
        want = CHUNK_SIZE if max_bytes is None else min(CHUNK_SIZE, max_bytes - size + 1)
        chunk = source.read(want)
        if not chunk:
            return size, digest.hexdigest()
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BlobTooLarge(max_bytes)
        digest.update(chunk)
        target.write(chunk)


def write_atomically(source: BinaryIO, path: Path) -> None:
    """Copy ``source`` to ``path`` through a temporary file beside it, so ``path`` is never partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: source.read(CHUNK_SIZE), b""):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def sha256_of_file(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def check_range(start: int, length: int) -> None:
    if start < 0 or length < 0:
        raise ValueError(f"invalid byte range: start={start}, length={length}")


class LimitedReader(io.RawIOBase):
    """A read-only stream over ``raw`` that yields at most ``limit`` bytes (all of it when None).

    ``on_close`` runs once when the reader is closed, e.g. to hand an HTTP connection back to its pool.
    """

    def __init__(self, raw: BinaryIO, limit: int | None = None,
                 on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._remaining = limit
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._remaining is not None:
            view = view[: self._remaining]
        if not len(view):
            return 0
        count = self._raw.readinto(view) or 0  # type: ignore[attr-defined]
        if self._remaining is not None:
            self._remaining -= count
        return count

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
                if self._on_close is not None:
                    self._on_close()
            finally:
                super().close()
