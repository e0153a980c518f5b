"""Assignment: submissions routed by expertise (subject × level) to the least-loaded reviewer, claims from the
queue, never the author (and optionally not the author's unit), overdue work handed to someone else; the queue
lists overdue work first and filters by subject, level, status and due date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from repository.auth.services import create_user
from repository.models import AuditRecord, Material, User, utcnow
from review.assignment import candidates, claim, open_assignment, reassign_overdue, route
from review.config import ReviewConfig
from review.models import MailOutbox, ReviewAssignment
from review.queue import QueueFilters, review_queue
from review.services import ReviewError
from review.workflow import decide, submit
from tests.conftest import PASSWORD, bearer, login, make_test_app
from tests.review.conftest import SCORES, add_expertise, make_material, user


def _reviewer(session, key: str, unit: str = "so-hcm") -> User:
    made = create_user(session, email=f"{key}@truong.edu.vn", password=PASSWORD, role="reviewer", unit_code=unit,
                       name=key.capitalize())
    session.commit()
    return made


def test_submission_is_routed_to_a_matching_reviewer_balancing_load(app, users, db, cfg):
    with db.session() as session:
        teacher = user(session, users, "teacher")
        add_expertise(session, user(session, users, "reviewer"), ("toan", "thpt"), ("vat-li", "thpt"))
        add_expertise(session, user(session, users, "reviewer2"), ("toan", "thpt"))
        chosen = []
        for _ in range(4):
            material_id = make_material(session, teacher, status="draft")
            submit(session, material_id, teacher, cfg)
            chosen.append(open_assignment(session, material_id).reviewer_id)
        assert sorted(chosen) == sorted([users["reviewer"].id, users["reviewer2"].id] * 2)
        other = make_material(session, teacher, status="draft", subject="hoa-hoc")
        submit(session, other, teacher, cfg)
        assert open_assignment(session, other) is None  # nobody knows chemistry: it waits for a claim
        audit = session.scalars(select(AuditRecord.action).where(AuditRecord.material_id == material_id)).all()
        assert audit == ["submit", "assign"]
        mails = session.scalars(select(MailOutbox.recipient).where(MailOutbox.subject.startswith("Học liệu cần"))).all()
        assert len(mails) == 4


def test_the_author_is_never_a_candidate(app, users, db, cfg):
    with db.session() as session:
        author = _reviewer(session, "tacgia")
        author.role = "reviewer"
        add_expertise(session, author, ("toan", "thpt"))
        material_id = make_material(session, author)
        material = session.get(Material, material_id)
        assert candidates(session, material, cfg) == []
        assert route(session, material, cfg) is None


def test_own_unit_exclusion_is_configuration(tmp_path, database_url):
    app = make_test_app(tmp_path, database_url, review={"exclude_own_unit": True})
    cfg: ReviewConfig = app.extensions["review"]
    db = app.extensions["db"]
    try:
        with db.session() as session:
            colleague = _reviewer(session, "dongnghiep", unit="so-hn")  # the teacher's own department
            outsider = _reviewer(session, "ngoaidonvi", unit="so-hcm")
            add_expertise(session, colleague, ("toan", "thpt"))
            add_expertise(session, outsider, ("toan", "thpt"))
            teacher = create_user(session, email="gv@truong.edu.vn", password=PASSWORD, role="teacher",
                                  unit_code="so-hn", name="Giáo viên")
            session.commit()
            material_id = make_material(session, teacher)
            assert [u.email for u in candidates(session, session.get(Material, material_id), cfg)] == \
                ["ngoaidonvi@truong.edu.vn"]
            with pytest.raises(ReviewError) as raised:
                claim(session, material_id, colleague, cfg)
            assert raised.value.status == 403 and "cùng đơn vị" in raised.value.message_vi
    finally:
        app.extensions["search"].close()
        db.dispose()


def test_claim_then_only_the_assignee_or_an_admin_decides(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
    claimed = client.post(f"/api/v1/materials/{material_id}/claim", headers=bearer(tokens["reviewer"]))
    assert claimed.status_code == 200 and claimed.json["reviewer"] == "reviewer@truong.edu.vn"
    again = client.post(f"/api/v1/materials/{material_id}/claim", headers=bearer(tokens["reviewer2"]))
    assert again.status_code == 409 and "Reviewer" in again.json["error"]["message"]
    body = {"decision": "approve", "comment": "Đạt", "scores": SCORES}
    other = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer2"]), json=body)
    assert other.status_code == 409 and other.json["error"]["code"] == "already_assigned"
    queue2 = client.get("/api/v1/review/queue", headers=bearer(tokens["reviewer2"])).json["materials"]
    assert material_id not in [m["id"] for m in queue2]
    done = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]), json=body)
    assert done.status_code == 200
    with db.session() as session:
        assignment = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id))
        assert (assignment.status, assignment.open_slot) == ("done", None)
        assert client.post(f"/api/v1/materials/{material_id}/claim",
                           headers=bearer(tokens["student"])).status_code in {403, 404}


def test_overdue_assignments_are_reassigned(app, users, db, cfg):
    with db.session() as session:
        teacher = user(session, users, "teacher")
        add_expertise(session, user(session, users, "reviewer"), ("toan", "thpt"))
        first = make_material(session, teacher, status="draft")
        submit(session, first, teacher, cfg)
        assert open_assignment(session, first).reviewer_id == users["reviewer"].id
        assert reassign_overdue(session, cfg) == []  # not due yet
        add_expertise(session, user(session, users, "reviewer2"), ("toan", "thpt"))
        later = utcnow() + cfg.due + timedelta(hours=1)
        assert reassign_overdue(session, cfg, now=later) == [first]
        assert open_assignment(session, first).reviewer_id == users["reviewer2"].id
        statuses = session.scalars(select(ReviewAssignment.status).where(ReviewAssignment.material_id == first)
                                   .order_by(ReviewAssignment.id)).all()
        assert statuses == ["overdue", "open"]
        assert reassign_overdue(session, cfg, now=later + cfg.due * 2) == [first]  # nobody else left
        assert open_assignment(session, first) is None  # back to the common queue
        last = session.scalars(select(AuditRecord).where(AuditRecord.material_id == first)
                               .order_by(AuditRecord.id.desc())).first()
        assert last.action == "reassign" and "hàng đợi chung" in last.comment


def test_queue_shows_overdue_first_and_filters(app, users, db, cfg):
    with db.session() as session:
        teacher, reviewer = user(session, users, "teacher"), user(session, users, "reviewer")
        math = make_material(session, teacher, title="Toán")
        physics = make_material(session, teacher, subject="vat-li", title="Lí")
        primary = make_material(session, teacher, level="tieu-hoc", title="Tiểu học")
        old = session.get(Material, physics)
        old.updated_at = utcnow() - cfg.due - timedelta(days=1)  # submitted long ago: overdue
        session.commit()
        now = utcnow()
        queue = review_queue(session, reviewer, cfg, now=now)
        assert queue[0].material.id == physics and queue[0].overdue(now)
        assert {i.material.id for i in queue} == {math, physics, primary}
        only = {"subject": "toan"}
        assert [i.material.id for i in review_queue(session, reviewer, cfg, QueueFilters.from_args(only))] == \
            [math, primary]
        by_level = QueueFilters.from_args({"level": "tieu-hoc"})
        assert [i.material.id for i in review_queue(session, reviewer, cfg, by_level)] == [primary]
        overdue = QueueFilters.from_args({"due": "overdue"})
        assert [i.material.id for i in review_queue(session, reviewer, cfg, overdue, now)] == [physics]
        decide(session, math, reviewer, cfg, "request_changes", "Bổ sung", SCORES)
        changes = QueueFilters.from_args({"status": "changes_requested"})
        assert [i.material.id for i in review_queue(session, reviewer, cfg, changes)] == [math]
        assert QueueFilters.from_args({"status": "draft", "due": "x"}) == QueueFilters()


def test_queue_page_in_vietnamese_with_filters(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
    login(client, "reviewer")
    page = client.get("/review/queue?subject=toan&due=later")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hàng đợi thẩm định" in html and "Chưa phân công" in html
    assert f"/review/materials/{material_id}" in html
    api = client.get("/api/v1/review/queue?subject=vat-li", headers=bearer(tokens["reviewer"])).json
    assert api["materials"] == []
    item = client.get("/api/v1/review/queue", headers=bearer(tokens["reviewer"])).json["materials"][0]
    assert item["overdue"] is False and item["assigned_to"] is None and item["due_at"]


def test_a_revision_goes_back_to_the_reviewer_who_asked_for_changes(app, users, db, cfg):
    with db.session() as session:
        teacher, reviewer = user(session, users, "teacher"), user(session, users, "reviewer")
        add_expertise(session, reviewer, ("toan", "thpt"))
        add_expertise(session, user(session, users, "reviewer2"), ("toan", "thpt"))
        material_id = make_material(session, teacher, status="draft")
        submit(session, material_id, teacher, cfg)
        assert open_assignment(session, material_id).reviewer_id == reviewer.id
        claim(session, make_material(session, teacher, title="Việc khác"), reviewer, cfg)
        # reviewer now carries more open work than reviewer2...
        decide(session, material_id, reviewer, cfg, "request_changes", "Bổ sung ví dụ", SCORES)
        submit(session, material_id, teacher, cfg)
        assert open_assignment(session, material_id).reviewer_id == reviewer.id  # ...but the revision goes back
        decide(session, material_id, reviewer, cfg, "request_changes", "Còn thiếu", SCORES)
        reviewer.active = False
        session.commit()
        submit(session, material_id, teacher, cfg)
        assert open_assignment(session, material_id).reviewer_id == users["reviewer2"].id
