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


@db_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def db_backup(target):
    """Write a consistent backup of the database to TARGET (SQLite copy or pg_dump file)."""
    from . import backup
    backup.create(current_app.config["DATABASE_URL"], target)
    click.echo(f"backup written to {target}")


@db_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the live database without asking.")
def db_restore(source, yes):
    """Replace the database's contents with the backup SOURCE."""
    from . import backup
    if not yes:
        click.confirm(f"Replace everything in the database with {source}?", abort=True)
    backup.restore(current_app.config["DATABASE_URL"], source)
    click.echo(f"restored from {source}")


@db_cli.command("verify-backup")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
def db_verify_backup(source):
    """Restore SOURCE into a scratch database and open every report with the current keys."""
    from . import backup
    try:
        found = backup.verify(current_app.config["DATABASE_URL"], source, current_app.extensions["sdp_sealer"])
    except Exception as exc:  # noqa: BLE001 - any failure means the backup cannot be trusted
        click.echo(f"BACKUP NOT USABLE: {exc.__class__.__name__}: {str(exc)[:300]}")
        raise SystemExit(1) from None
    click.echo("backup ok: " + ", ".join(f"{key} {value}" for key, value in found.items()))


def _scrub_and_expire_mail(app):
    """After a purge: leave no deleted bytes in SQLite's WAL (db.scrub), and delete the
    file transport's mail files past MAIL_FILE_DAYS (mail.purge_files). Returns the count."""
    from . import mail
    from .db import scrub
    with app.extensions["sdp_engine"].connect() as connection:
        scrub(connection)
    return mail.purge_files(app.config["SMTP_URL"], app.config["MAIL_FILE_DAYS"])


@drafts_cli.command("purge")
def drafts_purge():
    """Delete expired form drafts and old mail files (run hourly from cron or a systemd timer)."""
    app = current_app._get_current_object()
    db = app.extensions["sdp_sessionmaker"]()
    with db:
        click.echo(f"deleted {drafts.purge_expired(db)} expired drafts")
    mails = _scrub_and_expire_mail(app)
    if mails:
        click.echo(f"deleted {mails} mail files older than {app.config['MAIL_FILE_DAYS']} days")


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




@content_cli.command("translations")
@click.option("--lang", "only", default=None, help="One language code (for example ar).")
@click.option("--all-pages", is_flag=True, help="List pages that fall back to English too.")
def content_translations(only, all_pages):
    """Per language and page: translated, stale (English changed since) or falling back;
    then any translated page whose structure differs from the English. Exit 1 on problems."""
    from . import languages, translation_status
    store = current_app.extensions["sdp_content"]
    entries = [e for e in translation_status.status(store) if only in (None, e.lang)]
    problems = []
    client = current_app.test_client()
    for entry in entries:
        if entry.state == "fallback" and not (entry.required or all_pages):
            continue
        line = f"{entry.lang:8} {entry.path:34} {entry.state:10} english {entry.english_updated}"
        if entry.state != "fallback":
            line += f"  translates {entry.translation_of}  by {entry.translated_by}"
            line += "  reviewed" if entry.reviewed else "  not reviewed"
            problems += translation_status.problems(store, entry.lang, entry.path)
        elif entry.required:
            problems.append(f"{entry.lang}/{entry.path}: required page missing")
        click.echo(line)
    # Render every page in the language through the real views, as a reader would.
    from .public.pages import public_endpoints
    with current_app.test_request_context():
        from flask import url_for
        codes = [only] if only else [lang.code for lang in languages.LANGUAGES[1:]]
        urls = [url_for(endpoint, lang=code, **args) for code in codes for endpoint, args in public_endpoints()]
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: HTTP {response.status_code}")
    for problem in problems:
        click.echo(f"PROBLEM {problem}")
    if problems:
        raise SystemExit(1)
    click.echo("translations ok")


outbox_cli = AppGroup("outbox", help="Notification emails waiting to be sent.")
reports_cli = AppGroup("reports", help="Reports (for authorised operators).")


@outbox_cli.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds when running on.")
def outbox_deliver(once, interval):
    """Send queued notifications, retrying failures with backoff. Safe to run several at once."""
    import time
    from .services import outbox
    app = current_app._get_current_object()
    while True:
        sent = failed = 0
        while True:  # batch after batch until nothing is due: --once empties the queue
            with app.extensions["sdp_sessionmaker"]() as db:
                batch_sent, batch_failed = outbox.deliver(db, app.config, app.extensions["sdp_router"],
                                                          app.extensions["sdp_sealer"])
            sent, failed = sent + batch_sent, failed + batch_failed
            if not batch_sent and not batch_failed:
                break
        if sent or failed or once:
            click.echo(f"sent {sent}, failed {failed}")
        if once:
            return
        time.sleep(interval)


evidence_cli = AppGroup("evidence", help="Evidence files: malware scanning, clean copies and previews.")


@evidence_cli.command("process")
@click.option("--once", is_flag=True, help="Work through what is waiting now, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds when running on.")
def evidence_process(once, interval):
    """Scan new files with clamd (SDP_CLAMD_ADDRESS), then make clean copies and previews."""
    from .evidence import worker
    app = current_app._get_current_object()
    scanner = worker.scanner_for(app.config)
    if scanner is None:
        click.echo("no scanner configured (SDP_CLAMD_ADDRESS): files are marked not scanned")
    while True:
        total = {}
        while True:  # batch after batch until nothing is due
            with app.extensions["sdp_sessionmaker"]() as db:
                counts = worker.process_pending(db, app.extensions["sdp_sealer"], scanner)
            for key, value in counts.items():
                total[key] = total.get(key, 0) + value
            if not counts:
                break
        if total or once:
            click.echo("files: " + (", ".join(f"{k} {v}" for k, v in sorted(total.items())) or "none waiting"))
        if once:
            return
        import time
        time.sleep(interval)


@reports_cli.command("show")
@click.argument("reference")
def reports_show(reference):
    """Print a report's unsealed answers (for an authorised operator). Every use is logged."""
    import json
    import logging
    from .services import reports
    app = current_app._get_current_object()
    sealer = app.extensions["sdp_sealer"]
    with app.extensions["sdp_sessionmaker"]() as db:
        report = reports.find(db, reference)
        if report is None:
            raise click.ClickException("no report with that reference")
        logging.getLogger("sdp_public.audit").warning("reports show %s by operator", report.reference)
        click.echo(json.dumps({
            "reference": report.reference, "form": report.form, "language": report.lang, "status": report.status,
            "received": report.created_at.isoformat(), "anonymous": report.anonymous,
            "purged": report.purged,
            "routed_to": [{"partner": r.partner, "reason": r.reason} for r in report.routes],
            "answers": report.answers(sealer), "contact": report.contact(sealer) or None,
            "added_by_reporter": [report.open(sealer, "event", e.sealed_body)
                                  for e in report.events if e.kind == "reporter-information"],
        }, ensure_ascii=False, indent=2))


@reports_cli.command("fill-areas")
def reports_fill_areas():
    """Once after migration 0007: copy each older report's area (a choice from a fixed
    list) from its sealed answers into the plain column the inbox filters on."""
    from .services import reports
    app = current_app._get_current_object()
    with app.extensions["sdp_sessionmaker"]() as db:
        filled = reports.fill_areas(db, app.extensions["sdp_sealer"])
    click.echo(f"filled the area of {filled} reports")


partners_cli = AppGroup("partners", help="Partner staff accounts.")
retention_cli = AppGroup("retention", help="Deleting what we no longer need.")


@partners_cli.command("add-user")
@click.argument("email")
@click.option("--partner", required=True, help="The partner's slug in content/partners.toml.")
@click.option("--role", default="caseworker", type=click.Choice(["caseworker", "lead", "admin"]), show_default=True)
def partners_add_user(email, partner, role):
    """Create a staff account; prints a one-time password and the TOTP secret, once. The
    password works once: the first sign-in chooses a new one."""
    from .services import staff, totp
    app = current_app._get_current_object()
    if partner not in app.extensions["sdp_router"].partners:
        raise click.ClickException(f"unknown partner {partner!r}")
    with app.extensions["sdp_sessionmaker"]() as db:
        user, password, secret = staff.add_account(db, app.extensions["sdp_sealer"], "operator (command line)", partner,
                                                   email, partner, role)
        click.echo(f"account:  {user.email} ({partner}, {role})")
    click.echo(f"password: {password}   (one-time: give it to them once; they choose their own at first sign-in)")
    click.echo(f"TOTP:     {secret}")
    click.echo(f"          {totp.provisioning_uri(secret, email)}")
    click.echo("Sign in at /partners/sign-in with the password and the 6-digit code from an authenticator app.")


@retention_cli.command("purge")
@click.option("--months", default=13, show_default=True, help="Months after closure to keep answers.")
def retention_purge(months):
    """Delete answers, contact details and every sealed word of reports closed more than MONTHS ago."""
    import logging
    from datetime import datetime, timedelta, timezone

    from .services import reports
    app = current_app._get_current_object()
    cutoff = datetime.now(timezone.utc) - timedelta(days=round(months * 30.44))
    with app.extensions["sdp_sessionmaker"]() as db:
        purged = reports.purge_closed(db, cutoff)
    mails = _scrub_and_expire_mail(app)
    logging.getLogger("sdp_public.retention").warning(
        "retention purge: answers deleted from %s reports closed before %s", purged, cutoff.date())
    click.echo(f"purged {purged} reports closed before {cutoff.date()}")
    if mails:
        click.echo(f"deleted {mails} mail files older than {app.config['MAIL_FILE_DAYS']} days")


keys_cli = AppGroup("keys", help="Sealing keys.")


@keys_cli.command("rotate")
def keys_rotate():
    """Re-seal every sealed value with the newest key (the first in SDP_SEALING_KEYS).

    Add a new key in front of the old one, deploy, run this, then remove the old key."""
    from .db import scrub
    from .services import keys
    app = current_app._get_current_object()
    sealer = app.extensions["sdp_sealer"]
    with app.extensions["sdp_sessionmaker"]() as db:
        count, unreadable = keys.rotate(db, sealer)
    with app.extensions["sdp_engine"].connect() as connection:
        scrub(connection)  # no page image sealed with the old key left in SQLite's WAL
    click.echo(f"re-sealed {count} values with key {sealer.current}"
               + (f"; deleted {unreadable} drafts no configured key opens" if unreadable else ""))


def init_app(app):
    for group in (db_cli, drafts_cli, content_cli, outbox_cli, evidence_cli, reports_cli, partners_cli, retention_cli,
                  keys_cli):
        app.cli.add_command(group)
