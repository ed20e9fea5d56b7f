"""Server-side drafts for multi-page forms: the session cookie carries only an id.

A draft's answers are sealed with the report keys (services/sealing.py), bound to the
draft's id, so the `draft` table holds no answer in clear: not while someone is typing,
not after they give up, and not in a database file, WAL, dead tuple or backup.

After Send the same row is consumed in the submit transaction (a compare-and-set on its
state and sealed value, so exactly one Send wins) and holds the sealed reference and
receipt code until the confirmation page shows them once; then only the fact that it was
sent is kept, until the draft expires.
"""
import json
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, session
from sqlalchemy import delete, update

from .db import get_session
from .models import Draft

SESSION_KEY = "drafts"
DONE = ":done"   # a draft that was sent: holds the sealed reference and receipt code
SENT = ":sent"   # ... whose confirmation was shown: holds nothing


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


def _row(form):
    """This browser's live draft row for `form` (any state), or None."""
    draft_id = session.get(SESSION_KEY, {}).get(form)
    if not draft_id:
        return None
    draft = get_session().get(Draft, draft_id)
    if draft is None or draft.form.split(":")[0] != form.split(":")[0] or _aware(draft.expires_at) <= _now():
        return None
    return draft


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

    Raises DraftTooLarge (before changing anything) if they would exceed DRAFT_MAX_BYTES."""
    db = get_session()
    ids = dict(session.get(SESSION_KEY, {}))
    draft = db.get(Draft, ids[form]) if ids.get(form) else None
    now = _now()
    lifetime = timedelta(hours=current_app.config["DRAFT_LIFETIME_HOURS"])
    if draft is not None and draft.form != form:
        db.delete(draft)  # a sent report's row: a new draft of the same form replaces it
        draft = None
    new_id = draft.id if draft is not None else secrets.token_urlsafe(32)
    sealed = seal_answers(_sealer(), new_id, dict(answers), current_app.config["DRAFT_MAX_BYTES"])
    if draft is None:
        draft = Draft(id=new_id, form=form, created_at=now)
        db.add(draft)
        ids[form] = draft.id
        session[SESSION_KEY] = ids
    draft.sealed = sealed
    draft.updated_at = now
    draft.expires_at = now + lifetime
    db.commit()


class Claim:
    """Consumes one open draft inside the submit transaction (services/submissions.py calls
    take() before storing the report and done() after): no Flask state, only the Session."""

    def __init__(self, sealer, draft_id, form, sealed):
        self.sealer, self.draft_id, self.form, self.sealed = sealer, draft_id, form, sealed

    def take(self, db):
        """Compare-and-set: the draft still open with exactly the answers we are sending.
        False if another Send (or another tab) got there first."""
        result = db.execute(update(Draft).where(Draft.id == self.draft_id, Draft.form == self.form,
                                                Draft.sealed == self.sealed)
                            .values(form=self.form + DONE, sealed="")
                            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def done(self, db, reference, receipt):
        """Keep the reference and receipt, sealed, for the one confirmation page."""
        sealed = self.sealer.seal({"reference": reference, "receipt": receipt}, context(self.draft_id))
        db.execute(update(Draft).where(Draft.id == self.draft_id).values(sealed=sealed)
                   .execution_options(synchronize_session=False))


def claim(form):
    """A Claim on this browser's open draft for `form`, or None if there is none."""
    draft = _row(form)
    if draft is None or draft.form != form or not draft.sealed:
        return None
    return Claim(_sealer(), draft.id, form, draft.sealed)


def take_confirmation(form):
    """The sent report's {"reference", "receipt"} the first time it is asked for; after that
    the row keeps nothing but the fact that it was sent (see state())."""
    draft = _row(form)
    if draft is None or draft.form != form + DONE:
        return None
    db = get_session()
    shown = {}
    if draft.sealed:
        shown = _sealer().unseal(draft.sealed, context(draft.id))
    result = db.execute(update(Draft).where(Draft.id == draft.id, Draft.form == form + DONE)
                        .values(form=form + SENT, sealed="").execution_options(synchronize_session=False))
    db.commit()
    db.expire(draft)
    return shown if result.rowcount == 1 and shown else None


def discard(form=None):
    """Delete one form's draft, or every draft this browser holds (Exit this page)."""
    ids = dict(session.get(SESSION_KEY, {}))
    doomed = [ids.pop(form)] if form in ids else ([] if form else list(ids.values()))
    if not form:
        ids = {}
    if doomed:
        db = get_session()
        db.execute(delete(Draft).where(Draft.id.in_(doomed)))
        db.commit()
    session[SESSION_KEY] = ids


def purge_expired(db):
    """Delete expired drafts; returns how many. Run by `flask --app wsgi drafts purge`."""
    result = db.execute(delete(Draft).where(Draft.expires_at <= _now()))
    db.commit()
    return result.rowcount
