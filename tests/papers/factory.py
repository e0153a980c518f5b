"""Question records for the paper tests, built the way the importers build them."""

from __future__ import annotations

from ingest.questions.model import Option, Question, QuestionType, ShortAnswerKey, Statement
from repository.papers.draw import Candidate


def single_choice(n: int, topic: str = "Hàm số", level: str = "biet") -> Question:
    return Question(QuestionType.SINGLE_CHOICE, f"Câu hỏi trắc nghiệm số {n} về {topic}",
                    options=[Option(f"Phương án {n}-{i}", correct=i == 2) for i in range(4)],
                    topic=topic, cognitive_level=level, explanation=f"Lời giải {n}")


def true_false(n: int, topic: str = "Hàm số", level: str = "hieu") -> Question:
    truth = [True, False, True, False]
    return Question(QuestionType.TRUE_FALSE_CLUSTER, f"Chùm đúng sai số {n}",
                    statements=[Statement(label, f"Mệnh đề {label} của câu {n}", value)
                                for label, value in zip("abcd", truth, strict=True)],
                    topic=topic, cognitive_level=level)


def short_answer(n: int, topic: str = "Hàm số", level: str = "van-dung", value: str = "-1,5",
                 numeric: float | None = -1.5, tolerance: float = 0.0) -> Question:
    return Question(QuestionType.SHORT_ANSWER, f"Tính giá trị số {n}",
                    answers=[ShortAnswerKey(value, numeric, tolerance)], topic=topic, cognitive_level=level)


def essay(n: int, topic: str = "Hàm số", level: str = "van-dung") -> Question:
    return Question(QuestionType.ESSAY, f"Khảo sát và vẽ đồ thị hàm số số {n}",
                    model_answer=f"<p>Tập xác định D = R; đạo hàm y' = 3x^2 - 3 (bài {n})</p>",
                    topic=topic, cognitive_level=level)


def bank(sizes: dict[tuple[str, str, str], int], bank_id: int = 1) -> list[Candidate]:
    """Candidates: ``sizes[(part, topic, level)]`` questions in each group, ids numbered from 1."""
    makers = {"I": single_choice, "II": true_false, "III": short_answer, "TL": essay}
    made, next_id = [], 1
    for (part, topic, level), size in sizes.items():
        for _ in range(size):
            made.append(Candidate.of(bank_id, next_id, makers[part](next_id, topic, level)))
            next_id += 1
    return made
