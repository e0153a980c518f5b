"""Question banks for the paper tests, made through the banks' own functions and published through the
real review workflow (submit, then a reviewer's approval)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.questions.model import Question
from repository.banks.creation import create_empty_bank
from repository.banks.store import add_questions
from repository.models import User
from review.config import DEFAULT_CRITERIA
from review.workflow import decide, submit
from tests.papers.factory import short_answer, single_choice, true_false

BANK_METADATA = {"title": "Ngân hàng Toán 12", "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": 12,
                 "subject": "toan", "licence": "CC-BY-4.0"}


def exam_questions(topic: str = "Hàm số", singles: int = 20, clusters: int = 5, shorts: int = 7) -> list[Question]:
    return ([single_choice(n, topic, "biet") for n in range(singles)]
            + [true_false(n, topic, "hieu") for n in range(clusters)]
            + [short_answer(n, topic, "van-dung") for n in range(shorts)])


def make_bank(app, users: dict[str, Any], questions: list[Question], *, owner: str = "teacher",
              publish: bool = True) -> int:
    with app.extensions["db"].session() as session:
        author = session.get(User, users[owner].id)
        bank = create_empty_bank(session, owner=author, metadata=dict(BANK_METADATA), state="draft")
        add_questions(session, bank, questions, author=author, storage=app.extensions["storage"])
        session.commit()
        bank_id = bank.id
        if publish:
            cfg = app.extensions["review"]
            submit(session, bank_id, author, cfg)
            decide(session, bank_id, session.get(User, users["reviewer"].id), cfg, "approve", "Đạt",
                   dict.fromkeys(DEFAULT_CRITERIA, 4))
    return bank_id


@pytest.fixture
def bank_id(app, users) -> int:
    return make_bank(app, users, exam_questions())
