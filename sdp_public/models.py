"""Tables. Every change here needs an Alembic revision in migrations/ (a test checks)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base


class Draft(Base):
    """Answers to a multi-page form, kept on the server, never in the browser.

    The browser holds only the draft's random id in the session cookie, so a shared
    device keeps no answers, and "Exit this page" or expiry deletes them for good. The
    answers are sealed like a report's (bound to the draft's id): `sealed` is never plain.
    `form` is the form's slug while the draft is open, then "<slug>:done" once sent (the
    sealed reference and receipt wait for the confirmation page) and "<slug>:sent".
    """

    __tablename__ = "draft"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    form: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_draft_expires_at", "expires_at"),)


class Report(Base):
    """A report or request. Everything the reporter wrote is sealed (see services/sealing.py);
    the plain columns say only what kind of report it is, when, in which language and where
    it stands, which is what routing, delivery and retention need."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    form: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="new")
    anonymous: Mapped[bool] = mapped_column(Boolean)
    sealed_answers: Mapped[str] = mapped_column(Text)
    sealed_contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    routes: Mapped[list["ReportRoute"]] = relationship(back_populates="report", order_by="ReportRoute.id")
    events: Mapped[list["ReportEvent"]] = relationship(back_populates="report", order_by="ReportEvent.id")

    __table_args__ = (Index("ix_report_form_created_at", "form", "created_at"),)


class ReportRoute(Base):
    """One partner a report was sent to, and why: the routing rule's reason (fixed text from
    content/partners.toml) or "Referred by <partner>". Never anything a person typed: this
    column is plain and outlives the retention purge (a referral's own words are sealed in
    its event)."""

    __tablename__ = "report_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    partner: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report] = relationship(back_populates="routes")

    __table_args__ = (Index("ix_report_route_partner_created_at", "partner", "created_at"),
                      Index("ix_report_route_report_id", "report_id"))


class ReportEvent(Base):
    """The report's timeline: what the reporter added later, and (later) partner actions."""

    __tablename__ = "report_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    sealed_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report] = relationship(back_populates="events")

    __table_args__ = (Index("ix_report_event_report_id", "report_id"),)


class OutboxMessage(Base):
    """An email waiting to be sent, committed in the same transaction as its report.

    Partner notifications carry no personal data: the recipient is looked up from
    configuration at send time and the body says only the reference. A reporter's own
    address (for an acknowledgement) is sealed.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    partner: Mapped[str | None] = mapped_column(String(60), nullable=True)
    sealed_recipient: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lock_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report | None] = relationship()

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),
                      Index("ix_outbox_message_report_id", "report_id"))


class StaffUser(Base):
    """A partner's member of staff. Password: Argon2id. Second factor: TOTP (RFC 6238),
    its secret sealed like report answers.

    Ids are never reused (AUTOINCREMENT on SQLite; PostgreSQL sequences never go back), so
    nothing that once named a removed account can name the next one."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    partner: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))  # caseworker | lead | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    sealed_totp_secret: Mapped[str] = mapped_column(Text)
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)
    # Wrong codes (the attacker already has the password): five lock the account.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Wrong passwords from any address: many more lock it (see services/staff.py).
    failed_passwords: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = ({"sqlite_autoincrement": True},)


class StaffSession(Base):
    """A staff sign-in, kept on the server: the browser holds only a random token, and
    this row holds its SHA-256. "pending" after the password (a few code guesses allowed),
    "active" after the code. Deleting the row ends the session on every copy of the cookie;
    an active session ends after 30 idle minutes or 8 hours, whichever comes first."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(10))  # pending | active
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship()

    __table_args__ = (Index("ix_staff_session_user_id", "user_id"),)


class AuditEntry(Base):
    """Who looked at or did what to which report, when. The app only ever inserts here."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(254))
    partner: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(20), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_audit_entry_reference", "reference"), Index("ix_audit_entry_at", "at"))


class ReportStatistic(Base):
    """Anonymised counts for the partnership: how many reports of each form, in each month,
    area and category (hate crime strand, scam kind). Counters, not rows per report, so
    nothing here leads back to a report; they survive the retention purge."""

    __tablename__ = "report_statistic"

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))            # YYYY-MM
    area: Mapped[str] = mapped_column(String(40), default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("form", "month", "area", "category", name="uq_report_statistic_key"),)
