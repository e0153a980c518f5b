"""The question-file formats a bank imports and exports, and how ``auto`` recognises a file by content."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable

from ingest.questions import aiken, docx_import, gift, moodle_xml, qti, xlsx_import
from ingest.questions.limits import QuestionFileError
from ingest.questions.model import ImportReport, Question

Parser = Callable[..., ImportReport]
Exporter = Callable[[Iterable[Question]], bytes]

PARSERS: dict[str, Parser] = {
    "moodle_xml": moodle_xml.parse, "gift": gift.parse, "aiken": aiken.parse, "qti": qti.parse,
    "docx": docx_import.parse, "xlsx": xlsx_import.parse,
}

#: format -> (exporter, content type, file suffix).
EXPORTERS: dict[str, tuple[Exporter, str, str]] = {
    "moodle_xml": (moodle_xml.export, "application/xml", "xml"),
    "qti": (qti.export, "application/zip", "zip"),
    "gift": (gift.export, "text/plain; charset=utf-8", "gift.txt"),
}

_AIKEN_ANSWER = re.compile(rb"^\s*ANSWER\s*:\s*[A-Z]\s*$", re.MULTILINE | re.IGNORECASE)
_XML_HEAD = 4096


def detect_format(data: bytes, filename: str = "") -> str:
    """Recognise the format from the content (never from the name alone)."""
    if data.startswith(b"PK"):
        return _zip_format(data, filename)
    head = data[:_XML_HEAD].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if b"<quiz" in head:
            return "moodle_xml"
        if b"assessmentItem" in head or b"imsmanifest" in head or b"<manifest" in head:
            return "qti"
    elif _AIKEN_ANSWER.search(data) and b"{" not in data:
        return "aiken"
    elif b"{" in data:
        return "gift"
    raise QuestionFileError(
        "Không nhận ra định dạng tệp câu hỏi. Hãy chọn định dạng (Moodle XML, GIFT, Aiken, QTI, DOCX, XLSX).",
        f"unrecognised question file format ({filename or 'upload'})")


def _zip_format(data: bytes, filename: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise QuestionFileError("Tệp nén hỏng, không đọc được.", f"bad zip file {filename!r}") from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "qti"
