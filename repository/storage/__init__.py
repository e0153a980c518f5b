"""Blob storage: the contract, its local-directory and S3 implementations, and the factory that picks one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minio import Minio

from repository.config import ConfigError
from repository.storage.interfaces import (
    BlobIntegrityError,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    StoredBlob,
    content_key,
    validate_key,
)
from repository.storage.local import LocalBlobStore
from repository.storage.s3 import DEFAULT_PART_SIZE, S3BlobStore

__all__ = [
    "BlobIntegrityError",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "LocalBlobStore",
    "S3BlobStore",
    "StoredBlob",
    "content_key",
    "make_blob_store",
    "validate_key",
]

_S3_REQUIRED = ("endpoint", "bucket", "access_key", "secret_key")


def make_blob_store(settings: dict[str, Any], data_dir: Path) -> BlobStore:
    """Build the blob store named by the ``[storage]`` settings (plus ``profile`` from ``[app]``).

    Nothing is contacted here: the S3 bucket is checked (and created if missing) by ``check()`` or by
    the first upload.
    """
    backend = settings.get("backend", "local")
    profile = str(settings.get("profile", "embedded"))
    if backend == "local":
        return LocalBlobStore(Path(data_dir) / "blobs", profile=profile)
    if backend == "s3":
        return _make_s3_store(settings, Path(data_dir))
    raise ConfigError(f"[storage] backend = {backend!r}: expected one of ['local', 's3']")


def _make_s3_store(settings: dict[str, Any], data_dir: Path) -> S3BlobStore:
    missing = [key for key in _S3_REQUIRED if not settings.get(key)]
    if missing:
        names = ", ".join(f"HOCLIEU_STORAGE_{key.upper()}" if key.endswith("_key") else f"[storage] {key}"
                          for key in missing)
        raise ConfigError(f"the s3 storage backend needs {names}")
    region = settings.get("region") or None
    client = Minio(str(settings["endpoint"]), access_key=str(settings["access_key"]),
                   secret_key=str(settings["secret_key"]), secure=bool(settings.get("secure", False)),
                   region=region)
    part_size = int(settings.get("part_size_mb", 0)) * 1024 * 1024 or DEFAULT_PART_SIZE
    return S3BlobStore(client, str(settings["bucket"]), region=region, tmp_dir=data_dir / "tmp" / "uploads",
                       part_size=part_size)
