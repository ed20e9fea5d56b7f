"""Who is signed in, and what they may see. Partner pages are in English."""
import functools
from datetime import timedelta

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from .. import languages
from ..db import get_session
from ..models import Report, ReportRoute
from ..services import staff

IDLE_SECONDS = 30 * 60
SESSION_KEY = "staff"          # the active session's random token (its hash is in staff_session)
PENDING_KEY = "staff_pending"  # a pending sign-in's token, between the password and the code


def current_staff():
    """The signed-in member of staff, or None (unknown or ended session, idle too long,
    older than eight hours, or signed out everywhere)."""
    if "staff_user" in g:
        return g.staff_user
    token = session.get(SESSION_KEY)
    idle = timedelta(seconds=current_app.config.get("PARTNER_IDLE_SECONDS", IDLE_SECONDS))
    user = staff.session_user(get_session(), token, idle=idle) if isinstance(token, str) else None
    if user is None and token is not None:
        session.pop(SESSION_KEY, None)
    g.staff_user = user
    return user


def home(user):
    """Where a signed-in person starts: the admin at routing, everyone else at the inbox."""
    return url_for("partners.routing" if user.role == "admin" else "partners.inbox")


def signed_in(roles=("caseworker", "lead", "admin"), before_new_password=False):
    """Only for a signed-in member of staff in one of `roles` (404 for anyone else). An
    account still holding a one-time password goes to "Choose a new password" from every
    page but the few marked before_new_password (that page, signing out everywhere)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_staff()
            if user is None:
                return redirect(url_for("partners.sign_in", next=request.path))
            if user.must_change_password and not before_new_password:
                return redirect(url_for("partners.new_password"))
            if user.role not in roles:
                abort(404)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def report_for(user, reference):
    """The report, only if it was routed to this user's partner; 404 for anything else,
    so a guessed reference looks exactly like one that does not exist."""
    if user.role == "admin":
        abort(404)  # the partnership admin sees statistics and routing, never answers
    db = get_session()
    report = db.scalar(select(Report).join(ReportRoute).where(
        Report.reference == str(reference)[:20], ReportRoute.partner == user.partner))
    if report is None:
        abort(404)
    return report


def english(_endpoint=None, _values=None):
    g.lang = languages.DEFAULT
