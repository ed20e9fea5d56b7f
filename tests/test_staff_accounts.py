"""Staff accounts as people expect: the printed password works once (the first sign-in
chooses a new one before anything else), a signed-in person changes their password, and a
partner lead resets a caseworker's password or authenticator. Each journey through the
pages, as a person would walk it."""
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from sdp_public.models import AuditEntry, StaffSession, StaffUser
from sdp_public.services import staff, totp
from sdp_test_helpers import chosen_password, csrf_of, next_code, sign_in

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parent.parent
COMMON = "Unbelievable"  # 12 characters, in the shipped list (compared lower-case)
GOOD = "kettle orbit lantern thistle"


def new_account(app, partner="council-community-safety", role="caseworker"):
    email = f"{role}.{uuid.uuid4().hex[:10]}@accounts.example"
    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], email, partner, role)
        db.commit()
    return email, password, secret


def account(app, email):
    with app.extensions["sdp_sessionmaker"]() as db:
        return db.scalar(select(StaffUser).where(StaffUser.email == email))


def audit_entries(app, action, detail=None):
    with app.extensions["sdp_sessionmaker"]() as db:
        query = select(AuditEntry).where(AuditEntry.action == action)
        if detail is not None:
            query = query.where(AuditEntry.detail == detail)
        return db.scalars(query).all()


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def errors(response):
    return [li.get_text(strip=True) for li in soup(response).select(".govuk-error-summary li")]


def password_step(client, email, password):
    page = soup(client.get("/partners/sign-in"))
    return client.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": email, "password": password})


def code_step(client, code):
    page = soup(client.get("/partners/sign-in/code"))
    return client.post("/partners/sign-in/code", data={"csrf_token": csrf_of(page), "code": code})


def submit(client, url, **fields):
    page = soup(client.get(url))
    return client.post(url, data={"csrf_token": csrf_of(page), **fields})


def signed_out(response):
    return response.status_code == 302 and "/partners/sign-in" in response.headers["Location"]


def test_the_first_sign_in_must_choose_a_new_password_before_anything_else(app):
    email, printed, secret = new_account(app)
    client = app.test_client()
    assert password_step(client, email, printed).headers["Location"].endswith("/partners/sign-in/code")
    response = code_step(client, next_code(app, email, secret))
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/password/new")
    page = client.get("/partners/password/new")
    assert page.status_code == 200 and soup(page).h1.get_text(strip=True) == "Choose a new password"
    # every other partner page sends them back there: the inbox, a report, an export, changing the password
    for url in ("/partners/", "/partners/export.csv", "/partners/reports/HC-ZZZZ-ZZZZ", "/partners/password",
                "/partners/translations"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/partners/password/new"), url

    # a short one, a common one, the email address and its local part, a typo: refused on the page, with the reason
    refusals = {"too-short1": "12 characters or more", COMMON: "most common", f"{COMMON}2024!": "most common",
                email: "email address", email.split("@")[0].upper(): "email address",
                printed: "different from the one-time password", "x" * 201: "200 characters or fewer"}
    for tried, reason in refusals.items():
        response = submit(client, "/partners/password/new", new_password=tried, confirm_password=tried)
        assert response.status_code == 200 and any(reason in e for e in errors(response)), (tried, errors(response))
    response = submit(client, "/partners/password/new", new_password=GOOD, confirm_password=GOOD + "!")
    assert response.status_code == 200 and errors(response) == ["Enter the same new password twice"]
    assert client.get("/partners/").status_code == 302 and account(app, email).must_change_password

    response = submit(client, "/partners/password/new", new_password=GOOD, confirm_password=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/")
    assert client.get("/partners/").status_code == 200
    assert client.get("/partners/password/new").headers["Location"].endswith("/partners/")  # done: nothing to do there
    assert not account(app, email).must_change_password
    assert [e.actor for e in audit_entries(app, "chose-password")].count(email) == 1

    # the printed password no longer works; the chosen one does, straight to the inbox
    assert b"wrong" in password_step(app.test_client(), email, printed).data
    other = app.test_client()
    assert password_step(other, email, GOOD).status_code == 302
    response = code_step(other, next_code(app, email, secret))
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/")


def test_signing_out_stays_possible_before_choosing_a_password(app):
    email, printed, secret = new_account(app)
    client = app.test_client()
    password_step(client, email, printed)
    code_step(client, next_code(app, email, secret))
    page = soup(client.get("/partners/password/new"))
    assert page.find("form", action="/partners/sign-out") and page.find("form", action="/partners/sign-out-everywhere")
    response = client.post("/partners/sign-out-everywhere", data={"csrf_token": csrf_of(page)})
    assert signed_out(response) and signed_out(client.get("/partners/password/new"))
    with app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(func.count()).select_from(StaffSession)
                         .where(StaffSession.user_id == account(app, email).id)) == 0


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(app):
    email, printed, secret = new_account(app)
    laptop = sign_in(app, email, printed, secret)  # chooses a password at this first sign-in
    current = chosen_password(printed)
    phone = sign_in(app, email, printed, secret)   # a second device, with the chosen password
    assert laptop.get("/partners/").status_code == 200 and phone.get("/partners/").status_code == 200
    assert soup(phone.get("/partners/")).find("a", href="/partners/password")  # found from every page

    before = account(app, email)
    response = submit(phone, "/partners/password", current_password="not my password", new_password=GOOD,
                      confirm_password=GOOD)
    assert response.status_code == 200 and errors(response) == [staff.WRONG_CURRENT]
    assert account(app, email).failed_passwords == before.failed_passwords + 1  # counts towards the lockout
    for tried, reason in (("password1234", "most common"), ("shortone", "12 characters or more"),
                          (email, "email address"), (current, "different from your current password")):
        response = submit(phone, "/partners/password", current_password=current, new_password=tried,
                          confirm_password=tried)
        assert response.status_code == 200 and any(reason in e for e in errors(response)), (tried, errors(response))
    assert account(app, email).password_hash == before.password_hash
    assert laptop.get("/partners/").status_code == 200

    response = submit(phone, "/partners/password", current_password=current, new_password=GOOD, confirm_password=GOOD)
    assert response.status_code == 302
    assert "Your password has been changed" in soup(phone.get(response.headers["Location"])).get_text()
    assert phone.get("/partners/").status_code == 200          # this session stays
    assert signed_out(laptop.get("/partners/"))                  # every other one ended
    assert account(app, email).password_hash != before.password_hash
    assert len(audit_entries(app, "changed-password")) >= 1
    assert [e.actor for e in audit_entries(app, "changed-password")].count(email) == 1
    assert b"wrong" in password_step(app.test_client(), email, current).data
    assert password_step(app.test_client(), email, GOOD).status_code == 302


def test_wrong_current_passwords_lock_the_account_like_wrong_sign_in_passwords(app, monkeypatch):
    monkeypatch.setattr(staff, "MAX_PASSWORD_FAILURES", 2)
    email, printed, secret = new_account(app)
    client = sign_in(app, email, printed, secret)
    current = chosen_password(printed)
    for _ in range(2):
        submit(client, "/partners/password", current_password="a guess", new_password=GOOD, confirm_password=GOOD)
    assert staff.is_locked(account(app, email))
    response = submit(client, "/partners/password", current_password=current, new_password=GOOD,
                      confirm_password=GOOD)  # locked: not even the right one changes it
    assert response.status_code == 200 and errors(response) == [staff.WRONG_CURRENT]
    assert b"locked" in password_step(app.test_client(), email, current).data


def lead_and_caseworker(app, partner="council-community-safety"):
    lead = new_account(app, partner, "lead")
    caseworker = new_account(app, partner, "caseworker")
    return sign_in(app, *lead), lead[0], caseworker


def press(lead, target_email, app, button):
    """On the accounts page, press a button in the target's row."""
    target_id = account(app, target_email).id
    page = soup(lead.get("/partners/users"))
    form = page.find("form", action=f"/partners/users/{target_id}/{button}")
    assert form is not None, button
    return lead.post(form["action"], data={"csrf_token": csrf_of(form)})


def test_a_lead_resets_a_caseworkers_password(app):
    lead, lead_email, (email, printed, secret) = lead_and_caseworker(app)
    caseworker = sign_in(app, email, printed, secret)
    chosen = chosen_password(printed)
    response = press(lead, email, app, "reset-password")
    assert response.status_code == 200 and "Password reset" in soup(response).get_text()
    one_time = soup(response).select(".govuk-summary-list code")[0].get_text()
    assert len(soup(response).select(".govuk-summary-list code")) == 1  # the password only: the authenticator stays
    assert one_time not in lead.get("/partners/users").get_data(as_text=True)  # shown once
    assert signed_out(caseworker.get("/partners/"))  # every session of theirs ended
    assert account(app, email).must_change_password
    (entry,) = audit_entries(app, "reset-password", email)
    assert entry.actor == lead_email

    assert b"wrong" in password_step(app.test_client(), email, chosen).data  # their old password is gone
    client = app.test_client()
    assert password_step(client, email, one_time).status_code == 302
    response = code_step(client, next_code(app, email, secret))
    assert response.headers["Location"].endswith("/partners/password/new")  # it forces a change
    assert client.get("/partners/").headers["Location"].endswith("/partners/password/new")
    assert submit(client, "/partners/password/new", new_password=GOOD, confirm_password=GOOD).status_code == 302
    assert client.get("/partners/").status_code == 200
    assert b"wrong" in password_step(app.test_client(), email, one_time).data  # it worked once


def test_a_lead_resets_a_caseworkers_authenticator(app):
    lead, lead_email, (email, printed, old_secret) = lead_and_caseworker(app)
    caseworker = sign_in(app, email, printed, old_secret)
    password = chosen_password(printed)
    response = press(lead, email, app, "reset-authenticator")
    assert response.status_code == 200 and "Authenticator reset" in soup(response).get_text()
    codes = [c.get_text() for c in soup(response).select(".govuk-summary-list code")]
    new_secret, uri = codes
    assert new_secret != old_secret and uri.startswith("otpauth://totp/") and f"secret={new_secret}" in uri
    assert signed_out(caseworker.get("/partners/"))
    assert account(app, email).last_totp_step == 0
    (entry,) = audit_entries(app, "reset-authenticator", email)
    assert entry.actor == lead_email

    client = app.test_client()
    assert password_step(client, email, password).status_code == 302
    old_code = totp.code_at(old_secret, totp.current_step())
    if old_code != totp.code_at(new_secret, totp.current_step()):  # (one chance in a million they agree)
        assert b"That code is wrong" in code_step(client, old_code).data
    response = code_step(client, next_code(app, email, new_secret))
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/")
    assert client.get("/partners/").status_code == 200


def test_only_the_lead_who_may_manage_someone_resets_them(app):
    other_lead, _other_email, (email, printed, secret) = lead_and_caseworker(app, "police-hate-crime")
    lead, lead_email, _ = lead_and_caseworker(app)  # council's lead; the caseworker is police's
    admin_email, *_ = new_account(app, "council-community-safety", "admin")
    caseworker = sign_in(app, email, printed, secret)
    before = account(app, email)
    page = soup(lead.get("/partners/users"))
    token = csrf_of(page)
    assert email not in page.get_text()
    for target in (before.id, account(app, admin_email).id, account(app, lead_email).id, 999999):
        for action in ("reset-password", "reset-authenticator"):
            assert lead.post(f"/partners/users/{target}/{action}", data={"csrf_token": token}).status_code == 404
    # POST only, and never without the form's token
    assert lead.get(f"/partners/users/{before.id}/reset-password").status_code == 405
    assert other_lead.post(f"/partners/users/{before.id}/reset-password").status_code == 400
    # a caseworker manages nobody
    assert caseworker.post(f"/partners/users/{account(app, lead_email).id}/reset-password",
                           data={"csrf_token": csrf_of(soup(caseworker.get("/partners/")))}).status_code == 404
    after = account(app, email)
    assert (after.password_hash, after.sealed_totp_secret, after.must_change_password) == \
        (before.password_hash, before.sealed_totp_secret, False)
    assert not audit_entries(app, "reset-password", email) and not audit_entries(app, "reset-authenticator", email)
    assert caseworker.get("/partners/").status_code == 200


def test_an_account_from_the_add_user_command_must_choose_its_password(app, tmp_path):
    email = f"cli.{uuid.uuid4().hex[:8]}@vcas.example"
    env = {"SDP_DATABASE_URL": app.config["DATABASE_URL"], "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
           "SDP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "partners", "add-user", email,
                          "--partner", "victim-care"], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    password = re.search(r"password: (\S+)", out).group(1)
    secret = re.search(r"TOTP:\s+(\S+)", out).group(1)
    client = app.test_client()
    assert password_step(client, email, password).status_code == 302
    response = code_step(client, next_code(app, email, secret))
    assert response.headers["Location"].endswith("/partners/password/new")
    assert audit_entries(app, "added-user", f"{email} as caseworker")


def test_the_password_rules():
    email = "Patricia.Example@council.example"
    assert staff.password_problem("plum kettle ", email) is None           # 12 characters is long enough
    assert "12 characters" in staff.password_problem("plum kettle", email)  # 11
    assert staff.password_problem("q" + "w" * 199, email) is not None      # predictable
    assert staff.password_problem("plum kettle " * 16 + "plum ket", email) is None  # 200
    assert "200" in staff.password_problem("plum kettle " * 16 + "plum kett", email)  # 201
    for common in ("UNBELIEVABLE", "password1234", "Password1234!", "123456789012", "aaaaaaaaaaaa"):
        assert "most common" in staff.password_problem(common, email), common
    for mine in ("patricia.example@council.example", "PATRICIA.EXAMPLE", "patricia.example2024"):
        assert "email address" in staff.password_problem(mine, email), mine
    assert "different" in staff.password_problem(GOOD, email, current=GOOD)
    assert "password" in staff.common_passwords() and len(staff.common_passwords()) == 10000
    assert staff.common_passwords() is staff.common_passwords()  # read once
