"""Partner staff accounts and their sign-ins: Argon2id passwords, a TOTP second factor,
sessions kept on the server, and lockouts that an attacker cannot turn into a weapon.

How guessing is bounded (every path does the same Argon2 work, so neither timing nor
answers say whether an address has an account, or whether it is locked):
- Wrong passwords are throttled per account *and client address* by the view (Flask-
  Limiter, shared through Redis): a stranger cannot lock a named caseworker out by typing
  their address five times, yet cannot guess from one address either. Across all addresses
  MAX_PASSWORD_FAILURES wrong passwords (a distributed attack) do lock the account.
- Wrong codes need the right password first, so they count hard: MAX_FAILURES wrong codes
  lock the account, and each pending sign-in may guess PENDING_GUESSES times before it is
  thrown away. When the account locks, every pending sign-in of it dies at once; the code
  step checks the lock too, so a right code never opens a locked account.
- A code is accepted once: the last used step moves forward with a compare-and-set, so
  two sign-ins racing with the same code cannot both win.

Passwords people choose (password_problem): long enough, not their email address, not a
common one. The password a lead or the command line hands over is one-time: the account
must choose its own at the next sign-in (must_change_password).
"""
import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from ..models import StaffSession, StaffUser
from . import audit, totp

ROLES = ("caseworker", "lead", "admin")
MAX_FAILURES = 5             # wrong codes, per account
MAX_PASSWORD_FAILURES = 50   # wrong passwords from every address together, per account
PENDING_GUESSES = 3          # codes one pending sign-in may try
LOCKOUT = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=8)   # whatever happens, a session ends after this
IDLE = timedelta(minutes=30)
MIN_PASSWORD = 12            # NCSC and NIST SP 800-63B: length, not composition rules
MAX_PASSWORD = 200
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
# A real hash to check against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _now():
    return datetime.now(timezone.utc)


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _digest(token):
    return hashlib.sha256(str(token).encode()).hexdigest()


def totp_context(email):
    return f"staff:{email}:totp"


def normalise_email(email):
    return str(email).strip().lower()


def _one_time_password():
    return secrets.token_urlsafe(15)


def create(db, sealer, email, partner, role):
    """A new account, added to the session but not committed (the caller commits it with
    its audit entry); returns (user, one-time password, TOTP secret) to hand over once.
    The password is one-time: the first sign-in must choose a new one."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    password = _one_time_password()
    secret = totp.new_secret()
    email = normalise_email(email)
    user = StaffUser(email=email, partner=partner, role=role, password_hash=_hasher.hash(password),
                     sealed_totp_secret=sealer.seal(secret, totp_context(email)), last_totp_step=0,
                     failed_attempts=0, failed_passwords=0, must_change_password=True, created_at=_now())
    db.add(user)
    db.flush()
    return user, password, secret


def add_account(db, sealer, actor, actor_partner, email, partner, role):
    """Create an account and its audit entry in one commit (a lead on /partners/users, or
    the command line as "operator (command line)"): (user, one-time password, TOTP secret)."""
    user, password, secret = create(db, sealer, email, partner, role)
    audit.record(db, actor, actor_partner, "added-user", detail=f"{user.email} as {role}")
    db.commit()
    return user, password, secret


def is_locked(user, now=None):
    return bool(user.locked_until and _aware(user.locked_until) > (now or _now()))


def _verify(password_hash, password):
    try:
        return _hasher.verify(password_hash, str(password))
    except (VerificationError, InvalidHashError):
        return False


def check_password(db, email, password, now=None):
    """The user if the password is right and the account is not locked; else None.
    Exactly one Argon2 verification on every path: unknown, locked, wrong or right."""
    now = now or _now()
    user = db.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    right = _verify(user.password_hash, password)
    if is_locked(user, now):
        return None
    if not right:
        _count_failure(db, user, StaffUser.failed_passwords, MAX_PASSWORD_FAILURES, now)
        return None
    return user


def _count_failure(db, user, counter, limit, now):
    """Add one to a failure counter in SQL (concurrent failures all count); at the limit,
    lock the account and end every pending sign-in of it. Commits."""
    db.execute(update(StaffUser).where(StaffUser.id == user.id).values({counter: counter + 1}))
    locked = db.execute(update(StaffUser).where(StaffUser.id == user.id, counter >= limit)
                        .values(locked_until=now + LOCKOUT, failed_attempts=0, failed_passwords=0)).rowcount
    if locked:
        db.execute(delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.state == "pending"))
    db.commit()
    db.refresh(user)


def start_sign_in(db, user, now=None):
    """The password was right: a pending sign-in that may try a few codes. Returns its token."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(token_hash=_digest(token), user_id=user.id, state="pending", code_attempts=0,
                        created_at=now, last_seen_at=now, expires_at=now + PENDING_LIFETIME))
    db.commit()
    return token


def pending_sign_in(db, token, now=None):
    """The pending sign-in this token holds, if it is still alive."""
    if not token:
        return None
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token),
                                               StaffSession.state == "pending"))
    if row is None or _aware(row.expires_at) <= (now or _now()):
        return None
    return row


def check_code(db, sealer, pending, code, now=None):
    """Finish a pending sign-in with its TOTP code. Returns the new session's token, or
    None (wrong, replayed, locked, or out of guesses: the pending sign-in may be gone)."""
    now = now or _now()
    user = db.get(StaffUser, pending.user_id)
    db.refresh(user)
    if is_locked(user, now):
        db.delete(pending)
        db.commit()
        return None
    secret = sealer.unseal(user.sealed_totp_secret, totp_context(user.email))
    step = totp.verify(secret, code, user.last_totp_step or 0, now=now.timestamp())
    # Compare-and-set: of several sign-ins presenting the same code, one moves the step on.
    won = step is not None and db.execute(
        update(StaffUser).where(StaffUser.id == user.id, StaffUser.last_totp_step < step,
                                (StaffUser.locked_until.is_(None)) | (StaffUser.locked_until <= now))
        .values(last_totp_step=step, failed_attempts=0, failed_passwords=0)).rowcount == 1
    if not won:
        db.rollback()
        db.execute(update(StaffSession).where(StaffSession.id == pending.id)
                   .values(code_attempts=StaffSession.code_attempts + 1))
        db.execute(delete(StaffSession).where(StaffSession.id == pending.id,
                                              StaffSession.code_attempts >= PENDING_GUESSES))
        _count_failure(db, user, StaffUser.failed_attempts, MAX_FAILURES, now)
        return None
    db.execute(update(StaffUser).where(StaffUser.id == user.id).values(locked_until=None))
    db.delete(pending)
    token = secrets.token_urlsafe(32)  # a new token: nothing seen before the code signs in
    db.add(StaffSession(token_hash=_digest(token), user_id=user.id, state="active", code_attempts=0,
                        created_at=now, last_seen_at=now, expires_at=now + SESSION_LIFETIME))
    audit.record(db, user.email, user.partner, "signed-in")
    db.commit()
    return token


def session_user(db, token, idle=IDLE, now=None):
    """The member of staff an active session token belongs to, or None: unknown or ended
    token, idle longer than `idle`, or older than SESSION_LIFETIME."""
    if not token:
        return None
    now = now or _now()
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token),
                                               StaffSession.state == "active"))
    if row is None:
        return None
    if _aware(row.expires_at) <= now or now - _aware(row.last_seen_at) >= idle:
        db.delete(row)
        db.commit()
        return None
    if now - _aware(row.last_seen_at) > timedelta(seconds=30):  # one write a half minute, not per request
        row.last_seen_at = now
        db.commit()
    return row.user


def end_session(db, token):
    """Sign out: the session ends for every copy of its cookie."""
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
        db.commit()


def end_every_session(db, user):
    """Sign out everywhere (and on removal): every session and pending sign-in of the account."""
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


@functools.cache
def common_passwords():
    """The shipped list of common passwords, lower-case; read once, on first use."""
    with open(COMMON_PASSWORDS, encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")  # digits and symbols around the letters: "password1234!"


def _predictable(lowered):
    """Few distinct characters ("aaaaaaaaaaaa", "abababababab") or one run up or down the
    keyboard's digits or the alphabet ("123456789012", "abcdefghijklm")."""
    if len(set(lowered)) <= 3:
        return True
    steps = {(ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a)
             for a, b in zip(lowered, lowered[1:])}
    return steps in ({1}, {-1}, {9})


def password_problem(password, email, current=None):
    """What is wrong with a password someone chose, as a message for them, or None.
    At least MIN_PASSWORD characters and at most MAX_PASSWORD; not the account's email
    address or the part before the @; not a common password (the shipped list, also with
    digits or symbols added around it), nor a predictable run; not `current`."""
    password = password if isinstance(password, str) else ""
    if len(password) < MIN_PASSWORD:
        return f"Your new password must be {MIN_PASSWORD} characters or more"
    if len(password) > MAX_PASSWORD:
        return f"Your new password must be {MAX_PASSWORD} characters or fewer"
    lowered = password.strip().lower()
    core = _EDGES.sub("", lowered)
    email = normalise_email(email)
    local = email.split("@", 1)[0]
    if {lowered, core} & {email, local}:
        return "Your new password must not be your email address, or the part of it before the @"
    common = common_passwords()
    if lowered in common or core in common or _predictable(lowered):
        return ("That password is one of the most common, so it is among the first anyone would try. "
                "Choose something longer that is harder to guess, such as three or four random words")
    if current is not None and password == current:
        return "Your new password must be different from your current password"
    return None


def _set_password(db, user, password, keep_token=None):
    """A new password hash; every session and pending sign-in of the account ends but the
    one holding keep_token. Not committed."""
    user.password_hash = _hasher.hash(password)
    user.must_change_password = False
    ending = delete(StaffSession).where(StaffSession.user_id == user.id)
    if keep_token:
        ending = ending.where(StaffSession.token_hash != _digest(keep_token))
    db.execute(ending)


def choose_password(db, user, password, keep_token):
    """The first sign-in (or the first after a reset) replaces the one-time password.
    Returns a problem to show, or None once the new password is committed with its audit
    entry. The one-time password was typed moments ago, so it is not asked for again."""
    problem = password_problem(password, user.email)
    if problem is None and _verify(user.password_hash, password):
        problem = "Your new password must be different from the one-time password you were given"
    if problem:
        return problem
    _set_password(db, user, password, keep_token)
    audit.record(db, user.email, user.partner, "chose-password")
    db.commit()
    return None


WRONG_CURRENT = "Your current password is wrong, or the account is locked for 15 minutes"


def change_password(db, user, current, password, keep_token, now=None):
    """A signed-in person changes their password. Returns (field, problem) to show, or None
    once the new password is committed with its audit entry: every other session of the
    account has ended, this one stays. One Argon2 check of the current password; a wrong
    one counts towards the account's wrong-password lockout like one at sign-in."""
    now = now or _now()
    right = _verify(user.password_hash, current)
    if is_locked(user, now):
        return "current_password", WRONG_CURRENT
    if not right:
        _count_failure(db, user, StaffUser.failed_passwords, MAX_PASSWORD_FAILURES, now)
        return "current_password", WRONG_CURRENT
    problem = password_problem(password, user.email, current=current)
    if problem:
        return "new_password", problem
    _set_password(db, user, password, keep_token)
    audit.record(db, user.email, user.partner, "changed-password")
    db.commit()
    return None


def may_manage(lead, target):
    """A partner lead manages their own partner's caseworkers and leads: never an admin,
    never another partner's staff, never themselves."""
    return (target is not None and lead.role == "lead" and target.partner == lead.partner
            and target.role in ("caseworker", "lead") and target.id != lead.id)


def unlock(db, target):
    db.execute(update(StaffUser).where(StaffUser.id == target.id)
               .values(locked_until=None, failed_attempts=0, failed_passwords=0))


def reset_password(db, target):
    """A lead resets someone's password: a new one-time password (returned, to hand over
    once) that must be changed at the next sign-in; every session of the account ends.
    Not committed: the caller commits it with its audit entry."""
    password = _one_time_password()
    target.password_hash = _hasher.hash(password)
    target.must_change_password = True
    end_every_session(db, target)
    return password


def reset_authenticator(db, sealer, target):
    """A lead resets someone's second factor: a new TOTP secret (returned, to hand over
    once), codes counted afresh; the old secret's codes stop working and every session of
    the account ends. Not committed: the caller commits it with its audit entry."""
    secret = totp.new_secret()
    target.sealed_totp_secret = sealer.seal(secret, totp_context(target.email))
    target.last_totp_step = 0
    end_every_session(db, target)
    return secret


def remove(db, target):
    end_every_session(db, target)
    db.delete(target)


# What a lead can do to an account they may manage, and what each is called in the audit log.
ACCOUNT_ACTIONS = {"unlock": "unlock-user", "remove": "remove-user",
                   "reset-password": "reset-password", "reset-authenticator": "reset-authenticator"}


def manage(db, sealer, lead, target, action):
    """A lead acts on someone's account (the caller has checked may_manage): the action
    and its audit entry commit together. Returns what to hand over once ({"password"} or
    {"secret"}), or None."""
    if action not in ACCOUNT_ACTIONS:
        raise ValueError(f"unknown account action {action!r}")
    email, handed = target.email, None
    if action == "unlock":
        unlock(db, target)
    elif action == "remove":
        remove(db, target)
    elif action == "reset-password":
        handed = {"password": reset_password(db, target)}
    else:
        handed = {"secret": reset_authenticator(db, sealer, target)}
    audit.record(db, lead.email, lead.partner, ACCOUNT_ACTIONS[action], detail=email)
    db.commit()
    return handed


def sign_out_everywhere(db, user):
    """Every session of this account ends, on every device; audited; one commit."""
    end_every_session(db, user)
    audit.record(db, user.email, user.partner, "signed-out-everywhere")
    db.commit()
