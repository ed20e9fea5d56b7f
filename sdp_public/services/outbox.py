"""The outbox: emails committed with their report, delivered by `flask --app wsgi outbox deliver`.

Each message is claimed with a compare-and-set UPDATE (status pending, lock free or
expired -> locked by this worker's token): exactly one worker wins a message, on SQLite
and on PostgreSQL alike. On PostgreSQL candidates are also picked with
FOR UPDATE SKIP LOCKED so busy workers do not queue behind each other. A failed send is
retried with exponential backoff until it goes; nothing is dropped.

A worker that dies after sending but before recording it leaves the lock to expire and
the message is sent again: at least once, never lost. Partner emails carry only a
reference and a link, so a duplicate costs nothing but a second notification.
"""
import logging
import secrets
from datetime import datetime, timedelta, timezone

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from .. import languages
from ..mail import MailError, build, send
from ..models import OutboxMessage, Report
from .submissions import unseal_part

logger = logging.getLogger("sdp_public.outbox")
LOCK = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
BATCH = 50


def backoff(attempts):
    """30s, 1m, 2m, 4m ... capped at an hour: a mail server outage is ridden out, not fatal."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def _claim(db, now):
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                    (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now))
             .order_by(OutboxMessage.id).limit(BATCH))
    if db.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = db.scalars(query).all()
    token = secrets.token_hex(16)
    claimed = []
    for message_id in candidates:
        result = db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                   (OutboxMessage.locked_until.is_(None)) | (OutboxMessage.locked_until < now))
            .values(locked_until=now + LOCK, lock_token=token))
        if result.rowcount == 1:
            claimed.append(message_id)
    db.commit()
    return token, claimed


def compose(message, report, config, router, sealer):
    """The email for one outbox message, in the right language, with no report answers."""
    inbox = f"{config['SITE_URL']}/partners/reports/{report.reference}" if config.get("SITE_URL") else \
        f"/partners/reports/{report.reference}"
    if message.kind in ("partner-notification", "partner-update"):
        partner = router.partners[message.partner]
        with force_locale("en"):  # partner pages and emails are in English
            body = render_template("emails/partner_notification.txt", message=message, report=report,
                                   partner=partner, inbox=inbox)
        subject = ("New information on " if message.kind == "partner-update" else "New report ") + report.reference
        return build(config["MAIL_FROM"], router.mailbox(message.partner), subject, body)
    if message.kind in ("reporter-acknowledgement", "reporter-message"):
        recipient = unseal_part(sealer, report, "recipient", message.sealed_recipient)
        name = "acknowledgement" if message.kind == "reporter-acknowledgement" else "new_message"
        track = f"{config['SITE_URL']}/{report.lang}/track" if config.get("SITE_URL") else f"/{report.lang}/track"
        with force_locale(languages.get(report.lang).locale if languages.get(report.lang) else "en_GB"):
            body = render_template(f"emails/{name}.txt", report=report, track=track)
            subject = render_template(f"emails/{name}_subject.txt", report=report).strip()
        return build(config["MAIL_FROM"], recipient, subject, body)
    raise ValueError(f"unknown outbox message kind {message.kind!r}")


def _describe(exc):
    """What went wrong, without the error's text: an SMTP refusal can quote the address."""
    code = getattr(exc, "smtp_code", None)
    return f"{exc.__class__.__name__}{f' {code}' if code else ''}"[:200]


def deliver(db, config, router, sealer, now=None):
    """Send what is due; returns (sent, failed)."""
    now = now or datetime.now(timezone.utc)
    token, claimed = _claim(db, now)
    sent = failed = 0
    for message_id in claimed:
        message = db.get(OutboxMessage, message_id)
        report = db.get(Report, message.report_id)
        try:
            send(config["SMTP_URL"], compose(message, report, config, router, sealer))
        except Exception as exc:  # noqa: BLE001 - one bad message must never block the queue
            if not isinstance(exc, (MailError, OSError)):
                logger.exception("outbox: message %s could not be composed", message.id)
            failed += 1
            message.attempts += 1
            message.next_attempt_at = now + backoff(message.attempts)
            message.last_error = _describe(exc)
            message.locked_until = None
            logger.warning("outbox: message %s not sent (attempt %s): %s", message.id, message.attempts,
                           exc.__class__.__name__)
        else:
            sent += 1
            message.status = "sent"
            message.sent_at = datetime.now(timezone.utc)
            message.attempts += 1
            message.locked_until = None
            message.last_error = None
            logger.info("outbox: message %s for report %s sent", message.id, report.reference)
        db.commit()
    return sent, failed


def pending_count(db):
    return len(db.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all())
