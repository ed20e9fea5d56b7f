"""Server-side drafts for multi-page forms.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "draft",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_draft_expires_at", "draft", ["expires_at"])


def downgrade():
    op.drop_index("ix_draft_expires_at", table_name="draft")
    op.drop_table("draft")
