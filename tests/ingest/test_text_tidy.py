"""tidy_text and clean_metadata_value: the clean-up applied to every extracted page and metadata field."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.pdf import MAX_METADATA_CHARS, clean_metadata_value, tidy_text


@pytest.mark.parametrize(("raw", "expected"), [
    (unicodedata.normalize("NFD", "Tiếng Việt"), "Tiếng Việt"),
    ("Tie\u0302 \u0301ng Vie \u0323\u0302t", "Tiếng Việt"),
    ("ho\u0323c\u00a0sinh  \t gia\u0301o vi\u00ean", "học sinh giáo viên"),
    ("Toa\u00b4n, lo\u02cbng, ng\u00e3 ba\u02dc", "Toán, lòng, ngã bã"),
    ("Ca\u02c6u ho\u0309i", "Câu hỏi"),
    ("don\u00b4t stay", "don\u00b4t stay"),
    ("ﬁnal ﬂow", "final flow"),
])
def test_vietnamese_marks_are_repaired_and_composed(raw: str, expected: str) -> None:
    assert tidy_text(raw) == expected


def test_whitespace_is_tidied_but_paragraphs_are_kept() -> None:
    raw = "  Bài 1 \r\n\r\n\r\n\r\n  Câu\x0c hỏi\x00 \u200b\ufeff một  \n\n"
    assert tidy_text(raw) == "Bài 1\n\nCâu\nhỏi một"


def test_lone_surrogates_are_dropped() -> None:
    assert tidy_text("a\ud800b") == "ab"


def test_output_is_always_nfc() -> None:
    sample = unicodedata.normalize("NFD", "Đường thẳng và mặt phẳng trong không gian. ỨNG DỤNG")
    assert unicodedata.is_normalized("NFC", tidy_text(sample))


def test_metadata_value_is_one_bounded_line() -> None:
    assert clean_metadata_value(b"Ng\xc6\xb0\xe1\xbb\x9di \n  d\xe1\xbb\xa5ng") == "Người dụng"
    assert clean_metadata_value("x" * (MAX_METADATA_CHARS + 50)) == "x" * MAX_METADATA_CHARS
    assert clean_metadata_value("\x00\x01  ") == ""
