"""Versions of a paper (mã đề): the drawn questions in a shuffled order within each part, options of
part I shuffled with the key following them, and the answer key of each version plus a combined table.

Statements of a true/false cluster keep their a)–d) order: authors often build b) on a), so reordering
them would change the question. Numbering restarts in every part, as on the 2025 exam.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ingest.questions.html import html_to_plain
from ingest.questions.model import Question, QuestionType
from repository.papers.draw import Candidate, Draw
from repository.papers.matrix import PARTS, Matrix

OPTION_LABELS = "ABCDEFGHIJ"
FIRST_VERSION_CODE = 101
KEY_TEXT_LENGTH = 80  # an essay's model answer is cut to this in key tables


@dataclass(frozen=True)
class DrawnQuestion:
    part: str
    candidate: Candidate
    topic: str
    level: str


def version_codes(count: int) -> list[str]:
    """Three-digit codes as printed on Vietnamese papers: 101, 102, …"""
    return [str(FIRST_VERSION_CODE + i) for i in range(count)]


def _shuffle_options(question: Question, rng: random.Random) -> tuple[list[dict[str, str]], str]:
    order = list(range(len(question.options)))
    rng.shuffle(order)
    options, key = [], ""
    for label, index in zip(OPTION_LABELS, order, strict=False):
        option = question.options[index]
        options.append({"label": label, "text": option.text})
        if option.correct:
            key = label
    return options, key


def _short_answer_key(question: Question) -> list[dict[str, Any]]:
    return [{"value": a.value, "numeric": a.numeric, "tolerance": a.tolerance} for a in question.answers]


def _entry(drawn: DrawnQuestion, number: int, points: float, rng: random.Random) -> tuple[dict, dict]:
    """The question as shown to candidates, and its key entry (what grading and printing need)."""
    question = drawn.candidate.question
    assert question is not None, "drawn questions are loaded before versions are built"
    shown: dict[str, Any] = {"part": drawn.part, "number": number, "type": question.type.value,
                             "stem": question.stem, "points": points, "topic": drawn.topic, "level": drawn.level,
                             "source": {"bank_id": drawn.candidate.bank_id,
                                        "question_id": drawn.candidate.question_id,
                                        "version_id": drawn.candidate.version_id}}
    key: dict[str, Any] = {"part": drawn.part, "number": number, "points": points}
    if question.type is QuestionType.SINGLE_CHOICE:
        shown["options"], key["answer"] = _shuffle_options(question, rng)
    elif question.type is QuestionType.TRUE_FALSE_CLUSTER:
        shown["statements"] = [{"label": s.label, "text": s.text} for s in question.statements]
        key["answer"] = {s.label: s.is_true for s in question.statements}
    elif question.type is QuestionType.ESSAY:
        key["answer"] = question.model_answer
    else:
        key["answer"] = question.answers[0].value if question.answers else ""
        key["accepted"] = _short_answer_key(question)
    key["explanation"] = question.explanation
    return shown, key


def _by_part(result: Draw) -> dict[str, list[DrawnQuestion]]:
    parts: dict[str, list[DrawnQuestion]] = {code: [] for code in PARTS}
    for cell, chosen in result.picked:
        parts[cell.part].extend(DrawnQuestion(cell.part, c, cell.topic, cell.level) for c in chosen)
    return parts


def build_versions(result: Draw, matrix: Matrix, seed: str, count: int) -> list[dict[str, Any]]:
    """``count`` versions, each ``{"code", "questions", "key"}``; the same seed gives the same versions."""
    parts = _by_part(result)
    versions = []
    for code in version_codes(count):
        rng = random.Random(f"version\x1f{seed}\x1f{code}")  # noqa: S311 (shuffling, not security)
        questions, key = [], []
        for part, drawn in parts.items():
            order = list(drawn)
            rng.shuffle(order)
            for number, item in enumerate(order, start=1):
                shown, answer = _entry(item, number, matrix.points[part], rng)
                questions.append(shown)
                key.append(answer)
        versions.append({"code": code, "questions": questions, "key": key})
    return versions


def answer_text(entry: dict[str, Any]) -> str:
    """A key entry as printed in a key table: ``B``, ``a) Đ b) S c) Đ d) S``, ``-1,5``, or the start of an
    essay's model answer."""
    answer = entry.get("answer")
    if entry.get("part") == "TL":
        text = " ".join(html_to_plain(str(answer or "")).split())
        return text if len(text) <= KEY_TEXT_LENGTH else text[:KEY_TEXT_LENGTH - 1] + "…"
    if isinstance(answer, dict):
        return " ".join(f"{label}) {'Đ' if value else 'S'}" for label, value in answer.items())
    return str(answer)


def combined_key(versions: list[dict[str, Any]]) -> dict[str, Any]:
    """One table for all versions: a row per (part, number), a column per version code."""
    codes = [v["code"] for v in versions]
    rows: dict[tuple[str, int], dict[str, str]] = {}
    for version in versions:
        for entry in version["key"]:
            rows.setdefault((entry["part"], entry["number"]), {})[version["code"]] = answer_text(entry)
    return {"codes": codes, "rows": [{"part": part, "number": number, "answers": [row.get(c, "") for c in codes]}
                                     for (part, number), row in rows.items()]}
