"""What a request costs the database and the rate limiter: a question page is read with one
statement and saved with one more and one commit; a Send is as few round trips as its
promise allows; a page that cannot be limited never asks the limiter."""
import pytest

from database_trace import database_trace
from sdp_test_helpers import ENGINE, HATE_ANSWERS, csrf, csrf_of, send_report, walk_report

pytestmark = pytest.mark.db


def statements(app):
    """What the database was sent while the block runs (tests/database_trace.py)."""
    return database_trace(app.extensions["sdp_engine"])


def _postgresql(app):
    return app.extensions["sdp_engine"].dialect.name == "postgresql"


def test_a_question_answered_reads_and_writes_its_draft_once_and_commits_once(app):
    client = app.test_client()
    client.get("/en/report/hate-incident/who")
    page = client.get("/en/report/hate-incident/who")
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    page = client.get("/en/report/hate-incident/what")
    with statements(app) as trace:
        response = client.post("/en/report/hate-incident/what", data={"csrf_token": csrf(page.data),
                                                                      **HATE_ANSWERS["what"]})
    assert response.status_code == 302
    seen = trace.statements
    drafts = [s for s in seen if " draft" in s]
    assert len(drafts) == 2, seen
    assert drafts[0].startswith("SELECT") and drafts[1].startswith("UPDATE draft SET sealed")
    if _postgresql(app):
        # two round trips: the read and the save each on their own, no BEGIN or COMMIT sent
        assert seen == drafts and trace.round_trips == 2, (seen, trace.round_trips)
    else:  # sqlite3 begins before the write, and it is committed at once
        assert seen[seen.index(drafts[1]) - 1:] == ["BEGIN", drafts[1], "COMMIT"], seen

    with statements(app) as trace:  # the next question: one read, nothing written
        assert client.get(response.headers["Location"]).status_code == 200
    assert [s.split()[0] for s in trace.statements] == ["SELECT"], trace.statements
    if _postgresql(app):
        assert trace.round_trips == 1  # no BEGIN and ROLLBACK around a lone read


def test_a_send_is_one_transaction_with_no_savepoint_and_one_statistics_statement(app):
    client = app.test_client()
    check, _ = walk_report(client, "en", HATE_ANSWERS)
    with statements(app) as trace:
        reference, _receipt = send_report(client, "en", check)
    seen = trace.statements
    commit = seen.index("COMMIT")
    begin = commit - seen[commit::-1].index("BEGIN")
    read, send = seen[:begin], seen[begin:commit + 1]
    # The draft is read on its own first (every write after it compares it again: Claim.take)...
    assert [s.split()[0] for s in read] == ["SELECT"], read
    # ...then the whole Send is one transaction.
    assert send.count("BEGIN") == 1 and send.count("COMMIT") == 1
    assert not [s for s in send if "SAVEPOINT" in s], send
    # every counter in one upsert (SQLite runs it once a row: sqlite3's executemany)
    assert len({s.split(" VALUES ")[0] for s in send if "report_statistic" in s}) == 1, send
    assert len([s for s in send if s.startswith("UPDATE draft")]) == 1, send  # claimed and confirmed at once
    if _postgresql(app):
        # the draft; BEGIN, its claim, the report, its files, routes, outbox, event, statistics, COMMIT
        exchanges = trace.exchanges[:1 + next(i for i, sent in enumerate(trace.exchanges) if "COMMIT" in sent)]
        assert len(exchanges) <= 10, exchanges
        assert [sent for sent in exchanges if any("report_statistic" in s for s in sent)][0] == [
            s for s in send if "report_statistic" in s]  # every counter in one round trip (psycopg's pipeline)
    assert reference.startswith("HC-")


def test_the_confirmation_is_one_read_and_one_compare_and_set_and_shows_the_reference_once(app):
    client = app.test_client()
    check, _ = walk_report(client, "en", HATE_ANSWERS)
    sent = client.post("/en/report/hate-incident/check-answers", data={"csrf_token": csrf_of(check)})
    with statements(app) as trace:
        confirmation = client.get(sent.headers["Location"])
    assert confirmation.status_code == 200 and b"HC-" in confirmation.data
    seen = [s for s in trace.statements if s not in ("BEGIN", "COMMIT")]
    assert [s.split()[0] for s in seen] == ["SELECT", "UPDATE"], trace.statements
    assert "draft.form =" in seen[1]  # only if it is still the sent draft: of two tabs, one shows it
    if _postgresql(app):
        assert trace.round_trips == 2, trace.exchanges  # no BEGIN or COMMIT: the UPDATE is its own transaction
    again = client.get(sent.headers["Location"])
    assert b"HC-" not in again.data  # shown once, then gone from the row


def test_a_get_never_looks_up_csrf_exemptions_and_a_post_without_a_token_is_still_refused(app, monkeypatch):
    from sdp_public.extensions import csrf
    looked_up = []
    exempt = csrf._is_exempt
    monkeypatch.setattr(csrf, "_is_exempt", lambda: looked_up.append(1) or exempt())
    client = app.test_client()
    assert client.get("/en/report/hate-incident/who").status_code == 200
    assert client.get("/partners/sign-in").status_code == 200
    assert looked_up == []
    # a view Flask-WTF guards (not exempt): refused without a token, before the view runs
    refused = client.post("/partners/sign-out", data={})
    assert refused.status_code == 400 and looked_up == [1]
    # an exempt view (its own form checks its token): let through by the hook, refused by the form
    client.post("/en/report/hate-incident/who", data={"who": "me"})
    assert looked_up == [1, 1]


def _counted(monkeypatch):
    """Every count the rate limiter's strategy makes (Flask-Limiter's own or post_limit's)."""
    from sdp_public.extensions import limiter
    counted = []
    strategy = type(limiter.limiter)
    hit = strategy.hit
    monkeypatch.setattr(strategy, "hit", lambda self, item, *ids, **kw: counted.append(ids) or hit(self, item, *ids, **kw))
    return counted


def test_a_question_page_never_asks_the_rate_limiter_and_its_answer_always_does(app, monkeypatch):
    from sdp_public.extensions import limiter
    entered = []
    check = limiter._check_request_limit
    monkeypatch.setattr(limiter, "_check_request_limit", lambda *a, **k: entered.append(1) or check(*a, **k))
    counted = _counted(monkeypatch)
    client = app.test_client()
    page = client.get("/en/report/hate-incident/who")
    client.get("/en/report/hate-incident/who")
    assert counted == []
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    # counted once, for this client and this view, as Flask-Limiter would key it, without entering it
    steps = [ids for ids in counted if ids[-1] == "report.step"]
    assert len(steps) == 1 and len(steps[0][-2]) == 32, counted  # (the first answer also starts a draft)
    assert entered == []


def test_while_the_limit_storage_is_down_answers_are_still_limited_and_still_saved(fresh_database, make_app,
                                                                                   monkeypatch, caplog):
    from sdp_public.extensions import limiter
    monkeypatch.setattr(limiter, "_storage_dead", False)  # put back after: the limiter is shared by every app
    site = make_app(DATABASE_URL=fresh_database, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
                    STEP_RATE_LIMIT="2 per hour")
    client = site.test_client()
    page = client.get("/en/report/hate-incident/who")
    statuses = [client.post("/en/report/hate-incident/who",
                            data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]  # counted in memory by Flask-Limiter's fallback
    assert limiter._storage_dead and "unreachable" in caplog.text
    assert client.get("/en/report/hate-incident/what").status_code == 200  # the answer was kept


def test_the_step_limit_still_stops_a_flood_of_answers(app, monkeypatch):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"  # a limit of its own
    page = client.get("/en/report/hate-incident/who")
    monkeypatch.setitem(app.config, "STEP_RATE_LIMIT", "2 per hour")
    statuses = [client.post("/en/report/hate-incident/who",
                            data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert all(client.get("/en/report/hate-incident/who").status_code == 200 for _ in range(5))


def test_a_pages_csrf_token_is_signed_without_deflating_it_and_flask_wtf_accepts_it(app, monkeypatch):
    import itsdangerous.url_safe
    from flask_wtf.csrf import validate_csrf
    deflated = []
    compress = itsdangerous.url_safe.zlib.compress
    monkeypatch.setattr(itsdangerous.url_safe.zlib, "compress", lambda *a, **k: deflated.append(1) or compress(*a, **k))
    client = app.test_client()
    client.get("/en/report/hate-incident/who")  # the session (and its raw token) is made here
    deflated.clear()
    page = client.get("/en/report/hate-incident/who")  # a token from the template
    refused = client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data)})  # from a FlaskForm
    assert deflated == []
    assert refused.status_code == 200 and b"govuk-error-summary" in refused.data
    token = csrf(page.data)
    cookie = client.get_cookie("sdp_session")
    with app.test_request_context(headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        validate_csrf(token)  # raises if Flask-WTF would refuse it
    answered = client.post("/en/report/hate-incident/who", data={"csrf_token": token, **HATE_ANSWERS["who"]})
    assert answered.status_code == 302


def test_each_session_keeps_its_own_csrf_token_and_one_cannot_post_with_anothers(app):
    first, second = app.test_client(), app.test_client()
    token_one = csrf(first.get("/en/report/hate-incident/who").data)
    token_two = csrf(second.get("/en/report/hate-incident/who").data)
    assert token_one != token_two
    assert csrf(first.get("/en/report/hate-incident/who").data) == token_one  # kept, not signed again
    crossed = second.post("/en/report/hate-incident/who", data={"csrf_token": token_one, **HATE_ANSWERS["who"]})
    assert crossed.status_code == 200 and b"govuk-error-summary" in crossed.data  # refused, answers kept
    own = second.post("/en/report/hate-incident/who", data={"csrf_token": token_two, **HATE_ANSWERS["who"]})
    assert own.status_code == 302


def test_with_a_time_limit_on_tokens_each_page_is_signed_anew(make_app, monkeypatch):
    from sdp_public import csrf_tokens
    site = make_app(WTF_CSRF_TIME_LIMIT=3600)
    signed = []
    dumps = csrf_tokens._TokenSerializer.dumps
    monkeypatch.setattr(csrf_tokens._TokenSerializer, "dumps", lambda self, raw: signed.append(raw) or dumps(self, raw))
    client = site.test_client()
    client.get("/en/report/hate-incident/who")
    client.get("/en/report/hate-incident/who")
    assert len(signed) == 2 and signed[0] == signed[1]


def test_every_steps_link_is_the_one_url_for_would_build(app):
    import re

    from flask import url_for

    from sdp_public.report import registry
    from sdp_public.report.views import _step_url
    with app.test_request_context("/ur/report/hate-incident/who"):
        app.preprocess_request()
        for (kind, slug), (flow, _contact) in registry.FLOWS.items():
            for step in flow.steps:
                assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", step.slug), step.slug  # nothing to quote
                for change in (False, True):
                    assert _step_url(flow, step, change) == url_for(
                        "report.step", kind=kind, flow_slug=slug, step_slug=step.slug,
                        **({"change": "1"} if change else {})), (slug, step.slug, change)


def test_a_get_leaves_flask_limiter_no_state_to_make_and_a_limited_post_still_deducts(app, monkeypatch):
    from flask_limiter import Limiter
    made = []
    context = Limiter.context
    monkeypatch.setattr(Limiter, "context", property(lambda self: made.append(1) or context.fget(self)))
    client = app.test_client()
    page = client.get("/en/report/hate-incident/who")
    client.get("/en/report/resume")
    assert made == []
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    assert made == []  # a plain limit: counted by post_limit, no request state for Flask-Limiter's hooks
    client.post("/en/report/resume", data={"csrf_token": csrf(client.get("/en/report/resume").data), "code": "nope"})
    assert made  # a limit deducted only when the code is wrong: Flask-Limiter's own way, and its hooks ran


def _checked_by_flask_wtf(monkeypatch):
    """Every token Flask-WTF's own check (validate_csrf) is asked about."""
    import flask_wtf.csrf
    checked = []
    check = flask_wtf.csrf.validate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "validate_csrf", lambda *a, **k: checked.append(a[0]) or check(*a, **k))
    return checked


def test_an_answer_with_the_token_this_worker_signed_skips_re_checking_it_and_any_other_is_checked(app, monkeypatch):
    import time

    from itsdangerous import URLSafeTimedSerializer
    checked = _checked_by_flask_wtf(monkeypatch)
    client = app.test_client()
    token = csrf(client.get("/en/report/hate-incident/who").data)
    assert client.post("/en/report/hate-incident/who", data={"csrf_token": token, **HATE_ANSWERS["who"]}).status_code == 302
    assert checked == []  # the very token signed here for this session

    # The same session's raw token signed elsewhere (another worker, a second later): Flask-WTF checks it.
    with app.test_request_context(headers={"Cookie": f"sdp_session={client.get_cookie('sdp_session').value}"}):
        from flask import session
        raw = session["csrf_token"]
    time.sleep(1.1)
    other = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    assert other != token
    page = client.get("/en/report/hate-incident/what")
    assert client.post("/en/report/hate-incident/what",
                       data={"csrf_token": other, **HATE_ANSWERS["what"]}).status_code == 302
    assert checked == [other]
    forged = other[:-2] + ("AA" if not other.endswith("AA") else "BB")
    refused = client.post("/en/report/hate-incident/why", data={"csrf_token": forged, **HATE_ANSWERS["why"]})
    assert refused.status_code == 200 and b"govuk-error-summary" in refused.data and checked[-1] == forged
    assert csrf(page.data) == token


def test_with_a_time_limit_every_token_is_checked_by_flask_wtf(make_app, fresh_database, monkeypatch):
    site = make_app(DATABASE_URL=fresh_database, WTF_CSRF_TIME_LIMIT=3600)
    checked = _checked_by_flask_wtf(monkeypatch)
    client = site.test_client()
    token = csrf(client.get("/en/report/hate-incident/who").data)
    assert client.post("/en/report/hate-incident/who", data={"csrf_token": token, **HATE_ANSWERS["who"]}).status_code == 302
    assert checked == [token]


def _backends(admin, database):
    from sqlalchemy import text
    with admin.connect() as conn:
        return conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}).scalars().all()


@pytest.mark.skipif(ENGINE != "postgresql", reason="SQLite has no server to go away")
def test_a_page_is_served_without_pinging_the_database_and_a_connection_the_server_ended_is_replaced(
        fresh_app, request):
    import time

    from sqlalchemy import text
    engine = fresh_app.extensions["sdp_engine"]
    pings = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(1) or ping(connection)
    client = fresh_app.test_client()
    page = client.get("/en/report/hate-incident/who")
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    with statements(fresh_app) as trace:
        assert client.get("/en/report/hate-incident/what").status_code == 200
    assert pings == []  # no SELECT 1 before the page's one round trip
    assert [s.split()[0] for s in trace.statements] == ["SELECT"] and trace.round_trips == 1, trace.statements

    # The server ends every connection of this database (as a restart or an operator does).
    admin = request.getfixturevalue("postgres_admin")
    database = engine.url.database
    assert _backends(admin, database)  # the pool holds the connection the pages used
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": database})
    for _ in range(100):
        if not _backends(admin, database):
            break
        time.sleep(0.05)
    page = client.get("/en/report/hate-incident/what")
    assert page.status_code == 200 and b'name="what"' in page.data  # the draft read on a new connection
    assert pings == [1]  # the dead connection was noticed, pinged and replaced, once
    assert client.post("/en/report/hate-incident/what", data={"csrf_token": csrf(page.data),
                                                             **HATE_ANSWERS["what"]}).status_code == 302
