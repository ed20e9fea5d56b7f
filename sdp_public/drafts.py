"""Server-side drafts for multi-page forms: the session cookie carries only an id.

A draft's answers are sealed with the report keys (services/sealing.py), bound to the
draft's id, so the `draft` table holds no answer in clear: not while someone is typing,
not after they give up, and not in a database file, WAL, dead tuple or backup.

After Send the same row is consumed in the submit transaction (a compare-and-set on its
state and sealed value, so exactly one Send wins) and holds the sealed reference and
receipt code until the confirmation page shows them once; then only the fact that it was
sent is kept (with the receipt code's last 4 characters, sealed, for the optional "check
you have saved it" step), until the draft expires.

"Save and come back later" gives a one-time resume code (services/codes.py: the receipt
code's format and strength, stored only as its SHA-256 in `resume_code`). Saving takes the
draft out of this browser's session (a shared device keeps nothing) and keeps it for
RESUME_DAYS; resuming moves the answers to a draft with a new id in the resuming browser,
so no old copy of any cookie opens them again, and spends the code.
"""
import hmac
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from flask import current_app, g, session
from sqlalchemy import bindparam, delete, insert, select, update

from .db import Lean, get_session, read_one, write_one
from .models import Draft, OutboxMessage, ResumeCode
from .services import codes, evidence

SESSION_KEY = "drafts"
DONE = ":done"   # a draft that was sent: holds the sealed reference and receipt code
SENT = ":sent"   # ... whose confirmation was shown: holds nothing (or the receipt's last 4, sealed)
RESUME_GRACE = timedelta(days=30)  # a spent or expired code's row, kept to say so, then purged


class DraftTooLarge(ValueError):
    """The answers would make the draft bigger than DRAFT_MAX_BYTES; nothing was saved."""


def _now():
    return datetime.now(timezone.utc)


def _aware(moment):
    # SQLite hands back naive datetimes even for timezone=True columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def context(draft_id):
    """The associated data a draft is sealed with: a sealed value moved to another row fails."""
    return f"draft:{draft_id}"


def _sealer():
    return current_app.extensions["sdp_sealer"]


class _Row(NamedTuple):
    """What a request needs of a draft row: read with one Core statement (an ORM load of
    the same row cost more than the rest of a question page)."""
    id: str
    form: str
    sealed: str
    expires_at: datetime


_DRAFTS = Draft.__table__
# Built once, with bound parameters: building a statement per request costs more than running it.
# Lean (db.py): run on the DB-API cursor when they are the request's only statements.
_READ = Lean(select(_DRAFTS.c.id, _DRAFTS.c.form, _DRAFTS.c.sealed, _DRAFTS.c.expires_at)
             .where(_DRAFTS.c.id == bindparam("id")))
_UPDATE = Lean(update(_DRAFTS).where(_DRAFTS.c.id == bindparam("draft_id"))
               .values(sealed=bindparam("sealed"), updated_at=bindparam("updated_at"), expires_at=bindparam("expires_at")))
_SHOWN = Lean(update(_DRAFTS).where(_DRAFTS.c.id == bindparam("draft_id"), _DRAFTS.c.form == bindparam("done"))
              .values(form=bindparam("sent"), sealed=bindparam("tail")))
_INSERT = insert(_DRAFTS)
# Send's claim (in its transaction): only the open draft holding exactly what was read.
_TAKE = (update(_DRAFTS).where(_DRAFTS.c.id == bindparam("draft_id"), _DRAFTS.c.form == bindparam("open"),
                               _DRAFTS.c.sealed == bindparam("read"))
         .values(form=bindparam("done"), sealed=bindparam("shown")))
_KEEP = update(_DRAFTS).where(_DRAFTS.c.id == bindparam("draft_id")).values(sealed=bindparam("shown"))


def _row(form):
    """This browser's live draft row for `form` (any state), or None. Read once per
    request: the same request's writes here keep it current (_remember, _forget)."""
    draft_id = session.get(SESSION_KEY, {}).get(form)
    if not draft_id:
        return None
    known = g.setdefault("sdp_drafts", {})
    if draft_id not in known:
        found = read_one(_READ, {"id": draft_id})
        known[draft_id] = _Row(*found) if found is not None else None
    draft = known[draft_id]
    if draft is None or draft.form.split(":")[0] != form.split(":")[0] or _aware(draft.expires_at) <= _now():
        return None
    return draft


def _remember(row):
    g.setdefault("sdp_drafts", {})[row.id] = row


def _forget(*draft_ids):
    known = g.get("sdp_drafts") or {}
    for draft_id in draft_ids:
        known.pop(draft_id, None)


def load(form):
    """The current draft's answers for this form (a new empty dict if none, expired or sent)."""
    draft = _row(form)
    if draft is None or draft.form != form or not draft.sealed:
        return {}
    return dict(_sealer().unseal(draft.sealed, context(draft.id)))


def state(form):
    """"open", "done" (sent, confirmation not yet shown), "sent" (shown) or None."""
    draft = _row(form)
    if draft is None:
        return None
    return {form: "open", form + DONE: "done", form + SENT: "sent"}.get(draft.form)


def seal_answers(sealer, draft_id, answers, max_bytes):
    """The sealed value for a draft's answers; DraftTooLarge if they exceed `max_bytes`."""
    plain = json.dumps(answers, ensure_ascii=False, separators=(",", ":")).encode()
    if len(plain) > max_bytes:
        raise DraftTooLarge(f"draft of {len(plain)} bytes is over the {max_bytes}-byte limit")
    return sealer.seal_bytes(plain, context(draft_id))


def save(form, answers):
    """Store the answers sealed, extending the draft's life; creates the draft on first save.
    One statement, a transaction by itself: the row this request read is updated in place.

    Raises DraftTooLarge (before changing anything) if they would exceed DRAFT_MAX_BYTES."""
    draft = _row(form)
    now = _now()
    lifetime = timedelta(hours=current_app.config["DRAFT_LIFETIME_HOURS"])
    replaced = None
    if draft is not None and draft.form != form:
        replaced, draft = draft.id, None  # a sent report's row: a new draft of the same form replaces it
    new_id = draft.id if draft is not None else secrets.token_urlsafe(32)
    sealed = seal_answers(_sealer(), new_id, dict(answers), current_app.config["DRAFT_MAX_BYTES"])
    # never shorter than it was: a draft saved for later keeps its RESUME_DAYS
    expires_at = max(now + lifetime, _aware(draft.expires_at)) if draft is not None else now + lifetime
    if draft is None:
        db = get_session()
        connection = db.connection()
        if replaced:
            connection.execute(delete(_DRAFTS).where(_DRAFTS.c.id == replaced))
            _forget(replaced)
        connection.execute(_INSERT, {"id": new_id, "form": form, "sealed": sealed, "created_at": now, "updated_at": now,
                                     "expires_at": expires_at})
        db.commit()
        ids = dict(session.get(SESSION_KEY, {}))
        ids[form] = new_id
        session[SESSION_KEY] = ids
    else:
        # Last word wins, as the answers are this browser's own (two tabs: the later save).
        write_one(_UPDATE, {"draft_id": new_id, "sealed": sealed, "updated_at": now, "expires_at": expires_at})
    _remember(_Row(new_id, form, sealed, expires_at))


class Claim:
    """Consumes one open draft inside the submit transaction (services/reports.py calls
    take() before storing the report and done() after): no Flask state, only the Session."""

    def __init__(self, sealer, draft_id, form, sealed):
        self.sealer, self.draft_id, self.form, self.sealed = sealer, draft_id, form, sealed

    def answers(self):
        """The answers this claim would send: unsealed from the very value take() compares,
        so what is checked, shown and stored is one read of the draft, never two."""
        return dict(self.sealer.unseal(self.sealed, context(self.draft_id)))

    def take(self, db, reference, receipt, partners=()):
        """Compare-and-set: the draft still open with exactly the answers we are sending
        becomes the sent draft, holding the reference, receipt and the partners it went to
        (slugs), sealed, for the one confirmation page. False if another Send (or another
        tab) got there first."""
        changed = db.connection().execute(_TAKE, {"draft_id": self.draft_id, "open": self.form, "read": self.sealed,
                                                  "done": self.form + DONE,
                                                  "shown": self._shown(reference, receipt, partners)}).rowcount
        return changed == 1

    def done(self, db, reference, receipt, partners=()):
        """The report took another reference than the one take() kept: keep this one."""
        db.connection().execute(_KEEP, {"draft_id": self.draft_id, "shown": self._shown(reference, receipt, partners)})

    def _shown(self, reference, receipt, partners):
        return self.sealer.seal({"reference": reference, "receipt": receipt, "partners": list(partners)},
                                context(self.draft_id))


def claim(form):
    """A Claim on this browser's open draft for `form`, or None if there is none.

    Read the answers from the claim (Claim.answers), not from a separate load(): the
    Session's identity map holds rows weakly, so a second read may see another Send's
    commit and find no open draft, and a Send without its claim would not be guarded."""
    draft = _row(form)
    if draft is None or draft.form != form or not draft.sealed:
        return None
    return Claim(_sealer(), draft.id, form, draft.sealed)


def take_confirmation(form):
    """The sent report's {"reference", "receipt", "partners"} the first time it is asked for; after that
    the row keeps nothing but the fact that it was sent (see state())."""
    draft = _row(form)
    if draft is None or draft.form != form + DONE:
        return None
    shown = {}
    if draft.sealed:
        shown = _sealer().unseal(draft.sealed, context(draft.id))
    # Only the receipt's last 4 characters stay (sealed), for the "check you saved it" step.
    tail = _sealer().seal({"tail": codes.normalise(shown["receipt"])[-4:]}, context(draft.id)) \
        if shown.get("receipt") else ""
    # A compare-and-set in one statement (a transaction by itself): of two tabs, one shows it.
    changed = write_one(_SHOWN, {"draft_id": draft.id, "done": form + DONE, "sent": form + SENT, "tail": tail})
    _forget(draft.id)
    return shown if changed == 1 and shown else None


def receipt_check(form):
    """Whether this browser has a receipt to check ("check you have saved it"): the sent
    draft still holds the receipt code's last 4 characters, sealed."""
    draft = _row(form)
    return draft is not None and draft.form == form + SENT and bool(draft.sealed)


def check_receipt_tail(form, typed):
    """True if `typed` is the last 4 characters of the receipt just shown (then they are
    forgotten: the check is done); False if not; None if there is nothing to check."""
    draft = _row(form)
    if draft is None or draft.form != form + SENT or not draft.sealed:
        return None
    tail = _sealer().unseal(draft.sealed, context(draft.id))["tail"]
    typed = codes.normalise(typed)
    if len(typed) != 4 or not hmac.compare_digest(typed.encode(), tail.encode()):
        return False
    forget_receipt_check(form)
    return True


def forget_receipt_check(form):
    """The check was done or skipped: keep nothing of the receipt code."""
    draft = _row(form)
    if draft is not None and draft.form == form + SENT and draft.sealed:
        db = get_session()
        db.connection().execute(update(_DRAFTS).where(_DRAFTS.c.id == draft.id).values(sealed=""))
        db.commit()
        _forget(draft.id)


def save_for_later(form, days):
    """A one-time resume code for this browser's open draft of `form`, or None if there is
    none. Any earlier code for the draft is spent (saving again gives a new code), the
    draft is kept for `days` and leaves this browser's session: only the code opens it now.
    Returns (code, expires_at)."""
    draft = _row(form)
    if draft is None or draft.form != form or not draft.sealed:
        return None
    db = get_session()
    now = _now()
    until = now + timedelta(days=days)
    db.execute(update(ResumeCode).where(ResumeCode.draft_id == draft.id, ResumeCode.used_at.is_(None))
               .values(used_at=now).execution_options(synchronize_session=False))
    code = codes.new_resume_code()
    db.add(ResumeCode(code_hash=codes.hash_resume(code), draft_id=draft.id, form=form, created_at=now,
                      expires_at=until))
    db.connection().execute(update(_DRAFTS).where(_DRAFTS.c.id == draft.id)
                            .values(expires_at=max(_aware(draft.expires_at), until)))
    db.commit()
    _forget(draft.id)
    ids = dict(session.get(SESSION_KEY, {}))
    ids.pop(form, None)
    session[SESSION_KEY] = ids
    return code, until


def resume(code):
    """Reopen the draft behind a resume code in this browser. Returns ("resumed", form),
    or (why, None) with why "wrong" (no such code), "used" (spent, replaced by a newer
    code, or its draft sent or deleted) or "expired". Says nothing else about the draft."""
    db = get_session()
    now = _now()
    row = db.scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(code)))
    if row is None:
        return "wrong", None
    if row.used_at is not None:
        return "used", None
    if _aware(row.expires_at) <= now:
        return "expired", None
    draft = db.get(Draft, row.draft_id) if row.draft_id else None
    # Spend the code first (compare-and-set): of two browsers resuming at once, one wins.
    spent = db.execute(update(ResumeCode).where(ResumeCode.id == row.id, ResumeCode.used_at.is_(None))
                       .values(used_at=now, draft_id=None).execution_options(synchronize_session=False))
    if spent.rowcount != 1 or draft is None or draft.form != row.form or not draft.sealed \
            or _aware(draft.expires_at) <= now:
        db.commit()  # a draft sent or deleted since: the code is spent all the same
        return "used", None
    answers = _sealer().unseal(draft.sealed, context(draft.id))
    new_id = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=current_app.config["DRAFT_LIFETIME_HOURS"])
    db.add(Draft(id=new_id, form=row.form, created_at=draft.created_at, updated_at=now, expires_at=now + lifetime,
                 sealed=seal_answers(_sealer(), new_id, answers, current_app.config["DRAFT_MAX_BYTES"])))
    db.flush()
    for item in evidence.files_of_draft(db, draft.id):  # the files move with the answers
        evidence.move(_sealer(), item, to_draft_id=new_id)
    db.flush()
    ids = dict(session.get(SESSION_KEY, {}))
    doomed = [draft.id] + ([ids[row.form]] if ids.get(row.form) and ids[row.form] != draft.id else [])
    db.execute(update(ResumeCode).where(ResumeCode.draft_id.in_(doomed)).values(draft_id=None)
               .execution_options(synchronize_session=False))
    db.execute(delete(Draft).where(Draft.id.in_(doomed)).execution_options(synchronize_session=False))
    db.commit()
    _forget(*doomed)
    ids[row.form] = new_id  # this browser's own draft of the same form, if any, gives way
    session[SESSION_KEY] = ids
    return "resumed", row.form


def outbox_context(message_id):
    """What an outbox message that belongs to no report is sealed with (a resume code's
    email): bound to its own row."""
    return f"outbox:{message_id}"


def email_resume_code(code, email, lang):
    """Queue an email of a resume code the reader has just been shown (the page posts it
    back), to an address they chose. Only a code that is still open can be sent, so this
    cannot email anyone arbitrary words. The address, the code and the language are sealed
    in the outbox row, bound to it, and wiped once it is sent (services/outbox.py). Returns
    the code's expiry, or None if the code is not one that can still open answers."""
    until = resume_code_until(code)
    if until is None:
        return None
    db = get_session()
    now = _now()
    message = OutboxMessage(report_id=None, kind="resume-code", status="pending", attempts=0, sealed_recipient="",
                            next_attempt_at=now, created_at=now)
    db.add(message)
    db.flush()  # its id binds the sealed payload to this row
    message.sealed_recipient = _sealer().seal({"to": email, "code": code, "lang": lang, "until": until.isoformat()},
                                              outbox_context(message.id))
    db.commit()
    return until


def resume_code_until(code):
    """When a resume code that can still open answers expires; None for any other code."""
    row = get_session().scalar(select(ResumeCode).where(ResumeCode.code_hash == codes.hash_resume(str(code))))
    if row is None or row.used_at is not None or row.draft_id is None or _aware(row.expires_at) <= _now():
        return None
    return _aware(row.expires_at)


def discard(form=None):
    """Delete one form's draft, or every draft this browser holds (Exit this page)."""
    ids = dict(session.get(SESSION_KEY, {}))
    doomed = [ids.pop(form)] if form in ids else ([] if form else list(ids.values()))
    if not form:
        ids = {}
    if doomed:
        db = get_session()
        # Its resume code keeps only its hash: it then reads as no longer usable.
        db.execute(update(ResumeCode).where(ResumeCode.draft_id.in_(doomed)).values(draft_id=None)
                   .execution_options(synchronize_session=False))
        db.execute(delete(Draft).where(Draft.id.in_(doomed)))
        db.commit()
        _forget(*doomed)
    session[SESSION_KEY] = ids


def purge_expired(db):
    """Delete expired drafts, and resume codes RESUME_GRACE after their expiry; returns how
    many drafts. Run by `flask --app wsgi drafts purge`."""
    now = _now()
    expired = select(Draft.id).where(Draft.expires_at <= now)
    db.execute(update(ResumeCode).where(ResumeCode.draft_id.in_(expired)).values(draft_id=None)
               .execution_options(synchronize_session=False))
    result = db.execute(delete(Draft).where(Draft.expires_at <= now))
    db.execute(delete(ResumeCode).where(ResumeCode.expires_at <= now - RESUME_GRACE))
    # An emailed code that could not be sent before it expired is no use to anyone now.
    db.execute(update(OutboxMessage).where(
        OutboxMessage.kind == "resume-code", OutboxMessage.status == "pending",
        OutboxMessage.created_at <= now - timedelta(days=current_app.config["RESUME_DAYS"]))
        .values(status="cancelled", sealed_recipient=None, last_error="the code expired before it could be sent")
        .execution_options(synchronize_session=False))
    db.commit()
    return result.rowcount
