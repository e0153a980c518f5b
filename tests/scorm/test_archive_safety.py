"""ingest.archive_safety against real hostile archives built on disk (THREATS.md items 6-10)."""

from __future__ import annotations

import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from ingest.archive_safety import (
    ArchiveLimits,
    PackageError,
    check_member_name,
    extract_archive,
    open_archive,
    parse_xml_safely,
)
from tests.scorm.builders import write_symlink_zip, write_zip


@pytest.mark.parametrize(("name", "fragment"), [
    ("../evil.txt", ".."),
    ("a/../../evil.txt", ".."),
    ("/etc/cron.d/evil", "tuyệt đối"),
    ("C:/Windows/evil.dll", "ổ đĩa"),
    ("c:evil", "ổ đĩa"),
    ("dir\\..\\evil.txt", "gạch chéo ngược"),
    ("a//b.txt", "đoạn rỗng"),
    ("./a.txt", "“.”"),
])
def test_unsafe_entry_names_are_refused_before_extraction(tmp_path: Path, name: str, fragment: str) -> None:
    archive = write_zip(tmp_path / "evil.zip", {"ok.txt": "ok", name: "pwned"})
    staging = tmp_path / "staging"
    with pytest.raises(PackageError) as caught:
        extract_archive(archive, staging)
    assert caught.value.code == "unsafe_path"
    assert name in caught.value.message_vi and fragment in caught.value.message_vi
    assert not staging.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    archive = write_symlink_zip(tmp_path / "link.zip", "passwd", "/etc/passwd", {"ok.txt": "ok"})
    with pytest.raises(PackageError) as caught:
        open_archive(archive)
    assert caught.value.code == "unsafe_path"
    assert "symlink" in caught.value.message_vi


@pytest.mark.parametrize("names", [("a.txt", "a.txt"), ("Bai1.html", "bai1.HTML"), ("doc", "doc/inner.txt")])
def test_duplicate_or_conflicting_names_are_refused(tmp_path: Path, names: tuple[str, str]) -> None:
    path = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        for name in names:
            archive.writestr(name, "x")
    with pytest.raises(PackageError) as caught:
        open_archive(path)
    assert caught.value.code == "duplicate_entry"


def test_high_ratio_entry_is_a_zip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(PackageError) as caught:
        extract_archive(path, tmp_path / "staging")
    assert caught.value.code == "zip_bomb"
    assert "zeros.bin" in caught.value.message_vi
    assert not (tmp_path / "staging").exists()


def test_total_size_and_entry_count_are_checked_from_the_directory(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" * 1000 for i in range(20)})
    with pytest.raises(PackageError) as caught:
        open_archive(path, ArchiveLimits(max_entries=10))
    assert caught.value.code == "too_many_entries"
    with pytest.raises(PackageError) as caught:
        open_archive(path, ArchiveLimits(max_total_bytes=10_000))
    assert caught.value.code == "too_large"
    assert "10.000" in caught.value.message_vi
    assert len(open_archive(path).entries) == 20


def _central_records(data: bytes) -> list[int]:
    positions, start = [], 0
    while (found := data.find(b"PK\x01\x02", start)) != -1:
        positions.append(found)
        start = found + 4
    return positions


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    """The 'overlapping files' bomb: several central-directory records point at the same data."""
    path = write_zip(tmp_path / "overlap.zip", {"a.txt": "a" * 100, "b.txt": "b" * 100})
    data = bytearray(path.read_bytes())
    second = _central_records(bytes(data))[1]
    struct.pack_into("<I", data, second + 42, 0)
    path.write_bytes(bytes(data))
    with pytest.raises(PackageError) as caught:
        open_archive(path)
    assert caught.value.code == "zip_bomb"
    assert "chồng lên nhau" in caught.value.message_vi


def test_corrupt_entry_during_extraction_leaves_staging_empty(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "crc.zip", {"a.txt": "first file", "b.txt": "second file"})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"second file", b"SECOND FILE", 1))
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(PackageError) as caught:
        extract_archive(path, staging)
    assert caught.value.code == "corrupt_entry"
    assert "b.txt" in caught.value.message_vi
    assert list(staging.iterdir()) == []


def test_extraction_stays_inside_staging_and_refuses_a_used_directory(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "ok.zip", {"bài 1/mở đầu.html": "<p>xin chào</p>", "css/": b"",
                                           "css/style.css": "p{}"})
    staging = tmp_path / "staging"
    written = extract_archive(path, staging)
    assert (staging / "bài 1" / "mở đầu.html").read_text() == "<p>xin chào</p>"
    assert all(p.is_relative_to(staging.resolve()) for p in written)
    with pytest.raises(PackageError) as caught:
        extract_archive(path, staging)
    assert caught.value.code == "staging_not_empty"


def test_text_file_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    path.write_text("Đây là văn bản, không phải ZIP.", encoding="utf-8")
    with pytest.raises(PackageError) as caught:
        open_archive(path)
    assert caught.value.code == "not_zip"


@pytest.mark.parametrize("xml", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>',
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://169.254.169.254/latest"><r/>',
])
def test_xml_with_doctype_or_entities_is_refused(xml: bytes) -> None:
    with pytest.raises(PackageError) as caught:
        parse_xml_safely(xml, "imsmanifest.xml")
    assert caught.value.code == "xml_forbidden"
    assert "imsmanifest.xml" in caught.value.message_vi


def test_member_name_is_normalised() -> None:
    assert check_member_name("Course/") == "Course"
    assert check_member_name("a/b/c.html") == "a/b/c.html"
