"""Question versions: drafts are published with their bank; an edit of a published question is a new
version that a reviewer (not its author) approves, and until then everyone sees the published one."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.questions.model import Image, Option, Question, QuestionType
from repository.banks.models import BankQuestion, QuestionVersion
from repository.banks.store import add_questions, bank_questions, published_questions
from repository.banks.versions import VersionError, decide_version, edit_question
from repository.models import Material, User
from review.services import apply_transition

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
                    "f8cf000001010100a5c3b4a90000000049454e44ae426082")


def _question(stem: str, topic: str = "Hàm số", level: str = "biet") -> Question:
    return Question(type=QuestionType.SINGLE_CHOICE, stem=stem, name=stem[:20], topic=topic, cognitive_level=level,
                    options=[Option("Đúng", True), Option("Sai")], explanation="Vì vậy.", difficulty=0.4)


def _bank(session, owner: User, status: str = "draft") -> Material:
    bank = Material(owner_id=owner.id, title="Ngân hàng", kind="ngan-hang-cau-hoi", level="thpt", grade=12,
                    subject="toan", licence="CC-BY-4.0", status=status)
    session.add(bank)
    session.flush()
    return bank


def _publish_bank(session, bank: Material) -> None:
    """What the review workflow does on approval: status published, published_version_id set."""
    bank.status = "published"
    bank.published_version_id = bank.id
    session.flush()


@pytest.fixture
def db(app, users):
    with app.extensions["db"].session() as session:
        yield session


def test_drafts_are_published_with_their_bank_by_the_review_workflow(app, client, tokens, db, users):
    from tests.banks.helpers import GIFT_GOOD, create_bank, import_file, publish

    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    assert published_questions(db, [bank_id]) == []
    publish(client, tokens, bank_id)
    db.expire_all()
    published = published_questions(db, [bank_id])
    assert [(s.version, s.status, s.bank_id) for s in published] == [(1, "published", bank_id)] * 2
    assert published[0].question.name == "Đạo hàm"


def test_editing_a_published_question_makes_a_pending_version_the_public_does_not_see(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    bank = _bank(db, teacher)
    (record,) = add_questions(db, bank, [_question("Câu gốc")], author=teacher,
                              storage=app.extensions["storage"])
    _publish_bank(db, bank)
    assert db.get(QuestionVersion, record.published_version_id).status == "published"

    edited = dataclasses.replace(_question("Câu đã sửa"), options=[Option("A", True), Option("B")])
    version = edit_question(db, record, edited, teacher)
    db.flush()
    assert (version.number, version.status) == (2, "pending")
    assert record.current_version_id == version.id and record.published_version_id != version.id
    assert [s.question.stem for s in published_questions(db, [bank.id])] == ["Câu gốc"]
    assert [s.question.stem for s in bank_questions(db, bank.id)] == ["Câu đã sửa"]

    # a second edit before review changes the pending version, it does not pile up versions
    again = edit_question(db, record, _question("Câu đã sửa lần hai"), teacher)
    assert again.id == version.id and len(record.versions) == 2

    with pytest.raises(VersionError):
        decide_version(db, version, teacher, approve=True)  # the author cannot approve
    with pytest.raises(VersionError):
        decide_version(db, version, db.get(User, users["teacher2"].id), approve=True)  # not a reviewer
    decide_version(db, version, db.get(User, users["reviewer"].id), approve=True)
    db.flush()
    assert [(s.version, s.question.stem) for s in published_questions(db, [bank.id])] == [(2, "Câu đã sửa lần hai")]
    assert [v.status for v in record.versions] == ["superseded", "published"]
    with pytest.raises(VersionError):
        decide_version(db, version, db.get(User, users["reviewer"].id), approve=True)  # no longer pending


def test_a_rejected_edit_leaves_the_published_version_in_place(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    bank = _bank(db, teacher)
    (record,) = add_questions(db, bank, [_question("Câu gốc")], author=teacher, storage=app.extensions["storage"])
    _publish_bank(db, bank)
    version = edit_question(db, record, _question("Sửa sai"), teacher)
    decide_version(db, version, db.get(User, users["reviewer"].id), approve=False)
    db.flush()
    assert version.status == "rejected"
    assert record.current_version_id == record.published_version_id
    assert [s.question.stem for s in bank_questions(db, bank.id)] == ["Câu gốc"]


def test_a_draft_question_is_edited_in_place(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    bank = _bank(db, teacher)
    (record,) = add_questions(db, bank, [_question("Nháp")], author=teacher, storage=app.extensions["storage"])
    version = edit_question(db, record, _question("Nháp đã sửa"), teacher)
    assert (version.number, version.status) == (1, "draft") and len(record.versions) == 1


def test_published_questions_filters_and_skips_unpublished_banks(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    storage = app.extensions["storage"]
    shown, hidden = _bank(db, teacher), _bank(db, teacher)
    add_questions(db, shown, [_question("A", "Hàm số", "biet"), _question("B", "Tích phân", "hieu"),
                              _question("C", "Hàm số", "hieu")], author=teacher, storage=storage)
    add_questions(db, hidden, [_question("D", "Hàm số", "biet")], author=teacher, storage=storage)
    _publish_bank(db, shown)
    both = [shown.id, hidden.id]
    assert [s.question.stem for s in published_questions(db, both)] == ["A", "B", "C"]
    assert [s.question.stem for s in published_questions(db, both, topic="Hàm số")] == ["A", "C"]
    assert [s.question.stem for s in published_questions(db, both, level="hieu")] == ["B", "C"]
    assert published_questions(db, both, type="essay") == []
    assert published_questions(db, [999_999]) == []


def test_images_are_kept_in_the_blob_store(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    storage = app.extensions["storage"]
    bank = _bank(db, teacher)
    question = _question('Hình <img src="@@PLUGINFILE@@/h.png">')
    question.images = [Image("h.png", "image/png", PNG)]
    (record,) = add_questions(db, bank, [question], author=teacher, storage=storage)
    db.flush()
    row = record.versions[0].images[0]
    assert storage.exists(row.storage_key) and row.size == len(PNG) and row.storage_backend == storage.name
    (stored,) = bank_questions(db, bank.id, storage=storage)
    assert stored.question.images == [Image("h.png", "image/png", PNG)]
    assert db.query(BankQuestion).count() == 1
    _publish_bank(db, bank)
    edited = edit_question(db, record, _question("Hình đã sửa"), teacher)  # a new version keeps the images
    db.flush()
    assert edited.number == 2 and [i.storage_key for i in edited.images] == [row.storage_key]
    (current,) = bank_questions(db, bank.id, storage=storage)
    assert current.version == 2 and current.question.images == [Image("h.png", "image/png", PNG)]


def test_stored_question_keeps_every_field(db, users, app):
    teacher = db.get(User, users["teacher"].id)
    original = _question("Đủ trường")
    original.points, original.grade, original.subject, original.source_ref = 0.25, 11, "toan", "dòng 3"
    bank = _bank(db, teacher)
    add_questions(db, bank, [dataclasses.replace(original)], author=teacher, storage=app.extensions["storage"])
    (stored,) = bank_questions(db, bank.id)
    assert stored.question == original


def test_publishing_through_the_workflow_service_publishes_drafts(db, users, app):
    """The rule hangs on the bank's status change itself, whoever makes it."""
    teacher = db.get(User, users["teacher"].id)
    bank = _bank(db, teacher, status="in_review")
    add_questions(db, bank, [_question("X")], author=teacher, storage=app.extensions["storage"])
    bank.current_version_id = None
    db.commit()
    apply_transition(db, bank.id, "approve", db.get(User, users["admin"].id), comment="Đạt.")
    assert [s.status for s in bank_questions(db, bank.id)] == ["published"]
