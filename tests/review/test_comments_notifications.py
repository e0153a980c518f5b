"""Comments anchored where they apply (recorded in the audit trail), in-app notifications (the bell), and
reminders of overdue work sent through the mail outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from repository.models import AuditRecord, utcnow
from review.models import MailOutbox, Notification, ReviewAssignment, ReviewComment
from review.reminders import remind_overdue
from tests.conftest import bearer, csrf_from, login
from tests.review.conftest import add_expertise, user
from tests.review.scoped import review, submit, upload


@pytest.fixture
def in_review(app, client, tokens, users) -> int:
    with app.extensions["db"].session() as session:
        add_expertise(session, user(session, users, "reviewer"), ("vat-li", "thpt"))
    material_id = upload(client, tokens["teacher"])
    submit(client, tokens["teacher"], material_id)
    return material_id


def _comment(client, token: str, material_id: int, kind: str, anchor, body: str = "Cần sửa chỗ này."):
    return client.post(f"/api/v1/materials/{material_id}/comments", headers=bearer(token),
                       json={"anchor_kind": kind, "anchor": anchor, "body": body})


def test_comments_are_anchored_and_audited(app, client, tokens, in_review):
    page = _comment(client, tokens["reviewer"], in_review, "page", 2, "Công thức ở trang 2 thiếu đơn vị.")
    assert page.status_code == 201 and page.json["where"] == "Trang 2"
    assert _comment(client, tokens["reviewer"], in_review, "question", "12").json["where"] == "Câu 12"
    assert _comment(client, tokens["reviewer"], in_review, "general", None).json["where"] == "Toàn bộ học liệu"
    login(client, "reviewer")
    form = {"anchor_kind": "slide", "anchor": "1", "body": "Trang chiếu 1 chữ quá nhỏ.",
            "csrf_token": csrf_from(client, f"/review/materials/{in_review}")}
    assert client.post(f"/review/materials/{in_review}/comments", data=form).status_code == 303
    shown = client.get(f"/review/materials/{in_review}").get_data(as_text=True)
    assert "Trang 2" in shown and "Công thức ở trang 2 thiếu đơn vị." in shown and "Trang chiếu 1" in shown

    with app.extensions["db"].session() as session:
        audited = session.scalars(select(AuditRecord.comment).where(AuditRecord.material_id == in_review,
                                                                    AuditRecord.action == "comment")).all()
    assert "[Trang 2] Công thức ở trang 2 thiếu đơn vị." in audited and len(audited) == 4
    login(client, "teacher")  # the author reads them in the material's history
    assert "[Trang 2] Công thức ở trang 2 thiếu đơn vị." in client.get(f"/materials/{in_review}").get_data(as_text=True)
    listed = client.get(f"/api/v1/materials/{in_review}/comments", headers=bearer(tokens["teacher"])).json
    assert [c["where"] for c in listed["comments"]][:1] == ["Toàn bộ học liệu"]
    assert client.get(f"/api/v1/materials/{in_review}/comments",
                      headers=bearer(tokens["teacher2"])).status_code == 404


@pytest.mark.parametrize(("kind", "anchor", "field"), [
    ("page", 3, "anchor"),          # the PDF has 2 pages
    ("page", 0, "anchor"),
    ("page", "-1", "anchor"),
    ("time", "1:xx", "anchor"),
    ("slide", "9" * 12, "anchor"),
    ("paragraph", 1, "anchor_kind"),
])
def test_a_misplaced_comment_is_refused_and_nothing_is_stored(app, client, tokens, in_review, kind, anchor, field):
    refused = _comment(client, tokens["reviewer"], in_review, kind, anchor)
    assert refused.status_code == 400 and refused.json["error"]["field"] == field
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(ReviewComment)) == 0
        assert session.scalar(select(func.count()).select_from(AuditRecord)
                              .where(AuditRecord.action == "comment")) == 0


def test_video_times_read_as_minutes_and_seconds(app, client, tokens, in_review):
    made = _comment(client, tokens["reviewer"], in_review, "time", "1:05", "Âm thanh bị rè.")
    assert made.status_code == 201 and (made.json["anchor"], made.json["where"]) == (65, "Thời điểm 01:05")


def test_students_and_authors_cannot_comment(client, tokens, in_review):
    assert _comment(client, tokens["teacher"], in_review, "page", 1).status_code == 403
    assert _comment(client, tokens["student"], in_review, "page", 1).status_code == 403


def test_notifications_tell_the_reviewer_of_assignments_and_the_author_of_decisions(app, client, tokens, in_review):
    mine = client.get("/api/v1/notifications", headers=bearer(tokens["reviewer"])).json
    assert mine["unread"] == 1 and mine["notifications"][0]["kind"] == "assign"
    review(client, tokens["reviewer"], in_review, "request_changes", "Thiếu bài tập.")
    author = client.get("/api/v1/notifications", headers=bearer(tokens["teacher"])).json
    assert author["unread"] == 1 and author["notifications"][0]["kind"] == "request_changes"
    assert "Cần chỉnh sửa" in author["notifications"][0]["text"]

    login(client, "teacher")
    bell = client.get("/my/materials").get_data(as_text=True)
    assert 'id="unread-count">1<' in bell
    listing = client.get("/notifications").get_data(as_text=True)
    assert "Yêu cầu chỉnh sửa" in listing
    token = csrf_from(client, "/notifications")
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    assert 'id="unread-count"' not in client.get("/my/materials").get_data(as_text=True)
    assert client.post("/notifications/read").status_code == 400      # CSRF is required
    with app.extensions["db"].session() as session:  # nobody else was told
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == tokens_user(session, "student"))) == 0


def tokens_user(session, key: str) -> int:
    from repository.models import User

    return session.scalar(select(User.id).where(User.email == f"{key}@truong.edu.vn"))


def test_overdue_work_is_reminded_once_a_day_through_the_outbox(app, tokens, in_review):
    db = app.extensions["db"]
    with db.session() as session:
        assignment = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == in_review))
        due = assignment.due_at
        assert remind_overdue(session, now=due - timedelta(hours=1)) == []       # not yet overdue
        assert remind_overdue(session, now=due + timedelta(hours=1)) == [assignment.id]
        assert remind_overdue(session, now=due + timedelta(hours=5)) == []       # once a day at most
        assert remind_overdue(session, now=due + timedelta(days=1, hours=2)) == [assignment.id]
        mails = session.scalars(select(MailOutbox).where(MailOutbox.recipient == "reviewer@truong.edu.vn",
                                                         MailOutbox.subject.startswith("Quá hạn"))).all()
        assert len(mails) == 2 and "quá hạn thẩm định" in mails[0].body
        assert session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "remind")) == 2
        assert session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "remind")) == 2


def test_remind_command_queues_and_tries_to_send(app, tokens, in_review):
    with app.extensions["db"].session() as session:
        assignment = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == in_review))
        assignment.due_at = utcnow() - timedelta(days=1)
        session.commit()
    result = app.test_cli_runner().invoke(args=["review", "remind"])
    assert result.exit_code == 0 and "1 reminder(s) queued" in result.output
    with app.extensions["db"].session() as session:
        reminder = session.scalar(select(MailOutbox).where(MailOutbox.subject.startswith("Quá hạn")))
        assert reminder is not None and reminder.sent_at is None and reminder.attempts == 1  # no server: kept


def test_overdue_work_is_reminded_before_it_is_reassigned(app, users, in_review):
    from review.assignment import reassign_overdue
    from tests.review.conftest import add_expertise as expertise

    cfg = app.extensions["review"]
    with app.extensions["db"].session() as session:
        expertise(session, user(session, users, "reviewer2"), ("vat-li", "thpt"))
        assignment = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == in_review))
        due = assignment.due_at
        assert remind_overdue(session, now=due + timedelta(hours=1)) == [assignment.id]
        assert reassign_overdue(session, cfg, now=due + timedelta(hours=1), grace=cfg.reassign_grace) == []
        later = due + cfg.reassign_grace + timedelta(hours=1)
        assert reassign_overdue(session, cfg, now=later, grace=cfg.reassign_grace) == [in_review]
        taken_over = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == in_review,
                                                                   ReviewAssignment.status == "open"))
        assert taken_over.reviewer.email == "reviewer2@truong.edu.vn"
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == taken_over.reviewer_id, Notification.kind == "assign")) == 1
