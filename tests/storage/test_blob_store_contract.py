"""One contract, every blob store: the same tests run against the local directory store and the S3 store.

The S3 store runs against moto's S3-compatible server (see conftest.py), not MinIO itself.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio

from repository.config import ConfigError
from repository.storage import (
    BlobIntegrityError,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    LocalBlobStore,
    S3BlobStore,
    StoredBlob,
    content_key,
    make_blob_store,
)
from repository.storage.interfaces import CHUNK_SIZE
from tests.conftest import CORPUS

MIB = 1024 * 1024
S3_PART_SIZE = 6 * MIB  # not minio's automatic 5 MiB, so the ETag shows our part size was used
BAD_KEYS = ["", "../x", "/abs", "a//b", "a/../b", "sha256/ab/../../etc/passwd", "a/", ".tmp/x", "a/./b",
            "Upper/case", "space name", "tên-tệp", "a\\b", "a\x00b", "x" * 301]


class GeneratedStream(io.RawIOBase):
    """``total`` bytes of a repeating pseudo-random pattern, made on demand like a network body.

    Records every read request, and can fail like a client that disconnects half-way.
    """

    _BLOCK = random.Random(2025).randbytes(65521)  # a prime length, so chunks never line up with it

    def __init__(self, total: int, fail_after: int | None = None) -> None:
        super().__init__()
        self.total = total
        self.sent = 0
        self.fail_after = fail_after
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        self.requests.append(-1 if size is None else size)
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise ConnectionResetError("client disconnected")
        count = self.total - self.sent if size is None or size < 0 else min(size, self.total - self.sent)
        chunk = self._pattern(self.sent, count)
        self.sent += count
        return chunk

    def _pattern(self, offset: int, count: int) -> bytes:
        block = self._BLOCK
        start = offset % len(block)
        repeats = (start + count) // len(block) + 1
        return (block * repeats)[start:start + count] if repeats > 1 else block[start:start + count]


def generated_sha256(total: int) -> str:
    stream, digest = GeneratedStream(total), hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()


def sample(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass
class Harness:
    """A store plus ways to look behind it: every stored key, and leftover temporary files."""

    store: BlobStore
    stored_keys: Callable[[], set[str]]
    temp_files: Callable[[], list[Path]]


def local_harness(tmp_path: Path) -> Harness:
    store = LocalBlobStore(tmp_path / "blobs")

    def stored_keys() -> set[str]:
        return {path.relative_to(store.root).as_posix() for path in store.root.rglob("*")
                if path.is_file() and not path.relative_to(store.root).as_posix().startswith(".tmp/")}

    return Harness(store, stored_keys, lambda: _files_in(store.tmp_dir))


def s3_client(endpoint: str) -> Minio:
    return Minio(endpoint, access_key="testing", secret_key="testing", secure=False, region="us-east-1")


def s3_harness(endpoint: str, tmp_path: Path) -> Harness:
    client = s3_client(endpoint)
    bucket = f"hoclieu-test-{uuid.uuid4().hex[:12]}"
    store = S3BlobStore(client, bucket, region="us-east-1", tmp_dir=tmp_path / "s3-tmp",
                        part_size=S3_PART_SIZE)
    store.check()

    def stored_keys() -> set[str]:
        return {str(item.object_name) for item in client.list_objects(bucket, recursive=True)}

    return Harness(store, stored_keys, lambda: _files_in(store.tmp_dir))


def _files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.fixture(params=["local", "s3"])
def harness(request, tmp_path) -> Iterator[Harness]:
    if request.param == "local":
        yield local_harness(tmp_path)
    else:
        yield s3_harness(request.getfixturevalue("s3_endpoint"), tmp_path)


@pytest.fixture
def store(harness) -> BlobStore:
    return harness.store


def read_all(store: BlobStore, key: str) -> bytes:
    with store.open(key) as fh:
        return fh.read()


# --- put_stream -------------------------------------------------------------------------------------------


def test_put_stream_round_trip_with_content_key(harness, store, tmp_path):
    data = sample(300_000)
    sha = hashlib.sha256(data).hexdigest()

    blob = store.put_stream(io.BytesIO(data), max_bytes=len(data), content_type="application/pdf")

    assert blob == StoredBlob(key=f"sha256/{sha[:2]}/{sha[2:4]}/{sha}", size=len(data), sha256=sha)
    assert read_all(store, blob.key) == data
    assert store.size(blob.key) == len(data)
    assert store.exists(blob.key)
    target = tmp_path / "out" / "copy.bin"
    store.download_to(blob.key, target)
    assert target.read_bytes() == data
    assert harness.stored_keys() == {blob.key}
    assert harness.temp_files() == []


def test_same_content_is_stored_once(harness, store):
    data = sample(50_000)
    first = store.put_stream(io.BytesIO(data), max_bytes=MIB)
    second = store.put_stream(io.BytesIO(data), max_bytes=MIB)
    other = store.put_stream(io.BytesIO(data + b"!"), max_bytes=MIB)

    assert second == first
    assert other.key != first.key
    assert harness.stored_keys() == {first.key, other.key}
    assert harness.temp_files() == []


def test_empty_stream_is_a_valid_blob(store):
    blob = store.put_stream(io.BytesIO(b""), max_bytes=10)
    assert blob.size == 0
    assert blob.sha256 == hashlib.sha256(b"").hexdigest()
    assert read_all(store, blob.key) == b""


def test_exactly_max_bytes_is_accepted(store):
    blob = store.put_stream(io.BytesIO(b"x" * 1000), max_bytes=1000)
    assert blob.size == 1000


def test_too_large_stops_reading_and_stores_nothing(harness, store):
    stream = GeneratedStream(10 * MIB)

    with pytest.raises(BlobTooLarge) as caught:
        store.put_stream(stream, max_bytes=MIB)

    assert caught.value.limit == MIB
    assert stream.sent <= MIB + 1, "the store kept reading after the limit was exceeded"
    assert harness.stored_keys() == set()
    assert harness.temp_files() == []


def test_stream_failing_half_way_leaves_nothing(harness, store):
    stream = GeneratedStream(8 * MIB, fail_after=3 * MIB)

    with pytest.raises(ConnectionResetError):
        store.put_stream(stream, max_bytes=100 * MIB)

    assert harness.stored_keys() == set()
    assert harness.temp_files() == []


def test_expected_sha256(harness, store):
    data = sample(10_000)
    good = hashlib.sha256(data).hexdigest()
    wrong = hashlib.sha256(b"something else").hexdigest()

    with pytest.raises(BlobIntegrityError) as caught:
        store.put_stream(io.BytesIO(data), max_bytes=MIB, expected_sha256=wrong)
    assert (caught.value.expected, caught.value.actual) == (wrong, good)
    assert harness.stored_keys() == set()
    assert harness.temp_files() == []

    blob = store.put_stream(io.BytesIO(data), max_bytes=MIB, expected_sha256=good.upper())
    assert blob.sha256 == good


def test_large_upload_is_streamed_in_chunks(harness, store, tmp_path):
    total = 20 * MIB + 12345
    stream = GeneratedStream(total)

    blob = store.put_stream(stream, max_bytes=64 * MIB, content_type="video/mp4")

    assert blob.size == total
    assert blob.sha256 == generated_sha256(total)
    assert stream.requests and all(0 < size <= CHUNK_SIZE for size in stream.requests), (
        "the stream must be read in bounded chunks, never whole")
    target = tmp_path / "large.bin"
    store.download_to(blob.key, target)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == blob.sha256
    if isinstance(store, S3BlobStore):
        etag = store.client.stat_object(store.bucket, blob.key).etag
        assert etag.endswith("-4"), f"expected a 4-part multipart upload, got ETag {etag}"
    assert harness.temp_files() == []


# --- reading ----------------------------------------------------------------------------------------------


def test_open_range_returns_exact_bytes(store):
    data = sample(1000)
    key = store.put_stream(io.BytesIO(data), max_bytes=MIB).key

    for start, length, expected in [(0, 10, data[:10]), (500, 100, data[500:600]), (990, 100, data[990:]),
                                    (999, 1, data[999:]), (1000, 5, b""), (5000, 5, b""), (3, 0, b"")]:
        with store.open_range(key, start, length) as fh:
            assert fh.read() == expected, (start, length)

    with store.open_range(key, 100, 250) as fh:
        pieces = iter(lambda: fh.read(7), b"")
        assert b"".join(pieces) == data[100:350]


def test_open_range_rejects_negative_numbers_and_missing_keys(store):
    key = store.put_stream(io.BytesIO(b"abc"), max_bytes=10).key
    with pytest.raises(ValueError):
        store.open_range(key, -1, 2)
    with pytest.raises(ValueError):
        store.open_range(key, 0, -2)
    with pytest.raises(BlobNotFound):
        store.open_range("sha256/00/00/" + "0" * 64, 0, 10)


REAL_FILES = ["pdf/pysf_GeoTopo-komprimiert.pdf", "pptx/pptx_shp-movie-props.pptx"]


@pytest.mark.parametrize("corpus_file", REAL_FILES)
def test_real_file_round_trip(store, corpus_file):
    path = CORPUS / corpus_file
    if not path.is_file():
        pytest.skip(f"test corpus file {path} is absent (it lives in ../shared/corpus beside the checkout)")
    data = path.read_bytes()

    with path.open("rb") as fh:
        blob = store.put_stream(fh, max_bytes=len(data), expected_sha256=hashlib.sha256(data).hexdigest())

    assert read_all(store, blob.key) == data
    with store.open_range(blob.key, len(data) - 4096, 4096) as fh:
        assert fh.read() == data[-4096:]


# --- keys, delete, put_file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_key", BAD_KEYS)
def test_bad_keys_are_rejected_and_change_nothing(harness, store, tmp_path, bad_key):
    source = tmp_path / "source.bin"
    source.write_bytes(b"derivative")
    calls = [lambda: store.put_file(source, bad_key), lambda: store.open(bad_key),
             lambda: store.open_range(bad_key, 0, 1), lambda: store.download_to(bad_key, tmp_path / "out"),
             lambda: store.size(bad_key), lambda: store.exists(bad_key), lambda: store.delete(bad_key),
             lambda: store.local_path(bad_key),
             lambda: store.presigned_url(bad_key, expires=timedelta(minutes=1))]
    for call in calls:
        with pytest.raises(ValueError):
            call()
    assert harness.stored_keys() == set()
    assert harness.temp_files() == []
    assert not (tmp_path / "out").exists()


def test_delete_and_exists(store, tmp_path):
    key = store.put_stream(io.BytesIO(b"to be deleted"), max_bytes=100).key
    assert store.exists(key)

    store.delete(key)

    assert not store.exists(key)
    with pytest.raises(BlobNotFound):
        store.open(key)
    with pytest.raises(BlobNotFound):
        store.size(key)
    with pytest.raises(BlobNotFound):
        store.download_to(key, tmp_path / "gone.bin")
    assert not (tmp_path / "gone.bin").exists()
    store.delete(key)  # deleting a missing key is not an error
    store.delete("derived/v404/never-stored.png")


def test_blob_not_found_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.open("derived/v1/missing.png")


def test_put_file_overwrites_atomically(harness, store, tmp_path):
    key = "derived/v7/thumbnail.png"
    old, new = sample(400_000, seed=1), sample(300_000, seed=2)
    (tmp_path / "old.png").write_bytes(old)
    (tmp_path / "new.png").write_bytes(new)

    first = store.put_file(tmp_path / "old.png", key, content_type="image/png")
    assert first == StoredBlob(key=key, size=len(old), sha256=hashlib.sha256(old).hexdigest())
    with store.open(key) as reader:
        head = reader.read(1000)
        second = store.put_file(tmp_path / "new.png", key, content_type="image/png")
        assert head + reader.read() == old, "a reader opened before the overwrite saw a mix of versions"

    assert second == StoredBlob(key=key, size=len(new), sha256=hashlib.sha256(new).hexdigest())
    assert read_all(store, key) == new
    assert harness.stored_keys() == {key}
    assert harness.temp_files() == []


def test_put_file_from_missing_source_keeps_the_old_blob(harness, store, tmp_path):
    key = "derived/v8/page-1.txt"
    (tmp_path / "page.txt").write_bytes(b"trang 1")
    store.put_file(tmp_path / "page.txt", key)

    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "absent.txt", key)

    assert read_all(store, key) == b"trang 1"
    assert harness.temp_files() == []


def test_check_reports_ok(store):
    assert store.check() == "ok"


def test_content_key_layout():
    sha = hashlib.sha256(b"x").hexdigest()
    assert content_key(sha) == f"sha256/{sha[:2]}/{sha[2:4]}/{sha}"
    with pytest.raises(ValueError):
        content_key("../" + sha[3:])


# --- delivery: local path or presigned URL ---------------------------------------------------------------


def test_local_store_serves_by_path_not_url(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    data = sample(2000)
    key = store.put_stream(io.BytesIO(data), max_bytes=MIB).key

    assert store.presigned_url(key, expires=timedelta(minutes=5)) is None
    path = store.local_path(key)
    assert path is not None and path.read_bytes() == data


def test_presigned_url_serves_bytes_and_ranges(s3_endpoint, tmp_path):
    store = s3_harness(s3_endpoint, tmp_path).store
    data = sample(200_000)
    key = store.put_stream(io.BytesIO(data), max_bytes=MIB, content_type="application/pdf").key
    assert store.local_path(key) is None

    url = store.presigned_url(key, expires=timedelta(minutes=5), filename="Bài giảng Toán 10.pdf",
                              content_type="application/pdf", inline=False)
    assert url is not None and url.startswith(f"http://{s3_endpoint}/")
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
        assert response.read() == data
        assert response.headers["Content-Type"] == "application/pdf"
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''B%C3%A0i%20gi%E1%BA%A3ng%20To%C3%A1n%2010.pdf" in disposition

    ranged = urllib.request.Request(url, headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(ranged) as response:
        assert response.status == 206
        assert response.read() == data[1000:2000]


# --- the factory ------------------------------------------------------------------------------------------


def test_make_blob_store_local(tmp_path, caplog):
    store = make_blob_store({"backend": "local", "max_upload_mb": 5}, tmp_path)

    assert isinstance(store, LocalBlobStore) and isinstance(store, BlobStore)
    assert store.name == "local"
    assert store.check() == "ok"
    blob = store.put_stream(io.BytesIO(b"hoc lieu"), max_bytes=100)
    assert (tmp_path / "blobs" / blob.key).read_bytes() == b"hoc lieu"

    with caplog.at_level(logging.WARNING, logger="repository.storage"):
        make_blob_store({"backend": "local", "profile": "production"}, tmp_path)
    assert "production" in caplog.text


def test_make_blob_store_s3(s3_endpoint, tmp_path):
    bucket = f"hoclieu-factory-{uuid.uuid4().hex[:8]}"
    settings = {"backend": "s3", "endpoint": s3_endpoint, "bucket": bucket, "access_key": "testing",
                "secret_key": "testing", "secure": False, "region": "us-east-1", "presign_minutes": 10}

    store = make_blob_store(settings, tmp_path)

    assert isinstance(store, S3BlobStore) and isinstance(store, BlobStore)
    assert store.name == "s3"
    client = s3_client(s3_endpoint)
    assert not client.bucket_exists(bucket), "the factory must not contact the server"
    assert store.check() == "ok"
    assert client.bucket_exists(bucket), "check() creates a missing bucket"
    blob = store.put_stream(io.BytesIO(b"hoc lieu"), max_bytes=100)
    assert read_all(store, blob.key) == b"hoc lieu"


def test_make_blob_store_s3_without_credentials_names_them(tmp_path):
    settings = {"backend": "s3", "endpoint": "127.0.0.1:9000", "bucket": "hoclieu", "access_key": "",
                "secure": False}
    with pytest.raises(ConfigError) as caught:
        make_blob_store(settings, tmp_path)
    assert "HOCLIEU_STORAGE_ACCESS_KEY" in str(caught.value)
    assert "HOCLIEU_STORAGE_SECRET_KEY" in str(caught.value)


def test_make_blob_store_unknown_backend(tmp_path):
    with pytest.raises(ConfigError, match="backend"):
        make_blob_store({"backend": "ftp"}, tmp_path)
