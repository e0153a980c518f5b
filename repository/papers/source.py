"""Where drawn questions come from: the published questions of published banks (repository.banks).

Drawing needs only each question's identity and cell (type, topic, level), so the pool is read as those
few columns; the content of the drawn questions alone is loaded afterwards. A 50 000-question bank is
thus one narrow query plus forty rows, not 50 000 rebuilt questions. The rows read are exactly those
``repository.banks.store.published_questions`` returns: the published version of each question of a
bank material that is itself published.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.banks.models import BANK_KIND, BankQuestion, QuestionVersion
from repository.banks.records import to_question
from repository.models import Material
from repository.papers.draw import Candidate


def eligible_pool(session: Session, bank_ids: list[int], types: Iterable[str]) -> list[Candidate]:
    query = (select(BankQuestion.bank_id, BankQuestion.id, QuestionVersion.id, QuestionVersion.type,
                    QuestionVersion.topic, QuestionVersion.cognitive_level)
             .join(QuestionVersion, QuestionVersion.id == BankQuestion.published_version_id)
             .join(Material, Material.id == BankQuestion.bank_id)
             .where(BankQuestion.bank_id.in_(bank_ids), Material.kind == BANK_KIND,
                    Material.published_version_id.is_not(None), QuestionVersion.type.in_(list(types))))
    return [Candidate(bank_id, question_id, type_, topic, level, version_id)
            for bank_id, question_id, version_id, type_, topic, level in session.execute(query)]


def with_content(session: Session, chosen: list[Candidate]) -> list[Candidate]:
    """The same candidates with their question content (the exact published version that was drawn)."""
    ids = [c.version_id for c in chosen if c.question is None]
    versions = {v.id: v for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))} \
        if ids else {}
    return [c if c.question is not None else
            Candidate(c.bank_id, c.question_id, c.type, c.topic, c.level, c.version_id,
                      to_question(versions[c.version_id])) for c in chosen]
