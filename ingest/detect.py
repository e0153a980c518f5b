"""Decide what an uploaded file is from its bytes, never from its name.

Only the first ``HEAD_BYTES`` are read, so the same answer comes from a whole file and from the short
head the upload form sniffs before storing anything. Zip-based formats (DOCX, PPTX, XLSX, EPUB) are told
apart by walking the local file headers at the start of the archive, which is why a truncated head is
enough and why no central directory (possibly hostile and huge) is ever parsed here.
"""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError

HEAD_BYTES = 64 * 1024
#: Acrobat accepts a PDF header anywhere in the first 1024 bytes; so do we.
PDF_HEADER_WINDOW = 1024
#: Bytes inflated at most from one zip entry while looking for the OOXML content type.
ZIP_ENTRY_PEEK = 64 * 1024


@dataclass(frozen=True)
class DetectedType:
    family: str
    mime: str
    extension: str


def _t(family: str, mime: str, extension: str) -> DetectedType:
    return DetectedType(family, mime, extension)


PDF = _t("pdf", "application/pdf", ".pdf")
ZIP = _t("zip", "application/zip", ".zip")
DOCX = _t("ooxml-docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
PPTX = _t("ooxml-pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx")
XLSX = _t("ooxml-xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
EPUB = _t("epub", "application/epub+zip", ".epub")
MP4 = _t("mp4", "video/mp4", ".mp4")
MOV = _t("mov", "video/quicktime", ".mov")
WEBM = _t("webm", "video/webm", ".webm")
MKV = _t("mkv", "video/x-matroska", ".mkv")
AVI = _t("avi", "video/x-msvideo", ".avi")
WAV = _t("wav", "audio/wav", ".wav")
MP3 = _t("mp3", "audio/mpeg", ".mp3")
M4A = _t("m4a", "audio/mp4", ".m4a")
FLAC = _t("flac", "audio/flac", ".flac")
OGG = _t("ogg", "application/ogg", ".ogg")
PNG = _t("png", "image/png", ".png")
JPEG = _t("jpeg", "image/jpeg", ".jpg")
GIF = _t("gif", "image/gif", ".gif")
WEBP = _t("webp", "image/webp", ".webp")
OLE = _t("ole", "application/x-ole-storage", ".bin")
GZIP = _t("gzip", "application/gzip", ".gz")
HTML = _t("html", "text/html", ".html")
SVG = _t("svg", "image/svg+xml", ".svg")
XML = _t("xml", "application/xml", ".xml")
TEXT = _t("text", "text/plain", ".txt")
UNKNOWN = _t("unknown", "application/octet-stream", ".bin")

#: Signatures at offset 0 that decide the type on their own.
PREFIX_SIGNATURES: tuple[tuple[bytes, DetectedType], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"\x1f\x8b", GZIP),
    (b"OggS", OGG),
    (b"ID3", MP3),
    (b"fLaC", FLAC),
)
RIFF_KINDS = {b"AVI ": AVI, b"WAVE": WAV, b"WEBP": WEBP}
FTYP_BRANDS = {b"qt  ": MOV, b"M4A ": M4A, b"M4B ": M4A}
QUICKTIME_BOXES = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}

#: Tags that make a text an HTML document when they open it (WHATWG MIME Sniffing, "text/html" rule).
HTML_OPENING = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)[\s>]",
    re.IGNORECASE,
)
OOXML_MAIN_TYPES = (
    (b"wordprocessingml.document.main", DOCX),
    (b"wordprocessingml.template.main", DOCX),
    (b"presentationml.presentation.main", PPTX),
    (b"presentationml.slideshow.main", PPTX),
    (b"spreadsheetml.sheet.main", XLSX),
    (b"spreadsheetml.template.main", XLSX),
)
OOXML_PART_FOLDERS = (("word/", DOCX), ("ppt/", PPTX), ("xl/", XLSX))


def detect_type(path: Path) -> DetectedType:
    """Return the type of the file at ``path`` decided by its content; an empty file is an IngestError."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        at_end = not fh.read(1)
    if not head:
        raise IngestError("empty", "Tệp rỗng (0 byte). Hãy chọn lại tệp.", f"{path.name} is empty")
    return detect_bytes(head, complete=at_end)


def detect_bytes(head: bytes, *, complete: bool) -> DetectedType:
    """Classify the first bytes of a file; ``complete`` says whether ``head`` is the whole file."""
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return PDF
    for signature, detected in PREFIX_SIGNATURES:
        if head.startswith(signature):
            return detected
    binary = _binary_container(head)
    if binary is not None:
        return binary
    return _text_kind(head, complete=complete)


def _binary_container(head: bytes) -> DetectedType | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(head)
    if head.startswith(b"RIFF") and len(head) >= 12:
        return RIFF_KINDS.get(head[8:12], UNKNOWN)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if b"webm" in head[:4096] else MKV
    if head[4:8] == b"ftyp":
        return FTYP_BRANDS.get(head[8:12], MP4)
    if head[4:8] in QUICKTIME_BOXES and int.from_bytes(head[:4], "big") >= 8:
        return MOV
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return MP3
    return None


def _zip_kind(head: bytes) -> DetectedType:
    """Tell OOXML and EPUB from a plain zip by the entries stored at the start of the archive."""
    names: list[str] = []
    for name, data, method in _local_entries(head):
        names.append(name)
        if name == "mimetype" and data.startswith(b"application/epub+zip"):
            return EPUB
        if name == "[Content_Types].xml":
            content_types = _inflate_prefix(data, method)
            for marker, detected in OOXML_MAIN_TYPES:
                if marker in content_types:
                    return detected
    if "[Content_Types].xml" in names:
        for folder, detected in OOXML_PART_FOLDERS:
            if any(n.startswith(folder) for n in names):
                return detected
    return ZIP


def _local_entries(head: bytes) -> list[tuple[str, bytes, int]]:
    """Walk the zip local file headers present in ``head``: (name, stored bytes available, method)."""
    entries: list[tuple[str, bytes, int]] = []
    offset = 0
    while head.startswith(b"PK\x03\x04", offset) and offset + 30 <= len(head):
        flags, method = struct.unpack_from("<HH", head, offset + 6)
        compressed_size, _size, name_len, extra_len = struct.unpack_from("<IIHH", head, offset + 18)
        name_start = offset + 30
        data_start = name_start + name_len + extra_len
        name = head[name_start:name_start + name_len].decode("utf-8", "replace")
        if flags & 0x08:
            # Sizes follow the data (streamed archive): deflate data ends by itself, so take what is left.
            entries.append((name, head[data_start:], method))
            break
        entries.append((name, head[data_start:data_start + compressed_size], method))
        offset = data_start + compressed_size
    return entries


def _inflate_prefix(data: bytes, method: int) -> bytes:
    if method == 0:
        return data[:ZIP_ENTRY_PEEK]
    if method != 8:
        return b""
    try:
        return zlib.decompressobj(-15).decompress(data, ZIP_ENTRY_PEEK)
    except zlib.error:
        return b""


def _text_kind(head: bytes, *, complete: bool) -> DetectedType:
    text = _decode_text(head, complete=complete)
    if text is None:
        return UNKNOWN
    start = text.lstrip("\ufeff \t\r\n\f").encode("utf-8", "replace")[:1024]
    if HTML_OPENING.match(start):
        return HTML
    lowered = start.lower()
    if lowered.startswith(b"<svg"):
        return SVG
    if lowered.startswith(b"<?xml"):
        return _xml_kind(lowered)
    return TEXT


def _xml_kind(lowered: bytes) -> DetectedType:
    if b"<svg" in lowered:
        return SVG
    if b"<html" in lowered:
        return HTML
    return XML


def _decode_text(head: bytes, *, complete: bool) -> str | None:
    """Decode ``head`` as text (UTF-8, UTF-16 with a BOM, or a legacy 8-bit code page) or return None.

    A head cut in the middle of a multi-byte character still counts as UTF-8 unless it is the whole file.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return head.decode("utf-16", "strict" if complete else "ignore")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    legacy = head.decode("latin-1")
    controls = sum(1 for ch in legacy if ord(ch) < 32 and ch not in "\t\r\n\f\x1a")
    return legacy if controls * 50 <= len(legacy) else None
