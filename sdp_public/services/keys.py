"""Key rotation: every sealed value re-sealed with the newest key, in one transaction.

Add a new key in front of the old one in SDP_SEALING_KEYS, deploy, run `flask keys
rotate`, then remove the old key."""
from sqlalchemy import select

from .. import drafts
from ..models import Draft, EvidenceFile, OutboxMessage, StaffUser
from . import evidence, reports
from .sealing import SealingError
from .staff import totp_context


def rotate(db, sealer):
    """Returns (values re-sealed, drafts deleted). A report value or a staff secret that
    will not open raises SealingError and nothing changes; a draft no configured key
    opens is deleted (nobody can resume it)."""
    count = reports.reseal(db, sealer)
    for user in db.scalars(select(StaffUser)):
        if user.sealed_totp_secret and sealer.needs_reseal(user.sealed_totp_secret):
            context = totp_context(user.email)
            user.sealed_totp_secret = sealer.seal(sealer.unseal(user.sealed_totp_secret, context), context)
            count += 1
    for message in db.scalars(select(OutboxMessage).where(OutboxMessage.report_id.is_(None),
                                                          OutboxMessage.sealed_recipient.is_not(None))):
        # a resume code's email waiting to go: bound to its own row
        token, context = message.sealed_recipient, drafts.outbox_context(message.id)
        if token and sealer.needs_reseal(token):
            message.sealed_recipient = sealer.seal(sealer.unseal(token, context), context)
            count += 1
    for item in db.scalars(select(EvidenceFile).where(EvidenceFile.draft_id.is_not(None))):
        # a draft's file: its data key, bound to the draft and the file (a report's files
        # are among the report's sealed values above)
        context = evidence.draft_context(item.draft_id, item.id)
        if sealer.needs_reseal(item.sealed):
            item.sealed = sealer.seal(sealer.unseal(item.sealed, context), context)
            count += 1
    unreadable = 0
    for draft in db.scalars(select(Draft)):
        if not draft.sealed or not sealer.needs_reseal(draft.sealed):
            continue
        context = drafts.context(draft.id)
        try:
            draft.sealed = sealer.seal(sealer.unseal(draft.sealed, context), context)
            count += 1
        except SealingError:
            db.delete(draft)
            unreadable += 1
    db.commit()
    return count, unreadable
