"""Import question banks from the XLSX template (see :mod:`.xlsx_template`).

One question per row on the sheet "Câu hỏi" (or the first sheet). The header row must hold exactly the
template's columns (order free, the text in parentheses ignored); a missing or unknown column makes the
whole file unusable. A row with a formula, an unknown type or a missing key becomes a Rejection naming the
sheet, row and column. The file is checked by the safe archive reader (zip bomb, DOCTYPE) before openpyxl
opens it; openpyxl itself parses through defusedxml when it is installed, which it is.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ingest.questions.archive import open_ooxml
from ingest.questions.docx_import import parse_true_false_key
from ingest.questions.html import plain_to_html
from ingest.questions.limits import (
    MAX_QUESTIONS,
    QuestionFileError,
    check_file_size,
    file_label,
    parse_number,
    text_too_long,
)
from ingest.questions.model import (
    ImportReport,
    Option,
    Question,
    QuestionType,
    Rejection,
    ShortAnswerKey,
    Statement,
)

log = logging.getLogger(__name__)

SHEET_NAME = "Câu hỏi"
#: Template columns: header as shown, field key. The header text in parentheses is a hint, not compared.
COLUMNS: list[tuple[str, str]] = [
    ("STT", "number"), ("Loại (I/II/III/TL)", "type"), ("Câu hỏi", "stem"),
    ("A", "a"), ("B", "b"), ("C", "c"), ("D", "d"), ("Đáp án", "key"), ("Lời giải", "explanation"),
    ("Chủ đề", "topic"), ("Mức độ", "level"), ("Lớp", "grade"), ("Môn", "subject"),
]
REQUIRED = {"type", "stem", "key"}
TYPES = {"I": QuestionType.SINGLE_CHOICE, "II": QuestionType.TRUE_FALSE_CLUSTER,
         "III": QuestionType.SHORT_ANSWER, "TL": QuestionType.ESSAY}
LEVELS = {"biết": "biet", "nhận biết": "biet", "biet": "biet", "hiểu": "hieu", "thông hiểu": "hieu",
          "hieu": "hieu", "vận dụng": "van-dung", "van-dung": "van-dung", "vận dụng cao": "van-dung-cao",
          "van-dung-cao": "van-dung-cao"}


def _header_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", text)).strip().lower()


_BY_HEADER = {_header_key(header): key for header, key in COLUMNS}


class _Reject(Exception):
    pass


@dataclass
class _Row:
    sheet: str
    number: int
    values: dict[str, Any]

    @property
    def where(self) -> str:
        return f"sheet {self.sheet}, row {self.number}"

    def text(self, key: str) -> str:
        return _cell_text(self.values.get(key))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Đúng" if value else "Sai"
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)).replace(".", ",")
    return str(value).strip()


def _open(data: bytes, label: str) -> Worksheet:
    check_file_size(data, label)
    open_ooxml(data, filename=label)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise QuestionFileError(f"{label}: không đọc được tệp Excel (tệp hỏng hoặc không phải XLSX)",
                                f"openpyxl cannot open the file: {exc!r}") from exc
    return workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]


def _columns(header: tuple[Any, ...], label: str, sheet: str) -> dict[int, str]:
    expected = " | ".join(h for h, _ in COLUMNS)
    found: dict[int, str] = {}
    unknown = []
    for index, cell in enumerate(header):
        if cell is None or not str(cell).strip():
            continue
        key = _BY_HEADER.get(_header_key(str(cell)))
        if key is None:
            unknown.append(f"{get_column_letter(index + 1)} \"{cell}\"")
        else:
            found[index] = key
    missing = [h for h, k in COLUMNS if k in REQUIRED and k not in found.values()]
    if unknown or missing:
        problems = (f"cột không nhận ra: {', '.join(unknown)}; " if unknown else "") + \
            (f"thiếu cột: {', '.join(missing)}; " if missing else "")
        raise QuestionFileError(f"{label}, sheet {sheet}: tiêu đề cột sai "
                                f"({problems}cần các cột: {expected})",
                                f"bad header row: unknown={unknown} missing={missing}")
    return found


def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Read the question-bank template; see the module docstring."""
    label = file_label(filename)
    sheet = _open(data, label)
    rows = sheet.iter_rows()
    header = next(rows, None)
    if header is None:
        raise QuestionFileError(f"{label}: sheet {sheet.title} trống", "empty sheet")
    columns = _columns(tuple(c.value for c in header), label, sheet.title)
    report = ImportReport()
    for cells in rows:
        if all(c.value is None for c in cells):
            continue
        if report.found >= MAX_QUESTIONS:
            raise QuestionFileError(f"{label}: tệp có quá nhiều câu hỏi (hơn {MAX_QUESTIONS:,})",
                                    "too many rows")
        _read_row(cells, columns, sheet.title, report)
    log.info("xlsx %s: %d questions, %d rejected", label, len(report.questions), len(report.rejected))
    return report


def _read_row(cells: tuple[Any, ...], columns: dict[int, str], sheet: str, report: ImportReport) -> None:
    number = next(c.row for c in cells if hasattr(c, "row"))
    formulas = [f"{c.column_letter} ({_header_of(columns, i)})" for i, c in enumerate(cells)
                if getattr(c, "data_type", None) == "f"]
    row = _Row(sheet, number, {columns[i]: c.value for i, c in enumerate(cells) if i in columns})
    if formulas:
        reason = (f"ô chứa công thức ở cột {', '.join(formulas)}; "
                  "hãy dán giá trị (Paste Values) thay cho công thức")
        report.rejected.append(Rejection(where=row.where, reason=reason))
        return
    try:
        question = _question(row)
    except _Reject as exc:
        report.rejected.append(Rejection(where=row.where, reason=str(exc)))
        return
    report.questions.append(question)


def _header_of(columns: dict[int, str], index: int) -> str:
    key = columns.get(index)
    return next((h for h, k in COLUMNS if k == key), "ngoài bảng")


def _question(row: _Row) -> Question:
    code = row.text("type").upper()
    if code not in TYPES:
        raise _Reject(f"cột Loại có giá trị \"{row.text('type')}\"; cần một trong I, II, III, TL")
    stem = row.text("stem")
    if not stem:
        raise _Reject("cột Câu hỏi trống")
    question = Question(type=TYPES[code], stem=plain_to_html(stem), source_ref=f"row {row.number}",
                        explanation=plain_to_html(row.text("explanation")), topic=row.text("topic"),
                        subject=row.text("subject"))
    _metadata(question, row)
    _FILLERS[question.type](question, row)
    texts = [question.stem, question.explanation, *(o.text for o in question.options)]
    if reason := text_too_long(*texts, *(s.text for s in question.statements)):
        raise _Reject(reason)
    return question


def _metadata(question: Question, row: _Row) -> None:
    level = row.text("level")
    if level:
        code = LEVELS.get(level.lower())
        if code is None:
            raise _Reject(f"cột Mức độ có giá trị \"{level}\"; cần Biết, Hiểu, Vận dụng hoặc Vận dụng cao")
        question.cognitive_level = code
    grade = row.text("grade")
    if grade:
        if not grade.isdigit() or not 1 <= int(grade) <= 12:
            raise _Reject(f"cột Lớp có giá trị \"{grade}\"; cần một số từ 1 đến 12")
        question.grade = int(grade)


def _options(row: _Row) -> list[tuple[str, str]]:
    return [(letter.upper(), row.text(letter)) for letter in "abcd" if row.text(letter)]


def _fill_choice(question: Question, row: _Row) -> None:
    options = _options(row)
    if len(options) < 2:
        raise _Reject("câu loại I cần ít nhất hai phương án ở các cột A–D")
    key = {k for k in re.split(r"[\s,;]+", row.text("key").upper()) if k}
    letters = {letter for letter, _ in options}
    if not key:
        raise _Reject("cột Đáp án trống")
    if not key <= letters:
        raise _Reject(f"cột Đáp án có \"{row.text('key')}\"; cần chữ cái của một phương án đã có (A–D)")
    if len(key) > 1:
        question.type = QuestionType.MULTIPLE_CHOICE
    question.options = [Option(text=plain_to_html(text), correct=letter in key) for letter, text in options]


def _fill_true_false(question: Question, row: _Row) -> None:
    statements = _options(row)
    if len(statements) != 4:
        raise _Reject(f"câu loại II cần đúng 4 mệnh đề ở các cột A–D, ở đây có {len(statements)}")
    key = parse_true_false_key(row.text("key"))
    if key is None or set(key) != {"a", "b", "c", "d"}:
        raise _Reject(f"cột Đáp án có \"{row.text('key')}\"; cần dạng ĐSĐS hoặc a) Đ, b) S, c) Đ, d) S")
    question.statements = [Statement(label=letter.lower(), text=plain_to_html(text),
                                     is_true=key[letter.lower()]) for letter, text in statements]


def _fill_short(question: Question, row: _Row) -> None:
    value = row.text("key")
    if not value:
        raise _Reject("cột Đáp án trống")
    question.answers = [ShortAnswerKey(value=value, numeric=parse_number(value))]


def _fill_essay(question: Question, row: _Row) -> None:
    question.model_answer, question.explanation = question.explanation, ""


_FILLERS = {
    QuestionType.SINGLE_CHOICE: _fill_choice,
    QuestionType.TRUE_FALSE_CLUSTER: _fill_true_false,
    QuestionType.SHORT_ANSWER: _fill_short,
    QuestionType.ESSAY: _fill_essay,
}
