"""The report service, verb by verb, on a database of its own per test: each verb writes
its event, audit entry and outbox messages and commits once; a purged report is in one
state that backups, rotation and the inbox all understand."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from sdp_public.models import AuditEntry, OutboxMessage, Report, ReportEvent, ReportRoute
from sdp_public.report import registry
from sdp_public.services import keys, reports, staff
from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
from sdp_test_helpers import HATE_ANSWERS, Inbox, deliver, smtp_server

pytestmark = pytest.mark.db

HATE = registry.FLOWS[("report", "hate-incident")]


def answers(**changes):
    flat = {}
    for step in HATE_ANSWERS.values():
        flat.update(step)
    flat.update(changes)
    return flat


def submit(app, db, **changes):
    flow, contact_fields = HATE
    reference, receipt = reports.submit(db, flow, answers(**changes), "ur", app.extensions["sdp_sealer"],
                                        app.extensions["sdp_router"], contact_fields)
    return reports.find(db, reference)


def person(app, db, partner="police-hate-crime", role="caseworker", email=None):
    user, _password, _secret = staff.create(db, app.extensions["sdp_sealer"],
                                            email or f"{role}.{partner}@staff.example", partner, role)
    db.commit()
    return user


@pytest.fixture
def commits(fresh_app):
    """How many real COMMITs reach the database (savepoints are not counted): every verb
    must commit exactly once."""
    seen = []
    engine = fresh_app.extensions["sdp_engine"]

    def committed(_connection):
        seen.append(1)
    event.listen(engine, "commit", committed)
    yield seen
    event.remove(engine, "commit", committed)


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_a_submitted_report_is_stored_routed_and_queued_together(fresh_app, fresh_db, commits):
    report = submit(fresh_app, fresh_db)
    assert len(commits) == 1
    partners = {route.partner for route in report.routes}
    assert partners == {"police-hate-crime", "victim-care"}  # outcome police, support yes
    assert count(fresh_db, OutboxMessage, OutboxMessage.kind == "partner-notification") == 2
    assert count(fresh_db, OutboxMessage, OutboxMessage.kind == "reporter-acknowledgement") == 1
    # the area, a choice from a fixed list, is plain for the inbox's filter; the words are sealed
    assert report.area == "easington" and "Front Street" not in report.sealed_answers
    assert report.answers(fresh_app.extensions["sdp_sealer"])["place"] == "Bus stop on Front Street"


@pytest.mark.parametrize("verb, kind", [
    (lambda app, db, r, u: reports.acknowledge(db, r, u), "acknowledged"),
    (lambda app, db, r, u: reports.set_status(db, r, u, "in-progress"), "status:in-progress"),
    (lambda app, db, r, u: reports.add_note(db, r, u, "Spoke to the neighbourhood team", app.extensions["sdp_sealer"]), "note"),
    (lambda app, db, r, u: reports.message_reporter(db, r, u, {"text": "Please call us"}, app.extensions["sdp_sealer"]),
     "message-to-reporter"),
    (lambda app, db, r, u: reports.refer(db, r, u, "council-community-safety", "Housing issue", app.extensions["sdp_router"],
                                         app.extensions["sdp_sealer"]), "referred"),
])
def test_each_staff_action_writes_its_event_and_audit_entry_in_one_commit(fresh_app, fresh_db, commits, verb, kind):
    report = submit(fresh_app, fresh_db)
    caseworker = person(fresh_app, fresh_db)
    before = len(commits)
    verb(fresh_app, fresh_db, report, caseworker)
    assert len(commits) == before + 1
    assert count(fresh_db, ReportEvent, ReportEvent.report_id == report.id, ReportEvent.kind == kind) == 1
    assert count(fresh_db, AuditEntry, AuditEntry.reference == report.reference, AuditEntry.action == kind,
                 AuditEntry.actor == caseworker.email) == 1


def test_a_message_is_announced_only_to_a_reporter_who_gave_an_email_address(fresh_app, fresh_db):
    sealer = fresh_app.extensions["sdp_sealer"]
    caseworker = person(fresh_app, fresh_db)
    with_email = submit(fresh_app, fresh_db)
    anonymous = submit(fresh_app, fresh_db, contact="anonymous")
    for report in (with_email, anonymous):
        reports.message_reporter(fresh_db, report, caseworker, {"text": "We have passed it on"}, sealer)
    announced = fresh_db.scalars(select(OutboxMessage.report_id).where(OutboxMessage.kind == "reporter-message")).all()
    assert announced == [with_email.id]


def test_a_referral_names_the_referrer_in_the_route_and_seals_the_words(fresh_app, fresh_db):
    sealer, router = fresh_app.extensions["sdp_sealer"], fresh_app.extensions["sdp_router"]
    report = submit(fresh_app, fresh_db)
    caseworker = person(fresh_app, fresh_db)
    reports.refer(fresh_db, report, caseworker, "council-community-safety", "Neighbour dispute at number 4", router, sealer)
    route = fresh_db.scalar(select(ReportRoute).where(ReportRoute.partner == "council-community-safety"))
    assert route.reason == "Referred by Durham Constabulary hate crime team"
    referred = fresh_db.scalar(select(ReportEvent).where(ReportEvent.kind == "referred"))
    assert "number 4" in report.open(sealer, "event", referred.sealed_body)["text"]
    assert "number 4" not in referred.sealed_body
    with pytest.raises(ValueError):
        reports.refer(fresh_db, report, caseworker, caseworker.partner, "to ourselves", router, sealer)
    with pytest.raises(ValueError):
        reports.refer(fresh_db, report, caseworker, "no-such-partner", "nowhere", router, sealer)


def test_a_report_is_assigned_to_someone_of_the_partner_who_is_emailed_without_content(fresh_app, fresh_db, monkeypatch):
    report = submit(fresh_app, fresh_db)
    lead = person(fresh_app, fresh_db, role="lead")
    caseworker = person(fresh_app, fresh_db)
    outsider = person(fresh_app, fresh_db, partner="victim-care")
    with pytest.raises(ValueError):
        reports.assign(fresh_db, report, lead, outsider)
    assert reports.assignable(fresh_db, report, "police-hate-crime") == sorted([lead, caseworker], key=lambda p: p.email)
    assert reports.assignable(fresh_db, report, "trading-standards") == []  # not routed there
    reports.assign(fresh_db, report, lead, caseworker)
    assert report.assigned_to_id == caseworker.id
    with smtp_server(Inbox()) as inbox:
        monkeypatch.setitem(fresh_app.config, "SMTP_URL", f"smtp://127.0.0.1:{inbox.port}")
        deliver(fresh_app)
    to_assignee = [m for m in inbox.parsed() if m["To"] == caseworker.email]
    assert len(to_assignee) == 1
    body = to_assignee[0].get_content()
    assert report.reference in to_assignee[0]["Subject"] and "headscarf" not in body and "Front Street" not in body


def test_an_assignment_email_is_dropped_when_nobody_holds_the_report_any_more(fresh_app, fresh_db, monkeypatch):
    report = submit(fresh_app, fresh_db)
    lead = person(fresh_app, fresh_db, role="lead")
    caseworker = person(fresh_app, fresh_db)
    reports.assign(fresh_db, report, lead, caseworker)
    reports.assign(fresh_db, report, lead, None)
    with smtp_server(Inbox()) as inbox:
        monkeypatch.setitem(fresh_app.config, "SMTP_URL", f"smtp://127.0.0.1:{inbox.port}")
        deliver(fresh_app)
    assert not [m for m in inbox.parsed() if m["To"] == caseworker.email]
    message = fresh_db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "staff-assignment"))
    fresh_db.refresh(message)
    assert message.status == "cancelled"


def close_long_ago(db, report, days=800):
    report.status, report.closed_at = "closed", datetime.now(timezone.utc) - timedelta(days=days)
    db.commit()


def test_the_purge_leaves_one_purged_state_and_only_old_closed_reports(fresh_app, fresh_db):
    sealer = fresh_app.extensions["sdp_sealer"]
    old = submit(fresh_app, fresh_db, interpreter="yes", interpreter_language="pl")
    recent, open_one = submit(fresh_app, fresh_db), submit(fresh_app, fresh_db)
    assert (old.interpreter, old.interpreter_language) == (True, "pl")
    caseworker = person(fresh_app, fresh_db)
    reports.add_note(fresh_db, old, caseworker, "Visited on Tuesday", sealer)
    close_long_ago(fresh_db, old)
    close_long_ago(fresh_db, recent, days=30)
    assert reports.purge_closed(fresh_db, datetime.now(timezone.utc) - timedelta(days=396)) == 1
    for report in (old, recent, open_one):
        fresh_db.refresh(report)
    assert old.purged and old.sealed_answers is None and old.sealed_contact is None and old.area is None
    assert old.interpreter is False and old.interpreter_language is None  # nobody left to contact
    assert all(e.sealed_body is None for e in old.events) and [e.kind for e in old.events] == ["submitted", "note"]
    assert not recent.purged and recent.answers(sealer) and not open_one.purged
    assert fresh_db.scalar(select(OutboxMessage.status).where(OutboxMessage.report_id == old.id,
                                                              OutboxMessage.kind == "reporter-acknowledgement")) == "cancelled"
    # a second purge finds nothing more to do
    assert reports.purge_closed(fresh_db, datetime.now(timezone.utc) - timedelta(days=396)) == 0


def test_a_backup_taken_after_the_retention_purge_verifies(fresh_app, fresh_db, tmp_path):
    """The operator's routine in the README: purge daily, back up, verify every backup."""
    kept, purged = submit(fresh_app, fresh_db), submit(fresh_app, fresh_db)
    close_long_ago(fresh_db, purged)
    cli = fresh_app.test_cli_runner()
    assert "purged 1 reports" in cli.invoke(args=["retention", "purge"]).output
    backup = tmp_path / "after-purge.backup"
    assert cli.invoke(args=["db", "backup", str(backup)]).exit_code == 0
    verified = cli.invoke(args=["db", "verify-backup", str(backup)])
    assert verified.exit_code == 0, verified.output
    assert "reports 2" in verified.output and "purged_reports 1" in verified.output
    assert "reports_opened 1" in verified.output
    # and a backup whose keys are lost is still declared unusable
    fresh_app.extensions["sdp_sealer"], right = Sealer(parse_keys(new_key_spec())), fresh_app.extensions["sdp_sealer"]
    try:
        wrong = cli.invoke(args=["db", "verify-backup", str(backup)])
    finally:
        fresh_app.extensions["sdp_sealer"] = right
    assert wrong.exit_code == 1 and "BACKUP NOT USABLE" in wrong.output
    assert kept.reference


def test_rotation_reseals_every_part_of_every_report_so_the_old_key_can_go(fresh_app, fresh_db, fresh_database, make_app):
    old_spec = fresh_app.config["SEALING_KEYS"]
    report = submit(fresh_app, fresh_db)
    caseworker = person(fresh_app, fresh_db)
    reports.message_reporter(fresh_db, report, caseworker, {"text": "Please call us"}, fresh_app.extensions["sdp_sealer"])
    close_long_ago(fresh_db, purged := submit(fresh_app, fresh_db))
    reports.purge_closed(fresh_db, datetime.now(timezone.utc) - timedelta(days=396))
    new_spec = new_key_spec()
    rotating = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=f"{new_spec},{old_spec}")
    with rotating.extensions["sdp_sessionmaker"]() as db:
        resealed, _drafts = keys.rotate(db, rotating.extensions["sdp_sealer"])
    assert resealed >= 4  # answers, contact, the message, the acknowledgement's and message's recipients...
    only_new = Sealer(parse_keys(new_spec))
    with rotating.extensions["sdp_sessionmaker"]() as db:
        stored = db.get(Report, report.id)
        found = reports.verify_all(db, only_new)
        assert stored.answers(only_new)["area"] == "easington"
        assert db.get(Report, purged.id).purged
    assert found["reports_opened"] == 1 and found["sealed_values_opened"] >= 5


def test_older_reports_get_their_area_from_their_sealed_answers(fresh_app, fresh_db):
    report = submit(fresh_app, fresh_db)
    report.area = None
    fresh_db.commit()
    assert reports.fill_areas(fresh_db, fresh_app.extensions["sdp_sealer"]) == 1
    fresh_db.refresh(report)
    assert report.area == "easington"
    assert reports.fill_areas(fresh_db, fresh_app.extensions["sdp_sealer"]) == 0


def test_statistics_counters_are_made_when_new_and_added_to_after(fresh_app, fresh_db):
    from sdp_public.models import ReportStatistic

    def counts():
        rows = fresh_db.execute(select(ReportStatistic.category, ReportStatistic.count)
                                .where(ReportStatistic.form == "hate-incident")).all()
        return dict(rows)
    reports.count(fresh_db, "hate-incident", "2026-12", "easington", ["race", "religion", "race"])
    reports.count(fresh_db, "hate-incident", "2026-12", "easington", ["religion", "disability"])
    reports.count(fresh_db, "hate-incident", "2026-12", "easington", [])
    fresh_db.commit()
    assert counts() == {"race": 2, "religion": 2, "disability": 1}
