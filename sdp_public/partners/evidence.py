"""A report's files, for the partners it was routed to.

Caseworkers see each file's clean copy (images) or page previews (PDFs), made by the
evidence worker; type, size, SHA-256 of the original, scan status and when it was added.
Downloads are audited and always attachments (never shown inline, nosniff, a sandboxing
CSP). An infected file is withheld: the partner is told a file was withheld and why. The
original of an image may hold the reporter's location: downloading it is a separate
action, behind a warning, audited as such.
"""
from flask import Response, abort, render_template, stream_with_context
from ..forms import SiteForm

from ..evidence import inspect
from ..services import audit, evidence
from .access import current_staff, report_for, signed_in
from .blueprint import bp, db, sealer

STATUS_TEXT = {
    "waiting": "Waiting for the malware scan",
    "clean": "Scanned: no malware found",
    "infected": "Withheld: malware found",
    "failed": "Could not be scanned: download with care",
    "unscanned": "Not scanned (no scanner on this site)",
}


def downloadable(item):
    """Caseworkers may download a file once it is scanned clean, or on a site with no
    scanner, or when scanning gave up; never while waiting, never if infected."""
    return item.scan_status in ("clean", "unscanned", "failed")


def files_for(report):
    """What the report page shows about each file (nothing for a purged report)."""
    if report.purged:
        return []
    shown = []
    for item in report.files:
        meta = evidence.open_file(sealer(), item, report).meta
        previews = []
        if downloadable(item) and item.processing == "done":
            if meta.get("kind") in inspect.IMAGE_KINDS:
                previews = ["clean"]
            elif meta.get("kind") == "pdf":
                previews = [f"page-{n}" for n in range(1, int(meta.get("previews", 0)) + 1)]
        shown.append({"id": item.id, "name": meta.get("name", ""), "kind": meta.get("kind", ""),
                      "size": int(meta.get("size", 0)), "sha256": meta.get("sha256", ""),
                      "status": item.scan_status, "status_text": STATUS_TEXT.get(item.scan_status, item.scan_status),
                      "signature": item.scan_signature, "processing": item.processing,
                      "added": item.created_at, "later": item.added_after_sending, "previews": previews,
                      "pages": meta.get("pages"), "javascript": meta.get("javascript"),
                      "downloadable": downloadable(item), "has_original_copy": meta.get("kind") in inspect.IMAGE_KINDS})
    return shown


def _file(report, file_id):
    item = next((f for f in report.files if f.id == str(file_id)[:32]), None)
    if item is None or report.purged:
        abort(404)
    return item


def _attachment(data_iter, media_type, filename):
    response = Response(stream_with_context(data_iter), mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened anyway (a browser that ignores attachment): no scripts, no plugins, no origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


def _download_name(report, item, meta, suffix=""):
    # Never the reporter's name for the file (it is for display only, and may be hostile).
    extension = inspect.EXTENSIONS.get(meta.get("kind"), "bin")
    if suffix == "-clean" and meta.get("clean_type") == "image/png":
        extension = "png"
    elif suffix == "-clean":
        extension = "jpg"
    return f"{report.reference}-file-{item.position + 1}{suffix}.{extension}"


@bp.get("/reports/<reference>/files/<file_id>/preview/<variant>")
@signed_in(roles=("caseworker", "lead"))
def file_preview(reference, file_id, variant):
    """A clean copy or a PDF page preview: images we made ourselves, shown on the page."""
    report = report_for(current_staff(), reference)
    item = _file(report, file_id)
    if not downloadable(item) or item.processing != "done":
        abort(404)
    if variant != "clean" and not (variant.startswith("page-") and variant[5:].isdigit()):
        abort(404)
    opened = evidence.open_file(sealer(), item, report)
    if not evidence.has_variant(db(), item.id, variant):
        abort(404)
    media_type = opened.meta.get("clean_type", "image/jpeg") if variant == "clean" else "image/png"
    response = Response(evidence.read_all(db(), item.id, opened.key, variant), mimetype=media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


def _for_download(reference, file_id):
    """(user, report, file, None), or a refusal as the last item: a file still waiting or
    quarantined is never handed to a caseworker."""
    user = current_staff()
    report = report_for(user, reference)
    item = _file(report, file_id)
    if not downloadable(item):
        return user, report, item, (render_template("partners/file_withheld.html", report=report, item=item,
                                                    status_text=STATUS_TEXT.get(item.scan_status)), 403)
    return user, report, item, None


def _audited_attachment(user, report, item, opened, action, detail, variant, media_type, suffix):
    audit.record(db(), user.email, user.partner, action, report.reference, f"file {item.position + 1} ({detail})")
    db().commit()
    return _attachment(evidence.read(db(), item.id, opened.key, variant), media_type,
                       _download_name(report, item, opened.meta, suffix))


@bp.get("/reports/<reference>/files/<file_id>/download")
@signed_in(roles=("caseworker", "lead"))
def file_download(reference, file_id):
    """The file as partners should use it: an image's clean copy, else the original."""
    user, report, item, refused = _for_download(reference, file_id)
    if refused:
        return refused
    opened = evidence.open_file(sealer(), item, report)
    kind = opened.meta.get("kind")
    if kind in inspect.IMAGE_KINDS and item.processing == "done":
        variant, media_type, suffix = "clean", opened.meta.get("clean_type", "image/jpeg"), "-clean"
    elif kind in inspect.IMAGE_KINDS:
        # No clean copy (the image would not decode): only the original, behind its warning.
        return render_template("partners/file_original.html", report=report, item=item, form=SiteForm(),
                               no_clean_copy=True)
    else:
        variant, media_type, suffix = "original", inspect.MEDIA_TYPES.get(kind, "application/octet-stream"), ""
    return _audited_attachment(user, report, item, opened, "downloaded-file", variant, variant, media_type, suffix)


@bp.route("/reports/<reference>/files/<file_id>/original", methods=["GET", "POST"])
@signed_in(roles=("caseworker", "lead"))
def file_original(reference, file_id):
    """The original of an image, as the reporter sent it: a warning first, then (POST)
    the download, audited as its own action."""
    user, report, item, refused = _for_download(reference, file_id)
    if refused:
        return refused
    form = SiteForm()
    if not form.validate_on_submit():
        return render_template("partners/file_original.html", report=report, item=item, form=form)
    opened = evidence.open_file(sealer(), item, report)
    return _audited_attachment(user, report, item, opened, "downloaded-original", "original, may hold location",
                               "original", inspect.MEDIA_TYPES.get(opened.meta.get("kind"), "application/octet-stream"),
                               "-original")
