"""The partner inbox: staff sign in with a password and a one-time code, see only the
reports routed to their partner, act on them and answer the reporter. English only."""
import csv
import hashlib
import io
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField
from wtforms.validators import DataRequired, Length

from ..db import get_session
from ..extensions import limiter
from ..models import AuditEntry, OutboxMessage, Report, ReportEvent, ReportRoute
from ..report import registry
from ..report.answers import describe
from ..report.fields import LongTextField, SecretField, TextField
from ..security import no_store
from ..services import audit, staff
from ..services.submissions import sealing_context, unseal_part
from .access import PENDING_KEY, SESSION_KEY, current_staff, english, report_for, signed_in

bp = Blueprint("partners", __name__, url_prefix="/partners")
bp.before_request(english)
bp.before_request(no_store)  # partner pages hold answers: never cached anywhere

STATUSES = ("new", "acknowledged", "in-progress", "referred", "closed")


class SignInForm(FlaskForm):
    email = TextField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = SecretField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])


class CodeForm(FlaskForm):
    code = TextField("Code from your authenticator app", validators=[DataRequired("Enter the 6-digit code"), Length(max=20)])


class TextForm(FlaskForm):
    text = LongTextField("Text", validators=[DataRequired("Enter some text"), Length(max=5000)])


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[(s, s.replace("-", " ").capitalize()) for s in STATUSES])


class ReferForm(FlaskForm):
    partner = SelectField("Refer to", choices=[])
    reason = LongTextField("Reason", validators=[DataRequired("Give a reason for the referral"), Length(max=2000)])


def _db():
    return get_session()


def _sealer():
    return current_app.extensions["sdp_sealer"]


def _router():
    return current_app.extensions["sdp_router"]


def working_days_between(start, end):
    days, day = 0, start.date()
    while day < end.date():
        day += timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def overdue_before(now, working_days):
    """The moment before which an unacknowledged report is overdue: the start of the day
    after the latest day that is `working_days` working days before today. The one place
    the working-day rule is applied: the database counts with it, and each row is
    marked with it."""
    day = now.date()
    while working_days_between(datetime.combine(day, datetime.min.time()), now) < working_days:
        day -= timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc)


def is_overdue(report, cutoff):
    return report.status == "new" and _aware(report.created_at) < cutoff


def unseal_answers(report):
    return unseal_part(_sealer(), report, "answers", report.sealed_answers, {})


def refer_choices(user):
    return [(p.slug, p.name) for p in _router().partners.values() if p.slug != user.partner]


# -- signing in ------------------------------------------------------------------------

def _account_and_client():
    """The throttle key for wrong passwords: this account from this address (hashed, so
    the limiter's storage holds neither). Throttling per account alone would let anyone
    lock a named caseworker out; per address alone would let a botnet guess freely."""
    email = staff.normalise_email(request.form.get("email", ""))[:254]
    return "staff-password:" + hashlib.sha256(f"{email}|{request.remote_addr}".encode()).hexdigest()


def _failed(response):
    return response.status_code == 200  # a sign-in that worked redirects


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("PARTNER_SIGN_IN_LIMIT", "10 per minute"), methods=["POST"])
@limiter.limit(lambda: current_app.config.get("PARTNER_PASSWORD_LIMIT", "5 per 15 minutes"), methods=["POST"],
               key_func=_account_and_client, deduct_when=_failed)
def sign_in():
    form = SignInForm()
    error = None
    if request.args.get("ended") == "1":
        error = "Sign in again: that sign-in has ended."
    if request.method == "POST" and form.validate():
        db = _db()
        user = staff.check_password(db, form.email.data, form.password.data)
        if user is not None:
            staff.end_session(db, session.pop(SESSION_KEY, None))
            session[PENDING_KEY] = staff.start_sign_in(db, user)
            return redirect(url_for("partners.sign_in_code"))
        error = "The email address or password is wrong, or the account is locked for 15 minutes."
    return render_template("partners/sign_in.html", form=form, error=error)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("PARTNER_SIGN_IN_LIMIT", "10 per minute"), methods=["POST"])
def sign_in_code():
    db = _db()
    token = session.get(PENDING_KEY)
    pending = staff.pending_sign_in(db, token if isinstance(token, str) else None)
    if pending is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("partners.sign_in"))
    form = CodeForm()
    error = None
    if request.method == "POST" and form.validate():
        active = staff.check_code(db, _sealer(), pending, form.code.data)
        if active is not None:
            session.pop(PENDING_KEY, None)
            session[SESSION_KEY] = active
            user = current_staff()
            return redirect(url_for("partners.routing" if user.role == "admin" else "partners.inbox"))
        if staff.pending_sign_in(db, token) is None:  # out of guesses, or the account locked
            session.pop(PENDING_KEY, None)
            return redirect(url_for("partners.sign_in", ended="1"))
        error = "That code is wrong or has already been used. Enter the code your app shows now."
    return render_template("partners/sign_in_code.html", form=form, error=error)


@bp.post("/sign-out")
def sign_out():
    token = session.pop(SESSION_KEY, None)
    staff.end_session(_db(), token if isinstance(token, str) else None)
    return redirect(url_for("partners.sign_in"))


@bp.post("/sign-out-everywhere")
@signed_in()
def sign_out_everywhere():
    user = current_staff()
    staff.end_every_session(_db(), user)
    audit.record(_db(), user.email, user.partner, "signed-out-everywhere")
    _db().commit()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("partners.sign_in"))


# -- the inbox -------------------------------------------------------------------------

@bp.get("/")
@signed_in(roles=("caseworker", "lead"))
def inbox():
    user = current_staff()
    now = datetime.now(timezone.utc)
    query = (select(Report, ReportRoute).join(ReportRoute)
             .where(ReportRoute.partner == user.partner).order_by(Report.created_at.desc(), Report.id.desc()))
    status = request.args.get("status", "")
    form_filter = request.args.get("form", "")
    if status in STATUSES:
        query = query.where(Report.status == status)
    if form_filter in {flow.slug for flow, _ in registry.FLOWS.values()}:
        query = query.where(Report.form == form_filter)
    since, until = _date_arg("from"), _date_arg("to")
    if since:
        query = query.where(Report.created_at >= datetime.combine(since, datetime.min.time(), timezone.utc))
    if until:
        query = query.where(Report.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time(), timezone.utc))
    rows = _db().execute(query.limit(500)).all()
    area = request.args.get("area", "")
    if area:  # area is a sealed answer: filtered here, in memory, for this partner's reports only
        rows = [(r, route) for r, route in rows if unseal_answers(r).get("area") == area]
    mine_and_new = (select(func.count()).select_from(Report).join(ReportRoute)
                    .where(ReportRoute.partner == user.partner, Report.status == "new"))
    cutoff = overdue_before(now, current_app.config.get("PARTNER_ACK_WORKING_DAYS", 2))
    counts = {"new": _db().scalar(mine_and_new),
              "overdue": _db().scalar(mine_and_new.where(Report.created_at < cutoff))}
    return render_template("partners/inbox.html", user=user, rows=rows, counts=counts, statuses=STATUSES,
                           flows=[flow for flow, _ in registry.FLOWS.values()], cutoff=cutoff, is_overdue=is_overdue,
                           args=request.args)


def _date_arg(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/reports/<reference>")
@signed_in(roles=("caseworker", "lead"))
def report(reference):
    user = current_staff()
    report = report_for(user, reference)
    flow, _contact_fields = registry.get(*_kind_and_slug(report.form))
    answers = unseal_answers(report)
    contact = unseal_part(_sealer(), report, "contact", report.sealed_contact)
    rows = []
    if flow is not None:
        for step in flow.visible(answers):
            if not step.interruption:
                described = describe(step, answers)
                if described:
                    rows.append((step.title, described))
    timeline = [(event, unseal_part(_sealer(), report, "event", event.sealed_body, {}).get("text"))
                for event in report.events]
    audit.record(_db(), user.email, user.partner, "viewed-report", report.reference)
    _db().commit()
    refer = ReferForm()
    refer.partner.choices = refer_choices(user)
    status_form = StatusForm(data={"status": report.status})
    return render_template("partners/report.html", user=user, report=report, rows=rows, contact=contact,
                           timeline=timeline, refer=refer, status_form=status_form, text_form=TextForm(),
                           partners=_router().partners, purged=not report.sealed_answers)


def _kind_and_slug(form):
    for (kind, slug) in registry.FLOWS:
        if slug == form:
            return kind, slug
    return None, None


def _event(report, user, kind, text=None):
    now = datetime.now(timezone.utc)
    sealed = _sealer().seal({"text": text}, sealing_context(report.reference, report.form, "event")) if text else None
    _db().add(ReportEvent(report_id=report.id, kind=kind, actor=f"{user.email} ({user.partner})", sealed_body=sealed,
                          created_at=now))
    report.updated_at = now
    audit.record(_db(), user.email, user.partner, kind, report.reference)


@bp.post("/reports/<reference>/acknowledge")
@signed_in(roles=("caseworker", "lead"))
def acknowledge(reference):
    user = current_staff()
    report = report_for(user, reference)
    if report.status == "new":
        report.status = "acknowledged"
    _event(report, user, "acknowledged")
    _db().commit()
    return redirect(url_for("partners.report", reference=report.reference))


@bp.post("/reports/<reference>/status")
@signed_in(roles=("caseworker", "lead"))
def change_status(reference):
    user = current_staff()
    report = report_for(user, reference)
    form = StatusForm()
    if not form.validate():
        abort(400)
    report.status = form.status.data
    report.closed_at = datetime.now(timezone.utc) if report.status == "closed" else None
    _event(report, user, f"status:{report.status}")
    _db().commit()
    return redirect(url_for("partners.report", reference=report.reference))


@bp.post("/reports/<reference>/note")
@signed_in(roles=("caseworker", "lead"))
def add_note(reference):
    user = current_staff()
    report = report_for(user, reference)
    form = TextForm()
    if not form.validate():
        abort(400)
    _event(report, user, "note", form.text.data)
    _db().commit()
    return redirect(url_for("partners.report", reference=report.reference))


@bp.post("/reports/<reference>/message")
@signed_in(roles=("caseworker", "lead"))
def message_reporter(reference):
    """A message the reporter reads at /track; emailed as "you have a new message" if they gave an email."""
    user = current_staff()
    report = report_for(user, reference)
    form = TextForm()
    if not form.validate():
        abort(400)
    _event(report, user, "message-to-reporter", form.text.data)
    contact = unseal_part(_sealer(), report, "contact", report.sealed_contact, {})
    if contact.get("email"):
        now = datetime.now(timezone.utc)
        _db().add(OutboxMessage(report_id=report.id, kind="reporter-message", status="pending", attempts=0,
                                sealed_recipient=_sealer().seal(contact["email"], sealing_context(report.reference, report.form, "recipient")),
                                next_attempt_at=now, created_at=now))
    _db().commit()
    return redirect(url_for("partners.report", reference=report.reference))


@bp.post("/reports/<reference>/refer")
@signed_in(roles=("caseworker", "lead"))
def refer(reference):
    user = current_staff()
    report = report_for(user, reference)
    form = ReferForm()
    form.partner.choices = refer_choices(user)
    if not form.validate():
        abort(400)
    now = datetime.now(timezone.utc)
    if form.partner.data not in {r.partner for r in report.routes}:
        _db().add(ReportRoute(report_id=report.id, partner=form.partner.data, created_at=now,
                              reason=f"Referred by {_router().partners[user.partner].name}"))
        _db().add(OutboxMessage(report_id=report.id, kind="partner-notification", partner=form.partner.data,
                                status="pending", attempts=0, next_attempt_at=now, created_at=now))
    report.status = "referred"
    _event(report, user, "referred", f"To {_router().partners[form.partner.data].name}: {form.reason.data}")
    _db().commit()
    return redirect(url_for("partners.report", reference=report.reference))


# -- exports, statistics and the audit log ----------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A spreadsheet must never run what a reporter typed: formula-like cells are quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/export.csv")
@signed_in(roles=("caseworker", "lead"))
def export():
    user = current_staff()
    since, until = _date_arg("from") or date(2000, 1, 1), _date_arg("to") or date.today()
    reports = _db().execute(select(Report).join(ReportRoute).where(
        ReportRoute.partner == user.partner,
        Report.created_at >= datetime.combine(since, datetime.min.time(), timezone.utc),
        Report.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time(), timezone.utc),
    ).order_by(Report.created_at)).scalars().all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "form", "language", "status", "received", "answers"])
    for r in reports:
        answers = unseal_answers(r)
        flat = "; ".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in answers.items()
                         if not k.startswith("seen:"))
        writer.writerow([csv_safe(x) for x in (r.reference, r.form, r.lang, r.status, r.created_at.isoformat(), flat)])
    audit.record(_db(), user.email, user.partner, "exported", detail=f"{since} to {until}, {len(reports)} reports")
    _db().commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={user.partner}-{since}-{until}.csv"})


@bp.get("/audit")
@signed_in(roles=("admin",))
def audit_log():
    entries = _db().scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
    return render_template("partners/audit.html", user=current_staff(), entries=entries)


@bp.get("/routing")
@signed_in(roles=("admin",))
def routing():
    counts = {}
    for route in _db().scalars(select(ReportRoute)):
        counts[route.partner] = counts.get(route.partner, 0) + 1
    return render_template("partners/routing.html", user=current_staff(), router=_router(), counts=counts)


@bp.get("/translations")
@signed_in()
def translations():
    """Per language and page: translated, stale or falling back to English, so whoever
    commissions translations sees what to do next. Nothing here is personal data."""
    from .. import languages, translation_status
    from ..public.views import content_store
    entries = translation_status.status(content_store())
    by_lang = {}
    for entry in entries:
        by_lang.setdefault(entry.lang, []).append(entry)
    return render_template("partners/translations.html", user=current_staff(), by_lang=by_lang,
                           languages=languages.LANGUAGES[1:])


@bp.get("/statistics")
@signed_in(roles=("admin",))
def statistics():
    """Anonymised counts across partners: by month, by category (strand or kind) and by area."""
    from ..charts import layout
    from ..models import ReportStatistic
    rows = _db().scalars(select(ReportStatistic)).all()
    form = request.args.get("form", "hate-incident")
    mine = [r for r in rows if r.form == form]

    def totals(attribute):
        out = {}
        for r in mine:
            key = getattr(r, attribute) or "(none)"
            out[key] = out.get(key, 0) + r.count
        return dict(sorted(out.items()))

    # Counters are kept per category, so a report with two strands adds one to each: the
    # month and area totals count strand mentions, which the page says.
    by_month, by_category, by_area = totals("month"), totals("category"), totals("area")
    chart = None
    if by_month:
        chart = {"title": f"{form} by month", "description": f"Counts of {form} statistics by month.",
                 "type": "bar", "unit": "", "categories": list(by_month), "source": "Safe Durham Public",
                 "series": [{"name": form, "values": list(by_month.values())}]}
    forms = sorted({r.form for r in rows} | {"hate-incident"})
    return render_template("partners/statistics.html", user=current_staff(), form=form, forms=forms,
                           tables=(("Month", by_month), ("Category", by_category), ("Area", by_area)),
                           chart=chart, geometry=layout(chart, "en_GB") if chart else None)


@bp.get("/statistics.csv")
@signed_in(roles=("admin",))
def statistics_csv():
    from ..models import ReportStatistic
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["form", "month", "area", "category", "count"])
    for r in _db().scalars(select(ReportStatistic).order_by(ReportStatistic.form, ReportStatistic.month)):
        writer.writerow([csv_safe(x) for x in (r.form, r.month, r.area, r.category, r.count)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=sdp-statistics.csv"})


class NewUserForm(FlaskForm):
    email = TextField("Email address", validators=[DataRequired("Enter their email address"), Length(max=254)])
    role = SelectField("Role", choices=[("caseworker", "Caseworker"), ("lead", "Partner lead")])


@bp.route("/users", methods=["GET", "POST"])
@signed_in(roles=("lead",))
def users():
    """A partner lead manages their own partner's accounts (and nobody else's)."""
    from ..models import StaffUser
    user = current_staff()
    form = NewUserForm()
    created = None
    if request.method == "POST" and form.validate():
        from ..report.common import email_problem
        email = form.email.data.strip().lower()
        problem = email_problem(email)
        existing = _db().scalar(select(StaffUser).where(StaffUser.email == email))
        if problem or existing:
            form.email.errors.append(str(problem) if problem else "There is already an account with that email address")
        else:
            _new_user, password, secret = staff.create(_db(), _sealer(), email, user.partner, form.role.data)
            audit.record(_db(), user.email, user.partner, "added-user", detail=f"{email} as {form.role.data}")
            _db().commit()  # the account and its audit entry together, or neither
            from ..services import totp as totp_service
            created = {"email": email, "password": password, "secret": secret,
                       "uri": totp_service.provisioning_uri(secret, email)}
    people = _db().scalars(select(StaffUser).where(StaffUser.partner == user.partner).order_by(StaffUser.email)).all()
    return render_template("partners/users.html", user=user, form=form, people=people, created=created,
                           text_form=TextForm(), may_manage=staff.may_manage)


@bp.post("/users/<int:user_id>/<action>")
@signed_in(roles=("lead",))
def user_action(user_id, action):
    from ..models import StaffUser
    user = current_staff()
    target = _db().get(StaffUser, user_id)
    if action not in ("unlock", "remove") or not staff.may_manage(user, target):
        abort(404)
    if action == "unlock":
        staff.unlock(_db(), target)
    else:
        staff.remove(_db(), target)
    audit.record(_db(), user.email, user.partner, f"{action}-user", detail=target.email)
    _db().commit()
    return redirect(url_for("partners.users"))
