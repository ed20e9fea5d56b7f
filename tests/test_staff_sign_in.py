"""Staff sign-in holds against someone trying to get in: codes guessed after a lock, one
code used twice at once, cookies kept after sign-out or after the account is gone, timing
that tells which addresses have accounts, and a lead reaching above their station."""
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from sdp_public.models import AuditEntry, StaffSession, StaffUser
from sdp_public.services import staff, totp
from sdp_test_helpers import code_step, csrf_of, new_account, next_code, password_step, sign_in

pytestmark = pytest.mark.db


def wrong_code(app, email, secret):
    right = {totp.code_at(secret, totp.current_step() + d) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def signed_in_client(app, email, password, secret):
    client = sign_in(app, email, password, secret)
    assert client.get("/partners/").status_code == 200
    return client


def account(app, email):
    with app.extensions["sdp_sessionmaker"]() as db:
        return db.scalar(select(StaffUser).where(StaffUser.email == email))


def test_wrong_codes_lock_the_account_and_a_pending_sign_in_dies_with_it(app):
    email, password, secret = new_account(app)
    waiting = app.test_client()  # passed the password before the guessing began
    assert password_step(waiting, email, password).status_code == 302
    waiting_page = BeautifulSoup(waiting.get("/partners/sign-in/code").data, "html.parser")

    guesser = app.test_client()
    assert password_step(guesser, email, password).status_code == 302
    bad = wrong_code(app, email, secret)
    for _ in range(staff.PENDING_GUESSES - 1):
        assert b"That code is wrong" in code_step(guesser, bad).data
    ended = code_step(guesser, bad)  # a pending sign-in gets a few guesses, then is gone
    assert ended.status_code == 302 and "ended=1" in ended.headers["Location"]
    assert guesser.get("/partners/sign-in/code").status_code == 302

    assert password_step(guesser, email, password).status_code == 302
    for _ in range(staff.MAX_FAILURES - staff.PENDING_GUESSES):
        code_step(guesser, bad)
    assert staff.is_locked(account(app, email))

    # the account is locked: the other pending sign-in is gone, and the right code opens nothing
    response = waiting.post("/partners/sign-in/code", data={"csrf_token": csrf_of(waiting_page),
                                                            "code": next_code(app, email, secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/sign-in")
    assert waiting.get("/partners/").status_code == 302
    assert staff.is_locked(account(app, email))  # and the lock was not cleared by it
    assert b"locked" in password_step(app.test_client(), email, password, address="192.0.2.11").data


def test_one_code_signs_in_one_session_however_many_try_it_at_once(app):
    email, password, secret = new_account(app)
    sessionmaker, sealer = app.extensions["sdp_sessionmaker"], app.extensions["sdp_sealer"]
    tokens = []
    with sessionmaker() as db:
        user = db.scalar(select(StaffUser).where(StaffUser.email == email))
        for _ in range(6):
            tokens.append(staff.start_sign_in(db, user))
    code = totp.code_at(secret, totp.current_step())
    barrier = threading.Barrier(len(tokens))
    won, errors = [], []

    def attempt(token):
        try:
            with sessionmaker() as db:
                pending = staff.pending_sign_in(db, token)
                db.refresh(db.get(StaffUser, pending.user_id))  # everyone has read the account
                barrier.wait(timeout=10)
                if staff.check_code(db, sealer, pending, code):
                    won.append(token)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(won) == 1, f"{len(won)} sessions signed in with one code"
    with sessionmaker() as db:
        assert db.scalar(select(StaffSession.id).where(StaffSession.user_id == account(app, email).id,
                                                       StaffSession.state == "active")) is not None


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app):
    email, password, secret = new_account(app)
    client = signed_in_client(app, email, password, secret)
    copied = client.get_cookie("sdp_session").value
    page = BeautifulSoup(client.get("/partners/").data, "html.parser")
    client.post("/partners/sign-out", data={"csrf_token": csrf_of(page)})
    thief = app.test_client()
    thief.set_cookie("sdp_session", copied)
    response = thief.get("/partners/")
    assert response.status_code == 302 and "/partners/sign-in" in response.headers["Location"]


def test_a_removed_accounts_cookie_does_not_open_the_next_account(app):
    lead_email, lead_password, lead_secret = new_account(app, "council-community-safety", "lead")
    lead = signed_in_client(app, lead_email, lead_password, lead_secret)
    leaver_email, leaver_password, leaver_secret = new_account(app, "council-community-safety")
    leaver = signed_in_client(app, leaver_email, leaver_password, leaver_secret)
    leaver_id = account(app, leaver_email).id
    copied = leaver.get_cookie("sdp_session").value

    page = BeautifulSoup(lead.get("/partners/users").data, "html.parser")
    assert lead.post(f"/partners/users/{leaver_id}/remove", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert account(app, leaver_email) is None
    newcomer_email, *_ = new_account(app, "police-hate-crime", "lead")  # another partner, another role
    assert account(app, newcomer_email).id != leaver_id  # ids are never reused

    old = app.test_client()
    old.set_cookie("sdp_session", copied)
    assert old.get("/partners/").status_code == 302
    assert old.get("/partners/users").status_code == 302


def test_a_session_ends_after_eight_hours_even_while_in_use(app):
    email, password, secret = new_account(app)
    client = signed_in_client(app, email, password, secret)
    started = datetime.now(timezone.utc) - timedelta(hours=8, minutes=1)
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(StaffSession).where(StaffSession.user_id == account(app, email).id)
                   .values(created_at=started, expires_at=started + staff.SESSION_LIFETIME))  # last seen: just now
        db.commit()
    response = client.get("/partners/")
    assert response.status_code == 302 and "/partners/sign-in" in response.headers["Location"]


def test_every_password_path_does_the_same_argon2_work(app):
    """Unknown address, locked account, wrong and right password: the CPU time of each is
    within a factor of two of the others (an Argon2 check dominates; without it a path
    takes a tenth of the time), so timing tells nobody which addresses have accounts."""
    email, password, _secret = new_account(app)
    locked_email, locked_password, _ = new_account(app)
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(StaffUser).where(StaffUser.email == locked_email)
                   .values(locked_until=datetime.now(timezone.utc) + timedelta(hours=1)))
        db.commit()
    paths = {"unknown": ("nobody.here@staff.example", "a guess"), "locked": (locked_email, locked_password),
             "wrong": (email, "a guess"), "right": (email, password)}
    client = app.test_client()
    page = BeautifulSoup(client.get("/partners/sign-in").data, "html.parser")
    cost = {}
    for round_ in range(3):
        for name, (address, secret_word) in paths.items():
            started = time.process_time()
            client.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": address,
                                                   "password": secret_word},
                        environ_base={"REMOTE_ADDR": f"198.51.100.{10 + round_}"})
            spent = time.process_time() - started
            cost[name] = min(cost.get(name, spent), spent)
    assert min(cost.values()) > 0.5 * max(cost.values()), cost


def test_wrong_passwords_from_one_address_do_not_lock_the_person_out_elsewhere(app):
    email, password, _secret = new_account(app)
    attacker = app.test_client()
    statuses = [password_step(attacker, email, "a guess", address="203.0.113.50").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]  # throttled for that address
    assert password_step(attacker, email, password, address="203.0.113.50").status_code == 429
    # the caseworker, elsewhere, still signs in
    assert password_step(app.test_client(), email, password, address="192.0.2.77").status_code == 302
    assert not staff.is_locked(account(app, email))


def test_wrong_passwords_from_many_addresses_lock_the_account(app, monkeypatch):
    monkeypatch.setattr(staff, "MAX_PASSWORD_FAILURES", 4)
    email, password, _secret = new_account(app)
    for n in range(4):
        password_step(app.test_client(), email, "a guess", address=f"203.0.113.{100 + n}")
    assert staff.is_locked(account(app, email))
    assert password_step(app.test_client(), email, password, address="192.0.2.78").status_code == 200


def test_a_lead_manages_only_their_own_partners_caseworkers_and_leads(app):
    lead_email, lead_password, lead_secret = new_account(app, "council-community-safety", "lead")
    lead = signed_in_client(app, lead_email, lead_password, lead_secret)
    admin_email, *_ = new_account(app, "council-community-safety", "admin")
    fellow_email, *_ = new_account(app, "council-community-safety", "lead")
    other_email, *_ = new_account(app, "police-hate-crime", "caseworker")
    with app.extensions["sdp_sessionmaker"]() as db:
        db.execute(update(StaffUser).where(StaffUser.email.in_([admin_email, fellow_email]))
                   .values(locked_until=datetime.now(timezone.utc) + timedelta(hours=1)))
        db.commit()
    page = BeautifulSoup(lead.get("/partners/users").data, "html.parser")
    token = csrf_of(page)
    admin_id, fellow_id, other_id, own_id = (account(app, e).id for e in (admin_email, fellow_email, other_email,
                                                                          lead_email))
    for target in (admin_id, other_id, own_id):
        for action in ("unlock", "remove"):
            assert lead.post(f"/partners/users/{target}/{action}", data={"csrf_token": token}).status_code == 404
    assert account(app, admin_email) is not None and staff.is_locked(account(app, admin_email))
    assert lead.post(f"/partners/users/{fellow_id}/unlock", data={"csrf_token": token}).status_code == 302
    assert not staff.is_locked(account(app, fellow_email))
    with app.extensions["sdp_sessionmaker"]() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "unlock-user", AuditEntry.detail == fellow_email))
