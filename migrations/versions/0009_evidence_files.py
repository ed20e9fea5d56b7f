"""Evidence files: photos, screenshots and documents on drafts and reports, sealed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

- evidence_file: one file, first on a draft, then on its report (ON DELETE CASCADE from
  both: exit this page, the draft purge and the retention purge take the file with them).
  `sealed` holds the file's data key and what it says about itself (name, kind, size,
  SHA-256), sealed to its owner; the plain columns are the scan and processing state.
- evidence_chunk: the file's bytes (original, clean copy, preview pages) in sealed pieces,
  in the database so that they are written in the report's transaction, copied by
  `db backup` and deleted with the report; never a file on disk in the clear.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("scan_status", sa.String(length=16), nullable=False),
        sa.Column("scan_signature", sa.String(length=200), nullable=True),
        sa.Column("processing", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_after_sending", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_file") as batch_op:
        batch_op.create_index("ix_evidence_file_draft_id", ["draft_id"], unique=False)
        batch_op.create_index("ix_evidence_file_report_id", ["report_id"], unique=False)
        batch_op.create_index("ix_evidence_file_next_attempt_at", ["next_attempt_at"], unique=False)
    op.create_table(
        "evidence_chunk",
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("variant", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["evidence_file.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id", "variant", "seq"),
    )


def downgrade():
    op.drop_table("evidence_chunk")
    with op.batch_alter_table("evidence_file") as batch_op:
        batch_op.drop_index("ix_evidence_file_next_attempt_at")
        batch_op.drop_index("ix_evidence_file_report_id")
        batch_op.drop_index("ix_evidence_file_draft_id")
    op.drop_table("evidence_file")
