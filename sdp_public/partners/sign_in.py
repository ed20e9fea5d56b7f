"""Signing in: a password, then a one-time code; signing out (here, or everywhere)."""
import hashlib

from flask import current_app, redirect, render_template, request, session, url_for
from ..forms import SiteForm
from wtforms.validators import DataRequired, Length

from ..extensions import post_limit
from ..report.fields import SecretField, TextField
from ..services import staff
from .access import PENDING_KEY, SESSION_KEY, current_staff, home, signed_in
from .blueprint import bp, db, sealer


class SignInForm(SiteForm):
    email = TextField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = SecretField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])


class CodeForm(SiteForm):
    code = TextField("Code from your authenticator app", validators=[DataRequired("Enter the 6-digit code"), Length(max=20)])


def _account_and_client():
    """The throttle key for wrong passwords: this account from this address (hashed, so
    the limiter's storage holds neither). Throttling per account alone would let anyone
    lock a named caseworker out; per address alone would let a botnet guess freely."""
    email = staff.normalise_email(request.form.get("email", ""))[:254]
    return "staff-password:" + hashlib.sha256(f"{email}|{request.remote_addr}".encode()).hexdigest()


def _failed(response):
    return response.status_code == 200  # a sign-in that worked redirects


@bp.route("/sign-in", methods=["GET", "POST"])
@post_limit(lambda: current_app.config.get("PARTNER_SIGN_IN_LIMIT", "10 per minute"))
@post_limit(lambda: current_app.config.get("PARTNER_PASSWORD_LIMIT", "5 per 15 minutes"),
            key_func=_account_and_client, deduct_when=_failed)
def sign_in():
    form = SignInForm()
    error = None
    if request.args.get("ended") == "1":
        error = "Sign in again: that sign-in has ended."
    if request.method == "POST" and form.validate():
        user = staff.check_password(db(), form.email.data, form.password.data)
        if user is not None:
            staff.end_session(db(), session.pop(SESSION_KEY, None))
            session[PENDING_KEY] = staff.start_sign_in(db(), user)
            return redirect(url_for("partners.sign_in_code"))
        error = "The email address or password is wrong, or the account is locked for 15 minutes."
    return render_template("partners/sign_in.html", form=form, error=error)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@post_limit(lambda: current_app.config.get("PARTNER_SIGN_IN_LIMIT", "10 per minute"))
def sign_in_code():
    token = session.get(PENDING_KEY)
    pending = staff.pending_sign_in(db(), token if isinstance(token, str) else None)
    if pending is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("partners.sign_in"))
    form = CodeForm()
    error = None
    if request.method == "POST" and form.validate():
        active = staff.check_code(db(), sealer(), pending, form.code.data)
        if active is not None:
            session.pop(PENDING_KEY, None)
            session[SESSION_KEY] = active
            user = current_staff()
            return redirect(url_for("partners.new_password") if user.must_change_password else home(user))
        if staff.pending_sign_in(db(), token) is None:  # out of guesses, or the account locked
            session.pop(PENDING_KEY, None)
            return redirect(url_for("partners.sign_in", ended="1"))
        error = "That code is wrong or has already been used. Enter the code your app shows now."
    return render_template("partners/sign_in_code.html", form=form, error=error)


@bp.post("/sign-out")
def sign_out():
    token = session.pop(SESSION_KEY, None)
    staff.end_session(db(), token if isinstance(token, str) else None)
    return redirect(url_for("partners.sign_in"))


@bp.post("/sign-out-everywhere")
@signed_in(before_new_password=True)
def sign_out_everywhere():
    staff.sign_out_everywhere(db(), current_staff())
    session.pop(SESSION_KEY, None)
    return redirect(url_for("partners.sign_in"))
