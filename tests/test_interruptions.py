"""Acting on danger: what a reporter sees when it is still happening, when a business is
under attack, when online hate has no known offender, and when an anonymous reporter
asked for support; the urgent flag partners see first; the partners THIS report reaches;
request wording; and the ways in to booking an awareness session."""
import copy
import tomllib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from sdp_public import languages
from sdp_public.models import Report
from sdp_public.report import recipients
from sdp_public.services import outbox
from sdp_test_helpers import (AWARENESS_ANSWERS, HATE_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS, Inbox, csrf_of,
                              new_account, send_report, smtp_server, walk_report)
from sdp_test_helpers import sign_in as staff_sign_in

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent
HATE = "report/hate-incident"
SCAM = "report/scam-or-cyber-fraud"


def answers_with(base, **changes):
    answers = copy.deepcopy(base)
    answers.update(changes)
    return answers


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.data, "html.parser")


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_of(page(client, url)), **data})


def stored(app, reference):
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        return report, report.answers(app.extensions["sdp_sealer"])


def contacts():
    with open(ROOT / "content" / "contacts.toml", "rb") as f:
        return tomllib.load(f)


def deliver(app):
    """Deliver every message due (earlier tests may have left some queued)."""
    while True:
        with app.app_context(), app.extensions["sdp_sessionmaker"]() as db:
            if outbox.deliver(db, app.config, app.extensions["sdp_router"], app.extensions["sdp_sealer"]) == (0, 0):
                return


# -- it is still happening --------------------------------------------------------------

def test_still_happening_comes_straight_to_call_999_then_continue_your_report(client):
    _check, asked = walk_report(client, "en", HATE_ANSWERS)
    # the very next page after "yes", and Continue goes on with the report
    assert asked[asked.index("ongoing"):asked.index("ongoing") + 3] == ["ongoing", "in-danger", "where"]
    soup = page(client, f"/en/{HATE}/in-danger")
    assert [h.get_text(strip=True) for h in soup.select("h1")] == ["If you are in danger now"]
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "Call 999 now" in text
    assert "18000" in text and "Relay UK" in text
    assert soup.select_one("main form button[type=submit]").get_text(strip=True) == "Continue your report"
    assert soup.select_one(".govuk-exit-this-page")  # and a way to leave at once


def test_not_happening_now_asks_the_next_question_and_is_not_urgent(app, client):
    answers = answers_with(HATE_ANSWERS, ongoing={"ongoing": "no"})
    check, asked = walk_report(client, "en", answers)
    assert "in-danger" not in asked and asked[asked.index("ongoing") + 1] == "where"
    report, _ = stored(app, send_report(client, "en", check)[0])
    assert report.urgent is False


def test_the_relay_number_lives_in_contacts_with_its_source_and_is_to_be_confirmed():
    relay = contacts()["emergency-text-relay"]
    assert relay["phone"] == "18000" and relay["confirm"] is True and "Relay UK" in relay["source"]


def test_the_in_danger_page_is_in_every_language(app):
    for lang in languages.LANGUAGES:
        client = app.test_client()
        check, asked = walk_report(client, lang.code, HATE_ANSWERS)
        assert "in-danger" in asked
        soup = page(client, f"/{lang.code}/{HATE}/in-danger")
        assert soup.find("html")["lang"] == lang.code
        text = soup.select_one("main").get_text(" ", strip=True)
        assert "999" in text and "18000" in text
        if lang.code != "en":
            assert "If you are in danger now" not in text and "Continue your report" not in text, lang.code


# -- urgent: partners see it first, and the email says so, with no answer ------------------

def sign_in(app, email, partner):
    """A new caseworker of `partner`, signed in through the pages (choosing their own
    password, as the first sign-in must)."""
    return staff_sign_in(app, *new_account(app, partner, email=email))


def test_an_urgent_report_is_first_in_the_inbox_with_a_red_tag_and_says_urgent_in_the_email_subject(app):
    inbox = Inbox()
    previous = app.config["SMTP_URL"]
    with smtp_server(inbox):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
        deliver(app)
        inbox.messages.clear()
        client = app.test_client()
        urgent, _ = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
        client = app.test_client()
        calm, _ = send_report(client, "en", walk_report(
            client, "en", answers_with(HATE_ANSWERS, ongoing={"ongoing": "no"}))[0])
        deliver(app)
    app.config["SMTP_URL"] = previous
    assert stored(app, urgent)[0].urgent is True and stored(app, calm)[0].urgent is False

    to_partners = [m for m in inbox.parsed() if str(m["To"]).endswith("@partners.invalid")]
    mails = [m for m in to_partners if urgent in m["Subject"]]
    assert len(mails) == 2  # the police and the Victim Care and Advice Service
    assert {m["Subject"] for m in mails} == {f"Urgent: new report {urgent}"}
    assert {m["Subject"] for m in to_partners if calm in m["Subject"]} == {f"New report {calm}"}
    for mail in mails:  # still nothing the reporter said
        body = mail.get_content()
        for step in HATE_ANSWERS.values():
            for value in step.values():
                if isinstance(value, str) and " " in value:  # the words they typed
                    assert value not in body and value not in mail["Subject"]

    staff_client = sign_in(app, "urgent.reader@police.example", "police-hate-crime")
    rows, url = [], "/partners/"
    while url:  # every page: the session's database may hold more urgent reports than one page
        soup = page(staff_client, url)
        rows.extend(soup.select("tbody tr"))
        following = soup.select_one(".govuk-pagination__next a")
        url = following["href"] if following else None
    references = [row.select_one("a").get_text(strip=True) for row in rows]
    tagged = [bool(row.select_one(".govuk-tag--red.sdp-urgent")) for row in rows]
    assert references.index(urgent) < references.index(calm)  # the older urgent one first
    assert tagged[references.index(urgent)] and not tagged[references.index(calm)]
    assert tagged == sorted(tagged, reverse=True)  # every urgent row above every other
    report_page = page(staff_client, f"/partners/reports/{urgent}")
    assert report_page.select_one(".sdp-urgent").get_text(strip=True) == "Urgent"


# -- a business under attack now -------------------------------------------------------------

BUSINESS_ATTACK = answers_with(SCAM_ANSWERS, victim={"victim": "business"}, kind={"kind": "business-attack"},
                               **{"attack-now": {"attack_now": "yes"}})


def test_an_attack_on_a_business_happening_now_is_told_to_call_report_fraud_at_once(app, client):
    check, asked = walk_report(client, "en", BUSINESS_ATTACK, flow=SCAM)
    assert asked[asked.index("kind") + 1:asked.index("kind") + 3] == ["attack-now", "call-now"]
    soup = page(client, f"/en/{SCAM}/call-now")
    number = contacts()["report-fraud"]["phone"]
    assert soup.select_one("h1").get_text(strip=True) == "Call Report Fraud now"
    assert number in soup.select_one("main").get_text(" ", strip=True)
    assert soup.select_one("main form button[type=submit]").get_text(strip=True) == "Continue your report"
    report, answers = stored(app, send_report(client, "en", check, flow=SCAM)[0])
    assert report.urgent is True and answers["attack_now"] == "yes"


def test_an_attack_that_is_over_or_a_scam_on_a_person_is_not_interrupted(app):
    client = app.test_client()
    over = answers_with(BUSINESS_ATTACK, **{"attack-now": {"attack_now": "no"}})
    check, asked = walk_report(client, "en", over, flow=SCAM)
    assert "attack-now" in asked and "call-now" not in asked
    assert stored(app, send_report(client, "en", check, flow=SCAM)[0])[0].urgent is False
    client = app.test_client()
    _check, asked = walk_report(client, "en", SCAM_ANSWERS, flow=SCAM)
    assert "attack-now" not in asked and "call-now" not in asked


# -- online hate, nobody known: True Vision, as a choice ------------------------------------------

ONLINE_UNKNOWN = answers_with(HATE_ANSWERS, what={"what": ["online"]},
                              people={"offender": "", "witnesses": ""})


def test_online_hate_by_someone_unknown_offers_true_vision_and_records_the_wish(app, client):
    walk_report(client, "en", ONLINE_UNKNOWN)
    soup = page(client, f"/en/{HATE}/true-vision")
    link = soup.select_one("main a[href='https://www.report-it.org.uk']")
    assert link and contacts()["true-vision"]["url"] == "https://www.report-it.org.uk"
    assert "still comes to us" in soup.select_one("main").get_text(" ", strip=True)  # not a dead end
    assert len(soup.select("input[name=true_vision]")) == 3
    response = post(client, f"/en/{HATE}/true-vision", {})
    assert b"Select if you would like True Vision to have your report too" in response.data
    response = post(client, f"/en/{HATE}/true-vision", {"true_vision": "myself"})
    assert response.status_code == 302
    check = page(client, f"/en/{HATE}/check-answers")
    assert "No, I will report it to True Vision myself" in check.get_text()
    _report, answers = stored(app, send_report(client, "en", check)[0])
    assert answers["true_vision"] == "myself"


@pytest.mark.parametrize("changes", [
    {"people": {"offender": "My neighbour's son", "witnesses": ""}},   # they know who
    {"what": {"what": ["online", "threats"]}},                           # not only online
])
def test_true_vision_is_not_asked_when_the_offender_is_known_or_it_was_not_only_online(client, changes):
    _check, asked = walk_report(client, "en", answers_with(ONLINE_UNKNOWN, **changes))
    assert "true-vision" not in asked


# -- anonymous, but asked for support or a visit ---------------------------------------------------

def test_anonymous_reporters_who_asked_for_support_are_told_nobody_can_reach_them(app, client):
    anonymous = answers_with(HATE_ANSWERS, contact={"contact": "anonymous"})
    check, asked = walk_report(client, "en", anonymous)
    assert asked[asked.index("contact") + 1] == "no-way-to-reach-you"
    soup = page(client, f"/en/{HATE}/no-way-to-reach-you")
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "the support service cannot contact you" in text and "Friends Against Scams" not in text
    assert soup.select_one("main form button[type=submit]").get_text(strip=True) == "Continue anonymously"
    # they can still give a way to contact them ...
    back_to_contact = soup.find("a", string="Give a way to contact you")["href"]
    assert back_to_contact.endswith(f"/en/{HATE}/contact")
    response = post(client, back_to_contact, {"contact": "details"})
    assert response.headers["Location"].endswith("/contact-details")
    # ... or stay anonymous, and the report is sent
    post(client, back_to_contact, {"contact": "anonymous"})
    assert client.get(f"/en/{HATE}/check-answers").headers.get("Location", "").endswith("/no-way-to-reach-you")
    post(client, f"/en/{HATE}/no-way-to-reach-you", {})
    check = page(client, f"/en/{HATE}/check-answers")
    report, _ = stored(app, send_report(client, "en", check)[0])
    assert report.anonymous


def test_anonymous_scam_reporters_who_asked_for_a_visit_hear_about_trading_standards(client):
    anonymous = answers_with(SCAM_ANSWERS, contact={"contact": "anonymous"})
    walk_report(client, "en", anonymous, flow=SCAM)
    text = page(client, f"/en/{SCAM}/no-way-to-reach-you").select_one("main").get_text(" ", strip=True)
    assert "Trading Standards cannot contact you" in text and "support service" not in text


def test_anonymous_without_asking_for_support_goes_straight_to_consent(client):
    anonymous = answers_with(HATE_ANSWERS, contact={"contact": "anonymous"}, support={"support": "no"})
    _check, asked = walk_report(client, "en", anonymous)
    assert "no-way-to-reach-you" not in asked and asked[-1] == "consent"


# -- the partners THIS report reaches ------------------------------------------------------------------

def names_on(soup):
    return [li.get_text(" ", strip=True) for li in soup.select(".sdp-recipients li")]


@pytest.mark.parametrize("flow, answers, expected", [
    (HATE, HATE_ANSWERS, ["Durham Constabulary's hate crime team (the police)", "the Victim Care and Advice Service"]),
    (HATE, answers_with(HATE_ANSWERS, outcome={"outcome": "record"}, support={"support": "no"}),
     ["Durham County Council's community safety team"]),
    (SCAM, SCAM_ANSWERS, ["Durham Constabulary's fraud team (the police)",
                          "Durham County Council's Trading Standards team (Friends Against Scams)"]),
    (SCAM, BUSINESS_ATTACK, ["Durham Constabulary's cyber crime team (the police)",
                             "Durham Constabulary's fraud team (the police)",
                             "Durham County Council's Trading Standards team (Friends Against Scams)"]),
    ("request/awareness-session", AWARENESS_ANSWERS, [
        "Durham County Council's Trading Standards team (Friends Against Scams)"]),
    ("request/translation-or-format", TRANSLATION_ANSWERS, ["Durham County Council's customer services"]),
])
def test_consent_and_confirmation_name_exactly_the_partners_who_get_this_report(app, flow, answers, expected):
    client = app.test_client()
    check, _ = walk_report(client, "en", answers, flow=flow)
    consent = page(client, f"/en/{flow}/consent")
    assert names_on(consent) == expected
    response = client.post(f"/en/{flow}/check-answers", data={"csrf_token": csrf_of(check)})
    confirmation = page(client, response.headers["Location"])
    assert names_on(confirmation) == expected
    reference = confirmation.select_one(".govuk-panel__body strong").get_text(strip=True)
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        assert [recipients.PUBLIC_NAMES[r.partner] for r in report.routes] == expected


def test_every_partner_has_a_public_name():
    with open(ROOT / "content" / "partners.toml", "rb") as f:
        assert set(tomllib.load(f)["partners"]) == set(recipients.PUBLIC_NAMES)


# -- requests are requests ----------------------------------------------------------------------------

@pytest.mark.parametrize("flow, answers", [("request/awareness-session", AWARENESS_ANSWERS),
                                           ("request/translation-or-format", TRANSLATION_ANSWERS)])
def test_a_request_confirmation_speaks_of_the_request_not_a_report(client, flow, answers):
    check, _ = walk_report(client, "en", answers, flow=flow)
    response = client.post(f"/en/{flow}/check-answers", data={"csrf_token": csrf_of(check)})
    text = page(client, response.headers["Location"]).select_one("main").get_text(" ", strip=True)
    assert "without giving your name" not in text and "your report" not in text
    assert "what is happening with your request" in text and "Follow up your request" in text


# -- ways in to an awareness session --------------------------------------------------------------------

@pytest.mark.parametrize("code", [lang.code for lang in languages.LANGUAGES])
def test_the_awareness_session_booking_is_linked_from_home_and_three_campaign_pages(client, code):
    booking = f"/{code}/request/awareness-session/"
    for path in ("/", "/campaigns/hate-hurts", "/campaigns/friends-against-scams", "/business/cyber-essentials"):
        soup = page(client, f"/{code}{path}")
        assert soup.select_one(f"main a[href='{booking}']"), (code, path)
    assert page(client, booking).select_one("main a.govuk-button--start")
