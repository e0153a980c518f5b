"""Limits and input checks shared by every question-bank importer.

A file that breaks one of these limits is refused as a whole (:class:`QuestionFileError`); a single
question that breaks a per-question limit becomes a rejection and the rest of the file is still read.
"""

from __future__ import annotations

import re

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_QUESTIONS = 20_000
MAX_TEXT_CHARS = 100_000        # one text field (stem, option, feedback…), after decoding
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGES_PER_QUESTION = 50


class QuestionFileError(Exception):
    """The whole file cannot be used: not the format it claims, too large, hostile XML…

    ``message_vi`` is shown to the teacher, ``message_en`` goes to the logs.
    """

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


def file_label(filename: str) -> str:
    return filename or "tệp tải lên"


def check_file_size(data: bytes, filename: str = "") -> None:
    if len(data) > MAX_FILE_BYTES:
        raise QuestionFileError(
            f"{file_label(filename)}: tệp quá lớn ({len(data):,} byte, tối đa {MAX_FILE_BYTES:,} byte)",
            f"question file of {len(data)} bytes exceeds the limit of {MAX_FILE_BYTES}")


def check_question_count(count: int, filename: str = "") -> None:
    if count > MAX_QUESTIONS:
        raise QuestionFileError(
            f"{file_label(filename)}: tệp có quá nhiều câu hỏi (hơn {MAX_QUESTIONS:,})",
            f"question file holds more than {MAX_QUESTIONS} questions")


def decode_text(data: bytes, filename: str = "") -> str:
    """Decode a text question file (UTF-8 with or without BOM, or UTF-16 with BOM); newlines → ``\\n``."""
    check_file_size(data, filename)
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise QuestionFileError(
            f"{file_label(filename)}: tệp không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start}); "
            "hãy lưu lại tệp với bảng mã UTF-8",
            f"question file is not valid {encoding} at byte {exc.start}") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_too_long(*texts: str) -> str | None:
    """The Vietnamese reason when one of ``texts`` is over :data:`MAX_TEXT_CHARS`, else None."""
    longest = max((len(text) for text in texts), default=0)
    if longest > MAX_TEXT_CHARS:
        return f"Nội dung quá dài ({longest:,} ký tự, tối đa {MAX_TEXT_CHARS:,} ký tự cho mỗi phần)"
    return None


_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def parse_number(text: str) -> float | None:
    """Parse a number written with a decimal comma (``0,25``) or a decimal point (``0.25``).

    Thousands separators are not accepted: ``1.000`` is ambiguous between Vietnamese (one thousand) and
    Moodle (one), so only one separator is allowed and it is always the decimal one. Returns None when
    ``text`` is not a plain number.
    """
    candidate = text.strip().replace("\u2212", "-")
    if not _NUMBER.fullmatch(candidate):
        return None
    return float(candidate.replace(",", "."))


def format_number(value: float) -> str:
    """A number as Moodle writes it: decimal point, no trailing zeros (``3.0`` → ``"3"``)."""
    text = f"{value:.12g}"
    return "0" if text == "-0" else text
