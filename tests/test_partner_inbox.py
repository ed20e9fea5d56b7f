"""Partner staff sign in with two factors and see, act on and answer only their own reports."""
import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from sdp_public.models import AuditEntry, Report
from sdp_public.services import staff, totp
from sdp_test_helpers import HATE_ANSWERS, csrf_of, send_report, walk_report

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent


def make_user(app, email, partner, role="caseworker"):
    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], email, partner, role)
        db.commit()
    return password, secret


SIGNED_IN = {}


def sign_in(app, email, password, secret, fresh=False):
    """A signed-in client. One per person: a TOTP code works once (no replay), so the
    same person cannot sign in twice within 30 seconds, in tests as in life."""
    if email in SIGNED_IN and not fresh:
        return SIGNED_IN[email]
    client = app.test_client()
    page = BeautifulSoup(client.get("/partners/sign-in").data, "html.parser")
    response = client.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": email, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/sign-in/code")
    page = BeautifulSoup(client.get("/partners/sign-in/code").data, "html.parser")
    with app.extensions["sdp_sessionmaker"]() as db:
        from sdp_public.models import StaffUser
        last = db.scalar(select(StaffUser.last_totp_step).where(StaffUser.email == email)) or 0
    step = max(totp.current_step(), last + 1)  # the next unused code (the server allows one step of drift)
    code = totp.code_at(secret, step)
    response = client.post("/partners/sign-in/code", data={"csrf_token": csrf_of(page), "code": code})
    assert response.status_code == 302, response.data[:500]
    SIGNED_IN[email] = client
    return client


def page_of(client, url):
    response = client.get(url)
    return response, BeautifulSoup(response.data, "html.parser")


def post_form(client, url, action_url, data):
    _, soup = page_of(client, url)
    return client.post(action_url, data={"csrf_token": csrf_of(soup), **data})


@pytest.fixture(scope="module")
def people(app):
    police = make_user(app, "pc.hate@police.example", "police-hate-crime")
    council = make_user(app, "cs.officer@council.example", "council-community-safety")
    admin = make_user(app, "admin@sdp.example", "council-community-safety", role="admin")
    return {"police": ("pc.hate@police.example", *police), "council": ("cs.officer@council.example", *council),
            "admin": ("admin@sdp.example", *admin)}


def new_report(app, **changes):
    import copy
    answers = copy.deepcopy(HATE_ANSWERS)
    answers.update(changes)
    client = app.test_client()
    reference, receipt = send_report(client, "en", walk_report(client, "en", answers)[0])
    return reference, receipt


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
        assert ("pc.hate@police.example", "viewed-report") in actions
        assert ("pc.hate@police.example", "acknowledged") in actions
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
    from test_hate_incident import deliver
    deliver(app)
    mails = [m for m in smtp.parsed() if m["To"] == "amira@example.org" and reference in str(m["Subject"])]
    assert any("new message" in str(m["Subject"]) for m in mails)
    assert all("time it happened" not in m.get_content() for m in mails)


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
    assert "Neighbour dispute" in text and "Known address" in text and "referred" in text


def test_csv_exports_neutralise_formulas(app, people):
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"},
                              description={"description": "=HYPERLINK(\"http://evil.example\",\"click\")"})
    police = sign_in(app, *people["police"])
    rows = list(csv.reader(io.StringIO(police.get("/partners/export.csv").get_data(as_text=True))))
    (row,) = [r for r in rows if r[0] == reference]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_sign_out_everywhere_ends_every_session(app):
    password, secret = make_user(app, "two.devices@council.example", "council-community-safety")
    first = sign_in(app, "two.devices@council.example", password, secret, fresh=True)
    second = sign_in(app, "two.devices@council.example", password, secret, fresh=True)
    assert second.get("/partners/").status_code == 200
    post_form(first, "/partners/", "/partners/sign-out-everywhere", {})
    assert second.get("/partners/").status_code == 302


def test_purge_removes_answers_and_keeps_what_the_statistics_need(app, people, tmp_path):
    reference, _ = new_report(app, outcome={"outcome": "police"}, support={"support": "no"})
    from datetime import datetime, timedelta, timezone
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        report.status, report.closed_at = "closed", datetime.now(timezone.utc) - timedelta(days=800)
        db.commit()
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "retention", "purge"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert re.search(r"purged [1-9]\d* reports", out)
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        assert report.sealed_answers == "" and report.sealed_contact is None
        assert report.form == "hate-incident" and report.created_at and [r.partner for r in report.routes]
        from sdp_public.models import OutboxMessage
        to_reporter = db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id,
                                                            OutboxMessage.kind.startswith("reporter-"))).all()
        assert to_reporter and all(m.sealed_recipient is None and m.status != "pending" for m in to_reporter)
    police = sign_in(app, *people["police"])
    assert "deleted under the retention policy" in police.get(f"/partners/reports/{reference}").get_data(as_text=True)
    # the anonymised statistics are untouched by the purge
    admin = sign_in(app, *people["admin"])
    stats = BeautifulSoup(admin.get("/partners/statistics?form=hate-incident").data, "html.parser").get_text(" ")
    assert "religion" in stats and "easington" in stats
    rows = list(csv.reader(io.StringIO(admin.get("/partners/statistics.csv").get_data(as_text=True))))
    assert rows[0] == ["form", "month", "area", "category", "count"]
    assert any(r[0] == "hate-incident" and r[2] == "easington" and r[3] == "race" and int(r[4]) >= 1 for r in rows[1:])
    assert police.get("/partners/statistics").status_code == 404  # admin only


def test_the_add_user_command_prints_a_password_and_a_totp_secret(app, tmp_path):
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "partners", "add-user", "new@vcas.example",
                          "--partner", "victim-care"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    password = re.search(r"password: (\S+)", out).group(1)
    secret = re.search(r"TOTP:\s+(\S+)", out).group(1)
    assert sign_in(app, "new@vcas.example", password, secret).get("/partners/").status_code == 200


def test_totp_matches_the_rfc_6238_test_vector():
    import base64
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.code_at(secret, 59 // 30) == "287082"           # RFC 6238 appendix B, SHA-1, 8 digits 94287082
    assert totp.code_at(secret, 1111111109 // 30) == "081804"   # 07081804
    assert totp.verify(secret, "287082", last_step=0, now=59) == 1
    assert totp.verify(secret, "287082", last_step=1, now=59) is None  # no replay


def test_a_partner_lead_manages_their_own_partners_accounts_only(app, people):
    password, secret = make_user(app, "lead@police.example", "police-hate-crime", role="lead")
    lead = sign_in(app, "lead@police.example", password, secret)
    response = post_form(lead, "/partners/users", "/partners/users", {"email": "new.pc@police.example", "role": "caseworker"})
    page = BeautifulSoup(response.data, "html.parser")
    assert "Account created" in page.get_text()
    new_password = page.select("code")[0].get_text()
    new_secret = page.select("code")[1].get_text()
    assert sign_in(app, "new.pc@police.example", new_password, new_secret).get("/partners/").status_code == 200
    with app.extensions["sdp_sessionmaker"]() as db:
        from sdp_public.models import StaffUser
        council_id = db.scalar(select(StaffUser.id).where(StaffUser.email == "cs.officer@council.example"))
        new_id = db.scalar(select(StaffUser.id).where(StaffUser.email == "new.pc@police.example"))
    assert post_form(lead, "/partners/users", f"/partners/users/{council_id}/remove", {}).status_code == 404
    assert post_form(lead, "/partners/users", f"/partners/users/{new_id}/remove", {}).status_code == 302
    police = sign_in(app, *people["police"])
    assert police.get("/partners/users").status_code == 404  # caseworkers do not manage accounts


def test_a_scam_report_lands_in_trading_standards_inbox_and_nobody_elses(app, people):
    from sdp_test_helpers import SCAM_ANSWERS
    client = app.test_client()
    reference, _ = send_report(client, "en", walk_report(client, "en", SCAM_ANSWERS, flow="report/scam-or-cyber-fraud")[0],
                               flow="report/scam-or-cyber-fraud")
    password, secret = make_user(app, "fas@tradingstandards.example", "trading-standards")
    standards = sign_in(app, "fas@tradingstandards.example", password, secret)
    assert reference in standards.get("/partners/?form=scam-or-cyber-fraud").get_data(as_text=True)
    report = BeautifulSoup(standards.get(f"/partners/reports/{reference}").data, "html.parser").get_text(" ")
    assert "savings" in report and "£1,200.50" in report and "Friends Against Scams" in report
    police = sign_in(app, *people["police"])
    assert reference not in police.get("/partners/").get_data(as_text=True)
    assert police.get(f"/partners/reports/{reference}").status_code == 404


def test_an_idle_session_ends(app, people):
    police = sign_in(app, *people["police"])
    assert police.get("/partners/").status_code == 200
    app.config["PARTNER_IDLE_SECONDS"] = 0
    try:
        response = police.get("/partners/")
        assert response.status_code == 302 and "/partners/sign-in" in response.headers["Location"]
    finally:
        app.config.pop("PARTNER_IDLE_SECONDS")
        SIGNED_IN.pop(people["police"][0], None)


def test_the_overdue_count_in_the_database_agrees_with_the_rule_for_every_day(app):
    """The inbox counts overdue reports in SQL with a cutoff; it must match the working-day
    rule for reports made at any time of any day, over weekends too."""
    from datetime import datetime, timedelta, timezone

    from sdp_public.partners.views import is_overdue, overdue_before, working_days_between

    class Made:
        status = "new"

        def __init__(self, at):
            self.created_at = at
    with app.app_context():
        for now_offset in range(0, 14):
            now = datetime(2026, 11, 16, 10, 30, tzinfo=timezone.utc) + timedelta(days=now_offset, hours=now_offset)
            cutoff = overdue_before(now, 2)
            for hours_back in range(0, 24 * 12, 5):
                made = now - timedelta(hours=hours_back)
                rule = working_days_between(made, now) >= 2
                assert (made < cutoff) == rule and is_overdue(Made(made), cutoff) == rule, (now, made, cutoff)


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
