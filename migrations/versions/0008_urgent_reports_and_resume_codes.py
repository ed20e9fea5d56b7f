"""Urgent reports; resume codes for "save and come back later".

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

- report.urgent: the reporter said it is still happening (or a business is under attack
  now); partners see these first and the notification subject says so (no content).
- resume_code: a code that reopens a sealed draft on any device for SDP_RESUME_DAYS. Only
  the code's SHA-256 is stored (like the receipt code it is random and long, so a fast
  hash is enough). The row outlives its draft (draft_id set NULL when the draft goes) so a
  used or expired code can be told apart from a wrong one; `drafts purge` deletes rows
  past their expiry plus a grace period.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("report", sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "resume_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=True),
        sa.Column("form", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("resume_code") as batch_op:
        batch_op.create_index("ix_resume_code_draft_id", ["draft_id"], unique=False)
        batch_op.create_index("ix_resume_code_expires_at", ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("resume_code") as batch_op:
        batch_op.drop_index("ix_resume_code_expires_at")
        batch_op.drop_index("ix_resume_code_draft_id")
    op.drop_table("resume_code")
    with op.batch_alter_table("report") as batch_op:
        batch_op.drop_column("urgent")
