"""The session cookie's signature is checked once per cookie and remembered (site_app.py):
what is remembered must never let through what the check itself would refuse."""
import pytest

from sdp_test_helpers import HATE_ANSWERS, csrf


def _open(app, cookie):
    """The session a request with this cookie gets, as Flask opens it."""
    from flask import request
    with app.test_request_context(headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
        return app.session_interface.open_session(app, request)


def _signed(app, data):
    return app.session_interface.get_signing_serializer(app).dumps(data)


@pytest.fixture
def site(make_app):
    return make_app()


def test_a_cookie_one_character_off_is_refused_after_the_real_one_was_accepted(site):
    cookie = _signed(site, {"csrf_token": "a" * 40})
    assert dict(_open(site, cookie)) == {"csrf_token": "a" * 40}
    payload, timestamp, signature = cookie.rsplit(".", 2)
    # the first character: its 6 bits are all the signature's (the last one's low bits are
    # base64 padding, which decoding ignores: changing only those is the same signature)
    forged_signature = f"{payload}.{timestamp}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    forged_payload = f"{_signed(site, {'csrf_token': 'b' * 40}).split('.')[0]}.{timestamp}.{signature}"
    assert dict(_open(site, forged_signature)) == {}
    assert dict(_open(site, forged_payload)) == {}
    assert dict(_open(site, cookie)) == {"csrf_token": "a" * 40}


def test_a_remembered_cookie_still_expires(site, monkeypatch):
    import time as real_time

    import itsdangerous.timed
    from sdp_public import site_app
    cookie = _signed(site, {"k": "v"})
    assert dict(_open(site, cookie)) == {"k": "v"}  # checked and remembered
    lifetime = int(site.permanent_session_lifetime.total_seconds())

    class Later:
        @staticmethod
        def time():
            return real_time.time() + lifetime + 5
    monkeypatch.setattr(site_app, "time", Later)
    monkeypatch.setattr(itsdangerous.timed, "time", Later)  # what the check itself would say
    assert dict(_open(site, cookie)) == {}


def test_what_one_request_changes_in_its_session_the_next_one_does_not_see(site):
    cookie = _signed(site, {"drafts": {"hate-incident": "d1"}, "list": [1, 2]})
    first = _open(site, cookie)
    first["drafts"]["hate-incident"] = "someone-else"
    first["list"].append(3)
    assert dict(_open(site, cookie)) == {"drafts": {"hate-incident": "d1"}, "list": [1, 2]}


def test_a_new_secret_key_refuses_a_remembered_cookie_unless_the_old_one_is_a_fallback(site):
    cookie = _signed(site, {"k": "v"})
    assert dict(_open(site, cookie)) == {"k": "v"}
    old = site.secret_key
    site.secret_key = "a-new-key-" + "x" * 40
    assert dict(_open(site, cookie)) == {}
    site.config["SECRET_KEY_FALLBACKS"] = [old]
    assert dict(_open(site, cookie)) == {"k": "v"}


@pytest.mark.db
def test_a_reporter_whose_cookie_was_tampered_with_has_no_draft_and_the_real_cookie_still_works(app):
    client = app.test_client()
    page = client.get("/en/report/hate-incident/who")
    client.post("/en/report/hate-incident/who", data={"csrf_token": csrf(page.data), **HATE_ANSWERS["who"]})
    assert client.get("/en/report/hate-incident/what").status_code == 200  # the draft is found
    name = app.config["SESSION_COOKIE_NAME"]
    real = client.get_cookie(name).value
    client.set_cookie(name, real[:-2] + ("AA" if real[-2:] != "AA" else "BB"))
    refused = client.get("/en/report/hate-incident/what")
    assert refused.status_code == 302 and "expired=1" in refused.headers["Location"]
    client.set_cookie(name, real)
    assert client.get("/en/report/hate-incident/what").status_code == 200


@pytest.mark.parametrize("header", [
    "{name}={cookie}",                       # the session cookie alone: read as sent
    "other=1; {name}={cookie}",              # beside another cookie: parsed
    "{name}={cookie}; other=1",
    '{name}="{cookie}"',                     # quoted: unquoted by the parser
])
def test_the_session_is_found_however_the_cookie_header_carries_it(site, header):
    from flask import request
    cookie = _signed(site, {"csrf_token": "c" * 40})
    sent = header.format(name=site.config["SESSION_COOKIE_NAME"], cookie=cookie)
    with site.test_request_context(headers={"Cookie": sent}):
        assert dict(site.session_interface.open_session(site, request)) == {"csrf_token": "c" * 40}
    with site.test_request_context(headers={"Cookie": sent.replace(cookie, cookie[:-1])}):
        assert dict(site.session_interface.open_session(site, request)) == {}  # and still checked


def test_a_cookie_named_like_the_session_but_longer_is_not_the_session(site):
    from flask import request
    cookie = _signed(site, {"csrf_token": "d" * 40})
    with site.test_request_context(headers={"Cookie": f"{site.config['SESSION_COOKIE_NAME']}x={cookie}"}):
        assert dict(site.session_interface.open_session(site, request)) == {}
