"""Photos, screenshots and documents: the GOV.UK "add another" upload, without JavaScript.

The files step (common.evidence_steps) lists what this draft holds, with a form that
uploads one file per submit and a Remove button for each; Continue goes on. The upload
body is read as a stream (werkzeug's multipart decoder, never its spooled temporary
files) and sealed piece by piece as it arrives (services/evidence.py), so a file is never
on disk or wholly in memory in the clear. Files are accepted by their content
(evidence/inspect.py), never by name or the browser's Content-Type.
"""
import io
import logging
import re
import unicodedata

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf.csrf import ValidationError, validate_csrf
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from .. import drafts
from ..db import get_session
from ..evidence import inspect
from ..extensions import csrf, limiter
from ..models import Draft, EvidenceFile, Report
from ..security import no_store
from ..services import evidence, reports
from .views import KINDS, _flow_or_404, _step_url, bp

logger = logging.getLogger("sdp_public.report")

READ = 64 * 1024
FORMS_WITH_FILES = ("hate-incident", "scam-or-cyber-fraud")  # the reports with a files step
# Shown to people: what we take, in words they know.
ACCEPTED_TEXT = _l("JPG, PNG, WebP, GIF or HEIC photo, PDF or plain text file")
# Right-to-left overrides and other invisible format characters could make a name read
# as something else ("photo\u202egpj.exe"); control characters have no place in a name.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class UploadProblem(Exception):
    def __init__(self, message, status=400):
        super().__init__(str(message))
        self.message, self.status = message, status


def display_name(filename):
    """The file name as given, for display only: no folders, no control or direction
    characters, at most 120 characters; never used as a path."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = _INVISIBLE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:120] or gettext("file")


def size_text(size):
    if size >= 1024 * 1024:
        return gettext("%(size)s MB", size=f"{size / (1024 * 1024):.1f}")
    return gettext("%(size)s KB", size=max(1, round(size / 1024)))


def max_files():
    return current_app.config["UPLOAD_MAX_FILES"]


def _open_draft(flow):
    """This browser's open draft row for the flow, or None."""
    claim = drafts.claim(flow.slug)
    return get_session().get(Draft, claim.draft_id) if claim is not None else None


def listed(draft_id):
    """[{"id", "name", "size"}] for the draft's files, in the order they were added."""
    sealer = current_app.extensions["sdp_sealer"]
    rows = []
    for item in evidence.files_of_draft(get_session(), draft_id):
        meta = evidence.open_file(sealer, item).meta
        rows.append({"id": item.id, "name": meta.get("name", ""), "size": size_text(int(meta.get("size", 0)))})
    return rows


def _draft_files(flow):
    claim = drafts.claim(flow.slug)
    return listed(claim.draft_id) if claim is not None else []


def page_context(flow):
    """The files step's template variables (its Step.context)."""
    files = _draft_files(flow)
    uploaded = next((f["name"] for f in files if f["id"] == request.args.get("uploaded")), None)
    return {"files": files, "max_files": max_files(), "accepted": ACCEPTED_TEXT, "uploaded": uploaded,
            "removed": request.args.get("removed") == "1",
            "max_size": size_text(current_app.config["UPLOAD_MAX_BYTES"]),
            "upload_url": url_for("report.upload_file", kind=flow.kind, flow_slug=flow.slug)}


def summary(flow):
    """Check answers' lines for the files step (its Step.summary): each file's name and size."""
    return [(None, [f"{f['name']} ({f['size']})" for f in _draft_files(flow)] or [gettext("No files added")])]


def _files_page(flow, problem, status):
    current = flow.step("files")
    context = page_context(flow)
    back = _step_url(flow, flow.previous("files", drafts.load(flow.slug)) or flow.steps[0])
    errors = {"file": [problem]}
    return render_template(current.template, flow=flow, step=current, back=back, exit_page=True,
                           errors=errors, **context), status


def _stream_upload(db, owner, limit):
    """Read the multipart body: the CSRF token first, then one file, sealed as it arrives.
    `owner` is {"draft_id": ...} or {"report": ...}. Returns (EvidenceFile, key, Writer,
    display name); raises UploadProblem."""
    boundary = request.mimetype_params.get("boundary", "")
    if request.mimetype != "multipart/form-data" or not boundary or len(boundary) > 200:
        raise UploadProblem(_l("Select a file to upload"))
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"), max_form_memory_size=READ * 2, max_parts=8)
    stream = request.stream
    fields, part, made = {}, None, None
    done = False
    while not done:
        data = stream.read(READ)
        decoder.receive_data(data or None)
        while True:
            event = decoder.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, Epilogue):
                done = True
                break
            if isinstance(event, Field):
                part = ("field", event.name, bytearray())
            elif isinstance(event, File):
                if event.name != "file" or made is not None:
                    raise UploadProblem(_l("Select one file to upload"))
                try:  # the token comes first in the form: nothing is written for a forged request
                    validate_csrf(fields.get("csrf_token", ""))
                except ValidationError as exc:
                    raise UploadProblem(_l("This page was open for too long. Select the file and upload it again.")) from exc
                if not event.filename:
                    part = ("skip", None, None)
                    continue
                # The owner's row is locked before anything refers to it: the count below
                # stays true until commit, and two tabs wait their turn (taken after the
                # foreign key's share lock instead, two uploads would deadlock).
                lock(db, owner)
                position = held(db, owner)
                if position >= max_files():
                    raise UploadProblem(_l("You can add up to %(count)s files", count=max_files()))
                row, key = evidence.new(position=position, **owner)
                db.add(row)
                db.flush()
                # the first 256 KB stay in memory for the header checks (an image's size)
                made = (row, key, evidence.Writer(db, row.id, key, limit=limit, keep=256 * 1024),
                        display_name(event.filename))
                part = ("file", None, None)
            elif isinstance(event, Data):
                kind, name, buffer = part
                if kind == "field":
                    buffer += event.data
                    if len(buffer) > 4096:
                        raise UploadProblem(_l("Select a file to upload"))
                    if not event.more_data:
                        fields[name] = buffer.decode("utf-8", "replace")
                elif kind == "file":
                    try:
                        made[2].write(event.data)
                    except evidence.TooLarge as exc:
                        raise UploadProblem(_l("The selected file must be smaller than %(size)s",
                                               size=size_text(limit)), 413) from exc
        if not data:
            done = True
    if made is None:
        raise UploadProblem(_l("Select a file to upload"))
    return made


def lock(db, owner):
    """Lock the draft's or report's row until commit (PostgreSQL; SQLite writes one at a time)."""
    if "draft_id" in owner:
        db.execute(select(Draft.id).where(Draft.id == owner["draft_id"]).with_for_update())
    else:
        db.execute(select(Report.id).where(Report.id == owner["report"].id).with_for_update())


def held(db, owner):
    """How many files the draft or report holds now."""
    column, value = ((EvidenceFile.draft_id, owner["draft_id"]) if "draft_id" in owner
                     else (EvidenceFile.report_id, owner["report"].id))
    return db.scalar(select(func.count()).select_from(EvidenceFile).where(column == value))


def receive(db, owner):
    """Stream, seal and check one uploaded file for `owner`, leaving it in the Session
    (the caller commits). Returns (row, key, meta); UploadProblem for anything refused."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    # This route alone may carry a file: its own body limit (a little over the file's, for
    # the form's framing); every other route keeps MAX_CONTENT_LENGTH.
    request.max_content_length = limit + 64 * 1024
    too_big = UploadProblem(_too_big(), 413)
    try:
        row, key, writer, name = _stream_upload(db, owner, limit)
    except RequestEntityTooLarge as exc:
        raise too_big from exc
    except ValueError as exc:  # a malformed multipart body
        raise UploadProblem(_l("Select a file to upload")) from exc
    writer.close()
    meta = {"name": name, "kind": _check_content(writer), "size": writer.size, "sha256": writer.sha256.hexdigest()}
    return row, key, meta


def _check_content(writer):
    """The kind of file, from its content; UploadProblem for anything we do not take."""
    if writer.size == 0:
        raise UploadProblem(_l("The selected file is empty"))
    kind = inspect.sniff(writer.head[:evidence.HEAD])
    if kind is None:
        raise UploadProblem(_l("The selected file must be a %(accepted)s", accepted=ACCEPTED_TEXT))
    if kind in inspect.IMAGE_KINDS:
        try:  # the header only: absurd dimensions are refused before anything decodes them
            inspect.image_size(io.BytesIO(writer.head))
        except inspect.BadFile as exc:
            if exc.reason == "too-large":
                raise UploadProblem(_l("The selected image is too big to open. Take a screenshot of it, or send a smaller copy.")) from exc
            raise UploadProblem(_l("The selected file could not be opened. Check it is a %(accepted)s.",
                                   accepted=ACCEPTED_TEXT)) from exc
    return kind


def _refused_by_the_proxy():
    """nginx refused a body over its own limit and asks this address again with GET,
    marked (deploy/nginx.conf): say so on the page, in the reader's language."""
    return request.method == "GET" and request.headers.get("X-SDP-Upload-Too-Large") == "1"


def _too_big():
    return _l("The selected file must be smaller than %(size)s", size=size_text(current_app.config["UPLOAD_MAX_BYTES"]))


@bp.route(f"/<lang>/{KINDS}/<flow_slug>/files/upload", methods=["GET", "POST"])
@csrf.exempt  # the token is checked in the body's stream, before any file byte is kept
@limiter.limit(lambda: current_app.config["STEP_RATE_LIMIT"])
def upload_file(kind, flow_slug):
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    if flow.step("files") is None:
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug))
    if request.method == "GET":
        if _refused_by_the_proxy() and _open_draft(flow) is not None:
            return _files_page(flow, _too_big(), 413)
        return redirect(_step_url(flow, flow.step("files")))
    db = get_session()
    draft = _open_draft(flow)
    if draft is None:
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug, expired="1"))
    owner = {"draft_id": draft.id}
    try:
        row, key, meta = receive(db, owner)
        evidence.seal_meta(current_app.extensions["sdp_sealer"], row, key, meta)
        # Two tabs uploading at once: the count is checked again just before committing.
        if held(db, owner) > max_files():
            raise UploadProblem(_l("You can add up to %(count)s files", count=max_files()))
        db.commit()
    except UploadProblem as problem:
        db.rollback()
        return _files_page(flow, problem.message, problem.status)
    except SQLAlchemyError:
        db.rollback()
        logger.exception("report: a file could not be stored on a %s draft", flow.slug)
        return _files_page(flow, _l("Sorry, the file could not be saved. Try again."), 503)
    logger.info("report: a file was added to a %s draft", flow.slug)
    # The banner names the file from its sealed row: never the name in a cookie or a URL.
    return redirect(_step_url(flow, flow.step("files")) + f"?uploaded={row.id}", code=303)


@bp.route("/<lang>/track/files", methods=["GET", "POST"])
@csrf.exempt  # the token is checked in the body's stream, before any file byte is kept
@limiter.limit(lambda: current_app.config["STEP_RATE_LIMIT"])
def track_upload():
    """A file added after sending, from the track page: under the same limits, told to
    the partners like any other addition."""
    from . import track
    no_store()
    report = track.tracked_report()
    if report is None:
        return redirect(url_for("report.track"))
    if report.form not in FORMS_WITH_FILES or report.purged:
        return redirect(url_for("report.track_status"))
    if request.method == "GET":
        if _refused_by_the_proxy():
            return track.status_page(report, upload_error=_too_big(), status=413)
        return redirect(url_for("report.track_status"))
    db = get_session()
    try:
        row, key, meta = receive(db, {"report": report})
        reports.add_file(db, report, row, key, meta, current_app.extensions["sdp_sealer"], max_files())
    except (UploadProblem, reports.AdditionLimit) as problem:
        db.rollback()
        message = problem.message if isinstance(problem, UploadProblem) else \
            _l("You can add up to %(count)s files", count=max_files())
        return track.status_page(report, upload_error=message,
                                 status=getattr(problem, "status", 400))
    except SQLAlchemyError:
        db.rollback()
        logger.exception("track: a file could not be added to a report")
        return track.status_page(report, upload_error=_l("Sorry, the file could not be saved. Try again."), status=503)
    logger.info("track: a file was added to %s", report.reference)
    return redirect(url_for("report.track_status", file_added="1"), code=303)


@bp.post(f"/<lang>/{KINDS}/<flow_slug>/files/<file_id>/remove")
@limiter.limit(lambda: current_app.config["STEP_RATE_LIMIT"])
def remove_file(kind, flow_slug, file_id):
    """Remove one of this draft's files (its sealed pieces go with it)."""
    no_store()
    flow, _ = _flow_or_404(kind, flow_slug)
    draft = _open_draft(flow)
    if draft is None or flow.step("files") is None:
        return redirect(url_for("report.start", kind=kind, flow_slug=flow.slug, expired="1"))
    db = get_session()
    row = db.get(EvidenceFile, file_id[:32])
    if row is not None and row.draft_id == draft.id:
        db.delete(row)
        db.commit()
        return redirect(_step_url(flow, flow.step("files")) + "?removed=1", code=303)
    return redirect(_step_url(flow, flow.step("files")), code=303)
