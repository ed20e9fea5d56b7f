"""Tables. Every change here needs an Alembic revision in migrations/ (a test checks)."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base


class Draft(Base):
    """Answers to a multi-page form, kept on the server, never in the browser.

    The browser holds only the draft's random id in the session cookie, so a shared
    device keeps no answers, and "Exit this page" or expiry deletes them for good.
    """

    __tablename__ = "draft"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    form: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_draft_expires_at", "expires_at"),)
