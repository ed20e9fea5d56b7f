"""Partner staff sign in with two factors and see, act on and answer only their own reports."""
import csv
import io
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from sdp_public.models import AuditEntry, OutboxMessage, Report, ReportRoute
from sdp_public.services import codes, totp
from sdp_test_helpers import (SCAM_ANSWERS, csrf_of, deliver, new_account, new_report, page_of,
                              post_form, send_report, sign_in, walk_report)

pytestmark = pytest.mark.db


@pytest.fixture
def people(app):
    """A police caseworker, a council caseworker and an admin, new for each test."""
    return {"police": new_account(app, "police-hate-crime"), "council": new_account(app, "council-community-safety"),
            "admin": new_account(app, "council-community-safety", role="admin")}


def inbox_of(client, **filters):
    """The inbox page as a caseworker sees it: (counts, {reference: row text}, page)."""
    response = client.get("/partners/", query_string=filters)
    assert response.status_code == 200, response.status_code
    soup = BeautifulSoup(response.data, "html.parser")
    tags = [t.get_text(" ", strip=True) for t in soup.select("p.govuk-body strong.govuk-tag")]
    counts = {label.split()[1]: int(label.split()[0]) for label in tags}
    rows = {row.select_one("a").get_text(strip=True): row.get_text(" ", strip=True)
            for row in soup.select("tbody tr")}
    return counts, rows, soup


def every_page(client, **filters):
    """The inbox for these filters page by page, following "Next" to the last page:
    [(page URL, {reference: row text}, page soup)]."""
    response = client.get("/partners/", query_string=filters)
    url = response.request.full_path
    pages = []
    while True:
        assert response.status_code == 200, (url, response.status_code)
        soup = BeautifulSoup(response.data, "html.parser")
        rows = {row.select_one("a").get_text(strip=True): row.get_text(" ", strip=True)
                for row in soup.select("tbody tr")}
        pages.append((url, rows, soup))
        following = soup.select_one(".govuk-pagination__next a")
        if following is None:
            return pages
        url = following["href"]
        response = client.get(url)


def stored_report(db, sealer, partner, created_at, status="new", form="hate-incident", area="durham"):
    """A report row as a submission leaves it (answers sealed, routed to `partner`), made
    at `created_at`, straight into the database: tests choose the times and states."""
    prefix = {"hate-incident": "HC", "scam-or-cyber-fraud": "SC"}[form]
    reference = codes.new_reference(prefix)
    answers = {"area": area, "description": "Stored by the test"} if form == "hate-incident" else {"kind": "phone"}
    report = Report(reference=reference, form=form, lang="en", status=status, anonymous=True,
                    area=area if form == "hate-incident" else None,
                    receipt_hash=codes.hash_receipt(codes.new_receipt_code()), created_at=created_at,
                    updated_at=created_at, closed_at=created_at if status == "closed" else None)
    report.sealed_answers = report.seal(sealer, "answers", answers)
    db.add(report)
    db.flush()
    db.add(ReportRoute(report_id=report.id, partner=partner, reason="The rule says so.", created_at=created_at))
    return reference


def at(day, hour=12, minute=0, month=4):
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


def freeze_inbox_clock(app, monkeypatch, moment):
    """The inbox asks the clock for "now" (datetime.now in the module of its view); from
    here on that clock says `moment`. Sign-in and sessions keep the real time."""
    module = sys.modules[app.view_functions["partners.inbox"].__module__]

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)
    monkeypatch.setattr(module, "datetime", Frozen)


def test_sign_in_needs_the_password_and_the_code(app, people):
    email, password, secret = people["police"]
    client = app.test_client()
    page = BeautifulSoup(client.get("/partners/sign-in").data, "html.parser")
    client.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": email, "password": password})
    assert client.get("/partners/").status_code == 302  # password alone is not enough
    page = BeautifulSoup(client.get("/partners/sign-in/code").data, "html.parser")
    wrong = client.post("/partners/sign-in/code", data={"csrf_token": csrf_of(page), "code": "000000"})
    assert wrong.status_code == 200 and b"That code is wrong" in wrong.data
    assert client.get("/partners/").headers["Location"].startswith("/partners/sign-in")
    bad = app.test_client()
    page = BeautifulSoup(bad.get("/partners/sign-in").data, "html.parser")
    response = bad.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": email, "password": "guess"})
    assert b"wrong" in response.data


def test_a_caseworker_sees_only_their_partners_reports(app, people):
    police_ref, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    council_ref, _ = new_report(app, outcome={"outcome": "record"}, support={"support": "no"})
    police = sign_in(app, *people["police"])
    _, inbox = page_of(police, "/partners/")
    listed = inbox.get_text()
    assert police_ref in listed and council_ref not in listed
    response, report = page_of(police, f"/partners/reports/{police_ref}")
    assert response.status_code == 200 and "headscarf" in report.get_text()
    # another partner's report: 404 by URL, by action and by export
    assert police.get(f"/partners/reports/{council_ref}").status_code == 404
    assert post_form(police, f"/partners/reports/{police_ref}", f"/partners/reports/{council_ref}/acknowledge", {}).status_code == 404
    assert post_form(police, f"/partners/reports/{police_ref}", f"/partners/reports/{council_ref}/message",
                     {"text": "hello"}).status_code == 404
    assert police.get("/partners/reports/HC-ZZZZ-ZZZZ").status_code == 404
    export = police.get("/partners/export.csv").get_data(as_text=True)
    assert police_ref in export and council_ref not in export
    # the admin sees routing and the audit log, never answers
    admin = sign_in(app, *people["admin"])
    assert admin.get(f"/partners/reports/{council_ref}").status_code == 404
    assert admin.get("/partners/routing").status_code == 200


def test_viewing_and_acting_are_audited(app, people):
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    police = sign_in(app, *people["police"])
    police.get(f"/partners/reports/{reference}")
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/acknowledge", {})
    with app.extensions["sdp_sessionmaker"]() as db:
        actions = [(e.actor, e.action) for e in db.scalars(select(AuditEntry).where(AuditEntry.reference == reference))]
        assert (people["police"][0], "viewed-report") in actions
        assert (people["police"][0], "acknowledged") in actions
        assert db.scalar(select(Report.status).where(Report.reference == reference)) == "acknowledged"
    admin = sign_in(app, *people["admin"])
    assert reference in admin.get("/partners/audit").get_data(as_text=True)


def test_a_message_reaches_the_reporter_and_their_reply_reaches_the_inbox(app, people, smtp):
    reference, receipt = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    police = sign_in(app, *people["police"])
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/message",
              {"text": "Thank you. Can you tell us the time it happened?"})
    reporter = app.test_client()
    page = BeautifulSoup(reporter.get("/en/track").data, "html.parser")
    response = reporter.post("/en/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})
    status = BeautifulSoup(reporter.get(response.headers["Location"]).data, "html.parser")
    assert "Can you tell us the time" in status.get_text()
    reporter.post(response.headers["Location"], data={"csrf_token": csrf_of(status), "information": "About 5pm."})
    _, report = page_of(police, f"/partners/reports/{reference}")
    assert "About 5pm." in report.get_text()
    deliver(app)
    to_reporter = [m for m in smtp.parsed() if m["To"] == "amira@example.org" and reference in m.get_content()]
    subjects = sorted(str(m["Subject"]) for m in to_reporter)
    # the acknowledgement, then "a new message" with the reference and none of the message
    assert subjects == [f"We have received your report {reference}", f"You have a new message about your report {reference}"]
    assert all("time it happened" not in m.get_content() for m in to_reporter)


def test_a_referral_moves_the_report_to_the_other_inbox_with_its_history(app, people):
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    police = sign_in(app, *people["police"])
    council = sign_in(app, *people["council"])
    assert council.get(f"/partners/reports/{reference}").status_code == 404
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/note", {"text": "Known address"})
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/refer",
              {"partner": "council-community-safety", "reason": "Neighbour dispute: community safety lead"})
    response, report = page_of(council, f"/partners/reports/{reference}")
    assert response.status_code == 200
    text = report.get_text()
    assert "Neighbour dispute" in text and "Known address" in text and "Referred" in text


def test_csv_exports_neutralise_formulas(app, people):
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"},
                              description={"description": "=HYPERLINK(\"http://evil.example\",\"click\")"})
    police = sign_in(app, *people["police"])
    rows = list(csv.reader(io.StringIO(police.get("/partners/export.csv").get_data(as_text=True))))
    (row,) = [r for r in rows if r[0] == reference]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_sign_out_everywhere_ends_every_session(app):
    person = new_account(app, "council-community-safety")
    first = sign_in(app, *person)  # on the desk
    second = sign_in(app, *person)  # and on a laptop
    assert second.get("/partners/").status_code == 200
    post_form(first, "/partners/", "/partners/sign-out-everywhere", {})
    assert second.get("/partners/").status_code == 302


def test_purge_removes_answers_and_keeps_what_the_statistics_need(fresh_app):
    """On a database of its own: exactly the one report closed over two years ago is purged,
    and the statistics still count it."""
    reference, _ = new_report(fresh_app, outcome={"outcome": "police"}, support={"support": "no"})
    recent, _ = new_report(fresh_app, outcome={"outcome": "police"}, support={"support": "no"})
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        for ref, days in ((reference, 800), (recent, 30)):
            report = db.scalar(select(Report).where(Report.reference == ref))
            report.status, report.closed_at = "closed", datetime.now(timezone.utc) - timedelta(days=days)
        db.commit()
    result = fresh_app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert re.search(r"purged 1 reports closed before", result.output), result.output
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        # the one purged state: every sealed value gone, the moment recorded
        assert report.purged_at is not None and report.sealed_answers is None and report.sealed_contact is None
        assert all(event.sealed_body is None for event in report.events) and report.area is None
        assert report.form == "hate-incident" and report.created_at and [r.partner for r in report.routes]
        to_reporter = db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id,
                                                            OutboxMessage.kind.startswith("reporter-"))).all()
        assert to_reporter and all(m.sealed_recipient is None and m.status != "pending" for m in to_reporter)
        kept = db.scalar(select(Report).where(Report.reference == recent))
        assert kept.sealed_answers and kept.sealed_contact  # closed a month ago: within the policy
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    assert "deleted under the retention policy" in police.get(f"/partners/reports/{reference}").get_data(as_text=True)
    assert "headscarf" in police.get(f"/partners/reports/{recent}").get_data(as_text=True)
    # the anonymised statistics are untouched by the purge: both reports are still counted
    admin = sign_in(fresh_app, *new_account(fresh_app, "council-community-safety", role="admin"))
    stats = BeautifulSoup(admin.get("/partners/statistics?form=hate-incident").data, "html.parser").get_text(" ")
    assert "religion" in stats and "easington" in stats
    rows = list(csv.reader(io.StringIO(admin.get("/partners/statistics.csv").get_data(as_text=True))))
    assert rows[0] == ["form", "month", "area", "category", "count"]
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    assert sorted(rows[1:]) == [["hate-incident", month, "easington", category, "2"] for category in ("race", "religion")]
    assert police.get("/partners/statistics").status_code == 404  # admin only


def test_the_add_user_command_prints_a_password_and_a_totp_secret(app):
    email = f"new.{uuid.uuid4().hex[:8]}@vcas.example"
    result = app.test_cli_runner().invoke(args=["partners", "add-user", email, "--partner", "victim-care"])
    assert result.exit_code == 0, result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    secret = re.search(r"TOTP:\s+(\S+)", result.output).group(1)
    assert sign_in(app, email, password, secret).get("/partners/").status_code == 200


def test_totp_matches_the_rfc_6238_test_vector():
    import base64
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, 59 // 30) == "287082"           # RFC 6238 appendix B, SHA-1, 8 digits 94287082
    assert totp.code_at(secret, 1111111109 // 30) == "081804"   # 07081804
    assert totp.verify(secret, "287082", last_step=0, now=59) == 1
    assert totp.verify(secret, "287082", last_step=1, now=59) is None  # no replay


def test_a_partner_lead_manages_their_own_partners_accounts_only(app, people):
    lead = sign_in(app, *new_account(app, "police-hate-crime", role="lead"))
    newcomer = f"new.pc.{uuid.uuid4().hex[:8]}@police.example"
    response = post_form(lead, "/partners/users", "/partners/users", {"email": newcomer, "role": "caseworker"})
    page = BeautifulSoup(response.data, "html.parser")
    assert "Account created" in page.get_text()
    new_password = page.select("code")[0].get_text()
    new_secret = page.select("code")[1].get_text()
    assert sign_in(app, newcomer, new_password, new_secret).get("/partners/").status_code == 200
    with app.extensions["sdp_sessionmaker"]() as db:
        from sdp_public.models import StaffUser
        council_id = db.scalar(select(StaffUser.id).where(StaffUser.email == people["council"][0]))
        new_id = db.scalar(select(StaffUser.id).where(StaffUser.email == newcomer))
    assert post_form(lead, "/partners/users", f"/partners/users/{council_id}/remove", {}).status_code == 404
    assert post_form(lead, "/partners/users", f"/partners/users/{new_id}/remove", {}).status_code == 302
    police = sign_in(app, *people["police"])
    assert police.get("/partners/users").status_code == 404  # caseworkers do not manage accounts


def test_a_scam_report_lands_in_trading_standards_inbox_and_nobody_elses(app, people):
    client = app.test_client()
    reference, _ = send_report(client, "en", walk_report(client, "en", SCAM_ANSWERS, flow="report/scam-or-cyber-fraud")[0],
                               flow="report/scam-or-cyber-fraud")
    standards = sign_in(app, *new_account(app, "trading-standards"))
    assert reference in standards.get("/partners/?form=scam-or-cyber-fraud").get_data(as_text=True)
    report = BeautifulSoup(standards.get(f"/partners/reports/{reference}").data, "html.parser").get_text(" ")
    assert "savings" in report and "£1,200.50" in report and "Friends Against Scams" in report
    police = sign_in(app, *people["police"])
    assert reference not in police.get("/partners/").get_data(as_text=True)
    assert police.get(f"/partners/reports/{reference}").status_code == 404


def test_an_idle_session_ends(app, people, monkeypatch):
    police = sign_in(app, *people["police"])
    assert police.get("/partners/").status_code == 200
    monkeypatch.setitem(app.config, "PARTNER_IDLE_SECONDS", 0)  # any pause is too long
    response = police.get("/partners/")
    assert response.status_code == 302 and "/partners/sign-in" in response.headers["Location"]


def test_partners_see_which_pages_are_translated_stale_or_in_english(app, people):
    police = sign_in(app, *people["police"])
    response, soup = page_of(police, "/partners/translations")
    assert response.status_code == 200
    summary = soup.select("table")[0]
    rows = summary.select("tbody tr")
    assert len(rows) == 12  # every language but English
    for row in rows:
        translated, stale, english, _reviewed = (int(td.get_text()) for td in row.select("td"))
        assert translated >= 16 and stale == 0 and english == 6  # the six priority pages
    assert "Not reviewed" in soup.get_text()
    assert app.test_client().get("/partners/translations").status_code == 302  # signed-in staff only


# -- the inbox's filters and overdue count, against what is in the database ----------------------

# Reports made around Easter 2026, as the police inbox sees them on Tuesday 7 April at 10:00.
# Good Friday (3 April) and Easter Monday (6 April) are bank holidays in England, so only
# Tuesday 7 April is a working day since Thursday 2 April: a report is overdue once more
# than two working days have begun since the day it came in (PARTNER_ACK_WORKING_DAYS = 2).
EASTER_TUESDAY = at(7, 10)
EASTER_REPORTS = [  # (made at, status, partner, overdue on EASTER_TUESDAY)
    (at(30, 9, month=3), "new", "police-hate-crime", True),           # the Monday before: long overdue
    (at(31, 23, 59, month=3), "new", "police-hate-crime", True),       # Tuesday night: Wednesday, Thursday, today
    (at(1, 23, 59), "new", "police-hate-crime", False),                # Wednesday night: Thursday and today only
    (at(2, 0, 0), "new", "police-hate-crime", False),                  # Thursday: only Tuesday since
    (at(2, 16), "new", "police-hate-crime", False),
    (at(3, 11), "new", "police-hate-crime", False),                    # Good Friday
    (at(4, 11), "new", "police-hate-crime", False),                    # Saturday
    (at(6, 8), "new", "police-hate-crime", False),                     # Easter Monday
    (at(7, 9), "new", "police-hate-crime", False),                     # this morning
    (at(30, 9, month=3), "acknowledged", "police-hate-crime", False),  # answered: never overdue
    (at(30, 9, month=3), "new", "council-community-safety", False),    # another partner's
]


def test_the_overdue_count_is_the_new_reports_made_before_the_working_day_cutoff(fresh_app, fresh_db, monkeypatch):
    sealer = fresh_app.extensions["sdp_sealer"]
    made = [(stored_report(fresh_db, sealer, partner, when, status), status, partner, overdue)
            for when, status, partner, overdue in EASTER_REPORTS]
    fresh_db.commit()
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    freeze_inbox_clock(fresh_app, monkeypatch, EASTER_TUESDAY)

    counts, rows, _ = inbox_of(police)
    mine = [(ref, status, overdue) for ref, status, partner, overdue in made if partner == "police-hate-crime"]
    assert counts["new"] == sum(status == "new" for _, status, _ in mine) == 9
    assert counts["overdue"] == sum(overdue for _, _, overdue in mine) == 2
    # each row carries the same verdict as the count
    assert {ref for ref, text in rows.items() if "overdue" in text} == {ref for ref, _, overdue in mine if overdue}
    assert set(rows) == {ref for ref, _, _ in mine}


def test_the_status_filter_shows_every_report_in_that_status_and_no_other(fresh_app, fresh_db):
    sealer = fresh_app.extensions["sdp_sealer"]
    by_status = {status: {stored_report(fresh_db, sealer, "victim-care", at(1 + n, 9 + i), status) for n in range(2)}
                 for i, status in enumerate(("new", "acknowledged", "in-progress", "referred", "closed"))}
    fresh_db.commit()
    caseworker = sign_in(fresh_app, *new_account(fresh_app, "victim-care"))
    for status, references in by_status.items():
        _, rows, _ = inbox_of(caseworker, status=status)
        assert set(rows) == references, status
    _, rows, _ = inbox_of(caseworker)
    assert set(rows) == set().union(*by_status.values())  # no filter: all ten
    _, rows, _ = inbox_of(caseworker, status="no-such-status")
    assert set(rows) == set().union(*by_status.values())  # an unknown status filters nothing


def test_the_form_filter_shows_only_that_forms_reports(fresh_app, fresh_db):
    sealer = fresh_app.extensions["sdp_sealer"]
    hate = {stored_report(fresh_db, sealer, "victim-care", at(2, h)) for h in (9, 10)}
    scam = {stored_report(fresh_db, sealer, "victim-care", at(2, h), form="scam-or-cyber-fraud") for h in (11, 12, 13)}
    fresh_db.commit()
    caseworker = sign_in(fresh_app, *new_account(fresh_app, "victim-care"))
    assert set(inbox_of(caseworker, form="hate-incident")[1]) == hate
    assert set(inbox_of(caseworker, form="scam-or-cyber-fraud")[1]) == scam
    assert set(inbox_of(caseworker, form="no-such-form")[1]) == hate | scam  # an unknown form filters nothing


def test_the_date_filters_take_whole_days_from_and_to(fresh_app, fresh_db):
    sealer = fresh_app.extensions["sdp_sealer"]
    made = {when: stored_report(fresh_db, sealer, "police-hate-crime", when)
            for when in (at(1, 23, 59), at(2, 0, 0), at(4, 12), at(6, 23, 59), at(7, 0, 0))}
    fresh_db.commit()
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    assert set(inbox_of(police, **{"from": "2026-04-02", "to": "2026-04-06"})[1]) == {
        made[at(2, 0, 0)], made[at(4, 12)], made[at(6, 23, 59)]}
    assert set(inbox_of(police, **{"from": "2026-04-04"})[1]) == {
        made[at(4, 12)], made[at(6, 23, 59)], made[at(7, 0, 0)]}
    assert set(inbox_of(police, to="2026-04-01")[1]) == {made[at(1, 23, 59)]}
    assert set(inbox_of(police, **{"from": "not-a-date"})[1]) == set(made.values())  # ignored, not an error


def test_the_area_filter_finds_a_matching_report_older_than_500_newer_others(fresh_app, fresh_db):
    """The area filter must search all of the partner's reports, not only the newest 500:
    an Easington report from March sits behind 500 newer ones from Durham."""
    sealer = fresh_app.extensions["sdp_sealer"]
    easington = stored_report(fresh_db, sealer, "police-hate-crime", at(2, 9, month=3), area="easington")
    newer = {stored_report(fresh_db, sealer, "police-hate-crime", at(1, 0) + timedelta(minutes=n), area="durham")
             for n in range(500)}
    fresh_db.commit()
    police = sign_in(fresh_app, *new_account(fresh_app, "police-hate-crime"))
    _, rows, _ = inbox_of(police, area="easington")
    assert set(rows) == {easington}
    pages = every_page(police, area="durham")  # a page at a time, the filter kept from page to page
    assert [len(rows) for _url, rows, _soup in pages] == [50] * 10
    assert set().union(*(rows for _url, rows, _soup in pages)) == newer


def test_a_caseworker_assigns_a_report_and_finds_it_under_assigned_to_me(fresh_app, fresh_db):
    """Assignment as a caseworker does it on the report page; the inbox's "assigned to me"
    and "unassigned" filters then split the partner's reports exactly."""
    sealer = fresh_app.extensions["sdp_sealer"]
    mine, theirs, nobodys = (stored_report(fresh_db, sealer, "victim-care", at(1 + n, 9)) for n in range(3))
    fresh_db.commit()
    me_email, *me_rest = new_account(fresh_app, "victim-care")
    colleague_email, *colleague_rest = new_account(fresh_app, "victim-care")
    me = sign_in(fresh_app, me_email, *me_rest)
    colleague = sign_in(fresh_app, colleague_email, *colleague_rest)

    def assign(client, reference, email):
        _, soup = page_of(client, f"/partners/reports/{reference}")
        option = next(o for o in soup.select("#assignee option") if o.get_text(strip=True) == email)
        response = post_form(client, f"/partners/reports/{reference}", f"/partners/reports/{reference}/assign",
                             {"assignee": option["value"]})
        assert response.status_code == 302
    assign(me, mine, me_email)
    assign(me, theirs, colleague_email)
    assert set(inbox_of(me, assigned="me")[1]) == {mine}
    assert set(inbox_of(colleague, assigned="me")[1]) == {theirs}
    assert set(inbox_of(me, assigned="none")[1]) == {nobodys}
    assert set(inbox_of(me)[1]) == {mine, theirs, nobodys}
    assert colleague_email in inbox_of(me)[1][theirs]  # each row says who holds it
    # someone of another partner is not on the list, and cannot be slipped in by hand
    _outsider_email, *_ = new_account(fresh_app, "police-hate-crime")
    from sdp_public.models import StaffUser
    outsider_id = fresh_db.scalar(select(StaffUser.id).where(StaffUser.email == _outsider_email))
    response = post_form(me, f"/partners/reports/{nobodys}", f"/partners/reports/{nobodys}/assign",
                         {"assignee": str(outsider_id)})
    assert response.status_code == 400
    assert set(inbox_of(me, assigned="none")[1]) == {nobodys}


def test_partner_pages_show_words_not_internal_codes(app, people):
    """Statuses, form names, contact answers and timeline events in words staff read."""
    from sdp_public.partners import words
    from sdp_public.report import registry
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    police = sign_in(app, *people["police"])
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/acknowledge", {})
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/status",
              {"status": "in-progress"})
    _, report = page_of(police, f"/partners/reports/{reference}")
    contact = {row.dt.get_text(strip=True): row.dd.get_text(strip=True)
               for row in report.select("h2 + dl.govuk-summary-list .govuk-summary-list__row")
               if row.find_previous("h2").get_text(strip=True) == "Contact"}
    assert contact["Name"] == "Amira Example" and contact["Email address"] == "amira@example.org"
    assert contact["Safe times to contact"] == "Weekdays after 6pm"
    assert contact["Can we leave a message?"] == "No"
    assert contact["Email me to say you have received my report"] == "Yes"
    text = report.get_text(" ")
    assert "Hate incident report" in text and "In progress" in text
    assert "Report sent" in text and "Acknowledged" in text and "Status changed to in progress" in text
    for code in ("leave_message", "leave message", "safe_times", "safe times", "acknowledge True",
                 "True", "status:", "submitted", "hate-incident", "in-progress"):
        assert code not in text, code
    _, inbox = page_of(police, "/partners/")
    listed = inbox.select_one("table").get_text(" ")
    assert "Hate incident report" in listed and "In progress" in listed
    assert "hate-incident" not in listed and "in-progress" not in listed
    options = [o.get_text(strip=True) for o in inbox.select("select#status option, select#form option")]
    assert {"New", "Acknowledged", "In progress", "Referred", "Closed", "Scam or cyber fraud report"} <= set(options)
    assert not {"in-progress", "hate-incident", "scam-or-cyber-fraud"} & set(options)
    # every code has its words
    assert {flow.slug for flow, _ in registry.FLOWS.values()} <= set(words.FORM_NAMES)
    from sdp_public.report.common import CONTACT_FIELDS, INTERPRETER_FIELDS
    assert set(CONTACT_FIELDS) - set(INTERPRETER_FIELDS) <= set(words.CONTACT_LABELS)


def test_the_inbox_shows_a_page_at_a_time_and_its_links_keep_the_filters(fresh_app, fresh_db, monkeypatch):
    """50 reports a page, urgent then newest first; previous, next and page links keep
    every filter; the counts are the partner's whatever the page; a page past the end
    shows the last one."""
    sealer = fresh_app.extensions["sdp_sealer"]
    start = at(1, 0, month=3)
    wanted = [stored_report(fresh_db, sealer, "victim-care", start + timedelta(hours=n)) for n in range(120)]
    others = {stored_report(fresh_db, sealer, "victim-care", start + timedelta(hours=n), status="acknowledged")
              for n in range(7)} | {stored_report(fresh_db, sealer, "victim-care", start, area="easington")}
    fresh_db.commit()
    caseworker = sign_in(fresh_app, *new_account(fresh_app, "victim-care"))
    freeze_inbox_clock(fresh_app, monkeypatch, at(7, 10))
    filters = {"status": "new", "area": "durham", "form": "hate-incident", "from": "2026-03-01"}

    pages = every_page(caseworker, **filters)
    assert [len(rows) for _url, rows, _soup in pages] == [50, 50, 20]
    listed = [reference for _url, rows, _soup in pages for reference in rows]
    assert listed == wanted[::-1]  # every match once, newest first, none of the others
    for number, (url, _rows, soup) in enumerate(pages, start=1):
        assert soup.select_one("caption").get_text(" ", strip=True).startswith(
            f"Reports {50 * (number - 1) + 1} to {min(50 * number, 120)} of 120")
        assert int(soup.select_one(".govuk-pagination__item--current").get_text(strip=True)) == number
        links = [a["href"] for a in soup.select(".govuk-pagination a")]
        assert links
        for href in links:
            query = query_of(href)
            assert {k: query[k] for k in filters} == filters and query["page"].isdigit(), href
    assert not pages[0][2].select(".govuk-pagination__prev") and not pages[-1][2].select(".govuk-pagination__next")
    assert query_of(pages[1][2].select_one(".govuk-pagination__prev a")["href"])["page"] == "1"
    counts, rows, soup = inbox_of(caseworker, **filters, page="9999")  # past the end: the last page
    assert set(rows) == set(pages[-1][1]) and counts == {"new": 121, "overdue": 121}
    for wrong in ("x", "0", "-1", "2.5", "1e3"):  # not a page number: the first page
        assert inbox_of(caseworker, **filters, page=wrong)[1] == pages[0][1], wrong
    counts, rows, soup = inbox_of(caseworker, status="acknowledged")
    assert len(rows) == 7 and set(rows) < others
    assert not soup.select(".govuk-pagination")  # one page: no pagination
    assert counts == {"new": 121, "overdue": 121}  # the partner's, whatever is filtered


def query_of(href):
    from urllib.parse import parse_qs, urlsplit
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
