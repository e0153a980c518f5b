"""A question edited through the API: JSON in, a checked Question out (HTML sanitised, keys consistent).

The checks are those the importers make, as a table per type, so an edit cannot store what an import would
reject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ingest.questions.html import clean_html, html_to_plain
from ingest.questions.limits import parse_number, text_too_long
from ingest.questions.model import Option, Question, QuestionType, ShortAnswerKey, Statement

STATEMENT_LABELS = ["a", "b", "c", "d"]


class QuestionInputError(ValueError):
    def __init__(self, field: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.field, self.message_vi = field, message_vi


def _single(q: Question) -> None:
    if len(q.options) < 2 or sum(o.correct for o in q.options) != 1:
        raise QuestionInputError("options", "Câu một đáp án cần ít nhất 2 phương án và đúng một phương án đúng.")


def _multiple(q: Question) -> None:
    if len(q.options) < 2 or not any(o.correct for o in q.options):
        raise QuestionInputError("options", "Câu nhiều đáp án cần ít nhất 2 phương án và một phương án đúng.")


def _cluster(q: Question) -> None:
    if [s.label for s in q.statements] != STATEMENT_LABELS:
        raise QuestionInputError("statements", "Câu đúng/sai cần đúng 4 mệnh đề a), b), c), d).")


def _short(q: Question) -> None:
    if not q.answers or any(not a.value for a in q.answers):
        raise QuestionInputError("answers", "Câu trả lời ngắn cần ít nhất một đáp án.")


CHECKS: dict[QuestionType, Callable[[Question], None]] = {
    QuestionType.SINGLE_CHOICE: _single, QuestionType.MULTIPLE_CHOICE: _multiple,
    QuestionType.TRUE_FALSE_CLUSTER: _cluster, QuestionType.SHORT_ANSWER: _short, QuestionType.ESSAY: lambda q: None,
}


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name, "")
    if not isinstance(value, str):
        raise QuestionInputError(name, f"Trường '{name}' phải là chuỗi ký tự.")
    return value


def _number(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    number = parse_number(str(value))
    if number is None:
        raise QuestionInputError(name, f"Trường '{name}' phải là số.")
    return number


def _key(raw: dict[str, Any]) -> ShortAnswerKey:
    value = html_to_plain(str(raw.get("value", "")))
    tolerance = _number(raw.get("tolerance"), "answers") or 0.0
    if tolerance < 0:
        raise QuestionInputError("answers", "Sai số không được âm.")
    return ShortAnswerKey(value=value, numeric=parse_number(value), tolerance=tolerance)


def _grade(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not str(value).isdigit() or not 1 <= int(value) <= 12:
        raise QuestionInputError("grade", "Lớp phải là số từ 1 đến 12.")
    return int(value)


def question_from_json(payload: Any, base: Question) -> Question:
    """The edited question: fields given in ``payload`` replace those of ``base``."""
    if not isinstance(payload, dict):
        raise QuestionInputError("body", "Nội dung gửi lên phải là một đối tượng JSON.")
    try:
        question = _build({**_as_json(base), **payload}, base)
    except QuestionInputError:
        raise
    except (ValueError, TypeError, AttributeError) as exc:
        raise QuestionInputError("type", "Loại câu hỏi hoặc cấu trúc dữ liệu không hợp lệ.") from exc
    if not html_to_plain(question.stem) and "<img" not in question.stem:
        raise QuestionInputError("stem", "Hãy nhập nội dung câu hỏi.")
    texts = [question.stem, question.explanation, question.model_answer, *(o.text for o in question.options)]
    if reason := text_too_long(*texts):
        raise QuestionInputError("stem", reason)
    CHECKS[question.type](question)
    return question


def _build(merged: dict[str, Any], base: Question) -> Question:
    html_fields = {name: clean_html(_text(merged, name)) for name in ("stem", "explanation", "model_answer")}
    plain_fields = {name: html_to_plain(_text(merged, name)) for name in ("name", "subject", "topic",
                                                                         "cognitive_level")}
    return Question(
        type=QuestionType(merged.get("type")), **html_fields, **plain_fields, grade=_grade(merged.get("grade")),
        difficulty=_number(merged.get("difficulty"), "difficulty"), points=_number(merged.get("points"), "points"),
        options=[Option(clean_html(str(o.get("text", ""))), bool(o.get("correct")),
                        clean_html(str(o.get("feedback", ""))), _number(o.get("fraction"), "options"))
                 for o in merged.get("options") or []],
        statements=[Statement(str(s.get("label", "")), clean_html(str(s.get("text", ""))), bool(s.get("is_true")))
                    for s in merged.get("statements") or []],
        answers=[_key(a) for a in merged.get("answers") or []],
        images=base.images, source_ref=base.source_ref)


def _as_json(question: Question) -> dict[str, Any]:
    fields = asdict(question)
    fields["type"] = question.type.value
    del fields["images"], fields["source_ref"]
    return fields
