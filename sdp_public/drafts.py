"""Server-side drafts for multi-page forms: the session cookie carries only an id."""
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app, session
from sqlalchemy import delete

from .db import get_session
from .models import Draft

SESSION_KEY = "drafts"


def _now():
    return datetime.now(timezone.utc)


def _aware(moment):
    # SQLite hands back naive datetimes even for timezone=True columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def load(form):
    """The current draft's answers for this form (a new empty dict if none or expired)."""
    draft_id = session.get(SESSION_KEY, {}).get(form)
    if not draft_id:
        return {}
    draft = get_session().get(Draft, draft_id)
    if draft is None or draft.form != form or _aware(draft.expires_at) <= _now():
        return {}
    return dict(draft.answers or {})


def save(form, answers):
    """Store the answers, extending the draft's life; creates the draft on first save."""
    db = get_session()
    ids = dict(session.get(SESSION_KEY, {}))
    draft = db.get(Draft, ids[form]) if ids.get(form) else None
    now = _now()
    lifetime = timedelta(hours=current_app.config["DRAFT_LIFETIME_HOURS"])
    if draft is None or draft.form != form:
        draft = Draft(id=secrets.token_urlsafe(32), form=form, created_at=now)
        db.add(draft)
        ids[form] = draft.id
        session[SESSION_KEY] = ids
    draft.answers = dict(answers)
    draft.updated_at = now
    draft.expires_at = now + lifetime
    db.commit()


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

