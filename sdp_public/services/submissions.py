"""Submitting a report: sealed, routed and queued for delivery in ONE transaction.

Only after the commit does the reporter see a reference. If anything fails, nothing is
stored and the caller shows a "try again, or call 101" page; never a fake confirmation.

The draft being sent is consumed in the same transaction (a compare-and-set, see
drafts.Claim), so of several Sends from one draft exactly one stores a report.
"""
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..models import OutboxMessage, Report, ReportEvent, ReportRoute, ReportStatistic
from . import codes


class NoRoute(RuntimeError):
    """The routing rules sent a report nowhere: a configuration error, caught by tests."""


class AlreadySubmitted(RuntimeError):
    """Another Send from the same draft won: nothing was stored by this one."""


def sealing_context(report_reference, form, part):
    return f"{form}:{report_reference}:{part}"


def unseal_part(sealer, report, part, token, default=None):
    """Open one of a report's sealed values ("answers", "contact", "event", "recipient");
    `default` when it is empty (anonymous, or purged)."""
    return sealer.unseal(token, sealing_context(report.reference, report.form, part)) if token else default


def submit(db, flow, answers, lang, sealer, router, contact_fields, now=None, claim=None):
    """Store the report; returns (reference, receipt code). Raises on any failure.

    `claim` (a drafts.Claim) is taken first, in this transaction: if it is already gone,
    AlreadySubmitted is raised and nothing is stored; once the report is in, the claim
    keeps the reference and receipt (sealed) for the confirmation, committed together."""
    now = now or datetime.now(timezone.utc)
    routes = router.route(flow.slug, answers)
    if not routes:
        raise NoRoute(f"no partner for a {flow.slug} report")
    anonymous = answers.get("contact") == "anonymous"
    contact = {} if anonymous else {k: answers[k] for k in contact_fields if answers.get(k) not in (None, "", False)}
    report_answers = {k: v for k, v in answers.items()
                      if k not in contact_fields and not k.startswith("seen:") and k not in ("started_at", "honeypot")}
    receipt = codes.new_receipt_code()
    # The first write of the transaction: on SQLite it takes the write lock, so concurrent
    # Sends queue here; on PostgreSQL the row lock makes the others wait, then find it gone.
    if claim is not None and not claim.take(db):
        db.rollback()
        raise AlreadySubmitted(f"this {flow.slug} draft was already sent")

    for _attempt in range(5):  # a reference collision is vanishingly rare; try another
        reference = codes.new_reference(flow.reference_prefix)
        report = Report(
            reference=reference, form=flow.slug, lang=lang, status="new", anonymous=anonymous,
            sealed_answers=sealer.seal(report_answers, sealing_context(reference, flow.slug, "answers")),
            sealed_contact=sealer.seal(contact, sealing_context(reference, flow.slug, "contact")) if contact else None,
            receipt_hash=codes.hash_receipt(receipt), created_at=now, updated_at=now,
        )
        try:
            with db.begin_nested():  # a collision undoes this insert only, not the claim
                db.add(report)
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("could not allocate a unique reference")

    for partner, reason in routes:
        db.add(ReportRoute(report_id=report.id, partner=partner.slug, reason=reason, created_at=now))
        db.add(OutboxMessage(report_id=report.id, kind="partner-notification", partner=partner.slug,
                             next_attempt_at=now, created_at=now, status="pending", attempts=0))
    db.add(ReportEvent(report_id=report.id, kind="submitted", actor="reporter", created_at=now))
    area, categories = flow.statistics(answers)
    for category in categories or [""]:
        count(db, flow.slug, now.strftime("%Y-%m"), str(area or "")[:40], str(category or "")[:40])
    if contact.get("acknowledge") and contact.get("email"):
        db.add(OutboxMessage(report_id=report.id, kind="reporter-acknowledgement",
                             sealed_recipient=sealer.seal(contact["email"], sealing_context(reference, flow.slug, "recipient")),
                             next_attempt_at=now, created_at=now, status="pending", attempts=0))
    if claim is not None:
        claim.done(db, reference, receipt)
    db.commit()
    return reference, receipt


def count(db, form, month, area, category):
    """Add one to an anonymised counter, creating it if needed; safe under concurrency."""
    key = (ReportStatistic.form == form, ReportStatistic.month == month, ReportStatistic.area == area,
           ReportStatistic.category == category)
    for _attempt in range(3):
        if db.execute(update(ReportStatistic).where(*key).values(count=ReportStatistic.count + 1)).rowcount:
            return
        try:
            with db.begin_nested():
                db.add(ReportStatistic(form=form, month=month, area=area, category=category, count=1))
            return
        except IntegrityError:
            continue  # another submission created it first: add to theirs
    raise RuntimeError("could not count a statistic")


def find(db, reference):
    return db.scalar(select(Report).where(Report.reference == codes.normalise_reference(reference)))


class AdditionLimit(Exception):
    """No more "add to my report" now: `scope` is "report" (the report's total is reached)
    or "session" (this sign-in's share is)."""

    def __init__(self, scope):
        super().__init__(scope)
        self.scope = scope


def add_information(db, report, text, sealer, limit, session_limit=None, since=None, now=None):
    """The reporter adds to their report from the track page; each partner hears of it.

    At most `limit` additions per report, and `session_limit` since `since` (the moment this
    browser signed in with the receipt code): beyond either, AdditionLimit and nothing is
    stored. The count is taken with the report's row locked (PostgreSQL; SQLite writes one
    at a time), so parallel posts cannot slip past it. A partner hears once per batch: while
    a partner-update for this report and partner is still pending, no other is queued (the
    email carries no answers, only "new information on <reference>")."""
    now = now or datetime.now(timezone.utc)
    db.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    added = select(func.count()).select_from(ReportEvent).where(
        ReportEvent.report_id == report.id, ReportEvent.kind == "reporter-information")
    if db.scalar(added) >= limit:
        db.rollback()
        raise AdditionLimit("report")
    if session_limit is not None and since is not None and \
            db.scalar(added.where(ReportEvent.created_at >= since)) >= session_limit:
        db.rollback()
        raise AdditionLimit("session")
    db.add(ReportEvent(report_id=report.id, kind="reporter-information", actor="reporter", created_at=now,
                       sealed_body=sealer.seal({"text": text}, sealing_context(report.reference, report.form, "event"))))
    waiting = set(db.scalars(select(OutboxMessage.partner).where(
        OutboxMessage.report_id == report.id, OutboxMessage.kind == "partner-update",
        OutboxMessage.status == "pending")).all())
    for route in report.routes:
        if route.partner not in waiting:
            db.add(OutboxMessage(report_id=report.id, kind="partner-update", partner=route.partner,
                                 next_attempt_at=now, created_at=now, status="pending", attempts=0))
    report.updated_at = now
    db.commit()
