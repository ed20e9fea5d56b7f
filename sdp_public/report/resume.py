"""Coming back to saved answers, and keeping the receipt code.

/<lang>/report/resume takes a resume code ("Save and come back later", see drafts.py) and
reopens its draft in this browser, at the first question not yet answered, in the reader's
current language. Wrong codes are limited per client like /track's look-ups (only failed
attempts count). A code that was used, replaced or whose draft has gone, and one past its
days, each say so; none of them says anything about the answers.

/<lang>/<kind>/<flow>/receipt-check is the optional "check you have saved it" step after a
confirmation: the last 4 characters of the receipt code, checked against a sealed copy of
those 4 only; the code itself is never shown again.
"""
from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from ..forms import SiteForm

from .. import drafts
from ..extensions import csrf, post_limit
from ..security import no_store
from . import registry
from .common import email_problem
from .fields import text_field
from .views import KINDS, _flow_or_404, _step_url, bp

REFUSED = {
    "wrong": _l("This code does not match any saved answers. Check it and try again."),
    "used": _l("This code has already been used, so it cannot open any answers now. Each code works only once. "
               "If you have a newer code, enter that one. If not, you need to start again."),
}


class ResumeForm(SiteForm):
    code = text_field(_l("Your code"), 60, _l("Enter the code you were given when you saved your answers"))


class EmailCodeForm(SiteForm):
    """"Email me this code" on the page that shows a resume code: the page posts the code
    back (it is on the reader's screen already) with the address they choose."""
    code = text_field(_l("Your code"), 60, _l("Enter the code you were given when you saved your answers"))
    email = text_field(_l("Email address"), 254, _l("Enter your email address"))


class ReceiptCheckForm(SiteForm):
    last_four = text_field(_l("The last 4 characters of your receipt code"), 20,
                           _l("Enter the last 4 characters of your receipt code"))


def _failed(response):
    """Only wrong attempts count against RESUME_RATE_LIMIT: a person who gets it right is
    not held back, a script guessing codes is."""
    return response.status_code != 303


def _flow_of(form_slug):
    return next((flow for (_kind, slug), (flow, _c) in registry.FLOWS.items() if slug == form_slug), None)


@bp.route("/<lang>/report/resume", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token
@post_limit(lambda: current_app.config["RESUME_RATE_LIMIT"], deduct_when=_failed)
def resume():
    no_store()
    form = ResumeForm()
    if request.method == "POST" and form.validate():
        outcome, form_slug = drafts.resume(form.code.data)
        flow = _flow_of(form_slug) if outcome == "resumed" else None
        if flow is not None:
            answers = drafts.load(flow.slug)
            following = flow.next_step(answers)
            target = (_step_url(flow, following) if following is not None
                      else url_for("report.check_answers", kind=flow.kind, flow_slug=flow.slug))
            return redirect(target, code=303)
        form.code.errors.append(
            gettext("This code has expired. Saved answers are deleted after %(days)d days, so you need to start again.",
                    days=current_app.config["RESUME_DAYS"]) if outcome == "expired"
            else REFUSED.get(outcome, REFUSED["wrong"]))
    return render_template("report/resume.html", form=form, exit_page=True)


@bp.post(f"/<lang>/{KINDS}/<flow_slug>/saved/email")
@csrf.exempt  # the form checks its own token
@post_limit(lambda: current_app.config["RESUME_EMAIL_LIMIT"])
def email_resume_code(kind, flow_slug):
    """Queue an email of the resume code just shown, then show the same page again with
    the code (still the only place it is shown) and where it is going."""
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    form = EmailCodeForm()
    valid = form.validate()
    until = drafts.resume_code_until(form.code.data or "")
    if until is None:  # spent, expired or never a code: nothing to email, nothing to show
        return redirect(url_for("report.resume"), code=303)
    problem = email_problem(form.email.data.strip()) if valid else None
    if problem:
        form.email.errors.append(problem)
    emailed = None
    if valid and not problem:
        drafts.email_resume_code(form.code.data, form.email.data.strip(), g.lang.code)
        emailed = form.email.data.strip()
    return render_template("report/saved.html", flow=flow, code=form.code.data, until=until, email_form=form,
                           emailed=emailed, days=current_app.config["RESUME_DAYS"], exit_page=True)


@bp.route(f"/<lang>/{KINDS}/<flow_slug>/receipt-check", methods=["GET", "POST"])
@csrf.exempt
@post_limit(lambda: current_app.config["RESUME_RATE_LIMIT"], deduct_when=_failed)
def receipt_check(kind, flow_slug):
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    checked = request.args.get("checked") == "1"
    if not checked and not drafts.receipt_check(flow.slug):
        return redirect(url_for("report.confirmation", kind=kind, flow_slug=flow.slug))
    form = ReceiptCheckForm()
    if request.method == "POST" and form.validate():
        if drafts.check_receipt_tail(flow.slug, form.last_four.data):
            return redirect(url_for("report.receipt_check", kind=kind, flow_slug=flow.slug, checked="1"), code=303)
        form.last_four.errors.append(_l("These are not the last 4 characters of your receipt code. "
                                        "Check where you saved it and try again."))
    return render_template("report/receipt_check.html", flow=flow, form=form, checked=checked, exit_page=True)


@bp.post(f"/<lang>/{KINDS}/<flow_slug>/receipt-check/skip")
def receipt_check_skip(kind, flow_slug):
    """Skip the check: nothing of the receipt code is kept any more."""
    flow, _ = _flow_or_404(kind, flow_slug)
    drafts.forget_receipt_check(flow.slug)
    return redirect(url_for("public.home"), code=303)
