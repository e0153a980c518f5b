"""Hostile inputs (THREATS.md item 11): each ends in a clear IngestError, and the test process itself is
never the one that parses, inflates or runs out of memory."""

from __future__ import annotations

import resource
import shutil
import zlib
from pathlib import Path

import pytest
from PIL import Image

from ingest.errors import IngestError
from ingest.pdf import inspect_pdf, render_thumbnail
from tests.conftest import corpus_dir
from tests.ingest.conftest import HOSTILE_LIMITS
from tests.ingest.pdf_builders import (
    GIB,
    flate_bomb_pdf,
    one_page_pdf,
    page_flood_pdf,
    vietnamese_pdf,
    zero_deflate_bomb,
)

#: Anything above this in the test process would mean a bomb was inflated here, not in a child.
PARENT_MAX_RSS_MB = 1024


def refused(path: Path, *codes: str) -> IngestError:
    with pytest.raises(IngestError) as caught:
        inspect_pdf(path, HOSTILE_LIMITS)
    assert caught.value.code in codes, caught.value.message_en
    assert caught.value.message_vi and caught.value.message_en
    return caught.value


def thumbnail_refused(path: Path, tmp_path: Path, *codes: str) -> IngestError:
    out = tmp_path / "thumb.png"
    with pytest.raises(IngestError) as caught:
        render_thumbnail(path, out, limits=HOSTILE_LIMITS)
    assert caught.value.code in codes, caught.value.message_en
    assert not out.exists()
    return caught.value


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "rong.pdf"
    path.write_bytes(b"")
    assert refused(path, "empty").field == "file"
    thumbnail_refused(path, tmp_path, "empty")


@pytest.mark.parametrize(("name", "content"), [
    ("trang-web.pdf", b"<!DOCTYPE html>\n<html><body><script>alert(1)</script>%PDF</body></html>"),
    ("ghi-chu.pdf", "Đây là văn bản thường, không phải PDF.\n".encode()),
    ("anh.pdf", None),
    ("nen.pdf", b"PK\x05\x06" + bytes(18)),
])
def test_files_that_are_not_pdf_are_refused_by_content(tmp_path: Path, name: str,
                                                       content: bytes | None) -> None:
    path = tmp_path / name
    if content is None:
        Image.new("RGB", (8, 8)).save(path, format="PNG")
    else:
        path.write_bytes(content)
    error = refused(path, "not_pdf")
    assert "không phải PDF" in error.message_vi
    thumbnail_refused(path, tmp_path, "not_pdf")


def test_truncated_generated_pdf(tmp_path: Path) -> None:
    whole = vietnamese_pdf(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    refused(path, "corrupt")


def test_truncated_real_pdf(tmp_path: Path) -> None:
    source = corpus_dir("pdf") / "uscis_2025-Civics-Test-128-Questions-and-Answers.pdf"
    whole = source.read_bytes()
    path = tmp_path / "uscis-half.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    refused(path, "corrupt")


def test_header_only_pdf(tmp_path: Path) -> None:
    path = tmp_path / "header.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    refused(path, "corrupt")
    thumbnail_refused(path, tmp_path, "corrupt")


def test_hundred_thousand_pages_are_refused_before_text_extraction(tmp_path: Path) -> None:
    path = page_flood_pdf(tmp_path / "flood.pdf", 100_000)
    error = refused(path, "too_many_pages")
    assert "100.000 trang" in error.message_vi and "2.000 trang" in error.message_vi


def test_page_count_that_lies_is_still_refused(tmp_path: Path) -> None:
    path = page_flood_pdf(tmp_path / "flood-lie.pdf", 100_000, declared_count=1)
    error = refused(path, "too_many_pages")
    assert "hơn 2.000 trang" in error.message_vi


def test_self_referencing_page_tree(tmp_path: Path) -> None:
    path = one_page_pdf(tmp_path / "cycle.pdf", b"BT ET",
                        pages_dict=b"<< /Type /Pages /Count 1 /Kids [2 0 R] >>")
    refused(path, "corrupt", "resource_limit")
    thumbnail_refused(path, tmp_path, "corrupt", "resource_limit")


def test_deeply_nested_object_graph(tmp_path: Path) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    path = one_page_pdf(tmp_path / "deep.pdf", b"BT ET",
                        pages_dict=b"<< /Type /Pages /Count 1 /Kids [3 0 R] /Nest " + deep + b" >>")
    refused(path, "corrupt", "resource_limit", "timeout")


def test_looping_outline_ends(tmp_path: Path) -> None:
    path = one_page_pdf(
        tmp_path / "outline-loop.pdf", b"BT /F1 12 Tf 20 100 Td (Potato) Tj ET",
        resources=b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
        catalog_extra=b"/Outlines 5 0 R",
        extra_objects=[b"<< /Type /Outlines /First 6 0 R /Last 7 0 R /Count 2 >>",
                       b"<< /Title (Mot) /Parent 5 0 R /Next 7 0 R /Dest [3 0 R /Fit] >>",
                       b"<< /Title (Hai) /Parent 5 0 R /Next 6 0 R /Prev 6 0 R /First 7 0 R /Last 7 0 R "
                       b"/Count 1 /Dest [3 0 R /Fit] >>"])
    try:
        info = inspect_pdf(path, HOSTILE_LIMITS)
    except IngestError as error:
        assert error.code in ("corrupt", "resource_limit", "timeout")
    else:
        assert info.pages == ["Potato"]
        assert 1 <= len(info.outline) <= 10_000
        assert {title for title, _ in info.outline} <= {"Mot", "Hai"}


def test_the_bomb_builder_really_inflates_to_the_declared_size() -> None:
    size = 64 * 1024 * 1024
    bomb = zero_deflate_bomb(size)
    assert len(bomb) < size // 500
    inflated = zlib.decompress(bomb)
    assert len(inflated) == size and not inflated.strip(b"\x00")


@pytest.mark.parametrize("nested", [False, True], ids=["flate", "flate-in-flate"])
def test_flate_bomb_is_refused_and_the_worker_is_unharmed(tmp_path: Path, nested: bool) -> None:
    parent_memory_limit = resource.getrlimit(resource.RLIMIT_AS)
    path = flate_bomb_pdf(tmp_path / "bomb.pdf", 2 * GIB, nested=nested)
    assert path.stat().st_size < 3 * 1024 * 1024
    refused(path, "resource_limit", "timeout")
    thumbnail_refused(path, tmp_path, "resource_limit", "timeout", "corrupt")
    parent_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    assert parent_rss_mb < PARENT_MAX_RSS_MB
    assert resource.getrlimit(resource.RLIMIT_AS) == parent_memory_limit
    healthy = vietnamese_pdf(tmp_path / "after.pdf")
    assert inspect_pdf(healthy, HOSTILE_LIMITS).page_count == 4


def test_refusal_leaves_the_input_untouched(tmp_path: Path) -> None:
    source = page_flood_pdf(tmp_path / "flood.pdf", 3000)
    before = source.read_bytes()
    copy = tmp_path / "copy.pdf"
    shutil.copyfile(source, copy)
    refused(copy, "too_many_pages")
    assert copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.pdf", "flood.pdf"]
