"""GIFT import and export (Moodle's plain-text question format).

The reader is a small hand-written parser: lines starting with ``//`` are comments, blank lines separate
questions, and each question is tokenised into characters that remember whether they were escaped
(``\\~ \\= \\# \\{ \\} \\: \\\\``, ``\\n`` for a line break) and on which line they stand, so structure is
only ever found in unescaped characters and every error can name its line.

Supported: ``$CATEGORY:``, ``::title::``, ``[html]``/``[moodle]``/``[plain]``/``[markdown]`` format tags
(answers and feedback inherit the question's format), multiple choice with ``=``/``~`` and ``%weight%``,
true/false (``{T}``, ``{TRUE}``, ``{F}``, ``{FALSE}`` with right/wrong feedback), short answer
(``{=a =b}``; only full-credit answers are keys), numeric (``{#1.5:0.1}``, ``{#1..2}``, several ``=``
answers; a decimal comma is accepted), essay (``{}``), per-answer feedback ``#`` and general feedback
``####``. Text after the braces makes a "missing word" question: the stem gets ``_____`` where the
braces were. Matching questions and descriptions (no braces) are rejected with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.questions.html import TextFormat, html_to_plain, to_html
from ingest.questions.limits import (
    MAX_TEXT_CHARS,
    check_question_count,
    decode_text,
    file_label,
    format_number,
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
)
from ingest.questions.moodle_xml import FALSE_TEXT, TRUE_TEXT, category_topic, expand_clusters, is_true_false

BLANK = "_____"
_ESCAPABLE = "~=#{}:\\"
_FORMAT_TAG = re.compile(r"\s*\[(html|moodle|plain|markdown)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_FULL_CREDIT = 0.9999999


class _Rejected(Exception):
    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.line = line


@dataclass(frozen=True)
class _Char:
    char: str
    escaped: bool
    line: int


_Seq = list[_Char]


# ---------------------------------------------------------------------------------------- tokenising


def _tokenise(text: str, first_line: int) -> _Seq:
    chars: _Seq = []
    line = first_line
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if char == "\\" and (following in _ESCAPABLE or following == "n") and following:
            chars.append(_Char("\n" if following == "n" else following, True, line))
            index += 2
            continue
        chars.append(_Char(char, False, line))
        line += char == "\n"
        index += 1
    return chars


def _literal(seq: _Seq) -> str:
    return "".join(char.char for char in seq)


def _find(seq: _Seq, target: str, start: int = 0) -> int:
    """Index of the first unescaped occurrence of ``target`` at or after ``start``, or -1."""
    width = len(target)
    for index in range(start, len(seq) - width + 1):
        window = seq[index:index + width]
        if all(not char.escaped for char in window) and _literal(window) == target:
            return index
    return -1


def _strip(seq: _Seq) -> _Seq:
    start, end = 0, len(seq)
    while start < end and seq[start].char.isspace() and not seq[start].escaped:
        start += 1
    while end > start and seq[end - 1].char.isspace() and not seq[end - 1].escaped:
        end -= 1
    return seq[start:end]


def _split_markers(seq: _Seq) -> tuple[_Seq, list[tuple[str, _Seq]]]:
    """Split an answer list at unescaped ``=`` and ``~``: (text before the first, [(marker, answer)…])."""
    cuts = [index for index, char in enumerate(seq) if char.char in "=~" and not char.escaped]
    if not cuts:
        return seq, []
    ends = [*cuts[1:], len(seq)]
    answers = [(seq[cut].char, seq[cut + 1:end]) for cut, end in zip(cuts, ends, strict=True)]
    return seq[:cuts[0]], answers


@dataclass
class _Block:
    line: int
    lines: list[str]


def _blocks(text: str) -> list[_Block]:
    """Split the file at blank lines, dropping ``//`` comment lines (they keep their line numbers)."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            current = None
            continue
        if current is None:
            current = _Block(number, [])
            blocks.append(current)
        current.lines.append(line)
    return blocks


# ---------------------------------------------------------------------------------------- parsing


def _formatted(seq: _Seq, default: TextFormat) -> str:
    text = _literal(seq)
    tag = _FORMAT_TAG.match(text)
    if tag:
        return to_html(text[tag.end():], TextFormat(tag.group(1)))
    return to_html(text, default)


def _question_format(seq: _Seq) -> TextFormat:
    tag = _FORMAT_TAG.match(_literal(seq))
    return TextFormat(tag.group(1)) if tag else TextFormat.MOODLE


def _weight(seq: _Seq) -> tuple[float | None, _Seq]:
    """Read an optional ``%50%`` weight at the start of an answer: (fraction or None, the rest)."""
    seq = _strip(seq)
    if not seq or seq[0].char != "%" or seq[0].escaped:
        return None, seq
    close = _find(seq, "%", 1)
    value = parse_number(_literal(seq[1:close])) if close > 0 else None
    if value is None or not -100 <= value <= 100:
        raise _Rejected(f"Trọng số '{_literal(seq[:close + 1] if close > 0 else seq)}' không hợp lệ "
                        "(cần dạng %50%)", seq[0].line)
    return value / 100, seq[close + 1:]


def _split_feedback(seq: _Seq) -> tuple[_Seq, _Seq]:
    hash_at = _find(seq, "#")
    return (seq, []) if hash_at < 0 else (seq[:hash_at], seq[hash_at + 1:])


@dataclass
class _Answer:
    marker: str
    weight: float | None
    text: _Seq
    feedback: _Seq

    @property
    def credit(self) -> float:
        if self.weight is not None:
            return self.weight
        return 1.0 if self.marker == "=" else 0.0


def _answers(items: list[tuple[str, _Seq]]) -> list[_Answer]:
    answers = []
    for marker, seq in items:
        weight, rest = _weight(seq)
        text, feedback = _split_feedback(rest)
        answers.append(_Answer(marker, weight, _strip(text), feedback))
    return answers


def _choice(question: Question, body: _Seq, fmt: TextFormat) -> None:
    before, items = _split_markers(body)
    if _strip(before):
        raise _Rejected(f"Phương án phải bắt đầu bằng '=' hoặc '~': '{_literal(_strip(before))}'",
                        _strip(before)[0].line)
    answers = _answers(items)
    if len(answers) < 2:
        raise _Rejected(f"Câu trắc nghiệm cần ít nhất 2 phương án, chỉ có {len(answers)}")
    full = sum(answer.credit >= _FULL_CREDIT for answer in answers)
    if full > 1:
        raise _Rejected(f"Câu một đáp án có {full} phương án đúng 100% (chỉ được có một; câu nhiều đáp án "
                        "hãy ghi trọng số, ví dụ ~%50%)")
    if full == 0 and not any(answer.credit > 0 for answer in answers):
        raise _Rejected("Câu trắc nghiệm không có phương án đúng")
    question.type = QuestionType.SINGLE_CHOICE if full == 1 else QuestionType.MULTIPLE_CHOICE
    question.options = [
        Option(text=_formatted(answer.text, fmt),
               correct=answer.credit >= _FULL_CREDIT if full == 1 else answer.credit > 0,
               feedback=_formatted(answer.feedback, fmt), fraction=answer.weight)
        for answer in answers]


def _true_false(question: Question, body: _Seq, fmt: TextFormat) -> None:
    parts = []
    rest = body
    while (hash_at := _find(rest, "#")) >= 0 and len(parts) < 2:
        parts.append(rest[:hash_at])
        rest = rest[hash_at + 1:]
    parts.append(rest)
    verdict = _TRUE_FALSE[_literal(parts[0]).strip().upper()]
    right = _formatted(parts[1], fmt) if len(parts) > 1 else ""
    wrong = _formatted(parts[2], fmt) if len(parts) > 2 else ""
    question.type = QuestionType.SINGLE_CHOICE
    question.options = [Option(TRUE_TEXT, correct=verdict, feedback=right if verdict else wrong),
                        Option(FALSE_TEXT, correct=not verdict, feedback=wrong if verdict else right)]


def _short_answer(question: Question, body: _Seq) -> None:
    before, items = _split_markers(body)
    answers = _answers(items) if items else [_Answer("=", None, _strip(before), [])]
    keys = []
    for answer in answers:
        value = html_to_plain(_FORMAT_TAG.sub("", _literal(answer.text), count=1))
        if answer.credit >= _FULL_CREDIT and value and value != "*":
            keys.append(ShortAnswerKey(value=value, numeric=parse_number(value)))
    if not keys:
        raise _Rejected("Câu trả lời ngắn không có đáp án đúng 100%")
    question.type = QuestionType.SHORT_ANSWER
    question.answers = keys


def _numeric_key(seq: _Seq) -> ShortAnswerKey:
    spec = _literal(seq).strip()
    low, dots, high = spec.partition("..")
    value, colon, tolerance_text = spec.partition(":")
    if dots:
        bounds = parse_number(low), parse_number(high)
        if bounds[0] is None or bounds[1] is None or bounds[1] < bounds[0]:
            raise _Rejected(f"Khoảng đáp án số '{spec}' không hợp lệ", seq[0].line if seq else None)
        return ShortAnswerKey(spec, (bounds[0] + bounds[1]) / 2, (bounds[1] - bounds[0]) / 2)
    numeric = parse_number(value)
    tolerance = parse_number(tolerance_text) if colon else 0.0
    if numeric is None or tolerance is None or tolerance < 0:
        raise _Rejected(f"Đáp án số '{spec}' không hợp lệ (cần dạng 1,5 hoặc 1.5:0.1 hoặc 1..2)",
                        seq[0].line if seq else None)
    return ShortAnswerKey(value.strip(), numeric, tolerance)


def _numeric(question: Question, body: _Seq) -> None:
    before, items = _split_markers(body[1:])
    if _strip(before):
        items = [("=", before), *items]
    keys = []
    for answer in _answers(items):
        if answer.marker == "=" and answer.credit >= _FULL_CREDIT:
            keys.append(_numeric_key(answer.text))
    if not keys:
        raise _Rejected("Câu hỏi số không có đáp án đúng 100%")
    question.type = QuestionType.SHORT_ANSWER
    question.answers = keys


def _read_body(question: Question, body: _Seq, fmt: TextFormat) -> None:
    general = _find(body, "####")
    if general >= 0:
        question.explanation = _formatted(body[general + 4:], fmt)
        body = body[:general]
    body = _strip(body)
    literal = _literal(body)
    head = _literal(_split_feedback(body)[0]).strip().upper()
    if not body:
        question.type = QuestionType.ESSAY
    elif body[0].char == "#" and not body[0].escaped:
        _numeric(question, body)
    elif _find(body, "~") >= 0:
        _choice(question, body, fmt)
    elif _find(body, "=") >= 0 and "->" in literal:
        raise _Rejected("Loại câu hỏi ghép đôi (matching) chưa được hỗ trợ")
    elif head in _TRUE_FALSE:
        _true_false(question, body, fmt)
    else:
        _short_answer(question, body)


def _braces(seq: _Seq) -> tuple[int, int]:
    """Positions of the answer braces, or a rejection naming the line of an unbalanced brace."""
    opening = _find(seq, "{")
    stray = _find(seq, "}")
    if stray >= 0 and (opening < 0 or stray < opening):
        raise _Rejected("Dấu '}' không có dấu '{' mở tương ứng", seq[stray].line)
    if opening < 0:
        raise _Rejected("Đoạn văn không có phần đáp án {…}: mô tả (description) không được nhập như câu hỏi")
    closing = _find(seq, "}", opening + 1)
    nested = _find(seq, "{", opening + 1)
    if closing < 0:
        raise _Rejected(f"Dấu '{{' ở dòng {seq[opening].line} chưa được đóng bằng '}}'", seq[opening].line)
    if 0 <= nested < closing:
        raise _Rejected(f"Dấu '{{' ở dòng {seq[opening].line} chưa được đóng trước dấu '{{' ở dòng "
                        f"{seq[nested].line}", seq[opening].line)
    extra = [index for index in (_find(seq, "{", closing + 1), _find(seq, "}", closing + 1)) if index >= 0]
    if extra:
        raise _Rejected("Mỗi câu hỏi chỉ được có một phần đáp án {…}", seq[min(extra)].line)
    return opening, closing


def _title(seq: _Seq) -> tuple[str, _Seq]:
    seq = _strip(seq)
    if _find(seq[:2], "::") != 0:
        return "", seq
    end = _find(seq, "::", 2)
    if end < 0:
        raise _Rejected("Tiêu đề '::…::' chưa được đóng", seq[0].line)
    return html_to_plain(_literal(seq[2:end])), _strip(seq[end + 2:])


def _question(seq: _Seq, topic: str) -> Question:
    name, seq = _title(seq)
    opening, closing = _braces(seq)
    fmt = _question_format(seq)
    before, after = seq[:opening], seq[closing + 1:]
    stem_seq = [*before, *[_Char(char, True, 0) for char in BLANK], *after] if _strip(after) else before
    question = Question(type=QuestionType.ESSAY, stem=_formatted(stem_seq, fmt), name=name, topic=topic,
                        source_ref=f"line {seq[0].line}")
    _read_body(question, seq[opening + 1:closing], fmt)
    texts = [question.stem, question.explanation, question.name, *(key.value for key in question.answers)]
    texts += [part for option in question.options for part in (option.text, option.feedback)]
    if reason := text_too_long(*texts):
        raise _Rejected(reason)
    return question


_CATEGORY = "$CATEGORY:"


def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Read a GIFT file; each malformed question becomes a rejection naming its line."""
    report = ImportReport()
    topic = ""
    for block in _blocks(decode_text(data, filename)):
        lines = block.lines
        first_line = block.line
        if lines[0].lstrip().startswith(_CATEGORY):
            topic = category_topic(lines[0].split(_CATEGORY, 1)[1].strip())
            lines, first_line = lines[1:], first_line + 1
            if not lines:
                continue
        source = "\n".join(lines)
        try:
            if len(source) > 2 * MAX_TEXT_CHARS:
                raise _Rejected(f"Câu hỏi quá dài ({len(source):,} ký tự); "
                                "có thể thiếu dòng trống giữa các câu")
            report.questions.append(_question(_tokenise(source, first_line), topic))
        except _Rejected as rejected:
            where = f"{file_label(filename)}, dòng {rejected.line or first_line}"
            report.rejected.append(Rejection(where=where, reason=str(rejected)))
        check_question_count(report.found, filename)
    return report


# ---------------------------------------------------------------------------------------- writing


def escape(text: str) -> str:
    """Escape GIFT's control characters (and line breaks) in ``text``."""
    escaped = "".join(f"\\{char}" if char in _ESCAPABLE else char for char in text)
    return escaped.replace("\n", "\\n")


def _feedback(text: str) -> str:
    return f"#{escape(text)}" if text else ""


_DOT_NUMBER = r"-?\d+(?:\.\d+)?"


def _numeric_spec(key: ShortAnswerKey) -> str:
    value = key.value.strip()
    if re.fullmatch(rf"{_DOT_NUMBER}\.\.{_DOT_NUMBER}", value):
        return value
    number = value if re.fullmatch(_DOT_NUMBER, value) else format_number(key.numeric or 0.0)
    return f"{number}:{format_number(key.tolerance)}" if key.tolerance else number


def _option_marker(option: Option, question: Question) -> str:
    if question.type is QuestionType.MULTIPLE_CHOICE:
        if option.fraction is None and not option.correct:
            return "~"
        share = 1 / sum(other.correct for other in question.options)
        fraction = option.fraction if option.fraction is not None else share
        return f"~%{format_number(fraction * 100)}%"
    prefix = "=" if option.correct else "~"
    return prefix if option.fraction is None else f"{prefix}%{format_number(option.fraction * 100)}%"


def _body(question: Question) -> list[str]:
    if question.type is QuestionType.ESSAY:
        return []
    if is_true_false(question):
        correct, wrong = sorted(question.options, key=lambda option: not option.correct)
        verdict = "TRUE" if question.options[0].correct else "FALSE"
        feedback = f"#{escape(correct.feedback)}#{escape(wrong.feedback)}" if wrong.feedback else \
            _feedback(correct.feedback)
        return [f"{verdict}{feedback}"]
    if question.type is QuestionType.SHORT_ANSWER:
        if all(key.numeric is not None for key in question.answers):
            return ["#", *(f"={_numeric_spec(key)}" for key in question.answers)]
        return [f"={escape(key.value)}" for key in question.answers]
    return [f"{_option_marker(option, question)}{escape(option.text)}{_feedback(option.feedback)}"
            for option in question.options]


def _write(question: Question) -> str:
    title = f"::{escape(question.name)}::" if question.name else ""
    body = _body(question)
    if question.explanation:
        body.append(f"####{escape(question.explanation)}")
    inner = "".join(f"\n\t{line}" for line in body)
    if body and body[0] == "#":
        inner = "#" + "".join(f"\n\t{line}" for line in body[1:])
    closing = "\n}" if body else "}"
    return f"{title}[html]{escape(question.stem)}{{{inner}{closing}\n"


def export(questions: Iterable[Question]) -> bytes:
    """Write questions as GIFT (UTF-8), with ``$CATEGORY:`` whenever the topic changes.

    GIFT carries no images, points, essay model answers or partial-credit short-answer keys; those are
    left out. A true/false cluster becomes four true/false questions ``"<name> a)"`` … (see
    :func:`ingest.questions.moodle_xml.export`), so the grouping is lost.
    """
    parts = []
    topic = ""
    for question in expand_clusters(questions):
        if question.topic != topic:
            parts.append(f"$CATEGORY: $course$/top/{question.topic}\n")
            topic = question.topic
        parts.append(_write(question))
    return "\n".join(parts).encode("utf-8")
