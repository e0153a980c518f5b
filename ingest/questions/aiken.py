"""Aiken import: single-answer multiple choice written as plain text.

::

    Thủ đô của Việt Nam là
    A. Hà Nội
    B) Huế
    ANSWER: A

The stem may run over several lines; options are a capital letter followed by ``.`` or ``)`` (a space
after it is optional, as Moodle reads it); ``ANSWER: X`` ends the question. Everything is plain text, so
``<`` and ``&`` are escaped, never interpreted. Aiken has no export here: Moodle XML and GIFT carry more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.questions.html import plain_to_html
from ingest.questions.limits import check_question_count, decode_text, file_label, text_too_long
from ingest.questions.model import ImportReport, Option, Question, QuestionType, Rejection

_OPTION = re.compile(r"([A-Z])[.)]\s*(\S.*)")
_ANSWER = re.compile(r"ANSWER\s*:\s*(.*)", re.IGNORECASE)


@dataclass
class _Draft:
    line: int
    stem_lines: list[str]
    options: list[tuple[str, str]] = field(default_factory=list)  # (letter, text)


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.report = ImportReport()
        self.draft: _Draft | None = None

    def reject(self, line: int, reason: str) -> None:
        where = f"{file_label(self.filename)}, dòng {line}"
        self.report.rejected.append(Rejection(where=where, reason=reason))

    def read_line(self, number: int, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if answer := _ANSWER.fullmatch(text):
            self.finish(number, answer.group(1).strip())
        elif option := _OPTION.fullmatch(text):
            self.add_option(number, option.group(1), option.group(2).strip())
        else:
            self.add_stem_line(number, text)

    def add_stem_line(self, number: int, text: str) -> None:
        if self.draft is None:
            self.draft = _Draft(number, [text])
        elif not self.draft.options:
            self.draft.stem_lines.append(text)
        else:
            self.reject(self.draft.line, f"Câu hỏi chưa có dòng 'ANSWER:' trước khi câu hỏi tiếp theo "
                                         f"bắt đầu ở dòng {number}")
            self.draft = _Draft(number, [text])

    def add_option(self, number: int, letter: str, text: str) -> None:
        if self.draft is None:
            self.reject(number, f"Phương án '{letter}' xuất hiện khi chưa có câu hỏi (thiếu dòng đề bài)")
        elif any(known == letter for known, _ in self.draft.options):
            self.reject(number, f"Phương án '{letter}' bị lặp lại trong câu hỏi bắt đầu ở dòng "
                                f"{self.draft.line}")
            self.draft = None
        else:
            self.draft.options.append((letter, text))

    def finish(self, number: int, key: str) -> None:
        draft, self.draft = self.draft, None
        if draft is None:
            self.reject(number, "Dòng 'ANSWER:' xuất hiện khi chưa có câu hỏi")
            return
        letters = [letter for letter, _ in draft.options]
        if len(letters) < 2:
            self.reject(number, f"Câu hỏi cần ít nhất 2 phương án, chỉ có {len(letters)}")
        elif key.upper() not in letters:
            self.reject(number, f"Đáp án '{key}' không phải một phương án của câu hỏi "
                                f"(có {', '.join(letters)})")
        elif reason := text_too_long("\n".join(draft.stem_lines), *(text for _, text in draft.options)):
            self.reject(draft.line, reason)
        else:
            self.report.questions.append(_question(draft, key.upper()))
        check_question_count(self.report.found, self.filename)


def _question(draft: _Draft, key: str) -> Question:
    options = [Option(text=plain_to_html(text), correct=letter == key) for letter, text in draft.options]
    return Question(type=QuestionType.SINGLE_CHOICE, stem=plain_to_html("\n".join(draft.stem_lines)),
                    options=options, source_ref=f"line {draft.line}")


def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Read an Aiken file; each malformed question becomes a rejection naming its line."""
    reader = _Reader(filename)
    lines = decode_text(data, filename).split("\n")
    for number, line in enumerate(lines, start=1):
        reader.read_line(number, line)
    if reader.draft is not None:
        reader.reject(reader.draft.line, "Câu hỏi chưa có dòng 'ANSWER:' (tệp đã hết)")
    return reader.report
