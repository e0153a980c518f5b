"""Practice mode: a student's answers to one version of a published paper, graded and kept.

Answers arrive from the JSON API (``{"I.1": "B", "II.1": {"a": true, …}, "III.1": "-1,5"}``) or from the
practice page's form, which :func:`answers_from_form` turns into the same shape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from repository.models import User
from repository.papers.grading import MAX_ANSWER_LENGTH, answer_id, grade
from repository.papers.models import PracticeAttempt, TestPaper

MAX_ESSAY_LENGTH = 20_000
#: Form values of a true/false statement -> the boolean the key holds.
TRUE_FALSE_VALUES = {"dung": True, "sai": False}


def answers_from_form(form: MultiDict, key: list[dict[str, Any]]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for entry in key:
        name = answer_id(entry["part"], entry["number"])
        if entry["part"] == "II":
            answers[name] = {label: TRUE_FALSE_VALUES[form[f"{name}.{label}"]] for label in entry["answer"]
                             if form.get(f"{name}.{label}") in TRUE_FALSE_VALUES}
        elif form.get(name, "").strip():
            answers[name] = form[name].strip()[:MAX_ESSAY_LENGTH if entry["part"] == "TL" else MAX_ANSWER_LENGTH]
    return answers


def kept_answers(answers: dict[str, Any], key: list[dict[str, Any]]) -> dict[str, Any]:
    """Only answers of the right shape to questions of the version, bounded in size, are stored: a string
    for parts I, III and essays, statement label -> boolean for part II."""
    parts = {answer_id(e["part"], e["number"]): e["part"] for e in key}
    kept: dict[str, Any] = {}
    for name, value in answers.items():
        part = parts.get(name)
        if part in {"I", "III"} and isinstance(value, str):
            kept[name] = value[:MAX_ANSWER_LENGTH]
        elif part == "TL" and isinstance(value, str):
            kept[name] = value[:MAX_ESSAY_LENGTH]
        elif part == "II" and isinstance(value, dict):
            kept[name] = {k: v for k, v in list(value.items())[:8] if isinstance(k, str) and isinstance(v, bool)}
    return kept


def record_attempt(session: Session, user: User, paper: TestPaper, version: dict[str, Any],
                   answers: dict[str, Any]) -> dict[str, Any]:
    """Grade and store one attempt; the caller commits."""
    kept = kept_answers(answers, version["key"])
    result = grade(version["key"], kept)
    session.add(PracticeAttempt(paper_id=paper.id, user_id=user.id, version_code=version["code"], answers=kept,
                                result=result, score=result["score"], max_score=result["max_score"]))
    session.flush()
    return result


def attempts_of(session: Session, user: User, paper: TestPaper) -> list[PracticeAttempt]:
    return list(session.scalars(select(PracticeAttempt).where(PracticeAttempt.paper_id == paper.id,
                                                              PracticeAttempt.user_id == user.id)
                                .order_by(PracticeAttempt.id.desc()).limit(20)))
