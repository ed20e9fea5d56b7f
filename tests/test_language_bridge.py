"""The language bridge: a reporter's language and interpreter request reach the partner, and
a partner's reply reaches the reporter in the reporter's language (a template) or marked
as English (their own words), at /track and in the new-message email."""
import copy
import datetime
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from flask_babel import force_locale
from sqlalchemy import select

from sdp_public import languages, replies
from sdp_public.models import Report, ReportEvent
from sdp_public.services import outbox, staff
from sdp_test_helpers import HATE_ANSWERS, csrf_of, send_report, sign_in, walk_report

pytestmark = pytest.mark.db
CATALOGS = Path(__file__).resolve().parent.parent / "sdp_public" / "translations"
OTHER_LANGUAGES = languages.LANGUAGES[1:]
PHONE = "01632 960 001"  # Ofcom's range for drama: never a real line


def catalog(locale):
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def msgstr(locale, msgid):
    message = catalog(locale).get(msgid)
    assert message is not None and message.string, (locale, msgid)
    return message.string


# -- journeys ----------------------------------------------------------------------------

def report_in(app, lang, interpreter=True, **changes):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["outcome"], answers["support"] = {"outcome": "police"}, {"support": "no"}
    answers["contact-details"]["interpreter"] = "yes" if interpreter else "no"
    answers.update(changes)
    client = app.test_client()
    check, _asked = walk_report(client, lang, answers)
    return (*send_report(client, lang, check), check)


def caseworker(app, partner="police-hate-crime"):
    """A new caseworker, signed in (a fresh account each time: a TOTP code works once)."""
    email = f"cw-{uuid.uuid4().hex[:8]}@police.example"
    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], email, partner, "caseworker")
        db.commit()
    return sign_in(app, email, password, secret)


def send_message(partner, reference, **data):
    page = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser")
    return partner.post(f"/partners/reports/{reference}/message", data={"csrf_token": csrf_of(page), **data})


def track_page(app, lang, reference, receipt):
    reporter = app.test_client()
    page = BeautifulSoup(reporter.get(f"/{lang}/track").data, "html.parser")
    response = reporter.post(f"/{lang}/track", data={"csrf_token": csrf_of(page), "reference": reference,
                                                     "receipt": receipt})
    assert response.status_code == 303
    return reporter, response.headers["Location"], BeautifulSoup(reporter.get(response.headers["Location"]).data,
                                                                 "html.parser")


def deliver(app):
    while True:
        with app.app_context(), app.extensions["sdp_sessionmaker"]() as db:
            if outbox.deliver(db, app.config, app.extensions["sdp_router"], app.extensions["sdp_sealer"]) == (0, 0):
                return


def events(app, reference, kind):
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        return [report.open(app.extensions["sdp_sealer"], "event", e.sealed_body)
                for e in db.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id,
                                                              ReportEvent.kind == kind))]


def test_an_urdu_reporter_with_an_interpreter_reads_the_partners_template_in_urdu(app, smtp):
    reference, receipt, check = report_in(app, "ur")
    # check answers shows the question, its answer and the language, with Change
    row = next(r for r in check.select(".govuk-summary-list__row")
               if msgstr("ur", "Would you like an interpreter when we contact you?") in r.get_text())
    assert "اردو" in row.get_text() and row.select_one("a[href$='contact-details?change=1']")

    partner = caseworker(app)
    inbox = BeautifulSoup(partner.get("/partners/").data, "html.parser")
    cells = next(tr for tr in inbox.select("tbody tr") if reference in tr.get_text())
    assert "Urdu" in cells.get_text() and "Interpreter wanted" in cells.get_text()
    assert cells.select_one("span[lang=ur][dir=rtl]").get_text() == "اردو"
    page = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser")
    shown = page.select_one(".sdp-reporter-language")
    assert "Urdu" in shown.get_text() and "Interpreter wanted" in shown.get_text()
    assert shown.select_one("span[lang=ur]").get_text() == "اردو"

    response = send_message(partner, reference, template="please-call-us", phone=PHONE, times="weekdays-9-to-5")
    assert response.status_code == 302
    assert events(app, reference, "message-to-reporter") == [
        {"template": "please-call-us", "params": {"phone": PHONE, "times": "weekdays-9-to-5"}}]
    timeline = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser").select_one("ol")
    assert f"Please call us on {PHONE}. The best time to call is: Monday to Friday, 9am to 5pm." in timeline.get_text()

    _reporter, _url, status = track_page(app, "ur", reference, receipt)
    message = status.select_one(".sdp-message").get_text()
    sentence = msgstr("ur", "Please call us on %(phone)s. The best time to call is: %(times)s. "
                            "Tell us your report reference when you call.")
    before_phone = sentence.split("%(phone)s")[0]
    assert before_phone and before_phone in message
    assert PHONE in message and msgstr("ur", "Monday to Friday, 9am to 5pm") in message
    assert "Please call us" not in message and "Monday" not in message
    assert not status.select(".sdp-message [lang=en]")  # a template is in the page's language

    deliver(app)
    mails = [m for m in smtp.parsed() if m["To"] == "amira@example.org" and reference in str(m["Subject"])]
    subject = msgstr("ur", "You have a new message about your report %(reference)s") % {"reference": reference}
    (mail,) = [m for m in mails if str(m["Subject"]) == subject]
    body = mail.get_content()
    assert msgstr("ur", "The team dealing with your report has sent you a message.") in body
    assert "/ur/track" in body
    assert PHONE not in body and before_phone not in body  # no message content in the email


def test_free_text_reaches_the_reporter_marked_as_english_with_the_translation_request(app):
    reference, receipt, _check = report_in(app, "ur")
    partner = caseworker(app)
    assert send_message(partner, reference, text="Thank you. Can you tell us the time it happened?").status_code == 302
    assert events(app, reference, "message-to-reporter") == [
        {"text": "Thank you. Can you tell us the time it happened?", "lang": "en"}]
    _reporter, _url, status = track_page(app, "ur", reference, receipt)
    english = status.select_one(".sdp-message [lang=en]")
    assert english is not None and english["dir"] == "ltr"
    assert "Can you tell us the time" in english.get_text()
    message = status.select_one(".sdp-message")
    assert msgstr("ur", "The team dealing with your report wrote this message in English.") in message.get_text()
    link = message.find("a", string=lambda s: s and msgstr("ur", "Ask for a translated summary of this message") in s)
    assert link is not None and link["href"] == "/ur/request/translation-or-format/"


def test_the_reporters_own_words_show_to_the_partner_in_their_language(app):
    reference, receipt, _check = report_in(app, "ur", interpreter=False)
    reporter, url, status = track_page(app, "ur", reference, receipt)
    reporter.post(url, data={"csrf_token": csrf_of(status), "information": "وہ آدمی پھر آیا تھا"})
    partner = caseworker(app)
    page = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser")
    added = page.find("span", string="وہ آدمی پھر آیا تھا")
    assert added is not None and added["lang"] == "ur" and added["dir"] == "rtl"
    shown = page.select_one(".sdp-reporter-language")
    assert "Urdu" in shown.get_text() and "Interpreter wanted" not in shown.get_text()
    inbox = BeautifulSoup(partner.get("/partners/").data, "html.parser")
    row = next(tr for tr in inbox.select("tbody tr") if reference in tr.get_text())
    assert "Interpreter wanted" not in row.get_text()


def test_the_interpreter_language_can_be_another_of_ours_and_is_asked_for_on_english_pages(app, client):
    walk_report(client, "en", HATE_ANSWERS)
    url = "/en/report/hate-incident/contact-details"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    details = {**HATE_ANSWERS["contact-details"], "interpreter": "yes", "csrf_token": csrf_of(page)}
    refused = BeautifulSoup(client.post(url, data=details).data, "html.parser")
    assert "Select the language you would like an interpreter for" in refused.select_one(".govuk-error-summary").get_text()
    for hostile in ("en", "xx", "<script>", ""):
        soup = BeautifulSoup(client.post(url, data={**details, "interpreter_language": hostile}).data, "html.parser")
        assert soup.select_one(".govuk-error-summary"), hostile
    assert client.post(url, data={**details, "interpreter_language": "pl"}).status_code == 302
    check = BeautifulSoup(client.get("/en/report/hate-incident/check-answers").data, "html.parser")
    assert "Polski" in check.get_text()
    reference, _receipt = send_report(client, "en", check)
    partner = caseworker(app)
    shown = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser").select_one(
        ".sdp-reporter-language").get_text(" ")
    assert "English" in shown and "Interpreter wanted" in shown and "Polish" in shown
    row = next(tr for tr in BeautifulSoup(partner.get("/partners/").data, "html.parser").select("tbody tr")
               if reference in tr.get_text())
    assert "Interpreter wanted Polish" in row.get_text(" ", strip=True)
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        assert (report.interpreter, report.interpreter_language) == (True, "pl")  # kept plain at submit


def test_no_interpreter_stores_no_language(app):
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["contact-details"].update(interpreter="no", interpreter_language="ar")
    client = app.test_client()
    reference, _receipt = send_report(client, "ur", walk_report(client, "ur", answers)[0])
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        contact = report.open(app.extensions["sdp_sealer"], "contact", report.sealed_contact)
    assert contact["interpreter"] == "no" and "interpreter_language" not in contact
    assert (report.interpreter, report.interpreter_language) == (False, None)


def test_the_inbox_shows_interpreter_requests_without_opening_anyones_contact_details(app, monkeypatch):
    """The inbox reads the plain columns submit fills; only a report stored by a build from
    before them (NULL) still has its contact details opened, and shows the same."""
    wanted, _receipt, _check = report_in(app, "ur")
    older, _receipt, _check = report_in(app, "ar")
    not_wanted, _receipt, _check = report_in(app, "pl", interpreter=False)
    with app.extensions["sdp_sessionmaker"]() as db:
        stored = {r.reference: r for r in db.scalars(select(Report).where(
            Report.reference.in_((wanted, older, not_wanted))))}
        assert (stored[wanted].interpreter, stored[wanted].interpreter_language) == (True, "ur")
        assert (stored[not_wanted].interpreter, stored[not_wanted].interpreter_language) == (False, None)
        stored[older].interpreter = None  # as a build from before migration 0010 stored it
        db.commit()
    partner = caseworker(app)
    opened = []
    real_contact = Report.contact
    monkeypatch.setattr(Report, "contact", lambda self, sealer: opened.append(self.reference) or
                        real_contact(self, sealer))
    rows = {reference: next(tr for tr in BeautifulSoup(partner.get("/partners/").data, "html.parser")
                            .select("tbody tr") if reference in tr.get_text()).get_text(" ", strip=True)
            for reference in (wanted, older, not_wanted)}
    assert "Urdu" in rows[wanted] and "Interpreter wanted" in rows[wanted]
    assert "Arabic" in rows[older] and "Interpreter wanted" in rows[older]
    assert "Polish" in rows[not_wanted] and "Interpreter wanted" not in rows[not_wanted]
    assert set(opened) == {older}  # nobody else's contact details were opened to list them


@pytest.mark.parametrize("flow, step, answers", [
    ("report/scam-or-cyber-fraud", "contact-details", "SCAM_ANSWERS"),
    ("request/translation-or-format", "requester", "TRANSLATION_ANSWERS"),
    ("request/awareness-session", "booker", "AWARENESS_ANSWERS"),
])
def test_every_form_that_takes_contact_details_asks_about_an_interpreter(client, flow, step, answers):
    import sdp_test_helpers
    given = copy.deepcopy(getattr(sdp_test_helpers, answers))
    given[step].pop("interpreter")
    with pytest.raises(AssertionError, match=msgstr("pl", "Select yes if you would like an interpreter")):
        walk_report(client, "pl", given, flow=flow)
    given[step]["interpreter"] = "yes"
    check, _asked = walk_report(client, "pl", given, flow=flow)
    assert "Polski" in check.get_text()  # the page's language, by default


# -- templates in every language -----------------------------------------------------------

SAMPLE = {"phone": PHONE, "times": "any-time", "detail": "person", "date": "2026-03-27"}


def sample_body(template):
    return {"template": template.slug, "params": {p.name: SAMPLE[p.name] for p in template.params}}


def test_there_are_at_least_eight_templates_with_stable_slugs():
    assert len(replies.TEMPLATES) >= 8
    assert {"received-passed-to-neighbourhood-team", "please-call-us", "need-more-information"} <= set(replies.TEMPLATES)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES, ids=lambda lang: lang.code)
def test_every_template_and_choice_is_translated_in_the_catalog(lang):
    found = catalog(lang.locale)
    msgids = [str(t.text._args[0]) for t in replies.TEMPLATES.values()]
    msgids += [label._args[0] for _v, label, _e in (*replies.TIMES, *replies.DETAILS)]
    for msgid in msgids:
        message = found.get(msgid)
        assert message is not None and message.string and message.string != msgid and not message.fuzzy, msgid


@pytest.mark.parametrize("lang", OTHER_LANGUAGES, ids=lambda lang: lang.code)
def test_every_template_renders_with_its_parameters_and_no_english(app, lang):
    with app.test_request_context(f"/{lang.code}/"), force_locale("en_GB"):
        english = {slug: replies.render(sample_body(t))[0] for slug, t in replies.TEMPLATES.items()}
        english_choices = [str(label) for _v, label, _e in (*replies.TIMES, *replies.DETAILS)]
    with app.test_request_context(f"/{lang.code}/"), force_locale(lang.locale):
        for slug, template in replies.TEMPLATES.items():
            text, text_lang = replies.render(sample_body(template))
            assert text_lang is None and text != english[slug], slug
            assert "%(" not in text and "March" not in text and not any(c in text for c in english_choices), (slug, text)
            if "phone" in SAMPLE and any(p.name == "phone" for p in template.params):
                assert PHONE in text
                assert ("\u2066" + PHONE + "\u2069" in text) == (lang.dir == "rtl")  # digits kept in order
            if any(p.name == "date" for p in template.params):
                from flask_babel import format_date
                assert format_date(datetime.date(2026, 3, 27), "full") in text
            for name in ("times", "detail"):
                param = next((p for p in template.params if p.name == name), None)
                if param:
                    label = str(dict((v, l) for v, l, _e in param.choices)[SAMPLE[name]])
                    assert label in text and label != dict((v, e) for v, _l, e in param.choices)[SAMPLE[name]]


def test_in_english_a_template_reads_as_written(app):
    with app.test_request_context("/en/"), force_locale("en_GB"):
        text, lang = replies.render(sample_body(replies.TEMPLATES["please-call-us"]))
    assert text == (f"Please call us on {PHONE}. The best time to call is: at any time, day or night. "
                    "Tell us your report reference when you call.") and lang is None


# -- hostile input ----------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"template": "no-such-template"}, "Choose one of the reply templates"),
    ({"template": "please-call-us", "phone": "<script>alert(1)</script>", "times": "any-time"}, "Enter a phone number"),
    ({"template": "please-call-us", "phone": "javascript:alert(1)", "times": "any-time"}, "Enter a phone number"),
    ({"template": "please-call-us", "phone": "0191 \x00 1", "times": "any-time"}, "unusual characters"),
    ({"template": "please-call-us", "phone": "", "times": "any-time"}, "Enter the phone number"),
    ({"template": "please-call-us", "phone": PHONE, "times": "<b>never</b>"}, "Select the best time to call"),
    ({"template": "please-call-us", "phone": PHONE}, "Select the best time to call"),
    ({"template": "need-more-information", "detail": "'; DROP TABLE report; --"}, "Select the information we need"),
    ({"template": "meeting-offered", "phone": PHONE, "date": "2026-02-30"}, "Enter a real date"),
    ({"template": "meeting-offered", "phone": PHONE, "date": "<img src=x onerror=alert(1)>"}, "Enter a real date"),
    ({"template": "meeting-offered", "phone": PHONE, "date": "2000-01-01"}, "within the next year"),
    ({"template": "tried-to-call", "phone": PHONE, "date": "2999-01-01"}, "in the past year"),
    ({"template": "please-call-us", "phone": PHONE, "times": "any-time", "text": "and more"}, "not both"),
    ({"template": "", "text": ""}, "Write a message, or choose a reply template"),
    ({"text": "x" * 5001}, "5000 characters or fewer"),
])
def test_a_bad_reply_is_refused_with_a_clear_error_and_nothing_is_sent(app, data, message):
    reference, _receipt, _check = report_in(app, "ur", interpreter=False)
    partner = caseworker(app)
    response = send_message(partner, reference, **data)
    assert response.status_code == 400
    page = BeautifulSoup(response.data, "html.parser")
    summary = page.select_one("#message-the-reporter .govuk-error-summary")
    assert summary is not None and message in summary.get_text()
    assert "<script>alert" not in response.get_data(as_text=True) and "<img src=x" not in response.get_data(as_text=True)
    assert events(app, reference, "message-to-reporter") == []


def test_a_file_instead_of_a_parameter_is_refused(app):
    import io
    reference, _receipt, _check = report_in(app, "ur", interpreter=False)
    partner = caseworker(app)
    page = BeautifulSoup(partner.get(f"/partners/reports/{reference}").data, "html.parser")
    response = partner.post(f"/partners/reports/{reference}/message", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(page), "template": "please-call-us", "times": "any-time",
        "phone": (io.BytesIO(b"01632 960 001"), "phone.txt")})
    assert response.status_code == 400 and b"Enter your answer as text" in response.data
    assert events(app, reference, "message-to-reporter") == []


def test_a_stored_body_that_no_longer_checks_is_not_shown_rather_than_guessed(app):
    with app.test_request_context("/ur/"), force_locale("ur"):
        assert replies.render({"template": "retired-slug", "params": {}}) is None
        assert replies.render({"template": "please-call-us", "params": {"phone": "<b>", "times": "any-time"}}) is None
        assert replies.render({"template": "please-call-us", "params": "not a dict"}) is None
        assert replies.render(["not", "a", "dict"]) is None
        assert replies.render({"text": "Hello"}) == ("Hello", "en")  # messages from before templates
        # a meeting date that has passed still reads (the window is checked only when sending)
        old = replies.render({"template": "meeting-offered", "params": {"phone": PHONE, "date": "2020-01-06"}})
        assert old is not None and PHONE in old[0]
