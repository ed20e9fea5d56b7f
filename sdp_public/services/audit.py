"""The audit log: every view of a report's answers and every action, append-only."""
from datetime import datetime, timezone

from ..models import AuditEntry


def record(db, actor, partner, action, reference=None, detail=None):
    db.add(AuditEntry(at=datetime.now(timezone.utc), actor=actor, partner=partner, action=action,
                      reference=reference, detail=(detail or "")[:200] or None))
