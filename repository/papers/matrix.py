"""The exam matrix (ma trận đề): its cells, the three parts of the 2025 exam, and validation of what a
teacher sends. Every error names the cell and field at fault, in Vietnamese, and nothing is drawn."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ingest.questions.model import QuestionType

MAX_CELLS = 200
MAX_COUNT_PER_CELL = 200
MAX_VERSIONS = 24
MAX_QUESTIONS = 200  # per paper: a real test has at most a few dozen; bounds the stored versions


@dataclass(frozen=True)
class PartSpec:
    """One part of the 2025 exam: which question type fills it and what a question is worth by default."""

    code: str
    question_type: QuestionType
    default_points: float
    heading: str       # printed heading, Vietnamese
    instruction: str   # printed instruction; {first}/{last} are the question numbers


#: The three parts of the 2025 upper-secondary graduation exam, in paper order.
PARTS: dict[str, PartSpec] = {
    "I": PartSpec("I", QuestionType.SINGLE_CHOICE, 0.25, "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn.",
                  "Thí sinh trả lời từ câu {first} đến câu {last}. Mỗi câu hỏi thí sinh chỉ chọn một phương án."),
    "II": PartSpec("II", QuestionType.TRUE_FALSE_CLUSTER, 1.0, "PHẦN II. Câu trắc nghiệm đúng sai.",
                   "Thí sinh trả lời từ câu {first} đến câu {last}. Trong mỗi ý a), b), c), d) ở mỗi câu, "
                   "thí sinh chọn đúng hoặc sai."),
    "III": PartSpec("III", QuestionType.SHORT_ANSWER, 0.5, "PHẦN III. Câu trắc nghiệm trả lời ngắn.",
                    "Thí sinh trả lời từ câu {first} đến câu {last}."),
    # School tests below the national exam often end with essay questions, graded by the teacher.
    "TL": PartSpec("TL", QuestionType.ESSAY, 1.0, "PHẦN TỰ LUẬN.",
                   "Thí sinh trình bày lời giải từ câu {first} đến câu {last}."),
}
#: Parts graded automatically in practice mode; the others wait for the teacher.
AUTO_GRADED_PARTS = frozenset({"I", "II", "III"})
PART_OF_TYPE = {spec.question_type: code for code, spec in PARTS.items()}


class MatrixError(ValueError):
    """A matrix or draw request that cannot be used; ``message`` is for the teacher (Vietnamese)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@lru_cache(maxsize=8192)
def normalise_label(text: str) -> str:
    """Topics and levels compare without regard to case, Unicode form or repeated spaces. Cached: a bank of
    50 000 questions has a few dozen distinct topics."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class Cell:
    topic: str
    level: str
    part: str
    count: int

    @property
    def key(self) -> tuple[str, str, str]:
        return normalise_label(self.topic), normalise_label(self.level), self.part

    def as_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "level": self.level, "part": self.part, "count": self.count}


@dataclass(frozen=True)
class Matrix:
    cells: tuple[Cell, ...]
    points: dict[str, float]  # part -> points of one question of that part

    @property
    def total_questions(self) -> int:
        return sum(cell.count for cell in self.cells)


def _text(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        raise MatrixError(f"{where}: '{name}' phải là chuỗi không rỗng, tối đa 300 ký tự.", name)
    return value.strip()


def parse_cell(raw: Any, index: int) -> Cell:
    where = f"Ô thứ {index + 1} của ma trận"
    if not isinstance(raw, dict):
        raise MatrixError(f"{where} phải là một đối tượng {{topic, level, part, count}}.", "matrix")
    part = str(raw.get("part", "")).strip().upper()
    if part not in PARTS:
        raise MatrixError(f"{where}: phần '{raw.get('part')}' không hợp lệ (chỉ I, II, III hoặc TL).", "part")
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_COUNT_PER_CELL:
        raise MatrixError(f"{where}: số câu phải là số nguyên từ 1 đến {MAX_COUNT_PER_CELL}.", "count")
    return Cell(_text(raw.get("topic"), where, "topic"), _text(raw.get("level"), where, "level"), part, count)


def parse_points(raw: Any) -> dict[str, float]:
    points = {code: spec.default_points for code, spec in PARTS.items()}
    if raw is None:
        return points
    if not isinstance(raw, dict):
        raise MatrixError("'points' phải là đối tượng phần → điểm mỗi câu, ví dụ {\"I\": 0.25}.", "points")
    for part, value in raw.items():
        if part not in PARTS:
            raise MatrixError(f"'points': phần '{part}' không hợp lệ (chỉ I, II, III hoặc TL).", "points")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 10:
            raise MatrixError(f"'points': điểm mỗi câu của phần {part} phải là số từ 0 đến 10.", "points")
        points[part] = float(value)
    return points


def parse_matrix(cells: Any, points: Any = None) -> Matrix:
    """Validate a matrix sent by a teacher. Two cells with the same topic, level and part are refused:
    the teacher meant one cell, and silently adding them up would hide a typo."""
    if not isinstance(cells, list) or not cells:
        raise MatrixError("Ma trận phải là danh sách các ô {topic, level, part, count}, không rỗng.", "matrix")
    if len(cells) > MAX_CELLS:
        raise MatrixError(f"Ma trận có tối đa {MAX_CELLS} ô.", "matrix")
    parsed = [parse_cell(raw, index) for index, raw in enumerate(cells)]
    if sum(cell.count for cell in parsed) > MAX_QUESTIONS:
        raise MatrixError(f"Một đề có tối đa {MAX_QUESTIONS} câu.", "count")
    seen: dict[tuple[str, str, str], int] = {}
    for index, cell in enumerate(parsed):
        if cell.key in seen:
            raise MatrixError(f"Ô thứ {index + 1} trùng chủ đề, mức độ và phần với ô thứ {seen[cell.key] + 1}.",
                              "matrix")
        seen[cell.key] = index
    return Matrix(tuple(parsed), parse_points(points))
