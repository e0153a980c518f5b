"""Conversion between the importers' Question dataclass and the stored QuestionVersion rows."""

from __future__ import annotations

from typing import Any

from ingest.questions.model import Image, Option, Question, QuestionType, ShortAnswerKey, Statement
from repository.banks.models import QuestionVersion

#: Columns copied as they are between a Question and a QuestionVersion.
PLAIN_FIELDS = ("stem", "explanation", "name", "subject", "grade", "topic", "cognitive_level", "difficulty",
                "points", "source_ref")


def question_data(question: Question) -> dict[str, Any]:
    """The type-specific part of a question, as JSON."""
    return {
        "options": [{"text": o.text, "correct": o.correct, "feedback": o.feedback, "fraction": o.fraction}
                    for o in question.options],
        "statements": [{"label": s.label, "text": s.text, "is_true": s.is_true} for s in question.statements],
        "answers": [{"value": a.value, "numeric": a.numeric, "tolerance": a.tolerance} for a in question.answers],
        "model_answer": question.model_answer,
    }


def fill_version(version: QuestionVersion, question: Question) -> QuestionVersion:
    version.type = question.type.value
    for name in PLAIN_FIELDS:
        setattr(version, name, getattr(question, name))
    version.name = (question.name or "")[:300]
    version.topic = (question.topic or "")[:300]
    version.data = question_data(question)
    return version


def to_question(version: QuestionVersion, images: list[Image] | None = None) -> Question:
    """Rebuild the Question of a stored version (image bytes are passed in by the caller, who has the
    blob store; without them the question carries none)."""
    data = version.data or {}
    return Question(
        type=QuestionType(version.type),
        options=[Option(**o) for o in data.get("options", [])],
        statements=[Statement(**s) for s in data.get("statements", [])],
        answers=[ShortAnswerKey(**a) for a in data.get("answers", [])],
        model_answer=data.get("model_answer", ""),
        images=list(images or []),
        **{name: getattr(version, name) for name in PLAIN_FIELDS},
    )
