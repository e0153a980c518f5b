"""``hoclieu review …``: the review workflow's periodic work, runnable by hand or from cron."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from review.mail import send_pending
from review.reminders import remind_overdue


@click.group("review", help="Thẩm định: việc định kỳ.")
def review_cli() -> None:
    pass


@review_cli.command("remind", help="Gửi nhắc hạn (e-mail qua hàng đợi thư và thông báo) cho việc quá hạn.")
@with_appcontext
def remind_command() -> None:
    """Queue the reminders, then try the mail outbox once; what the server refuses stays queued for the worker."""
    with current_app.extensions["db"].session() as session:
        reminded = remind_overdue(session)
        send_pending(session, current_app.extensions["review"].mail)
    click.echo(f"{len(reminded)} reminder(s) queued")
