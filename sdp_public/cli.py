"""Command-line tools: `flask --app wsgi db upgrade`, `drafts purge`, `content check`."""
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app
from flask.cli import AppGroup

from . import drafts

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

db_cli = AppGroup("db", help="Database schema.")
drafts_cli = AppGroup("drafts", help="Server-side form drafts.")
content_cli = AppGroup("content", help="Content files.")


def alembic_config(database_url):
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url, revision="head"):
    command.upgrade(alembic_config(database_url), revision)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("current")
def db_current():
    command.current(alembic_config(current_app.config["DATABASE_URL"]))


@drafts_cli.command("purge")
def drafts_purge():
    """Delete expired form drafts (run hourly from cron or a systemd timer)."""
    db = current_app.extensions["sdp_sessionmaker"]()
    with db:
        click.echo(f"deleted {drafts.purge_expired(db)} expired drafts")


@content_cli.command("check")
def content_check():
    """Render every page in every language; list contact details awaiting confirmation."""
    from . import languages
    store = current_app.extensions["sdp_content"]
    problems = 0
    with current_app.test_request_context():
        for lang in languages.LANGUAGES:
            for path in store.all_paths():
                try:
                    store.page(lang.code, path)
                except Exception as exc:  # report every broken page, not just the first
                    problems += 1
                    click.echo(f"BROKEN {lang.code}/{path}: {exc}")
    for contact in current_app.extensions["sdp_contacts"].values():
        if contact.confirm:
            click.echo(f"TO CONFIRM {contact.id}: {contact.name} ({contact.source})")
    if problems:
        raise SystemExit(1)
    click.echo("content ok")


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(drafts_cli)
    app.cli.add_command(content_cli)
