"""Partner staff accounts: Argon2id passwords, TOTP second factor, lockout."""
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..models import StaffUser
from . import totp

ROLES = ("caseworker", "lead", "admin")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 low-memory profile)
# A real hash to check against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def totp_context(email):
    return f"staff:{email}:totp"


def create(db, sealer, email, partner, role):
    """A new account; returns (user, one-time password, TOTP secret) to hand over once."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    password = secrets.token_urlsafe(15)
    secret = totp.new_secret()
    email = email.strip().lower()
    user = StaffUser(email=email, partner=partner, role=role, password_hash=_hasher.hash(password),
                     sealed_totp_secret=sealer.seal(secret, totp_context(email)), last_totp_step=0,
                     failed_attempts=0, session_version=1, created_at=datetime.now(timezone.utc))
    db.add(user)
    db.commit()
    return user, password, secret


def check_password(db, email, password, now=None):
    """The user if the password is right and the account is not locked; else None."""
    now = now or datetime.now(timezone.utc)
    user = db.scalar(select(StaffUser).where(StaffUser.email == str(email).strip().lower()))
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, str(password))
        except (VerificationError, InvalidHashError):
            pass
        return None
    if user.locked_until and _aware(user.locked_until) > now:
        return None
    try:
        _hasher.verify(user.password_hash, str(password))
    except (VerificationError, InvalidHashError):
        fail(db, user, now)
        return None
    return user


def check_code(db, sealer, user, code, now=None):
    secret = sealer.unseal(user.sealed_totp_secret, totp_context(user.email))
    step = totp.verify(secret, code, user.last_totp_step or 0, now=None if now is None else now.timestamp())
    if step is None:
        fail(db, user, now or datetime.now(timezone.utc))
        return False
    user.last_totp_step = step
    user.failed_attempts = 0
    user.locked_until = None
    db.commit()
    return True


def fail(db, user, now):
    user.failed_attempts = (user.failed_attempts or 0) + 1
    if user.failed_attempts >= MAX_FAILURES:
        user.locked_until = now + LOCKOUT
        user.failed_attempts = 0
    db.commit()
