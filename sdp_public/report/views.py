"""The report blueprint: start page, one question per page, check answers, confirmation,
and /track for following a report up. Drives any Flow in registry.py."""
import logging
import time

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm
from limits import parse
from sqlalchemy.exc import SQLAlchemyError

from .. import csrf_tokens, drafts, i18n
from ..db import get_session
from ..extensions import client_key, csrf, limiter, post_limit
from ..public.views import render_page
from ..security import no_store
from ..services import reports
from . import recipients, registry
from .answers import summary_rows

bp = Blueprint("report", __name__)
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.add_lang)
logger = logging.getLogger("sdp_public.report")

KINDS = "<any(report, request):kind>"
_TOKEN_SLOT = "__sdp_csrf_token_slot__"


class SubmitForm(SiteForm):
    """Check answers' "Send" button: only the CSRF token."""


def _flow_or_404(kind, flow_slug):
    flow, contact_fields = registry.get(kind, flow_slug)
    if flow is None:
        abort(404)
    return flow, contact_fields


_STEP_SLOT = "sdp-step-slot"


def _step_url(flow, step, change=False):
    """A step's URL. The flow's step URL is built once per request and each step's slug put
    in its place: check answers links every answer (twenty url_for calls were a sixth of
    it). Slugs are our own lower-case words, nothing to quote."""
    key = (flow.kind, flow.slug, change)
    made = g.setdefault("sdp_step_urls", {})
    if key not in made:
        made[key] = url_for("report.step", kind=flow.kind, flow_slug=flow.slug, step_slug=_STEP_SLOT,
                            **({"change": "1"} if change else {})).partition(_STEP_SLOT)
    head, _, tail = made[key]
    return f"{head}{step.slug}{tail}"


def _too_large(form, current):
    """The draft would exceed DRAFT_MAX_BYTES: an error on this page's longest answer."""
    names = [n for n in current.answers if isinstance(form[n].data, str)] or list(current.answers)
    if not names:
        abort(413)  # a page with no answers cannot make a draft too big: only a forged draft
    longest = max(names, key=lambda n: len(form[n].data or "") if isinstance(form[n].data, str) else 0)
    form[longest].errors = [*form[longest].errors,
                            _l("Your answers are too long for us to keep. Make this answer shorter and try again.")]


@bp.get(f"/<lang>/{KINDS}/<flow_slug>/")
def start(kind, flow_slug):
    flow, _ = _flow_or_404(kind, flow_slug)
    # The same for everyone (but for the "your answers have gone" banner): rendered once.
    expired = request.args.get("expired") == "1"
    return render_page(flow.start_content, "report/start.html", cache=not expired, flow=flow,
                       first=_step_url(flow, flow.steps[0]), expired=expired)


def _may_start_a_draft():
    """Each new draft is a row in the database: one client may start DRAFT_START_LIMIT of
    them (a person starts one per report; a script starting thousands fills the disk)."""
    try:
        return limiter.limiter.hit(parse(current_app.config["DRAFT_START_LIMIT"]), "draft-start", client_key())
    except Exception:  # noqa: BLE001 - like RATELIMIT_SWALLOW_ERRORS: an outage never stops a report
        logger.warning("draft start limit not checked: the limiter's storage is unavailable")
        return True


@bp.route(f"/<lang>/{KINDS}/<flow_slug>/<step_slug>", methods=["GET", "POST"])
@csrf.exempt  # each step's SiteForm checks its own token, so a stale one keeps the answers
@post_limit(lambda: current_app.config["STEP_RATE_LIMIT"])
def step(kind, flow_slug, step_slug):
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    current = flow.step(step_slug)
    if current is None:
        abort(404)
    answers = drafts.load(flow.slug)
    change = request.args.get("change") == "1"
    visible = flow.visible(answers)
    first_open = flow.next_step(answers, visible)
    if current not in visible:
        return redirect(_step_url(flow, first_open) if first_open else url_for("report.check_answers", kind=kind, flow_slug=flow.slug))
    if not answers and current is not flow.steps[0]:
        # The draft has expired or was never started: back to the start, and say why.
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug, expired="1"))
    if first_open is not None and visible.index(current) > visible.index(first_open):
        return redirect(_step_url(flow, first_open, change))  # no skipping ahead

    form = None
    if request.method == "POST":
        form = current.form()
        # "Save and come back later": this page's answer is kept if it is valid; if not, the
        # answers so far are saved without it (and it is asked again on coming back).
        saving = request.form.get("save_later") == "1"
        valid = form.validate() & (current.cross_check is None or current.cross_check(form, answers))
        if saving and not valid and answers and "csrf_token" not in form.errors:
            return save_for_later(flow)
        if valid:
            updated = dict(answers)
            for name in current.answers:
                updated[name] = form[name].data
            if current.interruption or current.optional:
                updated[f"seen:{current.slug}"] = True
            updated.setdefault("started_at", time.time())
            if getattr(form, "website", None) is not None and form.website.data:
                updated["honeypot"] = True
            updated = flow.clean(updated)
            if not answers and not _may_start_a_draft():
                logger.info("new draft refused on %s: DRAFT_START_LIMIT reached", flow.slug)
                abort(429)
            try:
                drafts.save(flow.slug, updated)
            except drafts.DraftTooLarge:
                _too_large(form, current)  # the page again, with what they typed and why
            else:
                if saving:
                    return save_for_later(flow)
                following = flow.next_step(updated)
                if following is None:
                    return redirect(url_for("report.check_answers", kind=kind, flow_slug=flow.slug))
                return redirect(_step_url(flow, following, change))

    previous = flow.previous(current.slug, answers, visible)  # a POST that got here saved nothing
    # A question not yet answered, with no errors, looks the same to everyone but for the
    # CSRF token, or to everyone with the same context key (the consent page: the same
    # partners): render it once, then fill the token in. (GOV.UK's nested form macros are
    # most of a question page's cost.) The key says what the back link is made from, so a
    # hit builds no URL.
    blank = (request.method == "GET" and (current.context is None or current.context_key is not None)
             and not any(name in answers for name in current.answers))
    key = (request.script_root, g.lang.code, flow.slug, current.slug, change, previous.slug if previous else None,
           current.context_key(answers) if blank and current.context_key else None)
    blank_pages = current_app.extensions["sdp_blank_questions"]  # key -> page HTML with the token slot
    token = csrf_tokens.current()
    if blank and key in blank_pages:
        return blank_pages[key].replace(_TOKEN_SLOT, token)
    back = (url_for("report.check_answers", kind=kind, flow_slug=flow.slug) if change
            else _step_url(flow, previous) if previous else url_for("report.start", kind=kind, flow_slug=flow.slug))
    if form is None:  # showing the question: with the answer saved, if there is one
        form = current.form(formdata=None, data={k: v for k, v in answers.items() if k in current.answers})
    extra = current.context(answers) if current.context else {}
    html = render_template(current.template, flow=flow, step=current, form=form, back=back, exit_page=True, **extra)
    if blank and len(blank_pages) < 10_000 and html.count(token) == 1:
        blank_pages[key] = html.replace(token, _TOKEN_SLOT)
    return html


def save_for_later(flow):
    """The resume code for this browser's draft, shown once in the answer to the POST that
    made it (never stored but as a hash, never redirected through: a reload asks to send
    again, which gives a new code and spends this one)."""
    made = drafts.save_for_later(flow.slug, current_app.config["RESUME_DAYS"])
    if made is None:
        return redirect(url_for("report.start", kind=flow.kind, flow_slug=flow.slug, expired="1"))
    code, until = made
    logger.info("report: a %s draft was saved for later", flow.slug)
    from .resume import EmailCodeForm
    return render_template("report/saved.html", flow=flow, code=code, until=until,
                           email_form=EmailCodeForm(formdata=None, data={"code": code}),
                           days=current_app.config["RESUME_DAYS"], exit_page=True)


@bp.route(f"/<lang>/{KINDS}/<flow_slug>/check-answers", methods=["GET", "POST"])
@csrf.exempt
@post_limit(lambda: current_app.config["SUBMIT_RATE_LIMIT"])
def check_answers(kind, flow_slug):
    no_store()
    flow, contact_fields = _flow_or_404(kind, flow_slug)
    # One read of the draft gives both the answers and the claim that Send consumes.
    claim = drafts.claim(flow.slug)
    answers = claim.answers() if claim is not None else {}
    if not answers:
        if drafts.state(flow.slug) in ("done", "sent"):  # sent already (another tab, a double click)
            return redirect(url_for("report.confirmation", kind=kind, flow_slug=flow.slug), code=303)
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug, expired="1"))
    unanswered = flow.next_step(answers)
    if unanswered is not None:
        return redirect(_step_url(flow, unanswered))
    form = SubmitForm()
    if request.method == "POST" and form.validate():
        if answers.get("honeypot") or time.time() - answers.get("started_at", 0) < current_app.config["REPORT_MINIMUM_SECONDS"]:
            logger.warning("report: refused a %s submission that looks automated", flow.slug)
            abort(400)
        db = get_session()
        try:
            # The draft is consumed in the report's own transaction: of several Sends from
            # one draft, one stores the report and the others find it sent.
            reference, _receipt = reports.submit(
                db, flow, answers, g.lang.code, current_app.extensions["sdp_sealer"],
                current_app.extensions["sdp_router"], contact_fields, claim=claim)
        except reports.AlreadySubmitted:
            db.rollback()
            return redirect(url_for("report.confirmation", kind=kind, flow_slug=flow.slug), code=303)
        except (SQLAlchemyError, OSError):
            db.rollback()
            logger.exception("report: %s submission failed; nothing was stored", flow.slug)
            return render_template("report/submit_failed.html", flow=flow, exit_page=True), 503
        logger.info("report: %s %s submitted in %s", flow.slug, reference, g.lang.code)
        return redirect(url_for("report.confirmation", kind=kind, flow_slug=flow.slug), code=303)
    return render_template("report/check_answers.html", flow=flow, form=form, exit_page=True,
                           rows=summary_rows(flow, answers, lambda s: _step_url(flow, s, change=True)))


@bp.get(f"/<lang>/{KINDS}/<flow_slug>/confirmation")
def confirmation(kind, flow_slug):
    """The reference and receipt code, shown once (like the receipt, the reference is not
    left on a shared device): a later visit says only that the report was sent."""
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    shown = drafts.take_confirmation(flow.slug)
    if shown is None:
        state = drafts.state(flow.slug)
        if state == "sent":
            return render_template("report/confirmation.html", flow=flow, reference=None, receipt=None,
                                   exit_page=True)
        if state == "open":  # the answers changed in another tab while Send was pressed: check again
            return redirect(url_for("report.check_answers", kind=kind, flow_slug=flow.slug))
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug))
    return render_template("report/confirmation.html", flow=flow, reference=shown["reference"],
                           receipt=shown["receipt"], recipients=recipients.named(shown.get("partners") or ()),
                           exit_page=True)
