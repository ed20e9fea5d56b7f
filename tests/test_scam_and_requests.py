"""Scam and cyber fraud reports, format requests and awareness sessions: the same engine,
their own questions and routing, the same guarantees (sealed, routed, notified)."""
import copy
import itertools

import pytest
from bs4 import BeautifulSoup

from sdp_public.report import requests as requests_flows
from sdp_public.report import scam
from sdp_public.report.scam import parse_amount
from sdp_test_helpers import (AWARENESS_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS, csrf_of, deliver, raw_database_text,
                              sealed_answers, send_report, walk_report)

pytestmark = pytest.mark.db
SCAM = "report/scam-or-cyber-fraud"
FORMAT = "request/translation-or-format"
SESSION = "request/awareness-session"


def scam_partners(a):
    """What the issue says, independent of partners.toml."""
    partners = set()
    if a["kind"]["kind"] == "business-attack" or (a["victim"]["victim"] == "business" and a["kind"]["kind"] == "hacked"):
        partners.add("police-cyber-crime")
    if a["loss"]["loss"] in ("money", "both"):
        partners.add("police-fraud")
    if a["kind"]["kind"] in ("phone", "doorstep", "post") or a["vulnerable"]["vulnerable"] == "yes" \
            or a["visit"]["fas_visit"] == "yes":
        partners.add("trading-standards")
    if a["support"]["support"] == "yes":
        partners.add("victim-care")
    return partners or {"trading-standards"}


SCAM_BRANCHES = [
    {"victim": {"victim": "me"}},
    {"victim": {"victim": "business"}, "kind": {"kind": "business-attack"}, "loss": {"loss": "data"},
     "vulnerable": {"vulnerable": "no"}, "visit": {"fas_visit": "no"}},
    {"victim": {"victim": "business"}, "kind": {"kind": "hacked"}, "loss": {"loss": "neither"},
     "vulnerable": {"vulnerable": "no"}, "visit": {"fas_visit": "no"}},
    {"kind": {"kind": "other"}, "loss": {"loss": "data"}, "vulnerable": {"vulnerable": "no"},
     "visit": {"fas_visit": "no"}, "support": {"support": "yes"}},
    {"kind": {"kind": "phishing"}, "loss": {"loss": "neither"}, "vulnerable": {"vulnerable": "no"},
     "visit": {"fas_visit": "no"}, "when": {"when_known": "date"}, "contact": {"contact": "anonymous"}},
]


@pytest.mark.parametrize("lang", ["en", "ur"])
@pytest.mark.parametrize("branch", SCAM_BRANCHES, ids=lambda b: "-".join(str(v) for d in b.values() for v in d.values())[:40])
def test_a_scam_report_is_routed_by_its_answers_and_notified_without_them(app, client, smtp, lang, branch):
    answers = copy.deepcopy(SCAM_ANSWERS)
    answers.update(copy.deepcopy(branch))
    check, asked = walk_report(client, lang, answers, flow=SCAM)
    assert ("money" in asked) == (answers["loss"]["loss"] in ("money", "both"))
    assert ("kind-other" in asked) == (answers["kind"]["kind"] == "other")
    reference, receipt = send_report(client, lang, check, flow=SCAM)
    assert reference.startswith("SC-") and receipt
    report, stored, contact = sealed_answers(app, reference)
    assert report.partners == scam_partners(answers)
    if "money" in asked:
        assert stored["amount"] == "£1,200.50"  # stored as typed
    deliver(app)
    # Picked by the subject line; the body must still carry the reference for whoever reads it.
    mails = [m for m in smtp.parsed() if reference in str(m["Subject"])]
    assert sorted(m["To"].split("@")[0] for m in mails) == sorted(report.partners)
    secrets = ["mother's account", "fake-bank", "01632 960 001", "Sam Carer", "07700 900 982", "1,200.50"]
    for mail in mails:
        assert reference in mail.get_content()
        assert not any(s in mail.get_content() for s in secrets)
    database = raw_database_text(app)
    assert not any(s in database for s in secrets)


def test_the_scam_confirmation_gives_report_fraud_and_repeat_targeting_advice(client):
    check, _ = walk_report(client, "en", SCAM_ANSWERS, flow=SCAM)
    response = client.post(f"/en/{SCAM}/check-answers", data={"csrf_token": csrf_of(check)})
    page = BeautifulSoup(client.get(response.headers["Location"]).data, "html.parser")
    text = page.get_text(" ")
    assert "Report Fraud" in text and "0300 123 2040" in text and "159" in text
    assert "targeted again" in text


@pytest.mark.parametrize("typed, value", [("£1,200.50", "1200.50"), ("1200", "1200"), (" 3 000 ", "3000"),
                                          ("0.5", "0.5"), ("£0", "0")])
def test_amounts_are_read_leniently(typed, value):
    assert str(parse_amount(typed)) == value


@pytest.mark.parametrize("typed", ["twelve", "1.2.3", "-5", "1e400", "NaN", "12.345", "£", ""])
def test_amounts_that_are_not_numbers_are_refused_clearly(client, typed):
    assert parse_amount(typed) is None
    if typed:
        walk_report(client, "en", SCAM_ANSWERS, flow=SCAM)
        url = f"/en/{SCAM}/money"
        page = BeautifulSoup(client.get(url).data, "html.parser")
        soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "amount": typed,
                                                    "paid": "cash"}).data, "html.parser")
        assert "Enter the amount as a number" in soup.select_one(".govuk-error-summary").get_text()
        assert soup.find("input", attrs={"name": "amount"})["value"] == typed.strip()


def test_scammer_details_are_validated_but_optional(client):
    walk_report(client, "en", SCAM_ANSWERS, flow=SCAM)
    url = f"/en/{SCAM}/scammer"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "scam_email": "not an email",
                                                "scam_phone": "phone me"}).data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "correct format" in summary and "Enter a phone number" in summary
    assert client.post(url, data={"csrf_token": csrf_of(page)}).status_code == 302  # all optional


def test_every_combination_of_scam_routing_answers_reaches_an_inbox(app):
    router = app.extensions["sdp_router"]
    values = lambda choices: [v for v, _ in choices]  # noqa: E731
    for victim, kind, loss, vulnerable, support, visit in itertools.product(
            values(scam.VICTIM), values(scam.KIND), values(scam.LOSS), ["yes", "no", "not-sure"], ["yes", "no"],
            ["yes", "no"]):
        answers = {"victim": {"victim": victim}, "kind": {"kind": kind}, "loss": {"loss": loss},
                   "vulnerable": {"vulnerable": vulnerable}, "support": {"support": support},
                   "visit": {"fas_visit": visit}}
        flat = {k: v for d in answers.values() for k, v in d.items()}
        routed = {p.slug for p, _ in router.route("scam-or-cyber-fraud", flat)}
        assert routed == scam_partners(answers), flat


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_format_request_reaches_the_council(app, client, smtp, lang):
    check, asked = walk_report(client, lang, TRANSLATION_ANSWERS, flow=FORMAT)
    assert "already-here" not in asked and "document-detail" not in asked
    reference, _ = send_report(client, lang, check, flow=FORMAT)
    assert reference.startswith("RQ-")
    report, stored, contact = sealed_answers(app, reference)
    assert report.partners == {"council-customer-services"}
    assert stored["language"] == "Tigrinya" and contact["address"] == "1 Example Street, Durham"
    deliver(app)
    mails = [m for m in smtp.parsed() if reference in str(m["Subject"])]
    assert [m["To"] for m in mails] == ["council-customer-services@partners.invalid"]
    assert reference in mails[0].get_content() and "Tigrinya" not in mails[0].get_content()


def test_a_request_for_a_language_we_publish_points_to_those_pages_first(client):
    answers = copy.deepcopy(TRANSLATION_ANSWERS)
    answers["language"] = {"language": "polski"}
    answers["document"] = {"document": "web-page"}
    check, asked = walk_report(client, "en", answers, flow=FORMAT)
    assert "already-here" in asked and "document-detail" in asked
    page = BeautifulSoup(client.get(f"/en/{FORMAT}/already-here").data, "html.parser")
    assert page.select_one("main a[hreflang=pl]")["href"] == "/pl/"


def test_the_delivery_choice_decides_which_contact_detail_is_required(client):
    walk_report(client, "en", TRANSLATION_ANSWERS, flow=FORMAT)
    url = f"/en/{FORMAT}/requester"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "name": "R"}).data, "html.parser")
    assert "postal address" in soup.select_one(".govuk-error-summary").get_text()
    delivery = BeautifulSoup(client.get(f"/en/{FORMAT}/delivery").data, "html.parser")
    client.post(f"/en/{FORMAT}/delivery", data={"csrf_token": csrf_of(delivery), "delivery": "email"})
    soup = BeautifulSoup(client.post(url, data={"csrf_token": csrf_of(page), "name": "R"}).data, "html.parser")
    assert "email it to you" in soup.select_one(".govuk-error-summary").get_text()


@pytest.mark.parametrize("topic, partner", [("friends-against-scams", "trading-standards"),
                                            ("cyber", "safer-cyber-group"), ("hate-hurts", "council-community-safety")])
@pytest.mark.parametrize("lang", ["en", "ur"])
def test_an_awareness_session_goes_to_the_team_for_its_topic(app, client, smtp, topic, partner, lang):
    answers = copy.deepcopy(AWARENESS_ANSWERS)
    answers["topic"] = {"topic": topic}
    check, _ = walk_report(client, lang, answers, flow=SESSION)
    reference, _ = send_report(client, lang, check, flow=SESSION)
    report, stored, contact = sealed_answers(app, reference)
    assert report.partners == {partner} and stored["group_size"] == "25"
    deliver(app)
    mails = [m for m in smtp.parsed() if reference in str(m["Subject"])]
    assert [m["To"].split("@")[0] for m in mails] == [partner] and reference in mails[0].get_content()


@pytest.mark.parametrize("size", ["0", "1001", "ten", "-3", "<b>5</b>"])
def test_a_group_size_that_is_not_a_sensible_number_is_refused(client, size):
    walk_report(client, "en", AWARENESS_ANSWERS, flow=SESSION)
    url = f"/en/{SESSION}/group-size"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    response = client.post(url, data={"csrf_token": csrf_of(page), "group_size": size})
    soup = BeautifulSoup(response.data, "html.parser")
    assert "between 1 and 1000" in soup.select_one(".govuk-error-summary").get_text()
    assert "<b>5</b>" not in response.get_data(as_text=True)


def test_every_flow_start_page_is_served_in_every_language(client):
    from sdp_public import languages
    for lang in languages.LANGUAGES:
        for flow in (SCAM, FORMAT, SESSION):
            assert client.get(f"/{lang.code}/{flow}/").status_code == 200
    assert requests_flows.language_we_publish({"language": "Urdu"}).code == "ur"
    assert requests_flows.language_we_publish({"language": "Klingon"}) is None
