"""The version rule of questions: a question not yet published is edited in place; editing a published
question makes a new version in ``pending`` that a reviewer (never its author) approves or rejects, while
the published version stays what everyone sees until then."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.questions.model import Question
from repository.banks.models import BankQuestion, QuestionImage, QuestionVersion
from repository.banks.publication import make_published
from repository.banks.records import fill_version
from repository.models import Material, SearchOutbox, User, utcnow

REVIEWER_ROLES = frozenset({"reviewer", "admin"})


class VersionError(ValueError):
    def __init__(self, message_vi: str, status: int = 409) -> None:
        super().__init__(message_vi)
        self.message_vi, self.status = message_vi, status


def edit_question(session: Session, question: BankQuestion, content: Question, author: User) -> QuestionVersion:
    """Apply an edit; return the version that now holds it. The caller commits."""
    current = session.get(QuestionVersion, question.current_version_id)
    if current is not None and current.status in {"draft", "pending"}:
        fill_version(current, content)
        current.created_by, current.created_at = author.id, utcnow()
        return current
    number = (session.scalar(select(func.max(QuestionVersion.number))
                             .where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = fill_version(QuestionVersion(number=number, status="pending", created_by=author.id), content)
    version.images = [QuestionImage(name=i.name, content_type=i.content_type, size=i.size, sha256=i.sha256,
                                    storage_backend=i.storage_backend, storage_key=i.storage_key)
                      for i in (current.images if current is not None else [])]
    question.versions.append(version)
    session.flush()
    question.current_version_id = version.id
    return version


def follow_in_search(session: Session, bank: Material) -> bool:
    """Queue a published bank for the search index, whose numbered parts are its published questions (a
    bank not published is not in the index: its publication queues it). True when queued."""
    if bank.published_version_id is None:
        return False
    session.add(SearchOutbox(material_id=bank.id, operation="upsert"))
    return True


def decide_version(session: Session, version: QuestionVersion, reviewer: User, approve: bool) -> bool:
    """A reviewer's decision on a pending version. The caller commits, then, when this returns True (the
    bank was queued for the search index), wakes the worker."""
    if reviewer.role not in REVIEWER_ROLES:
        raise VersionError("Chỉ người thẩm định được duyệt phiên bản câu hỏi.", 403)
    if version.created_by == reviewer.id:
        raise VersionError("Bạn không thể tự thẩm định phiên bản câu hỏi của chính mình.", 403)
    if version.status != "pending":
        raise VersionError("Phiên bản này không chờ thẩm định.")
    if approve:
        make_published(session, version, reviewer.id)
        return follow_in_search(session, version.question.bank)
    version.status = "rejected"
    version.reviewed_by, version.reviewed_at = reviewer.id, utcnow()
    question = version.question
    question.current_version_id = question.published_version_id or version.id
    return False
