"""The report service: one verb for each thing that can happen to a report.

Each verb writes what it must (the report, its timeline event, the audit entry, the
outbox messages) and commits ONCE, so nothing happens by halves: views, /track and the
command line are thin adapters that parse their input and call one verb.

Submit: only after the commit does the reporter see a reference. If anything fails,
nothing is stored and the caller shows a "try again, or call 101" page; never a fake
confirmation. The draft being sent is consumed in the same transaction (a compare-and-set,
see drafts.Claim), so of several Sends from one draft exactly one stores a report.

Actors: the reporter ("reporter") or a member of staff (a StaffUser); the event names
them, the audit log records every staff action and every opening of a report.
"""
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from ..models import (EvidenceChunk, EvidenceFile, OutboxMessage, Report, ReportEvent, ReportRoute,
                      ReportStatistic, StaffUser)
from .. import languages
from . import audit, codes, evidence

STATUSES = ("new", "acknowledged", "in-progress", "referred", "closed")


class NoRoute(RuntimeError):
    """The routing rules sent a report nowhere: a configuration error, caught by tests."""


class AlreadySubmitted(RuntimeError):
    """Another Send from the same draft won: nothing was stored by this one."""


def _insert(db, model):
    """INSERT for this database's dialect, which can say ON CONFLICT (SQLite and PostgreSQL)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def submit(db, flow, answers, lang, sealer, router, contact_fields, now=None, claim=None):
    """Store the report; returns (reference, receipt code). Raises on any failure.

    `claim` (a drafts.Claim) is taken first, in this transaction: if it is already gone,
    AlreadySubmitted is raised and nothing is stored; the same statement leaves the draft
    holding the reference and receipt (sealed) for the confirmation, committed together.

    On PostgreSQL each statement is a round trip, so there are as few as the promise allows:
    BEGIN, the draft's read (the view's claim), its compare-and-set, the report (ON CONFLICT
    DO NOTHING for a reference collision: no savepoint), the draft's files, one INSERT each
    for the routes, outbox messages and event, one upsert for every statistic, COMMIT."""
    now = now or datetime.now(timezone.utc)
    routes = router.route(flow.slug, answers)
    if not routes:
        raise NoRoute(f"no partner for a {flow.slug} report")
    partners = [partner.slug for partner, _reason in routes]
    anonymous = answers.get("contact") == "anonymous"
    contact = {} if anonymous else {k: answers[k] for k in contact_fields if answers.get(k) not in (None, "", False)}
    report_answers = {k: v for k, v in answers.items()
                      if k not in contact_fields and not k.startswith("seen:") and k not in ("started_at", "honeypot")}
    receipt = codes.new_receipt_code()
    # The area from the fixed list the flow declares for the statistics (never typed text).
    area, categories = flow.statistics(answers)
    area = str(area)[:40] if area else None
    reference = codes.new_reference(flow.reference_prefix)
    # The first write of the transaction: on SQLite it takes the write lock, so concurrent
    # Sends queue here; on PostgreSQL the row lock makes the others wait, then find it gone.
    if claim is not None and not claim.take(db, reference, receipt, partners):
        db.rollback()
        raise AlreadySubmitted(f"this {flow.slug} draft was already sent")

    for attempt in range(5):  # a reference collision is vanishingly rare; try another
        if attempt:
            reference = codes.new_reference(flow.reference_prefix)
            if claim is not None:
                claim.done(db, reference, receipt, partners)
        sealing = Report(form=flow.slug, reference=reference)  # only for its sealing context
        interpreter, interpreter_language = languages.interpreter_request(contact)
        values = dict(reference=reference, form=flow.slug, lang=lang, status="new", anonymous=anonymous,
                      interpreter=interpreter, interpreter_language=interpreter_language,
                      receipt_hash=codes.hash_receipt(receipt), created_at=now, updated_at=now, area=area,
                      urgent=bool(flow.urgent(answers)), sealed_answers=sealing.seal(sealer, "answers", report_answers),
                      sealed_contact=sealing.seal(sealer, "contact", contact) if contact else None)
        report = db.scalars(_report_statement(db, values), values).first()
        if report is not None:
            break
    else:
        raise RuntimeError("could not allocate a unique reference")

    if claim is not None:
        # The draft's files go with it, in this transaction: re-sealed to the report.
        for item in evidence.files_of_draft(db, claim.draft_id):
            evidence.move(sealer, item, to_report=report)
    for partner, reason in routes:
        db.add(ReportRoute(report_id=report.id, partner=partner.slug, reason=reason, created_at=now))
        db.add(OutboxMessage(report_id=report.id, kind="partner-notification", partner=partner.slug,
                             next_attempt_at=now, created_at=now, status="pending", attempts=0))
    db.add(ReportEvent(report_id=report.id, kind="submitted", actor="reporter", created_at=now))
    if contact.get("acknowledge") and contact.get("email"):
        db.add(OutboxMessage(report_id=report.id, kind="reporter-acknowledgement",
                             sealed_recipient=report.seal(sealer, "recipient", contact["email"]),
                             next_attempt_at=now, created_at=now, status="pending", attempts=0))
    count(db, flow.slug, now.strftime("%Y-%m"), str(area or "")[:40],
          [str(category or "")[:40] for category in categories or [""]])
    db.commit()
    return reference, receipt


_REPORT_STATEMENTS = {}  # (dialect name, columns given) -> the report's INSERT, built once


def _report_statement(db, values):
    """INSERT ... ON CONFLICT (reference) DO NOTHING RETURNING the report, with a bound
    parameter per column given: built once, where building it with the values in was a
    sixth of a Send (and its cache key made anew each time)."""
    key = (db.get_bind().dialect.name, tuple(values))
    if key not in _REPORT_STATEMENTS:
        _REPORT_STATEMENTS[key] = (_insert(db, Report).values({name: bindparam(name) for name in values})
                                   .on_conflict_do_nothing(index_elements=[Report.reference]).returning(Report))
    return _REPORT_STATEMENTS[key]


_COUNT_STATEMENTS = {}  # dialect name -> the counters' upsert, built (and compiled) once


def _count_statement(db):
    name = db.get_bind().dialect.name
    if name not in _COUNT_STATEMENTS:
        table = ReportStatistic.__table__
        statement = _insert(db, table)
        _COUNT_STATEMENTS[name] = statement.on_conflict_do_update(
            index_elements=["form", "month", "area", "category"],
            set_={"count": table.c.count + statement.excluded.count})
    return _COUNT_STATEMENTS[name]


def count(db, form, month, area, categories):
    """Add one to an anonymised counter for each category, creating those that are new:
    one upsert statement for them all, safe under concurrency (two Sends adding to the same
    new counter both count). One statement with a row of parameters per counter (executemany,
    pipelined by psycopg): a VALUES list written out per Send was compiled anew every time,
    a third of a Send."""
    rows = [dict(form=form, month=month, area=area, category=category, count=n)
            for category, n in Counter(categories).items()]
    if rows:
        db.connection().execute(_count_statement(db), rows)


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
                       sealed_body=report.seal(sealer, "event", {"text": text})))
    _tell_partners(db, report, now)
    db.commit()


def add_file(db, report, item, key, meta, sealer, limit, now=None):
    """The reporter adds a file from the track page (streamed and sealed already, in this
    Session): at most `limit` files per report, counted with the report's row locked; an
    event on the timeline and, once per batch, an email to each partner (no content)."""
    now = now or datetime.now(timezone.utc)
    db.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    if db.scalar(select(func.count()).select_from(EvidenceFile).where(EvidenceFile.report_id == report.id)) > limit:
        db.rollback()
        raise AdditionLimit("files")
    evidence.seal_meta(sealer, item, key, meta, report)
    db.add(ReportEvent(report_id=report.id, kind="reporter-file", actor="reporter", created_at=now))
    _tell_partners(db, report, now)
    db.commit()


def _tell_partners(db, report, now):
    """One "new information on <reference>" email per partner per batch: none is queued
    while one for this report and partner is still pending."""
    waiting = set(db.scalars(select(OutboxMessage.partner).where(
        OutboxMessage.report_id == report.id, OutboxMessage.kind == "partner-update",
        OutboxMessage.status == "pending")).all())
    for route in report.routes:
        if route.partner not in waiting:
            db.add(OutboxMessage(report_id=report.id, kind="partner-update", partner=route.partner,
                                 next_attempt_at=now, created_at=now, status="pending", attempts=0))
    report.updated_at = now


# -- what partners do -------------------------------------------------------------------

def actor_name(user):
    return f"{user.email} ({user.partner})"


def _event(db, report, user, kind, sealer=None, body=None, now=None):
    """A timeline entry and its audit entry, for a staff action on `report`."""
    now = now or datetime.now(timezone.utc)
    db.add(ReportEvent(report_id=report.id, kind=kind, actor=actor_name(user), created_at=now,
                       sealed_body=report.seal(sealer, "event", body) if body else None))
    report.updated_at = now
    audit.record(db, user.email, user.partner, kind, report.reference)


def open_report(db, report, user, sealer):
    """Open a report for a member of staff to read: its answers, contact details and
    timeline (each event with its opened body); audited, committed."""
    answers = report.answers(sealer)
    contact = report.contact(sealer) if report.sealed_contact else None
    timeline = [(event, report.open(sealer, "event", event.sealed_body, {})) for event in report.events]
    audit.record(db, user.email, user.partner, "viewed-report", report.reference)
    db.commit()
    return answers, contact, timeline


def acknowledge(db, report, user):
    if report.status == "new":
        report.status = "acknowledged"
    _event(db, report, user, "acknowledged")
    db.commit()


def set_status(db, report, user, status, now=None):
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    now = now or datetime.now(timezone.utc)
    report.status = status
    report.closed_at = now if status == "closed" else None
    _event(db, report, user, f"status:{status}", now=now)
    db.commit()


def add_note(db, report, user, text, sealer):
    """An internal note: partners of this report see it, the reporter never does."""
    _event(db, report, user, "note", sealer, {"text": text})
    db.commit()


def message_reporter(db, report, user, body, sealer, now=None):
    """A message the reporter reads at /track (`body`: {"text": ...} or a reply
    template); if they gave an email address, they are told there is one (no content)."""
    now = now or datetime.now(timezone.utc)
    _event(db, report, user, "message-to-reporter", sealer, body, now=now)
    email = report.contact(sealer).get("email") if report.sealed_contact else None
    if email:
        db.add(OutboxMessage(report_id=report.id, kind="reporter-message", status="pending", attempts=0,
                             sealed_recipient=report.seal(sealer, "recipient", email),
                             next_attempt_at=now, created_at=now))
    db.commit()


def refer(db, report, user, partner, reason, router, sealer, now=None):
    """Send the report on to another partner too: a route ("Referred by <partner>", never
    the caseworker's words, which stay sealed in the event) and a notification."""
    now = now or datetime.now(timezone.utc)
    if partner not in router.partners or partner == user.partner:
        raise ValueError(f"cannot refer to {partner!r}")
    if partner not in {route.partner for route in report.routes}:
        db.add(ReportRoute(report_id=report.id, partner=partner, created_at=now,
                           reason=f"Referred by {router.partners[user.partner].name}"))
        db.add(OutboxMessage(report_id=report.id, kind="partner-notification", partner=partner,
                             status="pending", attempts=0, next_attempt_at=now, created_at=now))
    report.status = "referred"
    _event(db, report, user, "referred", sealer, {"text": f"To {router.partners[partner].name}: {reason}"}, now=now)
    db.commit()


def export(db, user, since, before, sealer, described):
    """The partner's reports received in [since, before), opened for a spreadsheet: one row
    each (reference, form, language, status, received, answers flattened, number of files); audited as one
    export (`described` says which range), one commit."""
    found = db.scalars(select(Report).join(ReportRoute).where(
        ReportRoute.partner == user.partner, Report.created_at >= since, Report.created_at < before)
        .order_by(Report.created_at)).all()
    rows = []
    for report in found:
        flat = "; ".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}"
                         for k, v in report.answers(sealer).items() if not k.startswith("seen:"))
        # files: how many, never their names or contents
        rows.append((report.reference, report.form, report.lang, report.status, report.created_at.isoformat(), flat,
                     len(report.files)))
    audit.record(db, user.email, user.partner, "exported", detail=f"{described}, {len(found)} reports")
    db.commit()
    return rows


def assignable(db, report, partner):
    """The people a report can be assigned to: caseworkers and leads of a partner it was
    routed to (only that partner's own people see it)."""
    if partner not in {route.partner for route in report.routes}:
        return []
    return db.scalars(select(StaffUser).where(StaffUser.partner == partner,
                                              StaffUser.role.in_(("caseworker", "lead")))
                      .order_by(StaffUser.email)).all()


def assign(db, report, user, assignee, now=None):
    """Assign the report to a named person of the acting partner (None: unassign). The
    assignee is emailed that a report is theirs: its reference only, never its content."""
    now = now or datetime.now(timezone.utc)
    if assignee is not None and (assignee.partner != user.partner or assignee.role not in ("caseworker", "lead")):
        raise ValueError("a report is assigned to someone of the acting partner")
    report.assigned_to_id = assignee.id if assignee else None
    db.add(ReportEvent(report_id=report.id, kind="assigned" if assignee else "unassigned", actor=actor_name(user),
                       created_at=now))
    report.updated_at = now
    audit.record(db, user.email, user.partner, "assigned" if assignee else "unassigned", report.reference,
                 detail=assignee.email if assignee else None)
    if assignee is not None and assignee.id != user.id:
        # The address is looked up when the email is sent (whoever holds the report then),
        # so no staff address is copied into the outbox.
        db.add(OutboxMessage(report_id=report.id, kind="staff-assignment", partner=user.partner, status="pending",
                             attempts=0, next_attempt_at=now, created_at=now))
    db.commit()


# -- what time does to reports ------------------------------------------------------------

def purge_closed(db, before, now=None):
    """The retention purge: every report closed before `before` goes to the one purged
    state (Report.purge). Returns how many."""
    now = now or datetime.now(timezone.utc)
    reports = db.scalars(select(Report).options(selectinload(Report.events)).where(
        Report.closed_at.is_not(None), Report.closed_at < before, Report.purged_at.is_(None))).all()
    for report in reports:
        report.purge(now, db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id)).all())
        # Its files go whole: the rows and (by their foreign key's cascade) every sealed piece.
        db.execute(delete(EvidenceChunk).where(EvidenceChunk.file_id.in_(
            select(EvidenceFile.id).where(EvidenceFile.report_id == report.id))))
        db.execute(delete(EvidenceFile).where(EvidenceFile.report_id == report.id))
    db.commit()
    return len(reports)


def _outbox_of(db, report):
    return db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id)).all()


def reseal(db, sealer):
    """Re-seal every sealed value of every report with the newest key. A value that will
    not open raises SealingError: nothing is committed (a report must never be lost to a
    rotation). Returns how many values were re-sealed; the caller commits."""
    count = 0
    for report in db.scalars(select(Report).options(selectinload(Report.events))):
        for row, attribute, part in report.sealed_values(_outbox_of(db, report)):
            token = getattr(row, attribute)
            if token and sealer.needs_reseal(token):
                setattr(row, attribute, report.seal(sealer, part, report.open(sealer, part, token)))
                count += 1
    return count


def verify_all(db, sealer):
    """Open every sealed value of every report that is not purged: what a backup check
    proves. Raises SealingError on the first that will not open. Returns counts."""
    opened = values = files = 0
    for report in db.scalars(select(Report).options(selectinload(Report.events))):
        if report.purged:
            continue
        for _row, attribute, part in report.sealed_values(_outbox_of(db, report)):
            token = getattr(_row, attribute)
            if token:
                report.open(sealer, part, token)
                values += 1
        for item in report.files:  # every sealed piece of every file, against its SHA-256
            evidence.verify(db, sealer, item, report)
            files += 1
        opened += 1
    return {"reports_opened": opened, "sealed_values_opened": values, "files_opened": files}


def fill_areas(db, sealer):
    """Reports sent before the plain area column get it from their sealed answers (the
    flows' own statistics rule says which answer is the area). Idempotent; one commit."""
    from ..report import registry
    filled = 0
    for report in db.scalars(select(Report).where(Report.area.is_(None), Report.purged_at.is_(None))):
        flow = next((flow for flow, _fields in registry.FLOWS.values() if flow.slug == report.form), None)
        area = flow.statistics(report.answers(sealer))[0] if flow else None
        if area:
            report.area = str(area)[:40]
            filled += 1
    db.commit()
    return filled
