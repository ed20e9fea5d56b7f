"""The outbox: emails committed with their report, delivered by `flask --app wsgi outbox deliver`.

Claiming. A worker claims up to BATCH due messages with a compare-and-set UPDATE (status
pending, lock free or expired -> locked_until = now + lock, lock_token = this pass's random
token): exactly one worker wins a message, on SQLite and on PostgreSQL alike. On PostgreSQL
candidates are also picked with FOR UPDATE SKIP LOCKED so busy workers do not queue behind
each other. The lock lasts OUTBOX_LOCK_SECONDS (SDP_OUTBOX_LOCK_SECONDS, 300).

Re-claiming before each send. A batch can take longer than the lock (a slow relay: 50
messages at 7 s each outlast 5 minutes), and once a lock has expired another worker may
claim the same message. So just before sending each message the worker renews its claim
with a second compare-and-set (lock_token and locked_until still the values it wrote ->
locked_until = now + lock); if that matches no row, the message was claimed by someone
else and this worker skips it. The send is then covered by a fresh, whole lock, and the
result is recorded as that worker's.

What delivery promises: AT LEAST ONCE. Every queued message is sent eventually (a refused
or unreachable relay is retried with backoff, 30 s doubling to an hour; nothing is dropped),
and while workers stay alive no message is sent twice, however slow the relay. A duplicate
is possible only if a worker stops between the relay accepting a message and the "sent"
row being committed (a crash, a kill, a lost database), or if one single send outlasts the
whole lock (the SMTP client gives up after 10 s per step, far inside 5 minutes). Duplicates
are suppressed downstream where possible: every attempt of a message carries the same
Message-ID (derived from the message and the secret key), which mail systems use to fold
repeats. Partner emails carry only a reference and a link, so a duplicate costs nothing
but a second notification.
"""
import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta, timezone

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from .. import languages
from ..mail import MailError, build, send
from ..models import OutboxMessage, Report


logger = logging.getLogger("sdp_public.outbox")
LOCK = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
BATCH = 50
# Messages whose sealed payload is wiped once sent (a resume code's email holds the code).
ONE_TIME = ("resume-code",)


def backoff(attempts):
    """30s, 1m, 2m, 4m ... capped at an hour: a mail server outage is ridden out, not fatal."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def lock_length(config):
    return timedelta(seconds=float(config.get("OUTBOX_LOCK_SECONDS", LOCK.total_seconds())))


def _claim(db, now, lock=LOCK):
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
            .values(locked_until=now + lock, lock_token=token))
        if result.rowcount == 1:
            claimed.append(message_id)
    db.commit()
    return token, claimed, now + lock


def _renew(db, message_id, token, held_until, lock):
    """Compare-and-set: extend this worker's claim on one message to a whole lock from now, if
    it is still this worker's (token and expiry as written). Returns the new expiry, or None
    when another worker has claimed the message since (or it is no longer pending)."""
    until = datetime.now(timezone.utc) + lock
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
               OutboxMessage.lock_token == token, OutboxMessage.locked_until == held_until)
        .values(locked_until=until))
    db.commit()
    return until if result.rowcount == 1 else None


def message_id_header(config, message_id, sender):
    """The same Message-ID for every attempt at one outbox message, so a duplicate (a worker
    that died after sending) can be recognised downstream; it reveals nothing (a keyed hash)."""
    key = str(config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(key, f"outbox-message:{message_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"<{digest}@{sender.rsplit('@', 1)[-1] if '@' in sender else 'localhost'}>"


def compose(message, report, config, router, sealer):
    """The email for one outbox message, in the right language, with no report answers."""
    if report is None:  # a message of no report: a resume code's email
        return _compose_unattached(message, config, sealer)
    inbox = f"{config['SITE_URL']}/partners/reports/{report.reference}" if config.get("SITE_URL") else \
        f"/partners/reports/{report.reference}"
    if message.kind in ("partner-notification", "partner-update"):
        partner = router.partners[message.partner]
        with force_locale("en"):  # partner pages and emails are in English
            body = render_template("emails/partner_notification.txt", message=message, report=report,
                                   partner=partner, inbox=inbox)
        subject = ("New information on " if message.kind == "partner-update" else
                   "Urgent: new report " if report.urgent else "New report ") + report.reference
        return build(config["MAIL_FROM"], router.mailbox(message.partner), subject, body)
    if message.kind in ("reporter-acknowledgement", "reporter-message"):
        recipient = report.open(sealer, "recipient", message.sealed_recipient)
        name = "acknowledgement" if message.kind == "reporter-acknowledgement" else "new_message"
        track = f"{config['SITE_URL']}/{report.lang}/track" if config.get("SITE_URL") else f"/{report.lang}/track"
        with force_locale(languages.get(report.lang).locale if languages.get(report.lang) else "en_GB"):
            body = render_template(f"emails/{name}.txt", report=report, track=track)
            subject = render_template(f"emails/{name}_subject.txt", report=report).strip()
        return build(config["MAIL_FROM"], recipient, subject, body)
    if message.kind == "staff-assignment":
        # Whoever holds the report when the email goes (the address is never queued); if
        # nobody does any more, there is nothing to say.
        if report.assigned_to is None:
            return None
        with force_locale("en"):
            body = render_template("emails/staff_assignment.txt", report=report, inbox=inbox)
        return build(config["MAIL_FROM"], report.assigned_to.email, f"Report {report.reference} is assigned to you",
                     body)
    raise ValueError(f"unknown outbox message kind {message.kind!r}")


def _compose_unattached(message, config, sealer):
    """A message that belongs to no report: the reader's own resume code, to the address
    they chose, in the language of the page they saved from. Subject and body say only
    "saved answers", never which form (the mailbox may not be private)."""
    if message.kind != "resume-code":
        raise ValueError(f"unknown outbox message kind {message.kind!r}")
    from ..drafts import outbox_context
    sent = sealer.unseal(message.sealed_recipient, outbox_context(message.id))
    language = languages.get(sent.get("lang")) or languages.DEFAULT
    resume = f"{config['SITE_URL']}/{language.code}/report/resume" if config.get("SITE_URL") else \
        f"/{language.code}/report/resume"
    with force_locale(language.locale):
        body = render_template("emails/resume_code.txt", code=sent["code"], until=datetime.fromisoformat(sent["until"]),
                               resume=resume)
        subject = render_template("emails/resume_code_subject.txt").strip()
    return build(config["MAIL_FROM"], sent["to"], subject, body)


def _describe(exc):
    """What went wrong, without the error's text: an SMTP refusal can quote the address."""
    code = getattr(exc, "smtp_code", None)
    return f"{exc.__class__.__name__}{f' {code}' if code else ''}"[:200]


def deliver(db, config, router, sealer, now=None, lock=None):
    """Send what is due; returns (sent, failed). `lock` (a timedelta) defaults to the config's."""
    now = now or datetime.now(timezone.utc)
    lock = lock or lock_length(config)
    token, claimed, held_until = _claim(db, now, lock)
    sent = failed = 0
    for message_id in claimed:
        until = _renew(db, message_id, token, held_until, lock)
        if until is None:
            logger.info("outbox: message %s was claimed by another worker; skipped", message_id)
            continue
        message = db.get(OutboxMessage, message_id)
        report = db.get(Report, message.report_id) if message.report_id is not None else None
        try:
            email = compose(message, report, config, router, sealer)
            if email is None:
                db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                    status="cancelled", last_error="nothing to send any more", locked_until=None))
                db.commit()
                continue
            del email["Message-ID"]
            email["Message-ID"] = message_id_header(config, message.id, config["MAIL_FROM"])
            send(config["SMTP_URL"], email)
        except Exception as exc:  # noqa: BLE001 - one bad message must never block the queue
            if not isinstance(exc, (MailError, OSError)):
                logger.exception("outbox: message %s could not be composed", message.id)
            failed += 1
            values = {"attempts": OutboxMessage.attempts + 1, "next_attempt_at": now + backoff(message.attempts + 1),
                      "last_error": _describe(exc), "locked_until": None}
            logger.warning("outbox: message %s not sent (attempt %s): %s", message.id, message.attempts + 1,
                           exc.__class__.__name__)
            # a failure is recorded only if the claim is still ours: another worker may hold it now
            condition = (OutboxMessage.lock_token == token, OutboxMessage.locked_until == until)
        else:
            sent += 1
            values = {"status": "sent", "sent_at": datetime.now(timezone.utc), "attempts": OutboxMessage.attempts + 1,
                      "locked_until": None, "last_error": None}
            logger.info("outbox: message %s (%s) sent", message.id, message.kind)
            if message.kind in ONE_TIME:
                values["sealed_recipient"] = None  # sent: the address and code are not kept
            condition = ()  # it went: record it whoever holds the lock, so nobody sends it again
        db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id, *condition).values(**values))
        db.commit()
    return sent, failed


def pending_count(db):
    return len(db.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all())
