"""Follow up a report at /<lang>/track with its reference and receipt code.

No account and no name: the receipt code (shown once, stored only as a slow hash) is the
key. Guessing is limited per client, and a wrong reference costs the same time as a
wrong code, so the page does not reveal which references exist.

"Add to my report" is bounded: TRACK_ADD_LIMIT additions per report in all and
TRACK_ADD_SESSION_LIMIT per sign-in (counted in the database from the sign-in's time, so a
replayed cookie does not reset it), and partners get one email per batch of additions.
"""
import time
from datetime import datetime, timezone

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from ..forms import SiteForm

from .. import replies
from ..db import get_session
from ..extensions import csrf, post_limit
from ..models import Report
from ..security import no_store
from ..services import codes, reports
from .fields import long_text_field, text_field
from .views import bp

SESSION_KEY = "tracking"
TRACK_MINUTES = 30
STATUS_LABELS = {
    "new": _l("Received"), "acknowledged": _l("Seen by the team dealing with it"),
    "in-progress": _l("Being dealt with"), "referred": _l("Passed to another organisation"),
    "closed": _l("Closed"),
}

LIMIT_MESSAGES = {
    "report": _l("You cannot add any more information to this report online. If you have more to tell us, make a new report."),
    "session": _l("You have added information several times already. To add more, come back later and find your report again with its reference and receipt code."),
}


RECEIPT_PASTED = _l("Your message includes your receipt code. Take the code out: we never need it, and it is safer kept to yourself.")


class TrackForm(SiteForm):
    reference = text_field(_l("Reference"), 40, _l("Enter your reference"))
    receipt = text_field(_l("Receipt code"), 60, _l("Enter your receipt code"))


class AddInformationForm(SiteForm):
    information = long_text_field(_l("Add information to your report"), 5000, _l("Enter the information you want to add"))


def tracked_report():
    """The report this browser proved it holds the receipt for, in the last 30 minutes."""
    held = session.get(SESSION_KEY)
    if not held or held.get("until", 0) < time.time():
        session.pop(SESSION_KEY, None)
        return None
    return get_session().get(Report, held["report"])


@bp.route("/<lang>/track", methods=["GET", "POST"])
@csrf.exempt
@post_limit(lambda: current_app.config["TRACK_RATE_LIMIT"])
def track():
    no_store()
    form = TrackForm()
    if request.method == "POST" and form.validate():
        report = reports.find(get_session(), form.reference.data)
        if codes.check_receipt(form.receipt.data, report.receipt_hash if report else None):
            now = time.time()
            session[SESSION_KEY] = {"report": report.id, "since": now, "until": now + TRACK_MINUTES * 60}
            return redirect(url_for("report.track_status"), code=303)
        form.receipt.errors.append(_l("The reference and receipt code do not match a report. Check them and try again."))
    return render_template("report/track.html", form=form, exit_page=True)


@bp.route("/<lang>/track/report", methods=["GET", "POST"])
@csrf.exempt
def track_status():
    no_store()
    report = tracked_report()
    if report is None:
        return redirect(url_for("report.track"))
    form = AddInformationForm()
    added = request.args.get("added") == "1"
    if request.method == "POST" and form.validate():
        if codes.contains_receipt(form.information.data, report.receipt_hash):
            # pasted by mistake: the code would go to the partners and sit in the report
            form.information.errors.append(RECEIPT_PASTED)
        else:
            held = session[SESSION_KEY]
            try:
                reports.add_information(
                    get_session(), report, form.information.data, current_app.extensions["sdp_sealer"],
                    limit=current_app.config["TRACK_ADD_LIMIT"],
                    session_limit=current_app.config["TRACK_ADD_SESSION_LIMIT"],
                    # a sign-in from before "since" was kept counts from its start: 30 minutes ago at most
                    since=datetime.fromtimestamp(held.get("since", held["until"] - TRACK_MINUTES * 60), timezone.utc))
            except reports.AdditionLimit as reached:
                form.information.errors.append(LIMIT_MESSAGES[reached.scope])
            else:
                return redirect(url_for("report.track_status", added="1"), code=303)
    return status_page(report, form, added=added)


def status_page(report, form=None, added=False, upload_error=None, status=200):
    """The tracked report's page: status, messages, and the forms to add to it."""
    from . import files
    form = form or AddInformationForm(formdata=None)
    added_count = sum(1 for e in report.events if e.kind == "reporter-information")
    sealer = current_app.extensions["sdp_sealer"]
    # Templates are rendered in this page's language, not the report's: the reader picked it
    # (the address, or the language switcher on this very page), and a message in another
    # language than the page around it would be the one thing they could not read. Most
    # readers never switch, so this is the report's language for them anyway; the email,
    # which has no page, uses the report's language (services/outbox.py).
    messages = []
    for e in report.events:
        if e.kind == "message-to-reporter" and e.sealed_body:
            shown = replies.render(report.open(sealer, "event", e.sealed_body))
            if shown is None:
                current_app.logger.warning("track: a message on %s could not be shown", report.reference)
                continue
            messages.append({"sent": e.created_at, "text": shown[0], "lang": shown[1]})
    file_count = len(report.files)
    return render_template("report/track_status.html", report=report, form=form, added=added, added_count=added_count,
                           messages=messages, file_added=request.args.get("file_added") == "1",
                           upload_error=upload_error, file_count=file_count, max_files=files.max_files(),
                           accepted=files.ACCEPTED_TEXT,
                           max_size=files.size_text(current_app.config["UPLOAD_MAX_BYTES"]),
                           takes_files=report.form in files.FORMS_WITH_FILES,
                           status=STATUS_LABELS.get(report.status, report.status), exit_page=True), status


@bp.post("/<lang>/track/finish")
def track_finish():
    session.pop(SESSION_KEY, None)
    return redirect(url_for("public.home"), code=303)
