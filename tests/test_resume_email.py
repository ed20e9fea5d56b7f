"""Email me the code: a reporter who saves their answers can have the resume code emailed
to an address they choose. The email says only "saved answers" (never which form), goes
in the language of the page, and the address and code are sealed in the outbox until it is
sent, then wiped."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from sdp_public.models import OutboxMessage
from sdp_test_helpers import HATE_ANSWERS, csrf_of, deliver, raw_database_text

pytestmark = pytest.mark.db
CODE = re.compile(r"[2-9A-HJKMNP-TV-Z]{4}(?:-[2-9A-HJKMNP-TV-Z]{4}){4}")


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def saved_page(client, lang="en"):
    """Answer the first questions of a hate incident report, then "Save and come back
    later": the page that shows the code (the response itself, never stored)."""
    url = soup_of(client.get(f"/{lang}/report/hate-incident/")).select_one("main a.govuk-button--start")["href"]
    for _ in range(3):
        step = url.rsplit("/", 1)[1]
        page = soup_of(client.get(url))
        response = client.post(url, data={"csrf_token": csrf_of(page), **HATE_ANSWERS[step]})
        assert response.status_code == 302, step
        url = response.headers["Location"]
    step = url.rsplit("/", 1)[1]
    page = soup_of(client.get(url))
    response = client.post(url, data={"csrf_token": csrf_of(page), **HATE_ANSWERS[step], "save_later": "1"})
    assert response.status_code == 200
    return soup_of(response)


def email_code(client, saved, email, code=None):
    form = saved.select_one("form[action$='/saved/email']")
    data = {"csrf_token": csrf_of(saved), "code": code or form.select_one("input[name=code]")["value"], "email": email}
    return client.post(form["action"], data=data)


def polish(msgid):
    """The Polish catalog's words for `msgid` (the email must be in the page's language)."""
    from pathlib import Path

    from babel.messages.pofile import read_po
    path = Path(__file__).resolve().parent.parent / "sdp_public/translations/pl/LC_MESSAGES/messages.po"
    with open(path, "rb") as po:
        found = read_po(po).get(msgid)
    assert found is not None and found.string and found.string != msgid, msgid
    return found.string


def resume_message(app):
    with app.extensions["sdp_sessionmaker"]() as db:
        return db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resume-code")
                          .order_by(OutboxMessage.id.desc())).first()


def test_a_polish_reporter_has_the_code_emailed_and_it_reopens_the_answers(app, client, smtp):
    saved = saved_page(client, "pl")
    code = saved.select_one(".sdp-resume-code").get_text(strip=True)
    response = email_code(client, saved, "ola@example.org")
    page = soup_of(response)
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("no-store")
    assert "ola@example.org" in page.select_one(".govuk-notification-banner--success").get_text()
    assert page.select_one(".sdp-resume-code").get_text(strip=True) == code  # still on their screen

    # waiting to be sent, neither the code nor the address is in the database in clear
    stored = raw_database_text(app)
    assert code not in stored and "ola@example.org" not in stored
    queued = resume_message(app)
    assert queued.report_id is None and queued.status == "pending" and queued.sealed_recipient.startswith("v1.")

    deliver(app)
    mails = [m for m in smtp.parsed() if m["To"] == "ola@example.org"]
    assert len(mails) == 1
    body, subject = mails[0].get_content(), str(mails[0]["Subject"])
    assert CODE.search(body).group(0) == code
    assert "/pl/report/resume" in body
    assert polish("Anyone who has this code can open your answers. Delete this email once you have used it.") in body
    assert "hate" not in (subject + body).lower() and "nienawi" not in (subject + body).lower()  # never which form
    sent = resume_message(app)
    assert sent.status == "sent" and sent.sealed_recipient is None  # wiped once sent

    # the emailed code opens the answers in another browser
    other = app.test_client()
    page = soup_of(other.get("/pl/report/resume"))
    resumed = other.post("/pl/report/resume", data={"csrf_token": csrf_of(page), "code": code})
    assert resumed.status_code == 303 and "/pl/report/hate-incident/" in resumed.headers["Location"]


@pytest.mark.parametrize("email, message", [
    ("", "Enter your email address"),
    ("not an address", "Enter an email address in the correct format"),
    ("<script>alert(1)</script>@example.org", "Enter an email address in the correct format"),
    ("a" * 300 + "@example.org", "characters or fewer"),
])
def test_a_bad_address_is_refused_on_the_same_page_with_the_code_still_shown(app, client, email, message):
    saved = saved_page(client)
    code = saved.select_one(".sdp-resume-code").get_text(strip=True)
    before = resume_message(app)
    response = email_code(client, saved, email)
    page = soup_of(response)
    assert response.status_code == 200
    assert message in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one(".sdp-resume-code").get_text(strip=True) == code
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    after = resume_message(app)
    assert (after.id if after else None) == (before.id if before else None)  # nothing queued


def test_only_a_code_that_still_opens_answers_can_be_emailed(app, client):
    saved = saved_page(client)
    code = saved.select_one(".sdp-resume-code").get_text(strip=True)
    before = resume_message(app)
    # a made-up code: nothing to email, and no page that would echo it
    response = email_code(client, saved, "someone@example.org", code="2222-3333-4444-5555-6666")
    assert response.status_code == 303 and response.headers["Location"].endswith("/report/resume")
    # the real code, once used, cannot be emailed any more
    other = app.test_client()
    page = soup_of(other.get("/en/report/resume"))
    assert other.post("/en/report/resume", data={"csrf_token": csrf_of(page), "code": code}).status_code == 303
    response = email_code(client, saved, "someone@example.org", code=code)
    assert response.status_code == 303
    after = resume_message(app)
    assert (after.id if after else None) == (before.id if before else None)


def test_a_field_that_is_not_text_is_refused_not_a_500(app, client):
    saved = saved_page(client)
    form = saved.select_one("form[action$='/saved/email']")
    response = client.post(form["action"], data={"csrf_token": csrf_of(saved),
                                                  "code": form.select_one("input[name=code]")["value"],
                                                  "email": (b"\xff\xfe", "evidence.bin")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and soup_of(response).select_one(".govuk-error-summary")


def test_emails_of_codes_are_limited_per_client(app, monkeypatch):
    from sdp_public.extensions import limiter
    monkeypatch.setitem(app.config, "RESUME_EMAIL_LIMIT", "2 per hour")
    limiter.reset()
    client = app.test_client()
    saved = saved_page(client)
    statuses = [email_code(client, saved, f"n{n}@example.org").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_a_code_email_not_sent_before_the_code_expires_is_cancelled_by_the_purge(fresh_app):
    client = fresh_app.test_client()
    saved = saved_page(client)
    email_code(client, saved, "late@example.org")
    with fresh_app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(OutboxMessage).values(created_at=datetime.now(timezone.utc) - timedelta(days=8)))
        db.commit()
    result = fresh_app.test_cli_runner().invoke(args=["drafts", "purge"])
    assert result.exit_code == 0, result.output
    stale = resume_message(fresh_app)
    assert stale.status == "cancelled" and stale.sealed_recipient is None


def test_key_rotation_reseals_a_code_email_waiting_to_go(fresh_app, fresh_database, make_app, mailbox):
    from sdp_public.services.sealing import new_key_spec
    client = fresh_app.test_client()
    saved = saved_page(client)
    code = saved.select_one(".sdp-resume-code").get_text(strip=True)
    email_code(client, saved, "rotated@example.org")
    new = new_key_spec()
    rotating = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=f"{new},{fresh_app.config['SEALING_KEYS']}")
    assert "re-sealed" in rotating.test_cli_runner().invoke(args=["keys", "rotate"]).output
    assert resume_message(rotating).sealed_recipient.startswith(f"v1.{new.split(':')[0]}.")
    only_new = make_app(DATABASE_URL=fresh_database, SEALING_KEYS=new, SMTP_URL=mailbox.url)
    deliver(only_new)
    assert [CODE.search(m.get_content()).group(0) for m in mailbox.parsed()] == [code]
