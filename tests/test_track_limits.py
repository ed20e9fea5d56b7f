""""Add to my report" on /track is bounded: per report and per sign-in with the receipt code,
with a translated message when reached, and partners get one email per batch of additions
(one receipt code once queued unbounded events and partner emails)."""
import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale, gettext
from sqlalchemy import select

from sdp_public.models import OutboxMessage, Report, ReportEvent
from sdp_test_helpers import HATE_ANSWERS, csrf_of, deliver, send_report, walk_report

pytestmark = pytest.mark.db
REPORT_FULL = ("You cannot add any more information to this report online. If you have more to tell us, "
               "make a new report.")
SESSION_FULL = ("You have added information several times already. To add more, come back later and find your "
                "report again with its reference and receipt code.")


def signed_in(app, reference, receipt, lang="en"):
    client = app.test_client()
    page = BeautifulSoup(client.get(f"/{lang}/track").data, "html.parser")
    response = client.post(f"/{lang}/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})
    assert response.status_code == 303, response.status_code
    return client


def add(client, text, lang="en"):
    """Post one addition; returns the error shown, or None when it was added."""
    url = f"/{lang}/track/report"
    page = BeautifulSoup(client.get(url).data, "html.parser")
    response = client.post(url, data={"csrf_token": csrf_of(page), "information": text})
    assert response.status_code in (200, 303), response.status_code
    if response.status_code == 303:
        return None
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("textarea", attrs={"name": "information"}).get_text().strip() == text  # kept to copy
    return [e.get_text(strip=True) for e in soup.select(".govuk-error-summary li")]


def counts(app, reference):
    with app.extensions["sdp_sessionmaker"]() as db:
        report = db.scalar(select(Report).where(Report.reference == reference))
        events = len(db.scalars(select(ReportEvent.id).where(ReportEvent.report_id == report.id,
                                                             ReportEvent.kind == "reporter-information")).all())
        updates = db.scalars(select(OutboxMessage).where(OutboxMessage.report_id == report.id,
                                                         OutboxMessage.kind == "partner-update")).all()
        return events, updates, {r.partner for r in report.routes}


@pytest.fixture
def report(app):
    client = app.test_client()
    return send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])


@pytest.fixture
def limits(app, monkeypatch):
    """Five additions per report, three per sign-in, for this test."""
    monkeypatch.setitem(app.config, "TRACK_ADD_LIMIT", 5)
    monkeypatch.setitem(app.config, "TRACK_ADD_SESSION_LIMIT", 3)


def test_one_sign_in_adds_at_most_the_session_limit_and_the_report_at_most_its_limit(app, report, limits):
    reference, receipt = report
    first = signed_in(app, reference, receipt)
    assert [add(first, f"Addition {n}") for n in range(3)] == [None] * 3
    assert add(first, "One too many") == [SESSION_FULL]
    second = signed_in(app, reference, receipt, lang="pl")  # a new sign-in gets its own share...
    assert add(second, "Addition 4", lang="pl") is None
    assert add(second, "Addition 5", lang="pl") is None
    with app.test_request_context(), force_locale("pl"):
        polish = gettext(REPORT_FULL)
    assert polish != REPORT_FULL
    assert add(second, "Addition 6", lang="pl") == [polish]  # ...until the report's total is reached
    assert add(signed_in(app, reference, receipt), "Addition 7") == [REPORT_FULL]
    events, _, _ = counts(app, reference)
    assert events == 5


def test_a_replayed_cookie_does_not_reset_the_session_count(app, report, limits):
    reference, receipt = report
    client = signed_in(app, reference, receipt)
    with client.session_transaction() as session:
        saved = dict(session)
    for n in range(3):
        assert add(client, f"Addition {n}") is None
    with client.session_transaction() as session:
        session.clear()
        session.update(saved)  # the cookie from before the additions
    assert add(client, "Replayed") == [SESSION_FULL]


def test_partners_get_one_email_per_batch_of_additions(app, report, smtp):
    reference, receipt = report
    client = signed_in(app, reference, receipt)
    for n in range(4):
        assert add(client, f"Addition {n}") is None
    events, updates, partners = counts(app, reference)
    assert events == 4
    assert sorted(u.partner for u in updates) == sorted(partners)  # one pending update per partner, not four
    deliver(app)
    assert add(client, "After the email went") is None  # a new batch: the partners hear again
    _, updates, _ = counts(app, reference)
    assert sorted(u.partner for u in updates if u.status == "pending") == sorted(partners)
    assert len(updates) == 2 * len(partners)
