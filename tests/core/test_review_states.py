"""Every transition of the review state machine, allowed and forbidden, for every role."""

from __future__ import annotations

import pytest

from repository.materials.services import INITIAL_STATE
from repository.models import AuditRecord, Material, MaterialVersion, SearchOutbox, User
from review.services import ReviewError, apply_transition
from review.states import ACTION_LABELS, STATES, TRANSITIONS

ROLES = ("owner", "teacher2", "reviewer", "student", "admin")


def test_initial_state_is_shared_with_the_materials_service():
    assert next(iter(STATES)) == INITIAL_STATE


def _material(session, owner: User, status: str, ingest: str = "succeeded") -> int:
    material = Material(owner_id=owner.id, title="Phương trình bậc hai", kind="bai-giang", level="thpt",
                        grade=10, subject="toan", licence="CC-BY-4.0", status=status)
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1, created_by=owner.id, ingest_status=ingest)
    session.add(version)
    session.flush()
    material.current_version_id = version.id
    if status in {"published", "withdrawn"}:
        material.published_version_id = version.id if status == "published" else None
    session.commit()
    return material.id


def _expected(action: str, source: str, actor_key: str) -> str | None:
    """The target state the table promises for this actor, or None if forbidden."""
    roles = {"owner": "teacher", "teacher2": "teacher", "reviewer": "reviewer", "student": "student",
             "admin": "admin"}
    for t in TRANSITIONS:
        if t.action != action or t.source != source or roles[actor_key] not in t.roles:
            continue
        is_owner = actor_key == "owner"
        if t.owner == "must" and not (is_owner or (t.admin_overrides_owner and actor_key == "admin")):
            return None
        if t.owner == "must_not" and is_owner:
            return None
        return t.target
    return None


@pytest.mark.parametrize("source", list(STATES))
@pytest.mark.parametrize("action", list(ACTION_LABELS))
def test_transition_table_is_enforced_for_every_role(app, users, source, action):
    actors = {"owner": users["teacher"], "teacher2": users["teacher2"], "reviewer": users["reviewer"],
              "student": users["student"], "admin": users["admin"]}
    db = app.extensions["db"]
    for actor_key in ROLES:
        with db.session() as session:
            material_id = _material(session, session.get(User, users["teacher"].id), source)
            actor = session.get(User, actors[actor_key].id)
            expected = _expected(action, source, actor_key)
            if expected is None:
                with pytest.raises(ReviewError) as raised:
                    apply_transition(session, material_id, action, actor, "lý do")
                assert raised.value.status in {403, 409}
                assert session.get(Material, material_id).status == source
                continue
            outcome = apply_transition(session, material_id, action, actor, "lý do")
            assert outcome.material.status == expected
            record = session.query(AuditRecord).filter_by(material_id=material_id).one()
            assert (record.actor_id, record.from_state, record.to_state, record.comment) == \
                (actor.id, source, expected, "lý do")


def test_publication_writes_outbox_and_sets_the_published_version(app, users):
    with app.extensions["db"].session() as session:
        material_id = _material(session, session.get(User, users["teacher"].id), "in_review")
        apply_transition(session, material_id, "approve", session.get(User, users["reviewer"].id))
        material = session.get(Material, material_id)
        assert material.published_version_id == material.current_version_id
        assert session.query(SearchOutbox).filter_by(material_id=material_id, operation="upsert").count() == 1
        apply_transition(session, material_id, "withdraw", session.get(User, users["admin"].id), "Sai bản quyền")
        assert session.get(Material, material_id).published_version_id is None
        assert session.query(SearchOutbox).filter_by(material_id=material_id, operation="delete").count() == 1


def test_submit_waits_for_a_successful_ingest(app, users):
    with app.extensions["db"].session() as session:
        owner = session.get(User, users["teacher"].id)
        for ingest in ("pending", "running", "failed"):
            material_id = _material(session, owner, "draft", ingest=ingest)
            with pytest.raises(ReviewError) as raised:
                apply_transition(session, material_id, "submit", owner)
            assert raised.value.code == "not_ready"


def test_comment_required_where_the_table_says(app, users):
    with app.extensions["db"].session() as session:
        material_id = _material(session, session.get(User, users["teacher"].id), "in_review")
        with pytest.raises(ReviewError) as raised:
            apply_transition(session, material_id, "reject", session.get(User, users["reviewer"].id), "  ")
        assert raised.value.field == "comment"


def test_two_reviewers_deciding_at_once_produce_one_transition(app, users):
    """Optimistic locking: the second decision, made on a stale copy, loses with a conflict."""
    db = app.extensions["db"]
    with db.session() as setup:
        material_id = _material(setup, setup.get(User, users["teacher"].id), "in_review")
    first, second = db.sessions(), db.sessions()
    try:
        first.get(Material, material_id)
        second.get(Material, material_id)  # both have loaded lock_version 1
        apply_transition(first, material_id, "approve", first.get(User, users["reviewer"].id))
        with pytest.raises(ReviewError) as raised:
            apply_transition(second, material_id, "reject", second.get(User, users["reviewer2"].id), "Không đạt")
        assert raised.value.status == 409 and "Đã xuất bản" in raised.value.message_vi
    finally:
        first.close()
        second.close()
    with db.session() as check:
        assert check.get(Material, material_id).status == "published"
        actions = [r.action for r in check.query(AuditRecord).filter_by(material_id=material_id)]
        assert actions == ["approve"]
