"""The safe ZIP reader shared by QTI packages and OOXML files, on archives crafted here."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from ingest.questions.archive import ArchiveLimits, has_doctype, open_archive, open_ooxml, resolve_href
from ingest.questions.limits import QuestionFileError


def make_zip(entries: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def declare_size(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size of every central-directory record (the bytes are left as they are)."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def refused(data: bytes, **limits) -> str:
    with pytest.raises(QuestionFileError) as err:
        open_archive(data, filename="goi.zip", limits=ArchiveLimits(**limits) if limits else ArchiveLimits())
    return err.value.message_vi


def test_reads_entries_in_memory():
    archive = open_archive(make_zip({"a/b.xml": b"<x/>", "c.txt": "Tiếng Việt".encode()}))
    assert sorted(archive.names()) == ["a/b.xml", "c.txt"]
    assert archive.read("c.txt").decode() == "Tiếng Việt"
    with pytest.raises(QuestionFileError):
        archive.read("missing.xml")


@pytest.mark.parametrize("name", ["../../app/config.py", "a/../../x", "/etc/passwd", "C:/win.ini",
                                  "a\\..\\b"])
def test_traversal_and_absolute_names_are_refused(name):
    assert "goi.zip" in refused(make_zip({name: b"x"}))


def test_symlink_entry_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    assert "symlink" in refused(out.getvalue())


def test_huge_declared_size_is_refused_before_reading():
    bomb = declare_size(make_zip({"a.xml": b"<x/>"}, zipfile.ZIP_STORED), 3 * 1024**3)
    assert "quá lớn" in refused(bomb)


def test_total_declared_size_limit():
    data = make_zip({"a": b"1" * 600, "b": b"2" * 600}, zipfile.ZIP_STORED)
    assert "dung lượng giải nén" in refused(data, max_total_size=1000)


def test_high_compression_ratio_is_refused():
    assert "bom nén" in refused(make_zip({"zeros.bin": b"\0" * (2 * 1024 * 1024)}))


def test_entry_count_limit():
    assert "quá nhiều mục" in refused(make_zip({f"f{i}.txt": b"x" for i in range(11)}), max_entries=10)


def test_entry_inflating_past_its_declared_size_is_not_read_whole():
    lying = declare_size(make_zip({"a.txt": b"x" * 5000}, zipfile.ZIP_STORED), 10)
    archive = open_archive(lying)
    with pytest.raises(QuestionFileError):
        archive.read("a.txt")


def test_not_a_zip():
    assert "ZIP" in refused(b"this is not a zip at all")


def test_resolve_href():
    assert resolve_href("items/q1", "img/a%20b.png") == "items/q1/img/a b.png"
    assert resolve_href("items/q1", "../shared/x.css") == "items/shared/x.css"
    for bad in ("../../x", "/abs.xml", "http://evil.example/x.xml", "file:///etc/passwd"):
        with pytest.raises(QuestionFileError):
            resolve_href("items", bad)


def test_doctype_detection_in_utf8_and_utf16():
    assert has_doctype(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert has_doctype('<!doctype x><x/>'.encode("utf-16"))
    assert not has_doctype(b"<x>no dtd here</x>")


def test_ooxml_needs_content_types_and_no_doctype():
    with pytest.raises(QuestionFileError) as err:
        open_ooxml(make_zip({"word/document.xml": b"<w/>"}), filename="de.docx")
    assert "Content_Types" in err.value.message_vi
    hostile = make_zip({"[Content_Types].xml": b"<Types/>",
                        "word/document.xml": b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]><w>&x;</w>'})
    with pytest.raises(QuestionFileError) as err:
        open_ooxml(hostile, filename="de.docx")
    assert "word/document.xml" in err.value.message_vi
