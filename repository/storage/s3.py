"""Blob store on MinIO or any S3-compatible server, through the official ``minio`` client.

An upload is spooled to a local temporary file first (hashing on the way, enforcing the size limit),
because its content-addressed key is known only at the end; it is then sent with a multipart upload,
and S3 makes an object visible only once complete. Media reaches browsers through short-lived
presigned URLs, so no media byte passes through Python (THREATS.md item 20).
"""

from __future__ import annotations

import io
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from minio import Minio
from minio.error import S3Error

from repository.storage.interfaces import (
    BlobNotFound,
    LimitedReader,
    StoredBlob,
    check_range,
    content_key,
    sha256_of_file,
    spool_stream,
    validate_key,
    write_atomically,
)

log = logging.getLogger(__name__)

DEFAULT_PART_SIZE = 16 * 1024 * 1024
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})


class S3BlobStore:
    """Blobs as objects in one bucket; the key is the object name."""

    name = "s3"

    def __init__(self, client: Minio, bucket: str, *, region: str | None = None, tmp_dir: Path | None = None,
                 part_size: int = DEFAULT_PART_SIZE) -> None:
        self.client = client
        self.bucket = bucket
        self.region = region
        self.tmp_dir = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
        self.part_size = part_size
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def put_stream(self, stream: BinaryIO, *, max_bytes: int, content_type: str = "application/octet-stream",
                   expected_sha256: str | None = None) -> StoredBlob:
        spooled = spool_stream(stream, tmp_dir=self.tmp_dir, max_bytes=max_bytes,
                               expected_sha256=expected_sha256)
        key = content_key(spooled.sha256)
        try:
            if not self.exists(key):
                self._upload(spooled.path, key, content_type)
        finally:
            spooled.path.unlink(missing_ok=True)
        return StoredBlob(key=key, size=spooled.size, sha256=spooled.sha256)

    def put_file(self, path: Path, key: str, content_type: str = "application/octet-stream") -> StoredBlob:
        validate_key(key)
        size, sha256 = sha256_of_file(Path(path))
        self._upload(Path(path), key, content_type)
        return StoredBlob(key=key, size=size, sha256=sha256)

    def _upload(self, path: Path, key: str, content_type: str) -> None:
        """One PUT for small files, a multipart upload (parts of ``part_size``) for big ones."""
        self._ensure_bucket()
        self.client.fput_object(self.bucket, key, str(path), content_type=content_type,
                                part_size=self.part_size)

    def open(self, key: str) -> BinaryIO:
        validate_key(key)
        with _not_found_as(key):
            response = self.client.get_object(self.bucket, key)
        return LimitedReader(response, on_close=response.release_conn)  # type: ignore[return-value]

    def open_range(self, key: str, start: int, length: int) -> BinaryIO:
        validate_key(key)
        check_range(start, length)
        if length == 0:
            self.size(key)  # still BlobNotFound for a missing key
            return io.BytesIO()
        try:
            with _not_found_as(key):
                response = self.client.get_object(self.bucket, key, offset=start, length=length)
        except S3Error as exc:
            if exc.code != "InvalidRange":  # the range starts past the end of the object
                raise
            return io.BytesIO()
        return LimitedReader(response, length, on_close=response.release_conn)  # type: ignore[return-value]

    def download_to(self, key: str, path: Path) -> None:
        with self.open(key) as source:
            write_atomically(source, Path(path))

    def size(self, key: str) -> int:
        validate_key(key)
        with _not_found_as(key):
            return int(self.client.stat_object(self.bucket, key).size or 0)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except BlobNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        self.client.remove_object(self.bucket, key)

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    def presigned_url(self, key: str, *, expires: timedelta, filename: str | None = None,
                      content_type: str | None = None, inline: bool = True) -> str | None:
        """A GET URL valid for ``expires``; the response carries our Content-Type and -Disposition."""
        validate_key(key)
        headers: dict[str, str] = {}
        if content_type:
            headers["response-content-type"] = content_type
        if filename or not inline:
            headers["response-content-disposition"] = content_disposition(filename, inline=inline)
        return self.client.presigned_get_object(self.bucket, key, expires=expires,
                                                response_headers=headers or None)  # type: ignore[arg-type]

    def check(self) -> str:
        """'ok' when the bucket answers; creates it when missing."""
        self._create_bucket_if_missing()
        self._bucket_ready = True
        return "ok"

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self._create_bucket_if_missing()
                self._bucket_ready = True

    def _create_bucket_if_missing(self) -> None:
        if self.client.bucket_exists(self.bucket):
            return
        try:
            self.client.make_bucket(self.bucket, location=self.region)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        log.info("created bucket %s", self.bucket)


def content_disposition(filename: str | None, *, inline: bool) -> str:
    """RFC 6266 header value: an ASCII fallback name plus the exact UTF-8 name (Vietnamese included)."""
    kind = "inline" if inline else "attachment"
    if not filename:
        return kind
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "").strip()
    return f"{kind}; filename=\"{fallback or 'tep'}\"; filename*=UTF-8''{quote(filename, safe='')}"


@contextmanager
def _not_found_as(key: str) -> Iterator[None]:
    """Turn the S3 'no such key' errors into BlobNotFound for ``key``."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _MISSING_CODES:
            raise BlobNotFound(key) from exc
        raise
