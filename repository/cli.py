"""The ``hoclieu`` command (also ``flask --app repository …``)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import select

log = logging.getLogger(__name__)


def _create_app() -> Flask:
    from repository.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """Kho học liệu số: portal, worker and administration."""
    logging.basicConfig(level=os.environ.get("HOCLIEU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not start a worker beside the web server.")
@click.option("--threads", default=8, show_default=True, type=int, help="Threads of each web process.")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Web processes: 1 is waitress; more run gunicorn, one per core uses every core.")
def run_command(host: str, port: int, no_worker: bool, threads: int, processes: int) -> None:
    """Serve the portal (with a worker in the embedded profile). Adds no data by itself."""
    app = current_app._get_current_object()
    worker = None
    if not no_worker and app.extensions["settings"].profile == "embedded":
        worker = subprocess.Popen([sys.executable, "-m", "repository.cli", "worker"])
    click.echo(f"Kho học liệu số: http://{host}:{port}/  (Ctrl+C để dừng)")
    # A service manager stops us with SIGTERM: leave through the finally below so the worker stops too.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if processes == 1:
            from waitress import serve

            warm_search(app)
            serve(app, host=host, port=port, threads=threads, ident="hoclieu", clear_untrusted_proxy_headers=True)
        else:
            _serve_with_gunicorn(f"{host}:{port}", processes, threads)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def warm_search(app: Flask) -> None:
    """Let the search engine prepare what it keeps in memory in the background, if it keeps anything."""
    warm = getattr(app.extensions["search"], "warm", None)
    if warm is not None:
        threading.Thread(target=warm, name="warm-search", daemon=True).start()


def _serve_with_gunicorn(bind: str, processes: int, threads: int) -> None:
    """Python runs one thread at a time per process: on a machine of several cores, several web processes
    answer more searches at once (each builds its own app, engine caches and search document sets)."""
    from gunicorn.app.base import BaseApplication

    class Portal(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": bind, "workers": processes, "threads": threads,
                               "worker_class": "gthread", "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            app = _create_app()
            warm_search(app)
            return app

    Portal().run()


@cli.command("worker")
@click.option("--threads", default=None, type=int, help="Worker threads (default: [queue] workers).")
def worker_command(threads: int | None) -> None:
    """Run background jobs until stopped."""
    app = current_app._get_current_object()
    jobs = app.extensions["jobs"]
    threads = threads or int(app.extensions["settings"].get("queue", "workers", 2))
    requeued = jobs.reap()
    if requeued:
        click.echo(f"re-queued {len(requeued)} interrupted job(s): {requeued}")
    consumer = jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                                         check_worker_health=True, initial_delay=0.1, max_delay=1.0)
    consumer.run()


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema, then load the reference data."""
    from repository.migrate import upgrade

    upgrade(current_app.extensions["db"])
    click.echo("database is up to date")


@cli.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["teacher", "reviewer", "student", "admin"]))
@click.option("--unit", default=None, help="Unit code, e.g. so-hn or a school code.")
@click.option("--name", default="")
def users_create(email: str, password: str, role: str, unit: str | None, name: str) -> None:
    from repository.auth.services import UserError, create_user

    db = current_app.extensions["db"]
    with db.session() as session:
        try:
            user = create_user(session, email=email, password=password, role=role, unit_code=unit, name=name,
                               min_password_length=current_app.extensions["settings"].get(
                                   "auth", "min_password_length"))
        except UserError as exc:
            raise click.ClickException(exc.message_vi) from exc
        session.commit()
        click.echo(f"created {user.email} ({user.role}), id {user.id}")


@users_group.command("token")
@click.option("--email", required=True)
@click.option("--name", default="cli")
def users_token(email: str, name: str) -> None:
    """Print a new personal access token for the user."""
    from repository.auth.services import create_token, normalise_email
    from repository.models import User

    with current_app.extensions["db"].session() as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no user {email}")
        token = create_token(session, user, name)
        session.commit()
    click.echo(token)


@cli.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("load")
@click.option("--lessons", default=200, show_default=True, type=int)
@click.option("--seed", default=2018, show_default=True, type=int)
def demo_load(lessons: int, seed: int) -> None:
    """Load a deterministic demo collection and (re)set the demo accounts, printing their passwords."""
    from repository.demo.loader import load_demo

    report = load_demo(current_app._get_current_object(), lessons=lessons, seed=seed)
    click.echo(f"demo collection: {report.created} new, {report.total} published lessons "
               f"({report.seconds:.1f} s)")
    click.echo("demo accounts (passwords are new at every load):")
    for email, role, password in report.accounts:
        click.echo(f"  {role:9} {email:28} {password}")


@cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database."""
    from search.service import reindex

    count = reindex(current_app._get_current_object())
    click.echo(f"indexed {count} published materials")


def main() -> None:
    cli(prog_name="hoclieu")


if __name__ == "__main__":
    main()
