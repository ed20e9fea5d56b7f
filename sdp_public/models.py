"""Tables. Every change here needs an Alembic revision in migrations/ (a test checks)."""
from datetime import datetime

from sqlalchemy import false as sa_false
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
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


class ResumeCode(Base):
    """A code that reopens a sealed draft on any device ("save and come back later").
    Only its SHA-256 is kept. The row outlives its draft (draft_id NULL once the draft is
    gone), so a used or expired code is told apart from a wrong one."""

    __tablename__ = "resume_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("draft.id", ondelete="SET NULL"), nullable=True)
    form: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_resume_code_draft_id", "draft_id"), Index("ix_resume_code_expires_at", "expires_at"))


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
    # NULL only once purged (purged_at set): the one purged state, see purge().
    sealed_answers: Mapped[str | None] = mapped_column(Text, nullable=True)
    sealed_contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The County Durham area picked from a fixed list (never typed text), plain so that the
    # inbox filters in SQL; the anonymised statistics keep it plain too.
    area: Mapped[str | None] = mapped_column(String(40), nullable=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"),
                                                       nullable=True)
    # Whether the reporter asked for an interpreter, and the language code they chose if
    # they chose one (from our list, never typed): how to talk to them, not what they said,
    # kept plain like `lang` so the inbox shows it without opening anyone's contact details.
    # Filled at submit and, for older reports, by migration 0010; NULL only for a report
    # stored by a build from before it (the inbox then opens its contact details).
    interpreter: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    interpreter_language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Still happening, or a business under attack now: partners see it first.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    receipt_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    routes: Mapped[list["ReportRoute"]] = relationship(back_populates="report", order_by="ReportRoute.id")
    events: Mapped[list["ReportEvent"]] = relationship(back_populates="report", order_by="ReportEvent.id")
    files: Mapped[list["EvidenceFile"]] = relationship(back_populates="report", order_by="EvidenceFile.position")

    assigned_to: Mapped["StaffUser | None"] = relationship()

    # -- sealing: the one place a report's sealed parts are bound to it ------------------
    # Parts: "answers", "contact", "event" (a timeline entry's words), "recipient" (the
    # reporter's address on an outbox message). A blob sealed for one report and part
    # will not open as another's.
    def sealing_context(self, part):
        return f"{self.form}:{self.reference}:{part}"

    def seal(self, sealer, part, value):
        return sealer.seal(value, self.sealing_context(part))

    def open(self, sealer, part, token, default=None):
        """Open one sealed value of this report; `default` when there is none (anonymous,
        no words, or purged)."""
        return sealer.unseal(token, self.sealing_context(part)) if token else default

    def answers(self, sealer):
        return self.open(sealer, "answers", self.sealed_answers, {})

    def contact(self, sealer):
        return self.open(sealer, "contact", self.sealed_contact, {})

    def sealed_values(self, messages=()):
        """(row, attribute, part) for every sealed value this report holds, in its own row,
        its events and the given outbox messages: what re-sealing and backup checks walk."""
        yield self, "sealed_answers", "answers"
        yield self, "sealed_contact", "contact"
        for event in self.events:
            yield event, "sealed_body", "event"
        for evidence in self.files:
            yield evidence, "sealed", evidence.part
        for message in messages:
            yield message, "sealed_recipient", "recipient"

    @property
    def purged(self):
        return self.purged_at is not None

    def purge(self, now, messages=()):
        """The one purged state: every sealed value gone (NULL) and purged_at set; what
        remains says only what kind of report it was, when, where it was routed and where
        it stood. A pending email to the reporter can never be sent now, so it stops."""
        for row, attribute, _part in self.sealed_values(messages):
            if not isinstance(row, EvidenceFile):  # files are deleted whole: services/reports.purge_closed
                setattr(row, attribute, None)
        self.area = None
        self.interpreter, self.interpreter_language = False, None  # nobody left to contact
        self.purged_at = now
        for message in messages:
            if message.status == "pending" and message.kind.startswith("reporter-"):
                message.status = "cancelled"
                message.last_error = "address deleted by the retention purge"

    __table_args__ = (Index("ix_report_form_created_at", "form", "created_at"),
                      Index("ix_report_assigned_to_id", "assigned_to_id"))


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

    # (partner, report_id): the inbox's sort and counts read a partner's report ids from
    # the index alone, without visiting each route row (migration 0011).
    __table_args__ = (Index("ix_report_route_partner_report_id", "partner", "report_id"),
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
    # The printed first password signs in once, to set one only this person knows.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
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


class EvidenceFile(Base):
    """A photo, screenshot or document a reporter gave: first on a draft (draft_id), then,
    from the Send that stores the report, on the report (report_id).

    `sealed` holds, sealed to its owner (the draft, then the report) and this file, the
    file's own data key and everything the reporter's file says about itself: its name,
    kind, size, SHA-256 and what processing found. The bytes are in EvidenceChunk, sealed
    with that data key (services/evidence.py), so moving a file to its report or rotating
    the keys re-seals this one small value, never megabytes. The plain columns say only
    where the file stands: scanned or not, processed or not."""

    __tablename__ = "evidence_file"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    sealed: Mapped[str] = mapped_column(Text)
    # waiting, clean, infected, failed (could not be scanned) or unscanned (no scanner)
    scan_status: Mapped[str] = mapped_column(String(16), default="waiting")
    scan_signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # waiting, done (clean copy or previews made), unreadable (the original only)
    processing: Mapped[str] = mapped_column(String(16), default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_after_sending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped["Report | None"] = relationship(back_populates="files")

    __table_args__ = (Index("ix_evidence_file_draft_id", "draft_id"), Index("ix_evidence_file_report_id", "report_id"),
                      Index("ix_evidence_file_next_attempt_at", "next_attempt_at"))

    @property
    def part(self):
        """The sealing part of this file on its report: see Report.sealing_context."""
        return f"file:{self.id}"


class EvidenceChunk(Base):
    """One sealed piece (at most services/evidence.CHUNK bytes of plaintext) of a file's
    original, clean copy or a preview page: AES-256-GCM with the file's data key, bound to
    the file, variant, position and whether it is the last piece (so nothing can be
    dropped, reordered or moved to another file)."""

    __tablename__ = "evidence_chunk"

    file_id: Mapped[str] = mapped_column(ForeignKey("evidence_file.id", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(16), primary_key=True)  # original, clean, page-1 ...
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
