"""Notifications by e-mail through the outbox: written with the decision, sent by SMTP from configuration; with
the mail server down nothing is lost, and once it is up every message arrives exactly once."""

from __future__ import annotations

import socketserver
import threading
from datetime import timedelta

from sqlalchemy import select

from repository.auth.services import create_token, create_user
from repository.config import load_settings
from repository.models import utcnow
from review.config import review_config
from review.mail import queue_mail, send_pending
from review.models import MailOutbox
from review.workflow import decide
from tests.conftest import bearer, make_test_app
from tests.core.test_cli import free_port
from tests.review.conftest import SCORES, make_material, user
from tests.review.smtp_sink import SinkServer, SmtpSink


def _mail_cfg(port: int):
    settings = load_settings(environ={"HOCLIEU_MAIL_PASSWORD": "khong-dung"},
                             overrides={"review": {"smtp_port": port, "mail_retry_seconds": 30}})
    return review_config(settings).mail


def test_smtp_settings_come_from_configuration_and_the_password_from_the_environment():
    cfg = _mail_cfg(2525)
    assert (cfg.host, cfg.port, cfg.password, cfg.sender) == ("127.0.0.1", 2525, "khong-dung", "khohoclieu@localhost")


def test_a_decision_queues_mail_to_the_author(app, users, db, cfg):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
        decide(session, material_id, user(session, users, "reviewer"), cfg, "approve", "Rất tốt", SCORES)
        mail = session.scalar(select(MailOutbox).where(MailOutbox.recipient == "teacher@truong.edu.vn"))
        assert mail.subject == "Kết quả thẩm định: Phương trình bậc hai" and "Rất tốt" in mail.body
        assert mail.sent_at is None


def test_mail_server_down_then_up_loses_nothing_and_sends_once(app, db):
    port = free_port()
    mail_cfg = _mail_cfg(port)
    with db.session() as session:
        for n in range(3):
            queue_mail(session, f"gv{n}@truong.edu.vn", f"Thông báo {n}", f"Nội dung tiếng Việt số {n}")
        session.commit()
        now = utcnow()
        assert send_pending(session, mail_cfg, now) == 0  # nobody listens on the port
        rows = session.scalars(select(MailOutbox).order_by(MailOutbox.id)).all()
        assert all(r.sent_at is None for r in rows)
        assert rows[0].attempts == 1 and "Connection refused" in rows[0].last_error
        assert rows[0].next_attempt_at == now + timedelta(seconds=30)
        assert send_pending(session, mail_cfg, now + timedelta(seconds=5)) == 0  # still down
        with SmtpSink(port) as sink:
            later = now + timedelta(minutes=5)
            assert send_pending(session, mail_cfg, later) == 3
            assert send_pending(session, mail_cfg, later) == 0
        received = sorted((m["To"], m["Subject"], m.get_content().strip()) for m in sink.mailbox.messages)
        assert received == [(f"gv{n}@truong.edu.vn", f"Thông báo {n}", f"Nội dung tiếng Việt số {n}")
                            for n in range(3)]
        assert all(r.sent_at is not None for r in session.scalars(select(MailOutbox)))


def test_a_server_refusing_midway_keeps_the_rest_for_later(app, db):
    port = free_port()
    mail_cfg = _mail_cfg(port)

    class RefuseSecond(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 flaky\r\n")
            messages = 0
            for raw in self.rfile:
                verb = raw.strip().split(b" ", 1)[0].upper()
                if verb == b"MAIL":
                    messages += 1
                    self.wfile.write(b"451 try later\r\n" if messages == 2 else b"250 OK\r\n")
                elif verb == b"DATA":
                    self.wfile.write(b"354 go\r\n")
                    for line in self.rfile:
                        if line == b".\r\n":
                            break
                    self.wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    with db.session() as session:
        for n in range(3):
            queue_mail(session, f"gv{n}@truong.edu.vn", f"Thông báo {n}", "…")
        session.commit()
        with SinkServer(("127.0.0.1", port), RefuseSecond) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            assert send_pending(session, mail_cfg) == 1
            server.shutdown()
        rows = session.scalars(select(MailOutbox).order_by(MailOutbox.id)).all()
        assert [r.sent_at is not None for r in rows] == [True, False, False]
        assert "451" in rows[1].last_error and rows[2].attempts == 0


def test_the_worker_sends_decision_mail_through_the_configured_server(tmp_path, database_url):
    port = free_port()
    app = make_test_app(tmp_path, database_url, review={"smtp_port": port})
    db = app.extensions["db"]
    try:
        with db.session() as session:
            teacher = create_user(session, email="gv@truong.edu.vn", password="mat-khau-dai-1", role="teacher",
                                  unit_code="so-hn", name="Cô Lan")
            reviewer = create_user(session, email="td@truong.edu.vn", password="mat-khau-dai-1", role="reviewer",
                                   unit_code="so-hcm", name="Thầy Minh")
            session.flush()
            material_id = make_material(session, teacher)
            token = create_token(session, reviewer, "t")
            session.commit()
        with SmtpSink(port) as sink:
            decided = app.test_client().post(f"/api/v1/materials/{material_id}/review", headers=bearer(token),
                                             json={"decision": "approve", "comment": "Đạt", "scores": SCORES})
            assert decided.status_code == 200
        assert [(m["To"], m["Subject"]) for m in sink.mailbox.messages] == [
            ("gv@truong.edu.vn", "Kết quả thẩm định: Phương trình bậc hai")]
    finally:
        app.extensions["search"].close()
        db.dispose()
