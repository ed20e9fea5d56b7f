"""Save and come back later, and keeping the receipt code: the reporter's journeys.

A resume code (the receipt code's format and strength) reopens a sealed draft once, on any
device, for RESUME_DAYS; a used, replaced or expired code says so; wrong codes are limited
like /track. After the confirmation, an optional check asks for the receipt code's last 4
characters; /track refuses a message that is (or holds) the receipt code.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from sdp_public.models import Draft, ResumeCode
from sdp_public.services import codes
from sdp_test_helpers import HATE_ANSWERS, SCAM_ANSWERS, csrf_of, send_report, walk_report

pytestmark = pytest.mark.db
HATE = "/en/report/hate-incident"
CODE_SHAPE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){4}$")


def soup_of(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def errors_on(response):
    return [li.get_text(" ", strip=True) for li in soup_of(response).select(".govuk-error-summary li")]


def answer(client, url, data, save=False):
    page = soup_of(client.get(url))
    return client.post(url, data={"csrf_token": csrf_of(page), **data, **({"save_later": "1"} if save else {})})


def answer_until(client, stop, answers=HATE_ANSWERS, flow="report/hate-incident", lang="en"):
    """Answer in order up to (not including) `stop`; returns stop's URL."""
    url = soup_of(client.get(f"/{lang}/{flow}/")).select_one("main a.govuk-button--start")["href"]
    while not url.split("?")[0].endswith("/" + stop):
        step = url.rsplit("/", 1)[1].split("?")[0]
        response = answer(client, url, answers[step])
        assert response.status_code == 302, (step, errors_on(response))
        url = response.headers["Location"]
    return url


def save_later(client, url, data):
    """Press "Save and come back later" on `url`; returns the code shown."""
    response = answer(client, url, data, save=True)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"].startswith("no-store")
    shown = soup_of(response).select_one(".sdp-resume-code").get_text(strip=True)
    assert CODE_SHAPE.match(shown), shown
    return shown


def resume(client, code, lang="en"):
    page = soup_of(client.get(f"/{lang}/report/resume"))
    return client.post(f"/{lang}/report/resume", data={"csrf_token": csrf_of(page), "code": code})


def test_every_question_page_offers_save_and_come_back_later(app, client):
    url = answer_until(client, "description")
    buttons = soup_of(client.get(url)).select("main form button[name=save_later][value='1']")
    assert [b.get_text(strip=True) for b in buttons] == ["Save and come back later"]
    start = soup_of(client.get(f"{HATE}/"))
    assert start.select_one("main a[href='/en/report/resume']")


def test_saved_answers_carry_on_in_another_browser_in_its_language_at_the_first_unanswered_question(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    code = save_later(first, url, HATE_ANSWERS["description"])
    # the browser that saved them no longer holds them: a shared device keeps nothing
    assert first.get(f"{HATE}/people").headers["Location"].endswith("/hate-incident/?expired=1")

    response = resume(second, code.lower().replace("-", " "), lang="pl")  # typed loosely, in Polish
    assert response.status_code == 303
    assert response.headers["Location"] == "/pl/report/hate-incident/evidence"
    page = second.get(response.headers["Location"])
    assert page.status_code == 200 and soup_of(page).find("html")["lang"] == "pl"
    # ... and finishes: the answers given before saving are the ones sent
    url = "/pl/report/hate-incident/evidence"
    for step in ("evidence", "people", "outcome", "support", "contact", "contact-details", "consent"):
        response = answer(second, url, HATE_ANSWERS[step])
        assert response.status_code == 302, errors_on(response)
        url = response.headers["Location"]
    assert url.endswith("/check-answers")
    check = soup_of(second.get(url))
    assert HATE_ANSWERS["description"]["description"] in check.get_text()
    reference, receipt = send_report(second, "pl", check)
    assert reference.startswith("HC-") and receipt


def test_a_code_works_once_and_the_old_cookie_opens_nothing(app):
    saver, finder, stranger = app.test_client(), app.test_client(), app.test_client()
    url = answer_until(saver, "description")
    # the saving browser's cookie, copied before it saved (someone who took a copy of it)
    copied = saver.get_cookie("sdp_session").value
    code = save_later(saver, url, HATE_ANSWERS["description"])
    assert resume(finder, code).status_code == 303

    used = resume(stranger, code)
    assert used.status_code == 200
    assert errors_on(used) == ["This code has already been used, so it cannot open any answers now. Each code "
                               "works only once. If you have a newer code, enter that one. If not, you need to start again."]
    assert "Amira" not in used.get_data(as_text=True) and "headscarf" not in used.get_data(as_text=True)
    thief = app.test_client()
    thief.set_cookie("sdp_session", copied)
    assert thief.get(f"{HATE}/people").headers["Location"].endswith("?expired=1")


def test_saving_again_gives_a_new_code_and_the_old_one_reads_as_used(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    old = save_later(first, url, HATE_ANSWERS["description"])
    assert resume(first, old).status_code == 303       # back on the same device
    new = save_later(first, f"{HATE}/evidence", HATE_ANSWERS["evidence"])
    assert new != old
    assert "already been used" in errors_on(resume(second, old))[0]
    response = resume(second, new)
    assert response.headers["Location"] == "/en/report/hate-incident/people"


def test_an_invalid_answer_is_left_out_and_asked_again_on_coming_back(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    code = save_later(first, url, {"description": ""})  # not answered yet: the rest is saved
    assert resume(second, code).headers["Location"] == "/en/report/hate-incident/description"


def test_an_expired_code_and_a_wrong_code_say_so(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    code = save_later(first, url, HATE_ANSWERS["description"])
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        db.commit()
    expired = resume(second, code)
    assert errors_on(expired) == ["This code has expired. Saved answers are deleted after 7 days, so you need to start again."]
    wrong = resume(second, codes.new_resume_code())
    assert errors_on(wrong) == ["This code does not match any saved answers. Check it and try again."]
    assert errors_on(resume(second, "")) == ["Enter the code you were given when you saved your answers"]


def test_the_saved_draft_lives_for_resume_days_sealed_with_only_the_codes_hash_kept(app):
    client = app.test_client()
    url = answer_until(client, "description")
    code = save_later(client, url, HATE_ANSWERS["description"])
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
        draft = db.get(Draft, row.draft_id)
        expires = row.expires_at.replace(tzinfo=timezone.utc) if row.expires_at.tzinfo is None else row.expires_at
        assert timedelta(days=6, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=7)
        assert draft.expires_at.replace(tzinfo=None) >= row.expires_at.replace(tzinfo=None)
        assert row.form == "hate-incident" and row.used_at is None and len(row.code_hash) == 64
        assert code not in row.code_hash and codes.normalise(code) not in row.code_hash
        assert "headscarf" not in draft.sealed


def test_exit_this_page_on_a_resumed_draft_deletes_it_and_its_code_opens_nothing(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    code = save_later(first, url, HATE_ANSWERS["description"])
    resume(second, code)
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
        assert row.used_at is not None and row.draft_id is None
    draft_id = second.get(f"{HATE}/people") and None
    with second.session_transaction() as session:
        draft_id = session["drafts"]["hate-incident"]
    assert second.get("/en/exit").status_code == 303
    with app.extensions["sdp_sessionmaker"]() as db:
        assert db.get(Draft, draft_id) is None


def test_exit_before_resuming_leaves_a_code_that_opens_nothing(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    answer(first, url, HATE_ANSWERS["description"])
    code = save_later(first, f"{HATE}/evidence", HATE_ANSWERS["evidence"])
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
        draft_id = row.draft_id
    # the draft is deleted (as Exit this page or expiry would): the code keeps only its hash
    with first.session_transaction() as session:
        session["drafts"] = {"hate-incident": draft_id}
    first.get("/en/exit")
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
        assert row.draft_id is None and db.get(Draft, draft_id) is None
    assert "already been used" in errors_on(resume(second, code))[0]


def test_drafts_purge_deletes_resume_codes_30_days_after_expiry(app):
    client = app.test_client()
    code = save_later(client, answer_until(client, "description"), HATE_ANSWERS["description"])
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(days=29)))
        db.commit()
    assert app.test_cli_runner().invoke(args=["drafts", "purge"]).exit_code == 0
    with app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))) is not None
        db.execute(update(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(days=31)))
        db.commit()
    assert app.test_cli_runner().invoke(args=["drafts", "purge"]).exit_code == 0
    with app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code))) is None


def test_a_sent_drafts_code_reads_as_used(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description")
    code = save_later(first, url, HATE_ANSWERS["description"])
    with app.extensions["sdp_sessionmaker"]() as db:
        row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
        db.execute(update(Draft).where(Draft.id == row.draft_id).values(form="hate-incident:sent", sealed=""))
        db.commit()
    assert "already been used" in errors_on(resume(second, code))[0]


def test_every_form_can_be_saved_and_resumed(app):
    first, second = app.test_client(), app.test_client()
    url = answer_until(first, "description", answers=SCAM_ANSWERS, flow="report/scam-or-cyber-fraud")
    code = save_later(first, url, SCAM_ANSWERS["description"])
    assert resume(second, code).headers["Location"] == "/en/report/scam-or-cyber-fraud/evidence"


def test_wrong_resume_codes_are_rate_limited_like_track_but_a_right_one_is_not_counted(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESUME_RATE_LIMIT", "3 per 17 minutes")
    guesser = app.test_client()
    first = app.test_client()
    codes_saved = []
    for _ in range(4):
        codes_saved.append(save_later(first, answer_until(first, "description"), HATE_ANSWERS["description"]))
    for code in codes_saved:  # four right codes: none counts
        assert resume(guesser, code).status_code == 303
    for _ in range(3):
        assert resume(guesser, codes.new_resume_code()).status_code == 200
    assert resume(guesser, codes.new_resume_code()).status_code == 429


def test_the_confirmation_helps_keep_the_receipt_without_answers_and_checks_its_last_four(app, client):
    reference, receipt = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    # send_report read the confirmation; its page told them how to keep the code (seen below)
    check = client.get(f"{HATE}/receipt-check")
    assert check.status_code == 200
    assert receipt not in check.get_data(as_text=True) and receipt[-4:] not in check.get_data(as_text=True)
    page = soup_of(check)
    wrong = client.post(f"{HATE}/receipt-check", data={"csrf_token": csrf_of(page), "last_four": "2222"})
    assert errors_on(wrong) == ["These are not the last 4 characters of your receipt code. Check where you saved it and try again."]
    right = client.post(f"{HATE}/receipt-check", data={"csrf_token": csrf_of(page), "last_four": receipt[-4:].lower()})
    assert right.status_code == 303
    done = client.get(right.headers["Location"])
    assert soup_of(done).h1.get_text(strip=True) == "You have saved your receipt code"
    # checked once: nothing of the code is kept, and the step is not offered again
    assert client.get(f"{HATE}/receipt-check").headers["Location"].endswith("/confirmation")


def test_the_confirmation_page_says_copy_it_into_your_notes_and_links_the_check(app, client):
    check = walk_report(client, "en", HATE_ANSWERS)[0]
    response = client.post(f"{HATE}/check-answers", data={"csrf_token": csrf_of(check)})
    page = soup_of(client.get(response.headers["Location"]))
    text = page.get_text(" ", strip=True)
    assert "You could copy it into your phone's notes or write it down, somewhere only you will look." in text
    link = page.select_one(f"main a[href='{HATE}/receipt-check']")
    assert link and "sdp-noprint" in link.parent["class"]
    # printable: the reference and the code, never the answers
    assert HATE_ANSWERS["description"]["description"] not in text and "Amira" not in text


def test_the_receipt_check_can_be_skipped_and_then_keeps_nothing(app, client):
    send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    page = soup_of(client.get(f"{HATE}/receipt-check"))
    skip = page.select_one("main form[action$='/receipt-check/skip']")
    response = client.post(skip["action"], data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/en/"
    assert client.get(f"{HATE}/receipt-check").headers["Location"].endswith("/confirmation")


def _track(client, reference, receipt):
    page = soup_of(client.get("/en/track"))
    response = client.post("/en/track", data={"csrf_token": csrf_of(page), "reference": reference, "receipt": receipt})
    assert response.status_code == 303
    return soup_of(client.get("/en/track/report"))


@pytest.mark.parametrize("pasted", ["{code}", "{lower}", "  {compact} ", "My receipt code is {code}, thanks"])
def test_track_refuses_a_message_that_is_the_receipt_code(app, client, pasted):
    reference, receipt = send_report(client, "en", walk_report(client, "en", HATE_ANSWERS)[0])
    page = _track(client, reference, receipt)
    message = pasted.format(code=receipt, lower=receipt.lower(), compact=receipt.replace("-", ""))
    response = client.post("/en/track/report", data={"csrf_token": csrf_of(page), "information": message})
    assert response.status_code == 200
    assert errors_on(response) == ["Your message includes your receipt code. Take the code out: we never need it, "
                                   "and it is safer kept to yourself."]
    ok = client.post("/en/track/report", data={"csrf_token": csrf_of(page), "information": "The man came back today"})
    assert ok.status_code == 303


def test_contains_receipt_finds_the_code_only_where_it_is():
    code = codes.new_receipt_code()
    stored = codes.hash_receipt(code)
    assert codes.contains_receipt(code, stored)
    assert codes.contains_receipt(f"see {code.replace('-', ' ')} ok", stored)
    assert not codes.contains_receipt(code[:-1], stored)
    assert not codes.contains_receipt(codes.new_receipt_code(), stored)
    assert not codes.contains_receipt("", stored) and not codes.contains_receipt(code, "")
