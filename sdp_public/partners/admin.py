"""Running the service: the audit log, routing, translation status and statistics (the
partnership admin), and a partner lead's own staff accounts."""
from flask import abort, redirect, render_template, request, url_for
from ..forms import SiteForm
from sqlalchemy import func, select
from wtforms import SelectField
from wtforms.validators import DataRequired, Length

from ..models import AuditEntry, ReportRoute, ReportStatistic, StaffUser
from ..report.fields import TextField
from ..services import staff, totp
from .access import current_staff, signed_in
from .blueprint import bp, db, router, sealer
from .casework import TextForm
from .inbox import csv_response


@bp.get("/audit")
@signed_in(roles=("admin",))
def audit_log():
    entries = db().scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all()
    return render_template("partners/audit.html", user=current_staff(), entries=entries)


@bp.get("/routing")
@signed_in(roles=("admin",))
def routing():
    counts = dict(db().execute(select(ReportRoute.partner, func.count()).group_by(ReportRoute.partner)).all())
    return render_template("partners/routing.html", user=current_staff(), router=router(), counts=counts)


@bp.get("/translations")
@signed_in()
def translations():
    """Per language and page: translated, stale or falling back to English, so whoever
    commissions translations sees what to do next. Nothing here is personal data."""
    from .. import languages, translation_status
    from ..public.views import content_store
    by_lang = {}
    for entry in translation_status.status(content_store()):
        by_lang.setdefault(entry.lang, []).append(entry)
    return render_template("partners/translations.html", user=current_staff(), by_lang=by_lang,
                           languages=languages.LANGUAGES[1:])


def totals(form, attribute):
    """Counter totals for one form by month, category or area, summed in SQL."""
    column = getattr(ReportStatistic, attribute)
    rows = db().execute(select(column, func.sum(ReportStatistic.count)).where(ReportStatistic.form == form)
                        .group_by(column).order_by(column)).all()
    out = {}
    for key, total in rows:
        out[key or "(none)"] = out.get(key or "(none)", 0) + int(total)
    return out


@bp.get("/statistics")
@signed_in(roles=("admin",))
def statistics():
    """Anonymised counts across partners: by month, by category (strand or kind) and by area."""
    from ..charts import layout
    form = request.args.get("form", "hate-incident")[:40]
    # Counters are kept per category, so a report with two strands adds one to each: the
    # month and area totals count strand mentions, which the page says.
    by_month, by_category, by_area = totals(form, "month"), totals(form, "category"), totals(form, "area")
    chart = None
    if by_month:
        chart = {"title": f"{form} by month", "description": f"Counts of {form} statistics by month.",
                 "type": "bar", "unit": "", "categories": list(by_month), "source": "Safe Durham Public",
                 "series": [{"name": form, "values": list(by_month.values())}]}
    forms = sorted(set(db().scalars(select(ReportStatistic.form).distinct())) | {"hate-incident"})
    return render_template("partners/statistics.html", user=current_staff(), form=form, forms=forms,
                           tables=(("Month", by_month), ("Category", by_category), ("Area", by_area)),
                           chart=chart, geometry=layout(chart, "en_GB") if chart else None)


@bp.get("/statistics.csv")
@signed_in(roles=("admin",))
def statistics_csv():
    rows = db().execute(select(ReportStatistic.form, ReportStatistic.month, ReportStatistic.area,
                               ReportStatistic.category, ReportStatistic.count)
                        .order_by(ReportStatistic.form, ReportStatistic.month)).all()
    return csv_response(rows, ["form", "month", "area", "category", "count"], "sdp-statistics.csv")


class NewUserForm(SiteForm):
    email = TextField("Email address", validators=[DataRequired("Enter their email address"), Length(max=254)])
    role = SelectField("Role", choices=[("caseworker", "Caseworker"), ("lead", "Partner lead")])


@bp.route("/users", methods=["GET", "POST"])
@signed_in(roles=("lead",))
def users():
    """A partner lead manages their own partner's accounts (and nobody else's)."""
    user = current_staff()
    form = NewUserForm()
    handed = None
    if request.method == "POST" and form.validate():
        from ..report.common import email_problem
        email = form.email.data.strip().lower()
        problem = email_problem(email)
        existing = db().scalar(select(StaffUser).where(StaffUser.email == email))
        if problem or existing:
            form.email.errors.append(str(problem) if problem else "There is already an account with that email address")
        else:
            _new_user, password, secret = staff.add_account(db(), sealer(), user.email, user.partner, email,
                                                            user.partner, form.role.data)
            handed = {"title": "Account created", "email": email, "password": password, "secret": secret,
                      "uri": totp.provisioning_uri(secret, email)}
    return _users_page(user, form, handed)


def _users_page(user, form, handed=None):
    """The accounts page; `handed` is what to give someone once (a new account's password
    and authenticator secret, or a reset one), shown on this response only."""
    people = db().scalars(select(StaffUser).where(StaffUser.partner == user.partner).order_by(StaffUser.email)).all()
    return render_template("partners/users.html", user=user, form=form, people=people, handed=handed,
                           text_form=TextForm(), may_manage=staff.may_manage)


@bp.post("/users/<int:user_id>/<action>")
@signed_in(roles=("lead",))
def user_action(user_id, action):
    """Unlock, remove, or reset the password or authenticator of someone the lead may
    manage (404 for anyone else); each committed once with its audit entry. A reset ends
    every session of the account and shows what to hand over, once."""
    user = current_staff()
    target = db().get(StaffUser, user_id)
    if action not in staff.ACCOUNT_ACTIONS or not staff.may_manage(user, target):
        abort(404)
    email = target.email
    handed = staff.manage(db(), sealer(), user, target, action)
    if handed is None:
        return redirect(url_for("partners.users"))
    handed["email"] = email
    if "secret" in handed:
        handed.update(title="Authenticator reset", uri=totp.provisioning_uri(handed["secret"], email))
    else:
        handed["title"] = "Password reset"
    return _users_page(user, NewUserForm(formdata=None), handed)
