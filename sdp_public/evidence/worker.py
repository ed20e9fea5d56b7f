"""The evidence worker: scan each new file for malware, then make what partners look at.

Run beside the outbox worker: `flask --app wsgi evidence process` (a loop) or with
`--once` from a timer. Never inside a web request: a scan of a 20 MB file, an image
decode or a PDF render takes seconds and memory a web worker must not spend.

For each file still waiting (oldest first):
1. scan the original with clamd (evidence/scanner.py), streamed piece by piece from its
   sealed chunks; with no scanner configured (the embedded default) it is "unscanned".
   A scanner that cannot be reached leaves the file waiting and tries again later, then
   after MAX_ATTEMPTS says "failed" (could not be scanned).
2. an infected file is quarantined: kept sealed as evidence, nothing is made from it and
   caseworkers cannot download it.
3. otherwise: an image gets a clean copy (re-encoded, no EXIF, GPS or XMP); a PDF gets
   page previews rendered on the server; plain text needs nothing. A file that will not
   decode is "unreadable": the original is kept, sealed.
"""
import io
import logging
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select

from ..models import EvidenceFile, Report
from ..services import evidence
from . import inspect
from .scanner import CLEAN, INFECTED, Scanner

logger = logging.getLogger("sdp_public.evidence")

MAX_ATTEMPTS = 6
PREVIEW_PAGES = 5


def _backoff(attempts):
    return timedelta(minutes=min(60, 2 ** attempts))


def scanner_for(config):
    address = config.get("CLAMD_ADDRESS")
    return Scanner(address) if address else None


def pending(db, now, limit=20):
    """The next files to work on: not yet scanned, or scanned and not yet processed."""
    query = (select(EvidenceFile)
             .where(or_(EvidenceFile.scan_status == "waiting",
                        (EvidenceFile.processing == "waiting") & (EvidenceFile.scan_status != INFECTED)),
                    EvidenceFile.next_attempt_at <= now)
             .order_by(EvidenceFile.next_attempt_at).limit(limit))
    if db.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # several workers never take the same file
    return list(db.scalars(query))


def process_one(db, sealer, scanner, item, now=None):
    """Scan and process one file; commits. Returns its scan status afterwards."""
    now = now or datetime.now(timezone.utc)
    report = db.get(Report, item.report_id) if item.report_id else None
    opened = evidence.open_file(sealer, item, report)
    if item.scan_status == "waiting":
        if scanner is None:
            item.scan_status = "unscanned"
        else:
            result = scanner.scan(evidence.read(db, item.id, opened.key))
            if result.status in (CLEAN, INFECTED):
                item.scan_status, item.scan_signature = result.status, (result.signature or None)
            else:
                item.attempts += 1
                item.next_attempt_at = now + _backoff(item.attempts)
                # clamd's own size limit will refuse it every time: give up at once (and say
                # so: StreamMaxLength must be over SDP_UPLOAD_MAX_BYTES)
                if item.attempts >= MAX_ATTEMPTS or getattr(result, "detail", "") == "size limit exceeded":
                    item.scan_status = "failed"
                logger.warning("evidence: a file could not be scanned (%s), attempt %s",
                               getattr(result, "detail", "") or "no answer", item.attempts)
                db.commit()
                return item.scan_status
        if item.scan_status == INFECTED:
            logger.warning("evidence: a file was quarantined: %s", item.scan_signature)
    if item.scan_status != INFECTED and item.processing == "waiting":
        meta = dict(opened.meta)
        try:
            meta.update(_derive(db, item, opened, meta.get("kind")))
            item.processing = "done"
        except inspect.BadFile as problem:
            meta["problem"] = getattr(problem, "reason", "corrupt")
            item.processing = "unreadable"
        evidence.seal_meta(sealer, item, opened.key, meta, report)
    db.commit()
    return item.scan_status


def _derive(db, item, opened, kind):
    """Make the clean copy or previews; returns what to add to the file's meta."""
    if kind in inspect.IMAGE_KINDS:
        original = io.BytesIO(evidence.read_all(db, item.id, opened.key))
        clean = inspect.clean_image(original)
        evidence.write_variant(db, item, opened.key, "clean", clean.data)
        return {"clean_type": clean.media_type, "width": clean.width, "height": clean.height}
    if kind == "pdf":
        original = io.BytesIO(evidence.read_all(db, item.id, opened.key))
        preview = inspect.pdf_previews(original, max_pages=PREVIEW_PAGES)
        for number, image in enumerate(preview.images, start=1):
            evidence.write_variant(db, item, opened.key, f"page-{number}", image)
        return {"pages": preview.pages, "previews": len(preview.images), "javascript": bool(preview.has_javascript)}
    return {}


def process_pending(db, sealer, scanner, now=None):
    """One pass over what is waiting. Returns {"scanned": n, ...} counts by status."""
    counts = {}
    for item in pending(db, now or datetime.now(timezone.utc)):
        try:
            status = process_one(db, sealer, scanner, item, now)
        except Exception:  # noqa: BLE001 - one bad file must not stop the others
            db.rollback()
            logger.exception("evidence: processing a file failed; it will be tried again")
            with db.begin():
                fresh = db.get(EvidenceFile, item.id)
                if fresh is not None:
                    fresh.attempts += 1
                    fresh.next_attempt_at = datetime.now(timezone.utc) + _backoff(fresh.attempts)
                    if fresh.attempts >= MAX_ATTEMPTS:
                        fresh.processing = "unreadable"
            status = "error"
        counts[status] = counts.get(status, 0) + 1
    return counts


def run(sessionmaker, sealer, scanner, once=False, interval=5.0):
    while True:
        with sessionmaker() as db:
            counts = process_pending(db, sealer, scanner)
        if counts:
            logger.info("evidence: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if once:
            return counts
        time.sleep(interval)
