"""A victim, witness or third party reports a hate incident, and it reaches the right inbox.

Each journey runs the real form pages, stores the report on the real database, delivers
the notifications to a real SMTP server on loopback, and checks nothing leaked.
"""
import copy
import re
import json
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from sdp_public.models import OutboxMessage, Report
from sdp_public.services import outbox, submissions
from sdp_test_helpers import HATE_ANSWERS, csrf_of, send_report, walk_report

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent


def expected_partners(answers):
    """Independent of the rules file: what the issue says should happen."""
    partners = {"police-hate-crime" if answers["outcome"]["outcome"] == "police" else "council-community-safety"}
    if answers["support"]["support"] == "yes":
        partners.add("victim-care")
    return partners


def deliver(app):
    """Deliver everything due, batch after batch (other tests may have left messages queued)."""
    sent = failed = 0
    while True:
        with app.app_context(), app.extensions["sdp_sessionmaker"]() as db:
            batch = outbox.deliver(db, app.config, app.extensions["sdp_router"], app.extensions["sdp_sealer"])
        sent, failed = sent + batch[0], failed + batch[1]
        if batch == (0, 0):
            return sent, failed


def raw_database_text(app):
    """Every text value in every table, as the database holds it."""
    engine = app.extensions["sdp_engine"]
    chunks = []
    with engine.connect() as conn:
        for table in ("report", "report_route", "report_event", "outbox_message", "draft"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def sealed_answers(app, reference):
    with app.extensions["sdp_sessionmaker"]() as db:
        report = submissions.find(db, reference)
        sealer = app.extensions["sdp_sealer"]
        answers = sealer.unseal(report.sealed_answers, submissions.sealing_context(reference, report.form, "answers"))
        contact = (sealer.unseal(report.sealed_contact, submissions.sealing_context(reference, report.form, "contact"))
                   if report.sealed_contact else None)
        report.partners = {r.partner for r in report.routes}  # loaded while the session is open
        return report, answers, contact


BRANCHES = (
    [("who", {"who": w}) for w in ("victim", "witness", "on-behalf", "organisation")]
    + [("outcome", {"outcome": o}) for o in ("police", "record")]
    + [("support", {"support": s}) for s in ("yes", "no")]
    + [("contact", {"contact": "anonymous"}), ("contact", {"contact": "details"})]
)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("step, change", BRANCHES, ids=lambda v: v if isinstance(v, str) else "-".join(str(x) for x in v.values())[:30])
def test_a_report_is_stored_sealed_routed_and_notified(app, client, smtp, lang, step, change):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers[step] = change
    check, asked = walk_report(client, lang, answers)
    assert "outside" not in asked
    assert check.find("html")["dir"] == ("rtl" if lang == "ar" else "ltr")
    reference, receipt = send_report(client, lang, check)
    assert reference.startswith("HC-") and len(reference) == 12
    assert receipt and len(receipt) == 24

    report, stored, contact = sealed_answers(app, reference)
    assert report.lang == lang and report.status == "new"
    assert stored["description"] == answers["description"]["description"]
    assert stored["what"] == answers["what"]["what"]
    anonymous = answers["contact"]["contact"] == "anonymous"
    assert report.anonymous is anonymous
    assert (contact is None) if anonymous else (contact["name"] == "Amira Example")

    partners = report.partners
    assert partners == expected_partners(answers)

    sent, failed = deliver(app)
    assert failed == 0
    mails = [m for m in smtp.parsed() if reference in m.get_content()]
    to_partners = [m for m in mails if m["To"].endswith("@partners.invalid")]
    assert sorted(m["To"].split("@")[0] for m in to_partners) == sorted(partners)
    acknowledgements = [m for m in mails if m["To"] == "amira@example.org"]
    assert len(acknowledgements) == (0 if anonymous else 1)
    secrets = ["spat at my door", "headscarf", "Front Street", "Amira", "grey coat", "Weekdays after 6pm"]
    for mail in mails:
        body = mail.get_content()
        assert reference in body
        for secret in secrets:
            assert secret not in body and secret not in str(mail["Subject"])
    database = raw_database_text(app)
    for secret in secrets + ["amira@example.org"]:
        assert secret not in database


def test_check_answers_shows_every_answer_and_change_links_return_to_it(client):
    check, _ = walk_report(client, "en", HATE_ANSWERS)
    text = check.get_text(" ")
    for shown in ("It happened to me", "Verbal abuse or insults", "They spat at my door", "Religion or belief",
                  "3 November 2026", "Bus stop on Front Street", "Easington", "Amira Example"):
        assert shown in text, shown
    change = check.select_one("a[href*='/where?change=1']")["href"]
    page = BeautifulSoup(client.get(change).data, "html.parser")
    assert page.find("textarea", attrs={"name": "place"}).get_text() == "Bus stop on Front Street"
    assert page.select_one("a.govuk-back-link")["href"].endswith("/check-answers")
    response = client.post(change, data={"csrf_token": csrf_of(page), "place": "Market Place", "area": "durham"})
    assert response.headers["Location"].endswith("/check-answers")


def test_outside_county_durham_is_told_where_to_report_and_can_still_send(client):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["where"] = {"place": "Newcastle station", "area": "outside"}
    check, asked = walk_report(client, "en", answers)
    assert "outside" in asked
    page = client.get("/en/report/hate-incident/outside")
    assert b"True Vision" in page.data
    assert send_report(client, "en", check)[0].startswith("HC-")


def test_a_branch_changed_back_drops_the_answers_it_no_longer_needs(client):
    answers = copy.deepcopy(HATE_ANSWERS)
    check, _ = walk_report(client, "en", answers)
    page = BeautifulSoup(client.get("/en/report/hate-incident/contact?change=1").data, "html.parser")
    client.post("/en/report/hate-incident/contact?change=1", data={"csrf_token": csrf_of(page), "contact": "anonymous"})
    check = BeautifulSoup(client.get("/en/report/hate-incident/check-answers").data, "html.parser")
    assert "Amira" not in check.get_text()
    reference, _ = send_report(client, "en", check)
    report, stored, contact = sealed_answers(client.application, reference)
    assert contact is None and "name" not in stored and report.anonymous


@pytest.mark.parametrize("step, data, message", [
    ("who", {}, "Select who you are reporting as"),
    ("who", {"who": "alien"}, "Select one of the options"),
    ("what", {"what": ["other"]}, "Tell us what else happened"),
    ("what", {"what": ["verbal", "<script>"]}, "Select from the list"),
])
def test_missing_or_invalid_answers_are_explained_on_the_same_page(client, step, data, message):
    answers = copy.deepcopy(HATE_ANSWERS)
    walk_report(client, "en", answers)  # a draft with every answer
    url = f"/en/report/hate-incident/{step}"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    response = client.post(url, data={"csrf_token": csrf_of(page), **data})
    assert response.status_code == 200
    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    assert message in summary.get_text()
    target = summary.select_one("a")["href"].lstrip("#")
    assert soup.find(id=target) is not None
    assert soup.title.get_text().startswith("Error:")


def test_the_date_and_contact_details_are_checked(client):
    walk_report(client, "en", HATE_ANSWERS)
    cases = [
        ("when-date", {"when_day": "31", "when_month": "2", "when_year": "2026"}, "Enter a real date"),
        ("when-date", {"when_day": "1", "when_month": "1", "when_year": "2999"}, "today or in the past"),
        ("when-date", {"when_day": "x", "when_month": "1", "when_year": "2026"}, "as numbers"),
        ("when-date", {}, "Enter the date"),
        ("contact-details", {"name": "A", "leave_message": "no"}, "Enter an email address or a phone number"),
        ("contact-details", {"name": "A", "email": "not-an-email", "leave_message": "no"}, "correct format"),
        ("contact-details", {"name": "A", "phone": "call me maybe", "leave_message": "no"}, "Enter a phone number"),
        ("contact-details", {"email": "a@example.org", "leave_message": "no"}, "Enter your name"),
        ("consent", {}, "Select that you agree"),
    ]
    for step, data, message in cases:
        url = f"/en/report/hate-incident/{step}"
        page = BeautifulSoup(client.get(url).data, "html.parser")
        soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), **data}).data, "html.parser")
        summary = soup.select_one(".govuk-error-summary")
        assert summary is not None and message in summary.get_text(), (step, data)


@pytest.mark.parametrize("hostile", [
    "<script>alert('x')</script>", "'; DROP TABLE report; --", "{{ 7*7 }} {% raw %}", "=HYPERLINK(\"http://evil\")",
    "\u202eevil\u202c", "👩🏽‍⚖️ Zalgo z̷̢͎a̸l̶g̷o", "../../etc/passwd",
])
def test_hostile_text_is_stored_exactly_and_always_shown_escaped(app, client, hostile):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["description"] = {"description": hostile}
    check, _ = walk_report(client, "en", answers)
    assert hostile not in str(check) or "<" not in hostile  # escaped in the page
    assert check.find("script", string=lambda s: s and "alert" in s) is None
    assert "49" not in check.get_text() or "7*7" not in hostile
    reference, _ = send_report(client, "en", check)
    _, stored, _ = sealed_answers(app, reference)
    assert stored["description"] == hostile.strip()


def test_control_characters_and_oversized_answers_are_refused_politely(client):
    walk_report(client, "en", HATE_ANSWERS)
    url = "/en/report/hate-incident/description"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "description": "bad\x00byte"}).data, "html.parser")
    assert "unusual characters" in soup.select_one(".govuk-error-summary").get_text()
    too_long = "a" * 5001
    soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "description": too_long}).data, "html.parser")
    assert "5000 characters or fewer" in soup.select_one(".govuk-error-summary").get_text()
    assert soup.find("textarea", attrs={"name": "description"}).get_text() == too_long  # kept to edit
    # invalid UTF-8 arrives as replacement characters: stored as text, never a 500
    assert client.post(url, data=b"description=%ff%fe&csrf_token=" + csrf_of(page).encode(),
                       content_type="application/x-www-form-urlencoded").status_code in (200, 302)


def test_a_missing_draft_sends_the_reporter_to_the_start_with_a_message(app):
    fresh = app.test_client()
    response = fresh.get("/en/report/hate-incident/description")
    assert response.status_code == 302 and response.headers["Location"].endswith("?expired=1")
    page = BeautifulSoup(fresh.get(response.headers["Location"]).data, "html.parser")
    assert "start again" in page.select_one(".govuk-notification-banner").get_text()
    assert fresh.get("/en/report/hate-incident/check-answers").headers["Location"].endswith("?expired=1")


def test_a_database_failure_at_submit_shows_a_clear_page_and_keeps_the_answers(client, monkeypatch):
    from sqlalchemy.exc import OperationalError
    check, _ = walk_report(client, "en", HATE_ANSWERS)

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))
    monkeypatch.setattr(submissions, "submit", broken)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert response.status_code == 503
    page = BeautifulSoup(response.data, "html.parser")
    assert "not sent" in page.h1.get_text() and "101" in page.get_text()
    assert page.select_one(".govuk-panel") is None  # never a fake confirmation
    monkeypatch.undo()
    assert client.get("/en/report/hate-incident/check-answers").status_code == 200  # answers kept
    assert send_report(client, "en", check)[0].startswith("HC-")


def test_a_bot_is_refused_by_the_honeypot_and_by_speed(app, client):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["who"] = {"who": "victim", "website": "http://spam.example"}
    check, _ = walk_report(client, "en", answers)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert response.status_code == 400
    app.config["REPORT_MINIMUM_SECONDS"] = 3600
    try:
        other = app.test_client()
        check, _ = walk_report(other, "en", HATE_ANSWERS)
        assert other.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)}).status_code == 400
    finally:
        app.config["REPORT_MINIMUM_SECONDS"] = 0


def test_a_refusing_mail_server_delays_delivery_but_loses_nothing(app, client, smtp):
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    smtp.refuse = True
    sent, failed = deliver(app)
    assert sent == 0 and failed >= 1
    with app.extensions["sdp_sessionmaker"]() as db:
        waiting = db.scalars(select(OutboxMessage).join(Report).where(Report.reference == reference)).all()
        assert all(m.status == "pending" and m.attempts == 1 and m.last_error for m in waiting)
        for message in waiting:  # the retry is due later; bring it forward instead of sleeping
            message.next_attempt_at = message.created_at
        db.commit()
    smtp.refuse = False
    sent, failed = deliver(app)
    assert failed == 0 and sent == len(waiting)
    assert sum(reference in m.get_content() for m in smtp.parsed()) == len(waiting)
    with app.extensions["sdp_sessionmaker"]() as db:
        assert all(m.status == "sent" for m in db.scalars(select(OutboxMessage).join(Report).where(Report.reference == reference)))


def test_two_delivery_workers_at_once_send_each_notification_exactly_once(app, client, smtp, tmp_path):
    import re
    from datetime import datetime, timezone
    references = [send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])[0] for _ in range(6)]
    with app.extensions["sdp_sessionmaker"]() as db:
        due = db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= datetime.now(timezone.utc)))
    assert due >= 18
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SMTP_URL": app.config["SMTP_URL"],
           "SDP_SEALING_KEYS": app.config["SEALING_KEYS"], "SDP_INSTANCE_PATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "deliver", "--once"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    sent = [re.search(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}", m.get_content()).group(0) + " " + m["To"] for m in smtp.parsed()]
    assert len(sent) == len(set(sent)) == due  # every due message once, none twice
    for reference in references:  # each report: two partners and the acknowledgement
        assert sum(s.startswith(reference) for s in sent) == 3
    assert sum(int(out.split()[1].rstrip(b",")) for out, _err in outputs) == due


def test_the_operator_command_shows_the_unsealed_report(app, client, tmp_path):
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "reports", "show", reference.lower()],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    shown = json.loads(result.stdout)
    assert shown["reference"] == reference
    assert shown["answers"]["description"] == HATE_ANSWERS["description"]["description"]
    assert shown["contact"]["email"] == "amira@example.org"


@pytest.mark.parametrize("lang", ["zh-hant", "pa", "ur"])
def test_the_acknowledgement_email_is_in_the_reporters_language_and_carries_only_the_reference(app, client, smtp, lang):
    reference, _ = send_report(client, lang, walk_report(client, lang, HATE_ANSWERS)[0])
    sent, failed = deliver(app)
    assert failed == 0
    (ack,) = [m for m in smtp.parsed() if m["To"] == "amira@example.org" and reference in m.get_content()]
    assert reference in str(ack["Subject"])
    assert "We have received your report" not in str(ack["Subject"])  # translated
    assert "headscarf" not in ack.get_content() and "Amira" not in ack.get_content()


def test_keys_rotate_reseals_everything_with_the_new_key(app, client, tmp_path):
    from sdp_public.services.sealing import new_key_spec, parse_keys
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    old = app.config["SEALING_KEYS"]
    new = new_key_spec()
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": f"{new},{old}",
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    rotate = [sys.executable, "-m", "flask", "--app", "wsgi", "keys", "rotate"]
    out = subprocess.run(rotate, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    try:
        assert re.search(r"re-sealed [1-9]\d* values", out)
        from sdp_public.services.sealing import Sealer
        only_new = Sealer(parse_keys(new))  # the old key can now be retired
        with app.extensions["sdp_sessionmaker"]() as db:
            report = db.scalar(select(Report).where(Report.reference == reference))
            answers = only_new.unseal(report.sealed_answers, submissions.sealing_context(reference, report.form, "answers"))
            assert answers["description"] == HATE_ANSWERS["description"]["description"]
            assert report.sealed_answers.startswith(f"v1.{new.split(':')[0]}.")
    finally:  # rotate back, so the rest of the session's tests read the database with their key
        subprocess.run(rotate, cwd=ROOT, env={**env, "SDP_SEALING_KEYS": f"{old},{new}"}, capture_output=True, check=True)


def test_a_question_page_rendered_once_still_carries_each_readers_own_token(app):
    """Blank question pages are rendered once and reused: each reader still gets their own
    CSRF token, and an answer already given is shown, not the blank copy."""
    pages = []
    for _ in range(2):
        reader = app.test_client()
        soup = BeautifulSoup(reader.get("/en/report/hate-incident/who").data, "html.parser")
        pages.append((reader, csrf_of(soup)))
    (first, first_token), (second, second_token) = pages
    assert first_token != second_token
    assert first.post("/en/report/hate-incident/who", data={"csrf_token": second_token, "who": "victim"}).status_code == 200
    assert first.post("/en/report/hate-incident/who", data={"csrf_token": first_token, "who": "victim"}).status_code == 302
    again = BeautifulSoup(first.get("/en/report/hate-incident/who?change=1").data, "html.parser")
    assert again.find("input", attrs={"value": "victim"}).has_attr("checked")
