"""What a hand-made form can send that a browser never does: a file where text is expected
(a multipart upload in a text field) and the same checkbox value repeated. Both are handled
once, in the shared field code (sdp_public/report/fields.py), for every form."""
import copy
import io
import logging

import pytest
from bs4 import BeautifulSoup
from flask_babel import force_locale, gettext

from sdp_test_helpers import HATE_ANSWERS, csrf_of, draft_answers, new_account, send_report, sign_in, walk_report

pytestmark = pytest.mark.db


def a_file():
    return (io.BytesIO(b"%PDF-1.4 not an answer"), "evidence.pdf", "application/pdf")


def post_multipart(client, url, fields):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_of(BeautifulSoup(page.data, "html.parser")), **fields},
                       content_type="multipart/form-data")


def errors_of(response):
    soup = BeautifulSoup(response.data, "html.parser")
    return soup, [e.get_text(strip=True) for e in soup.select(".govuk-error-summary li")]


def translated(app, message, locale):
    with app.test_request_context(), force_locale(locale):
        return gettext(message)


@pytest.fixture
def quiet_log(caplog):
    caplog.set_level(logging.ERROR)
    yield caplog
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_a_file_in_the_track_form_gives_the_fields_own_translated_error_and_keeps_the_other_answer(app, quiet_log, lang):
    client = app.test_client()
    response = post_multipart(client, f"/{lang}/track", {"reference": a_file(), "receipt": "KEEP-THIS-CODE"})
    assert response.status_code == 200, response.status_code
    soup, errors = errors_of(response)
    assert errors == [translated(app, "Enter your reference", "pl" if lang == "pl" else "en")]
    assert soup.find("input", attrs={"name": "receipt"})["value"] == "KEEP-THIS-CODE"
    assert "FileStorage" not in response.get_data(as_text=True)


def test_a_file_in_the_partner_sign_in_form_is_its_normal_error(app, quiet_log):
    import uuid
    client = app.test_client()
    # wrong passwords are throttled per account and address, and this "account" is the empty
    # one every other empty sign-in in the session counts against: an address of its own
    client.environ_base["REMOTE_ADDR"] = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    response = post_multipart(client, "/partners/sign-in", {"email": a_file(), "password": a_file()})
    assert response.status_code == 200, response.status_code
    _, errors = errors_of(response)
    assert errors == ["Enter your email address", "Enter your password"]


def test_a_file_in_a_question_step_keeps_the_other_answers(app, quiet_log):
    client = app.test_client()
    walk_report(client, "en", HATE_ANSWERS)
    response = post_multipart(client, "/en/report/hate-incident/where?change=1",
                              {"place": a_file(), "area": "teesdale"})
    assert response.status_code == 200, response.status_code
    soup, errors = errors_of(response)
    assert errors == ["Tell us where it happened"]
    assert soup.find("input", attrs={"name": "area", "value": "teesdale"}).has_attr("checked")
    # an optional field has no "required" message: it says to type the answer
    response = post_multipart(client, "/en/report/hate-incident/people?change=1",
                              {"offender": a_file(), "witnesses": "A neighbour"})
    assert response.status_code == 200, response.status_code
    soup, errors = errors_of(response)
    assert errors == ["Enter your answer as text"]
    assert soup.find("textarea", attrs={"name": "witnesses"}).get_text() .strip() == "A neighbour"
    response = post_multipart(client, "/pl/report/hate-incident/people?change=1", {"offender": a_file()})
    assert errors_of(response)[1] == [translated(app, "Enter your answer as text", "pl")]
    assert translated(app, "Enter your answer as text", "pl") != "Enter your answer as text"


def test_a_file_in_a_partner_note_is_refused(app, quiet_log):
    police = sign_in(app, *new_account(app, "police-hate-crime"))
    reporter = app.test_client()
    check, _ = walk_report(reporter, "en", HATE_ANSWERS)
    reference, _ = send_report(reporter, "en", check)
    page = police.get(f"/partners/reports/{reference}")
    token = csrf_of(BeautifulSoup(page.data, "html.parser"))
    response = police.post(f"/partners/reports/{reference}/note", data={"csrf_token": token, "text": a_file()},
                           content_type="multipart/form-data")
    assert response.status_code < 500, response.status_code


def statistic(app, month, category):
    from sqlalchemy import select

    from sdp_public.models import ReportStatistic
    with app.extensions["sdp_sessionmaker"]() as db:
        return sum(db.scalars(select(ReportStatistic.count).where(
            ReportStatistic.form == "hate-incident", ReportStatistic.month == month,
            ReportStatistic.area == "wear-valley", ReportStatistic.category == category)).all())


def test_a_checkbox_value_repeated_4000_times_counts_once(fresh_app):
    from datetime import datetime, timezone

    from sdp_public.report.hate_incident import FLOW
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    client = fresh_app.test_client()
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["where"] = {"place": "Market place", "area": "wear-valley"}
    answers["why"] = {"why": ["race"] * 4000 + ["religion", "race", "religion"]}
    check, _ = walk_report(client, "en", answers)
    assert draft_answers(fresh_app, client, FLOW)["why"] == ["race", "religion"]
    send_report(client, "en", check)
    assert statistic(fresh_app, month, "race") == 1  # on a database of its own: this report only
    assert statistic(fresh_app, month, "religion") == 1


def test_checkbox_answers_never_hold_more_values_than_choices(app):
    from sdp_public.report.hate_incident import WHY, WhyForm
    from werkzeug.datastructures import MultiDict
    with app.test_request_context(method="POST"):
        sent = [value for value, _ in WHY] * 50
        form = WhyForm(formdata=MultiDict([("why", v) for v in sent] + [("why_other", "Where I live")]),
                       meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.why.data == [value for value, _ in WHY]
        form = WhyForm(formdata=MultiDict([("why", "race"), ("why", a_file()[0])]), meta={"csrf": False})
        assert not form.validate()


def all_form_classes():
    import sdp_public.partners  # noqa: F401 - every form is declared at import
    import sdp_public.public.checker  # noqa: F401
    import sdp_public.report.registry  # noqa: F401
    import sdp_public.report.track  # noqa: F401
    from flask_wtf import FlaskForm
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_every_text_field_of_every_form_takes_text_only(app):
    """The refusal lives in one place; a form declared with WTForms' own StringField would skip it."""
    from wtforms.csrf.core import CSRFTokenField
    from wtforms import StringField

    from sdp_public.report.fields import TextOnly
    forms = [f for f in all_form_classes() if f.__module__.startswith("sdp_public")]
    assert len(forms) >= 40
    checked = 0
    with app.test_request_context():
        for form_class in forms:
            form = form_class(formdata=None, meta={"csrf": False})
            for field in form:
                if isinstance(field, StringField) and not isinstance(field, CSRFTokenField):
                    assert isinstance(field, TextOnly), f"{form_class.__qualname__}.{field.name}"
                    checked += 1
    assert checked >= 40
