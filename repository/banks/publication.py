"""When a bank is published by the review workflow, its draft question versions are published with it.

The review workflow knows nothing of questions: it sets the bank material's status. A ``before_flush``
listener sees that change in the same transaction and publishes the bank's drafts, so a bank is never
published without its questions, nor a question without its bank's review. Edits of questions that were
already published are ``pending`` and wait for their own review (repository.banks.versions).
"""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from repository.banks.models import BANK_KIND, BankQuestion, QuestionVersion
from repository.models import Material, utcnow


def publish_drafts(session: Session, bank_id: int, reviewer_id: int | None) -> int:
    """Publish every draft version of the bank's questions; return how many."""
    drafts = session.scalars(select(QuestionVersion).join(BankQuestion)
                             .where(BankQuestion.bank_id == bank_id, QuestionVersion.status == "draft"))
    count = 0
    for version in drafts:
        make_published(session, version, reviewer_id)
        count += 1
    return count


def make_published(session: Session, version: QuestionVersion, reviewer_id: int | None) -> None:
    question = version.question
    if question.published_version_id and question.published_version_id != version.id:
        previous = session.get(QuestionVersion, question.published_version_id)
        if previous is not None:
            previous.status = "superseded"
    version.status = "published"
    version.reviewed_by, version.reviewed_at = reviewer_id, utcnow()
    question.published_version_id = version.id


def _became_published(material: Material) -> bool:
    history = inspect(material).attrs.status.history
    return material.kind == BANK_KIND and material.status == "published" and bool(history.added)


def _on_flush(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty):
        if isinstance(obj, Material) and _became_published(obj):
            with session.no_autoflush:
                publish_drafts(session, obj.id, None)


def publish_with_bank() -> None:
    """Install the listener once per process (create_app may run many times in tests)."""
    if not event.contains(Session, "before_flush", _on_flush):
        event.listen(Session, "before_flush", _on_flush)
