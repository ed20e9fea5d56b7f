"""Every field of every form step, every URL pattern and the headers a browser sends can be
hostile. Property-based tests (Hypothesis) post arbitrary text, bytes and sizes; a corpus of
known attack payloads goes through whole journeys into the partner inbox and the CSV export.

Every field also gets files (a multipart upload where text is expected, refused with the
field's own message) and checkboxes get their choices repeated hundreds of times (kept once
each, in order): on every step of every flow, and on the track and partner forms.

Assertions: never a 5xx; never a payload reflected unescaped (public or partner pages);
an accepted answer is stored exactly as typed (less the surrounding spaces every text
field trims, in Unicode's composed form NFC: the same characters, so "é" typed as e plus
an accent matches "é" typed on one key). Examples per test: SDP_HYPOTHESIS_EXAMPLES (default 40), derandomised so
a CI failure reproduces.
"""
import copy
import csv
import io
import os
import unicodedata
from urllib.parse import quote, quote_from_bytes

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms import StringField, TextAreaField

from sdp_public.report.fields import CheckboxesField
from sdp_public.report.registry import FLOWS
from sdp_test_helpers import (AWARENESS_ANSWERS, HATE_ANSWERS, SCAM_ANSWERS, TRANSLATION_ANSWERS, csrf_of, deliver,
                              draft_answers, new_account, password_step, post_form, sealed_answers, send_report, sign_in,
                              walk_report)

pytestmark = pytest.mark.db
EXAMPLES = int(os.environ.get("SDP_HYPOTHESIS_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
ANSWER_SETS = {"hate-incident": HATE_ANSWERS, "scam-or-cyber-fraud": SCAM_ANSWERS,
               "translation-or-format": TRANSLATION_ANSWERS, "awareness-session": AWARENESS_ANSWERS}

MARK = '<b id="sdp-injected">'
CORPUS = [
    # cross-site scripting
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>",
    "javascript:alert(1)", "<a href=\"javascript:alert(1)\">x</a>", "</textarea><script>alert(1)</script>",
    "' onmouseover='alert(1)", "<iframe src=//evil.example>", "<style>*{display:none}</style>",
    # SQL injection
    "'; DROP TABLE report; --", "' OR '1'='1", "1; SELECT pg_sleep(5)--", "\\'; DELETE FROM draft; --",
    # template injection
    "{{ 7*7 }}", "{{ config.items() }}", "{% for x in range(9) %}x{% endfor %}", "${7*7}", "#{7*7}", "%(name)s",
    # path traversal
    "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "....//....//etc/passwd", "/%00/etc/passwd",
    # CSV formula injection
    "=HYPERLINK(\"https://evil.example\",\"click\")", "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1", "=cmd|' /C calc'!A0",
    # Unicode trickery
    "\u202eevil\u202c", "zero\u200bwidth\u200djoin", "Ｓｃｒｉｐｔ fullwidth", "a\u0300\u0301\u0302\u0303\u0304",
    "👩🏽‍⚖️ family 👨‍👩‍👧‍👦", "\ufeffbom", "ﷺ ﷽", "İstanbul ß ǅ", "\u2028line\u2029para",
]
assert len(CORPUS) >= 35


def fuzzable_steps():
    """(flow, step) for every step with answer fields, in journey order."""
    for (_kind, _slug), (flow, _contact) in FLOWS.items():
        for step in flow.steps:
            if step.answers:
                yield flow, step


STEPS = list(fuzzable_steps())


@pytest.fixture(scope="module")
def primed(app):
    """A client per flow with every question answered, so any step can be posted again."""
    clients = {}
    for (_kind, slug), (flow, _contact) in FLOWS.items():
        client = app.test_client()
        walk_report(client, "en", ANSWER_SETS[slug], flow=f"{flow.kind}/{slug}")
        clients[slug] = client
    return clients


def as_typed(value):
    return unicodedata.normalize("NFC", value).strip()


def is_text(form, name):
    return isinstance(getattr(form, name), (StringField, TextAreaField))


class Upload:
    """A file sent as a multipart part where the form expects text (a browser never does)."""

    def __init__(self, content, filename):
        self.content, self.filename = content, filename or "upload.bin"

    def part(self):
        return (io.BytesIO(self.content), self.filename, "application/octet-stream")

    def __repr__(self):
        return f"Upload({self.content[:20]!r}, {self.filename!r})"


uploads = st.builds(Upload, st.binary(max_size=300), st.text(max_size=30))
values = st.one_of(
    st.text(max_size=300),
    st.sampled_from(CORPUS),
    st.builds(lambda a, b: a + MARK + b, st.text(max_size=40), st.text(max_size=40)),
    st.integers(0, 80_000).map(lambda n: "x" * n),
    st.lists(st.text(max_size=20), max_size=4),  # a field repeated, as a hand-made form can
    uploads,
)


def repeated_choices(field):
    """A checkbox answer with its choices repeated (up to 400 values), as a script can send."""
    return st.lists(st.sampled_from([value for value, _label in field.choices]), min_size=1, max_size=400)


def field_values(form, name):
    field = getattr(form, name)
    if isinstance(field, CheckboxesField):
        return st.one_of(values, repeated_choices(field), repeated_choices(field))
    return values


def as_posted(fields):
    """The request body: uploads become multipart file parts, everything else as generated."""
    return {name: value.part() if isinstance(value, Upload) else value for name, value in fields.items()}


def assert_safe(response, posted):
    assert response.status_code < 500, response.status_code
    html = response.get_data(as_text=True)
    assert MARK not in html
    for value in posted:
        if isinstance(value, str) and value in CORPUS and "<" in value:
            assert value not in html, value


@pytest.mark.parametrize("flow, step", STEPS, ids=[f"{f.slug}/{s.slug}" for f, s in STEPS])
def test_any_text_in_any_field_of_any_step_is_answered_safely(app, primed, flow, step):
    client = primed[flow.slug]
    url = f"/en/{flow.kind}/{flow.slug}/{step.slug}?change=1"
    with app.test_request_context():
        form = step.form(meta={"csrf": False})

    @FUZZ
    @given(fields=st.fixed_dictionaries({name: field_values(form, name) for name in step.answers}),
           multipart=st.booleans())
    def post(fields, multipart):
        page = client.get(url)
        assert page.status_code in (200, 302)
        token = csrf_of(BeautifulSoup(page.data, "html.parser"))
        shown = page.status_code == 200
        response = client.post(url, data={"csrf_token": token, **as_posted(fields)},
                               content_type="multipart/form-data" if multipart else None)
        assert_safe(response, fields.values())
        too_large = response.status_code == 413  # the whole body over the limit: refused before any field
        if shown and not too_large and any(is_text(form, name) and isinstance(value, Upload)
                                           for name, value in fields.items()):
            assert response.status_code == 200, "a file was accepted as a text answer"
            assert BeautifulSoup(response.data, "html.parser").select(".govuk-error-summary li")
        if response.status_code == 302 and step.show_if(draft_answers(app, client, flow)):
            stored = draft_answers(app, client, flow)
            for name, value in fields.items():
                if is_text(form, name) and isinstance(value, str) and name in stored:
                    assert stored[name] == as_typed(value), name
                if isinstance(getattr(form, name), CheckboxesField) and name in stored:
                    posted = value if isinstance(value, list) else [value]
                    assert stored[name] == list(dict.fromkeys(posted)), name  # each choice once, in order
        follow = client.get(response.headers["Location"]) if response.status_code == 302 else None
        if follow is not None:
            assert_safe(follow, fields.values())
    post()
    # whatever was posted, the journey can still be finished
    walk_report(client, "en", ANSWER_SETS[flow.slug], flow=f"{flow.kind}/{flow.slug}")


@FUZZ
@given(raw=st.binary(max_size=400), name=st.sampled_from(["description", "place", "name", "csrf_token", "\xff"]))
def test_raw_bytes_and_invalid_utf8_in_a_body_never_break_a_page(primed, raw, name):
    client = primed["hate-incident"]
    body = quote(name).encode() + b"=" + quote_from_bytes(raw).encode() + b"&" + raw
    for url in ("/en/report/hate-incident/description?change=1", "/en/report/hate-incident/check-answers",
                "/en/track", "/partners/sign-in"):
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (url, response.status_code)


@pytest.fixture(scope="module")
def tracked(app):
    """A reporter's client signed in to /track with their receipt code."""
    client = app.test_client()
    reference, receipt = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    page = BeautifulSoup(client.get("/en/track").data, "html.parser")
    response = client.post("/en/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})
    assert response.status_code == 303
    return client, reference


@pytest.fixture(scope="module")
def half_signed_in(app):
    """A partner client between password and code (a user of its own: failures lock it)."""
    email, password, _secret = new_account(app, "police-hate-crime")
    client = app.test_client()
    assert password_step(client, email, password).status_code == 302
    return client


# (who posts, the page with the form, where it posts, its fields): every form outside the flows
OTHER_FORMS = [
    ("anyone", "/en/track", "/en/track", ("reference", "receipt")),
    ("reporter", "/en/track/report", "/en/track/report", ("information",)),
    ("anyone", "/partners/sign-in", "/partners/sign-in", ("email", "password")),
    ("half", "/partners/sign-in/code", "/partners/sign-in/code", ("code",)),
    ("partner", "/partners/reports/{ref}", "/partners/reports/{ref}/note", ("text",)),
    ("partner", "/partners/reports/{ref}", "/partners/reports/{ref}/message", ("text",)),
    ("partner", "/partners/reports/{ref}", "/partners/reports/{ref}/refer", ("partner", "reason")),
    ("partner", "/partners/reports/{ref}", "/partners/reports/{ref}/status", ("status",)),
]


@pytest.mark.parametrize("who, page_url, post_url, names", OTHER_FORMS, ids=[f[2] for f in OTHER_FORMS])
def test_files_and_repeated_values_in_the_track_and_partner_forms_are_never_a_5xx(app, police, tracked, half_signed_in,
                                                                                  who, page_url, post_url, names):
    reporter, reference = tracked
    client = {"anyone": app.test_client(), "reporter": reporter, "half": half_signed_in, "partner": police}[who]
    page_url, post_url = page_url.format(ref=reference), post_url.format(ref=reference)

    @FUZZ
    @given(fields=st.fixed_dictionaries({name: values for name in names}), multipart=st.booleans(),
           token_as_file=st.booleans())
    def post(fields, multipart, token_as_file):
        page = client.get(page_url)
        token = csrf_of(BeautifulSoup(page.data, "html.parser"))
        data = {"csrf_token": Upload(token.encode(), "token").part() if token_as_file else token, **as_posted(fields)}
        response = client.post(post_url, data=data, content_type="multipart/form-data" if multipart else None)
        assert_safe(response, fields.values())
    post()


def url_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.rule.startswith("/static"):
            rules.append(rule)
    return rules


segment = st.one_of(st.text(max_size=40), st.sampled_from(["en", "ar", "zz", "..", "%00", "ur/../en", "\u202e",
                                                             "<script>", "' OR 1=1"]))


def test_every_url_pattern_with_arbitrary_segments_and_queries_is_never_a_5xx(app):
    client = app.test_client()
    rules = url_rules(app)
    assert len(rules) >= 20

    @FUZZ
    @given(rule=st.sampled_from(rules), data=st.data(),
           query=st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=4))
    def fetch(rule, data, query):
        path = rule.rule
        for argument in rule.arguments:
            value = data.draw(segment)
            path = path.replace(f"<{argument}>", quote(value, safe=""))
            for converter in ("any(report, request):", "int:", "path:"):
                path = path.replace(f"<{converter}{argument}>", quote(value, safe=""))
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, query, response.status_code)
        assert MARK not in response.get_data(as_text=True)
    fetch()


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200)


@FUZZ
@given(accept=header_text, host=header_text, ctype=header_text, length=st.one_of(st.integers(-5, 10**9), header_text))
def test_hostile_headers_never_cause_a_5xx(app, accept, host, ctype, length):
    client = app.test_client()
    headers = {"Accept-Language": accept, "Host": host or "localhost"}
    for method, url in (("GET", "/"), ("GET", "/en/support/"), ("POST", "/en/report/hate-incident/who"),
                        ("POST", "/en/track")):
        kwargs = {"headers": {**headers, "Content-Type": ctype, "Content-Length": str(length)}, "data": b"who=victim"} \
            if method == "POST" else {"headers": headers}
        try:
            response = client.open(url, method=method, **kwargs)
        except ValueError:
            continue  # the test client itself refuses some headers no server would receive
        assert response.status_code < 500, (method, url, response.status_code)


@pytest.fixture(scope="module")
def police(app):
    return sign_in(app, *new_account(app, "police-hate-crime"))


@pytest.mark.parametrize("payload", CORPUS)
def test_attack_payloads_are_stored_exactly_and_shown_escaped_everywhere(app, police, payload):
    client = app.test_client()
    answers = copy.deepcopy(HATE_ANSWERS)
    answers["description"] = {"description": f"Before {payload} after"}
    answers["where"] = {"place": payload[:200], "area": "easington"}
    answers["contact-details"] = {**answers["contact-details"], "name": payload[:100] or "x", "safe_times": payload}
    check, _ = walk_report(client, "en", answers)
    reference, receipt = send_report(client, "en", check)
    _, stored, contact = sealed_answers(app, reference)
    assert stored["description"] == as_typed(f"Before {payload} after")
    assert stored["place"] == as_typed(payload[:200])
    assert contact["name"] == as_typed(payload[:100] or "x") and contact["safe_times"] == as_typed(payload)

    partner_page = police.get(f"/partners/reports/{reference}")
    assert partner_page.status_code == 200
    for response in (partner_page, client.get(f"/en/report/hate-incident/confirmation")):
        html = response.get_data(as_text=True)
        assert response.status_code < 500
        if "<" in payload:
            assert payload not in html
        assert "<script>alert" not in html
    soup = BeautifulSoup(partner_page.data, "html.parser")
    assert f"Before {payload.strip()} after".split()[0] in soup.get_text()
    # the other way: a partner's note and message to the reporter, and the reporter's reply
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/note", {"text": f"Note {payload}"})
    post_form(police, f"/partners/reports/{reference}", f"/partners/reports/{reference}/message",
              {"text": f"Message {payload}"})
    reporter = app.test_client()
    page = BeautifulSoup(reporter.get("/en/track").data, "html.parser")
    found = reporter.post("/en/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})
    status = reporter.get(found.headers["Location"])
    status_soup = BeautifulSoup(status.data, "html.parser")
    shown = unicodedata.normalize("NFC", status_soup.get_text())
    assert as_typed(f"Message {payload}") in shown  # shown, as text
    reply = reporter.post(found.headers["Location"], data={"csrf_token": csrf_of(status_soup),
                                                           "information": f"Reply {payload}"})
    assert reply.status_code < 500
    for response in (status, police.get(f"/partners/reports/{reference}")):
        html = response.get_data(as_text=True)
        if "<" in payload:
            assert payload not in html
        assert "<script>alert" not in html
    # the partner CSV export never hands a spreadsheet a formula
    export = police.get("/partners/export.csv")
    for row in csv.reader(io.StringIO(export.get_data(as_text=True))):
        for cell in row:
            assert not cell[:1] in ("=", "+", "-", "@", "\t", "\r"), cell
    deliver(app)
