"""Races: two reviewers deciding at the same moment, a decision racing a withdrawal, two claims — each in its
own thread with its own session, on SQLite and PostgreSQL. Exactly one wins; the loser gets a clear 409."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from repository.models import AuditRecord, Material, SearchOutbox, User
from review.assignment import claim
from review.mail import MailOutbox
from review.models import ReviewAssignment, ReviewDecision
from review.services import ReviewError
from review.workflow import decide, withdraw
from tests.conftest import bearer, csrf_from, login
from tests.review.conftest import SCORES, make_material

ROUNDS = 4
Attempt = Callable[[Any, int, User], object]


def _race(db, material_id: int, attempts: list[tuple[str, Attempt]]) -> list[object]:
    """Run each attempt in its own thread and session; all load the material, then go at once."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(index: int, user_email: str, attempt: Attempt) -> None:
        session = db.sessions()
        try:
            actor = session.scalar(select(User).where(User.email == user_email))
            session.get(Material, material_id)  # everyone holds the same lock_version
            barrier.wait(timeout=30)
            results[index] = attempt(session, material_id, actor)
        except Exception as exc:
            results[index] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(i, email, attempt)) for i, (email, attempt) in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _one_winner(results: list[object]) -> ReviewError:
    errors = [r for r in results if isinstance(r, ReviewError)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, ReviewError)]
    assert not others, others
    assert len(errors) == len(results) - 1, results
    assert errors[0].status == 409
    return errors[0]


def _count(session, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


def test_two_reviewers_deciding_at_once_produce_exactly_one_transition(app, users, db, cfg):
    def approve(session, material_id, actor):
        return decide(session, material_id, actor, cfg, "approve", "Đạt", SCORES)

    def reject(session, material_id, actor):
        return decide(session, material_id, actor, cfg, "reject", "Không đạt", SCORES)

    for _ in range(ROUNDS):
        with db.session() as session:
            material_id = make_material(session, session.get(User, users["teacher"].id))
        results = _race(db, material_id, [("reviewer@truong.edu.vn", approve), ("reviewer2@truong.edu.vn", reject)])
        loser = _one_winner(results)
        with db.session() as session:
            material = session.get(Material, material_id)
            assert material.status in {"published", "rejected"}
            assert STATE_WORDS[material.status] in loser.message_vi
            decisions = [r.action for r in session.scalars(select(AuditRecord).where(
                AuditRecord.material_id == material_id))]
            assert len(decisions) == 1 and _count(session, ReviewDecision, material_id=material_id) == 1
            assert _count(session, MailOutbox) >= 1
            upserts = _count(session, SearchOutbox, material_id=material_id, operation="upsert")
            assert upserts == (1 if material.status == "published" else 0)


STATE_WORDS = {"published": "Đã xuất bản", "rejected": "Bị từ chối", "withdrawn": "Đã gỡ xuống"}


def test_a_decision_racing_a_withdrawal_produces_exactly_one_transition(app, users, db, cfg):
    def approve(session, material_id, actor):
        return decide(session, material_id, actor, cfg, "approve", "Đạt", SCORES)

    def pull_back(session, material_id, actor):
        return withdraw(session, material_id, actor, "Tác giả rút lại để bổ sung")

    for _ in range(ROUNDS):
        with db.session() as session:
            material_id = make_material(session, session.get(User, users["teacher"].id))
        results = _race(db, material_id, [("reviewer@truong.edu.vn", approve), ("teacher@truong.edu.vn", pull_back)])
        loser = _one_winner(results)
        with db.session() as session:
            material = session.get(Material, material_id)
            assert material.status in {"published", "withdrawn"}
            assert STATE_WORDS[material.status] in loser.message_vi
            assert _count(session, AuditRecord, material_id=material_id) == 1
            published = material.status == "published"
            assert (material.published_version_id is not None) == published
            assert _count(session, ReviewDecision, material_id=material_id) == (1 if published else 0)


def test_two_claims_at_once_leave_one_assignment(app, users, db, cfg):
    def take(session, material_id, actor):
        return claim(session, material_id, actor, cfg)

    for _ in range(ROUNDS):
        with db.session() as session:
            material_id = make_material(session, session.get(User, users["teacher"].id))
        results = _race(db, material_id, [("reviewer@truong.edu.vn", take), ("reviewer2@truong.edu.vn", take)])
        loser = _one_winner(results)
        assert "đã được phân công cho" in loser.message_vi
        with db.session() as session:
            assert _count(session, ReviewAssignment, material_id=material_id) == 1


def test_api_loser_of_a_race_gets_409_saying_what_happened(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, session.get(User, users["teacher"].id))
        seen = session.get(Material, material_id).lock_version
    url = f"/api/v1/materials/{material_id}/review"
    first = client.post(url, headers=bearer(tokens["reviewer"]),
                        json={"decision": "approve", "comment": "Đạt", "scores": SCORES, "lock_version": seen})
    assert first.status_code == 200
    late = client.post(url, headers=bearer(tokens["reviewer2"]),
                       json={"decision": "reject", "comment": "Không đạt", "scores": SCORES, "lock_version": seen})
    assert late.status_code == 409
    message = late.json["error"]["message"]
    assert "Reviewer" in message and "Phê duyệt" in message and "Đã xuất bản" in message
    with db.session() as session:
        assert session.get(Material, material_id).status == "published"


def test_a_stale_withdrawal_is_refused_by_lock_version(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, session.get(User, users["teacher"].id), status="published")
        seen = session.get(Material, material_id).lock_version
        session.get(Material, material_id).title = "Đã sửa tiêu đề"
        session.commit()
    stale = client.post(f"/api/v1/materials/{material_id}/withdraw", headers=bearer(tokens["teacher"]),
                        json={"reason": "Lỗi", "lock_version": seen})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"


def test_a_review_form_opened_before_another_decision_is_refused_with_the_reason(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, session.get(User, users["teacher"].id))
    login(client, "reviewer2")
    page = client.get(f"/review/materials/{material_id}").get_data(as_text=True)
    seen = page.split('name="lock_version" value="', 1)[1].split('"', 1)[0]
    token = csrf_from(client, f"/review/materials/{material_id}")
    client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                json={"decision": "reject", "comment": "Sai kiến thức", "scores": SCORES})
    form = {"csrf_token": token, "decision": "approve", "comment": "Đạt", "lock_version": seen,
            **{f"score-{code}": "5" for code in SCORES}}
    late = client.post(f"/review/materials/{material_id}/decision", data=form)
    assert late.status_code == 303
    shown = client.get(late.location).get_data(as_text=True)
    assert "vừa được người khác xử lý" in shown and "Bị từ chối" in shown


def test_two_first_approvals_at_once_count_once(tmp_path, database_url):
    """With two approvals needed, two reviewers approving the same round at the same moment: one approval counts,
    the other is told to reload (else both would think they were first and the round would stall or double)."""
    from review.config import ReviewConfig
    from tests.conftest import make_test_app
    from tests.review.scoped import SHIPPED, make_people

    policy = {**SHIPPED, "scopes": {"province": {"approvals": 2, "reviewer_units": ["province"],
                                                 "same_province": True}}}
    app = make_test_app(tmp_path, database_url, review=policy)
    try:
        make_people(app)
        db, cfg = app.extensions["db"], app.extensions["review"]
        assert isinstance(cfg, ReviewConfig) and cfg.scopes["province"].approvals == 2

        def approve(session, material_id, actor):
            return decide(session, material_id, actor, cfg, "approve", "Đạt", SCORES)

        for _ in range(ROUNDS):
            with db.session() as session:
                material_id = make_material(session, session.scalar(select(User).where(
                    User.email == "gv@truong.edu.vn")), subject="vat-li")
            results = _race(db, material_id, [("td-hn@truong.edu.vn", approve), ("td-hn2@truong.edu.vn", approve)])
            _one_winner(results)
            with db.session() as session:
                assert session.get(Material, material_id).status == "in_review"
                assert _count(session, ReviewDecision, material_id=material_id) == 1
                assert _count(session, AuditRecord, material_id=material_id, action="endorse") == 1
    finally:
        app.extensions["search"].close()
        app.extensions["db"].dispose()
