"""The question records every importer produces and every exporter reads.

Questions are first-class records, not text blobs: the three parts of the 2025 upper-secondary exam
(single-answer multiple choice, the four-statement true/false cluster, short answer) plus multiple-answer
multiple choice and essay. Text fields hold sanitised HTML (see :func:`ingest.questions.html.clean_html`)
or plain text; LaTeX stays as written between ``\\(`` … ``\\)`` or ``$`` … ``$``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"      # part I: exactly one correct option
    MULTIPLE_CHOICE = "multiple_choice"  # several correct options
    TRUE_FALSE_CLUSTER = "true_false"    # part II: a stem and four statements a)–d), each true or false
    SHORT_ANSWER = "short_answer"        # part III: a number (decimal comma or point) or an exact text
    ESSAY = "essay"                      # free answer with a model answer


@dataclass
class Option:
    text: str
    correct: bool = False
    feedback: str = ""
    fraction: float | None = None  # Moodle-style partial credit, -1.0..1.0, when the source gives one


@dataclass
class Statement:
    """One statement of a true/false cluster (part II)."""

    label: str  # "a", "b", "c", "d"
    text: str
    is_true: bool


@dataclass
class ShortAnswerKey:
    value: str                      # as written by the author, e.g. "-1,5" or "Hà Nội"
    numeric: float | None = None    # parsed value when the key is a number
    tolerance: float = 0.0          # absolute tolerance for numeric keys


@dataclass
class Image:
    name: str
    content_type: str
    data: bytes


@dataclass
class Question:
    type: QuestionType
    stem: str
    options: list[Option] = field(default_factory=list)            # single/multiple choice
    statements: list[Statement] = field(default_factory=list)      # true/false cluster
    answers: list[ShortAnswerKey] = field(default_factory=list)    # short answer
    model_answer: str = ""                                         # essay
    explanation: str = ""                                          # lời giải
    name: str = ""
    subject: str = ""
    grade: int | None = None
    topic: str = ""                                                # topic / chapter, or the source category
    cognitive_level: str = ""                                      # code from cognitive_levels.csv
    difficulty: float | None = None
    points: float | None = None
    images: list[Image] = field(default_factory=list)
    source_ref: str = ""  # where it came from: "line 12", "paragraph 40", "item 3"


@dataclass
class Rejection:
    where: str   # "questions.xml, line 42" / "de-thi.docx, đoạn 17" / "sheet Câu hỏi, row 9"
    reason: str  # Vietnamese, for the teacher


@dataclass
class ImportReport:
    questions: list[Question] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.questions) + len(self.rejected)
