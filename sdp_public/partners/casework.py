"""A report and what a caseworker does with it. Each action is one form -> one call of
the report service (services/reports.py) -> a redirect back to the report."""
from flask import abort, redirect, render_template, url_for
from ..forms import SiteForm
from wtforms import SelectField
from wtforms.validators import DataRequired, Length

from ..models import StaffUser
from ..report import registry
from ..report.answers import describe
from ..report.fields import LongTextField
from ..services import reports
from . import evidence, language, replies
from .access import current_staff, report_for, signed_in
from .blueprint import bp, db, router, sealer
from .words import STATUS_NAMES


class TextForm(SiteForm):
    text = LongTextField("Text", validators=[DataRequired("Enter some text"), Length(max=5000)])


class StatusForm(SiteForm):
    status = SelectField("Status", choices=list(STATUS_NAMES.items()))


class ReferForm(SiteForm):
    partner = SelectField("Refer to", choices=[])
    reason = LongTextField("Reason", validators=[DataRequired("Give a reason for the referral"), Length(max=2000)])


class AssignForm(SiteForm):
    assignee = SelectField("Assign to", choices=[])


def refer_choices(user):
    return [(p.slug, p.name) for p in router().partners.values() if p.slug != user.partner]


def assign_choices(report, user):
    return [("", "Nobody (unassigned)")] + [(str(person.id), person.email)
                                          for person in reports.assignable(db(), report, user.partner)]


def _flow_of(report):
    return next((flow for (_kind, slug), (flow, _fields) in registry.FLOWS.items() if slug == report.form), None)


@bp.get("/reports/<reference>")
@signed_in(roles=("caseworker", "lead"))
def report(reference):
    user = current_staff()
    return _report_page(user, report_for(user, reference))


def _report_page(user, report, reply_form=None, status=200):
    """The report page; again with a reply's errors (`reply_form`) when a message was refused."""
    answers, contact, opened = reports.open_report(db(), report, user, sealer())
    flow = _flow_of(report)
    rows = []
    if flow is not None:
        for step in flow.visible(answers):
            if not step.interruption:
                described = describe(step, answers)
                if described:
                    rows.append((step.title, described))
    refer = ReferForm()
    refer.partner.choices = refer_choices(user)
    assign = AssignForm(data={"assignee": str(report.assigned_to_id or "")})
    assign.assignee.choices = assign_choices(report, user)
    return render_template("partners/report.html", user=user, report=report, rows=rows, contact=contact,
                           timeline=replies.timeline(report, opened),
                           refer=refer, status_form=StatusForm(data={"status": report.status}),
                           text_form=TextForm(), assign_form=assign,
                           reply_form=reply_form or replies.ReplyForm(formdata=None),
                           template_previews=replies.template_previews(),
                           reporter_language=language.of(report, contact),
                           partners=router().partners, purged=report.purged,
                           files=evidence.files_for(report)), status


def _back(report):
    return redirect(url_for("partners.report", reference=report.reference))


def _valid(form):
    if not form.validate():
        abort(400)  # only a hand-made request gets here: the page's own forms always validate
    return form


@bp.post("/reports/<reference>/acknowledge")
@signed_in(roles=("caseworker", "lead"))
def acknowledge(reference):
    report = report_for(current_staff(), reference)
    reports.acknowledge(db(), report, current_staff())
    return _back(report)


@bp.post("/reports/<reference>/status")
@signed_in(roles=("caseworker", "lead"))
def change_status(reference):
    report = report_for(current_staff(), reference)
    reports.set_status(db(), report, current_staff(), _valid(StatusForm()).status.data)
    return _back(report)


@bp.post("/reports/<reference>/note")
@signed_in(roles=("caseworker", "lead"))
def add_note(reference):
    report = report_for(current_staff(), reference)
    reports.add_note(db(), report, current_staff(), _valid(TextForm()).text.data, sealer())
    return _back(report)


@bp.post("/reports/<reference>/message")
@signed_in(roles=("caseworker", "lead"))
def message_reporter(reference):
    """A message the reporter reads at /track (a reply template in their language, or free
    text marked as English); emailed as "you have a new message" if they gave an email."""
    user = current_staff()
    report = report_for(user, reference)
    form = replies.ReplyForm()
    if not form.validate():
        return _report_page(user, report, reply_form=form, status=400)
    reports.message_reporter(db(), report, user, replies.message_from_form(form), sealer())
    return _back(report)


@bp.post("/reports/<reference>/refer")
@signed_in(roles=("caseworker", "lead"))
def refer(reference):
    user = current_staff()
    report = report_for(user, reference)
    form = ReferForm()
    form.partner.choices = refer_choices(user)
    _valid(form)
    reports.refer(db(), report, user, form.partner.data, form.reason.data, router(), sealer())
    return _back(report)


@bp.post("/reports/<reference>/assign")
@signed_in(roles=("caseworker", "lead"))
def assign(reference):
    user = current_staff()
    report = report_for(user, reference)
    form = AssignForm()
    form.assignee.choices = assign_choices(report, user)
    _valid(form)
    assignee = db().get(StaffUser, int(form.assignee.data)) if form.assignee.data else None
    reports.assign(db(), report, user, assignee)
    return _back(report)
