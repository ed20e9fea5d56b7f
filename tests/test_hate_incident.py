"""A victim, witness or third party reports a hate incident, and it reaches the right inbox.

Each journey runs the real form pages, stores the report on the real database, delivers
the notifications to a real SMTP server on loopback, and checks nothing leaked.
"""
import copy
import json
import re
import subprocess
import uuid

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from sdp_public.models import OutboxMessage, Report
from sdp_public.services import reports
from sdp_public.services.sealing import Sealer, new_key_spec, parse_keys
from sdp_test_helpers import (HATE_ANSWERS, PYTHON, ROOT, csrf_of, deliver, raw_database_text, sealed_answers,
                              send_report, walk_report)

pytestmark = pytest.mark.db


def expected_partners(answers):
    """Independent of the rules file: what the issue says should happen."""
    partners = {"police-hate-crime" if answers["outcome"]["outcome"] == "police" else "council-community-safety"}
    if answers["support"]["support"] == "yes":
        partners.add("victim-care")
    return partners


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
    # Picked by the subject line; the body must still carry the reference for whoever reads it.
    mails = [m for m in smtp.parsed() if reference in str(m["Subject"])]
    to_partners = [m for m in mails if m["To"].endswith("@partners.invalid")]
    assert sorted(m["To"].split("@")[0] for m in to_partners) == sorted(partners)
    acknowledgements = [m for m in mails if m["To"] == "amira@example.org"]
    assert len(acknowledgements) == (0 if anonymous else 1)
    assert len(mails) == len(to_partners) + len(acknowledgements)  # nobody else was written to about it
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
    # support was asked for: anonymous now means nobody can offer it, and they are told so
    page = BeautifulSoup(client.get("/en/report/hate-incident/no-way-to-reach-you").data, "html.parser")
    client.post("/en/report/hate-incident/no-way-to-reach-you", data={"csrf_token": csrf_of(page)})
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
    monkeypatch.setattr(reports, "submit", broken)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert response.status_code == 503
    page = BeautifulSoup(response.data, "html.parser")
    assert "not sent" in page.h1.get_text() and "101" in page.get_text()
    assert page.select_one(".govuk-panel") is None  # never a fake confirmation
    monkeypatch.undo()
    assert client.get("/en/report/hate-incident/check-answers").status_code == 200  # answers kept
    assert send_report(client, "en", check)[0].startswith("HC-")


def test_a_send_that_another_send_beats_after_the_page_was_read_stores_nothing(app, client, monkeypatch):
    """Two Sends from one draft: the other one commits while this one is between reading
    the draft and sending it. Exactly one report is stored, and this Send is shown the
    confirmation (it must never store a second, unguarded copy)."""
    import flask
    from sdp_public import drafts
    from sdp_public.models import Draft
    from sdp_public.report import registry
    marker = f"Beaten send {uuid.uuid4().hex}"
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["description"] = {"description": marker}
    check, _ = walk_report(client, "en", answers)
    real_claim, raced = drafts.claim, []

    def claim_after_another_send(form):
        if flask.request.method == "POST" and not raced:
            raced.append(form)  # the other Send (another tab, a second press) wins now, in its own transaction
            flow, contact_fields = registry.get("report", form)
            with app.extensions["sdp_sessionmaker"]() as other_db:
                row = other_db.get(Draft, flask.session[drafts.SESSION_KEY][form])
                other = drafts.Claim(app.extensions["sdp_sealer"], row.id, row.form, row.sealed)
                reports.submit(other_db, flow, other.answers(), "en", app.extensions["sdp_sealer"],
                               app.extensions["sdp_router"], contact_fields, claim=other)
        return real_claim(form)
    monkeypatch.setattr(drafts, "claim", claim_after_another_send)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert raced and response.status_code == 303
    assert response.headers["Location"].endswith("/en/report/hate-incident/confirmation")
    sealer = app.extensions["sdp_sealer"]
    with app.extensions["sdp_sessionmaker"]() as db:
        stored = [r for r in db.scalars(select(Report).order_by(Report.id.desc()).limit(20))
                  if r.answers(sealer).get("description") == marker]
    assert len(stored) == 1, f"{len(stored)} reports stored from one draft"


def test_a_bot_is_refused_by_the_honeypot_and_by_speed(app, client, monkeypatch):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["who"] = {"who": "victim", "website": "http://spam.example"}
    check, _ = walk_report(client, "en", answers)
    response = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    assert response.status_code == 400
    monkeypatch.setitem(app.config, "REPORT_MINIMUM_SECONDS", 3600)  # nobody answers every question in a second
    other = app.test_client()
    check, _ = walk_report(other, "en", HATE_ANSWERS)
    assert other.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)}).status_code == 400


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


def test_two_delivery_workers_at_once_send_each_notification_exactly_once(fresh_app, mailbox, monkeypatch, tmp_path):
    """Two real `flask outbox deliver` processes on one fresh database: every message that
    is due is sent by exactly one of them."""
    from datetime import datetime, timezone
    monkeypatch.setitem(fresh_app.config, "SMTP_URL", mailbox.url)
    client = fresh_app.test_client()
    references = [send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])[0] for _ in range(6)]
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        due = db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= datetime.now(timezone.utc)))
    assert due == 6 * 3  # each report: two partners and the acknowledgement
    env = {"SDP_DATABASE_URL": fresh_app.config["DATABASE_URL"], "SDP_SMTP_URL": mailbox.url,
           "SDP_SEALING_KEYS": fresh_app.config["SEALING_KEYS"], "SDP_INSTANCE_PATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    command = [PYTHON, "-m", "flask", "--app", "wsgi", "outbox", "deliver", "--once"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    sent = [re.search(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}", m.get_content()).group(0) + " " + m["To"] for m in mailbox.parsed()]
    assert len(sent) == len(set(sent)) == due  # every due message once, none twice
    for reference in references:
        assert sum(s.startswith(reference) for s in sent) == 3
    assert sum(int(out.split()[1].rstrip(b",")) for out, _err in outputs) == due


def test_the_operator_command_shows_the_unsealed_report(app, client):
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    result = app.test_cli_runner().invoke(args=["reports", "show", reference.lower()])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["reference"] == reference
    assert shown["answers"]["description"] == HATE_ANSWERS["description"]["description"]
    assert shown["contact"]["email"] == "amira@example.org"


@pytest.mark.parametrize("lang", ["zh-hant", "pa", "ur"])
def test_the_acknowledgement_email_is_in_the_reporters_language_and_carries_only_the_reference(app, client, smtp, lang):
    reference, _ = send_report(client, lang, walk_report(client, lang, HATE_ANSWERS)[0])
    sent, failed = deliver(app)
    assert failed == 0
    (ack,) = [m for m in smtp.parsed() if m["To"] == "amira@example.org" and reference in m.get_content()]
    assert reference in str(ack["Subject"])  # picked by its body: the subject must carry it too
    assert "We have received your report" not in str(ack["Subject"])  # translated
    assert "headscarf" not in ack.get_content() and "Amira" not in ack.get_content()


def test_keys_rotate_reseals_everything_with_the_new_key(fresh_app, make_app):
    """`keys rotate` on a database of its own: every sealed value moves to the new key, so
    the old one can be retired, and rotating back moves them back."""
    client = fresh_app.test_client()
    reference, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    old, new = fresh_app.config["SEALING_KEYS"], new_key_spec()

    def answers_open_with_only(spec):
        with fresh_app.extensions["sdp_sessionmaker"]() as db:
            report = db.scalar(select(Report).where(Report.reference == reference))
        assert report.sealed_answers.startswith(f"v1.{spec.split(':')[0]}.")
        context = report.sealing_context("answers")
        return Sealer(parse_keys(spec)).unseal(report.sealed_answers, context)["description"]

    for keys, current in ((f"{new},{old}", new), (f"{old},{new}", old)):
        rotating = make_app(DATABASE_URL=fresh_app.config["DATABASE_URL"], SEALING_KEYS=keys)
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        # the report's answers and contact details, and the waiting acknowledgement's address
        assert re.search(r"re-sealed [1-9]\d* values", result.output), result.output
        assert answers_open_with_only(current) == HATE_ANSWERS["description"]["description"]


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


def _consent_page(app, answers):
    """A new reporter's consent page, reached by answering every question before it."""
    client = app.test_client()
    url = "/en/report/hate-incident/who"
    while not url.endswith("/consent"):
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        response = client.post(url, data={"csrf_token": csrf_of(soup), **answers[url.rsplit("/", 1)[1]]})
        assert response.status_code == 302, url
        url = response.headers["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return BeautifulSoup(page.data, "html.parser")


def test_the_consent_page_names_each_reporters_own_partners_and_is_rendered_once_for_the_same_ones(app, monkeypatch):
    from sdp_public.report import views
    rendered = []
    render = views.render_template
    monkeypatch.setattr(views, "render_template", lambda name, **kw: rendered.append(name) or render(name, **kw))
    app.extensions["sdp_blank_questions"].clear()  # a cache: other tests may have filled it
    no_support = {**HATE_ANSWERS, "support": {"support": "no"}}
    with_support = _consent_page(app, HATE_ANSWERS)
    without = _consent_page(app, no_support)
    again = _consent_page(app, HATE_ANSWERS)
    partners = [" ".join(s.get_text(" ", strip=True) for s in soup.select("main ul li")) for soup in (with_support, without, again)]
    assert "Victim Care" in partners[0] and "Victim Care" not in partners[1]  # support asked for: Victim Care too
    assert partners[2] == partners[0]
    assert csrf_of(with_support) != csrf_of(again)  # each reader's own token
    # rendered for the first two (different partners), then reused for the third
    assert rendered.count("report/consent.html") == 2
