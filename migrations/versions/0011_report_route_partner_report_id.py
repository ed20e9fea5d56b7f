"""The partner's reports found from an index alone: report_route (partner, report_id) in
place of (partner, created_at).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Every inbox page sorts and counts all of a partner's reports (urgent first, then newest,
and how many are new or overdue): it needs each route's report_id for the partner. With
(partner, created_at) SQLite visited every route row to read it (about 10 ms of the inbox
page with 10,000 reports); (partner, report_id) holds it. No query filters or sorts on a
route's created_at (a report's own created_at is the inbox's order), so the old index goes.
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_report_route_partner_report_id", "report_route", ["partner", "report_id"], unique=False)
    op.drop_index("ix_report_route_partner_created_at", table_name="report_route")


def downgrade():
    op.create_index("ix_report_route_partner_created_at", "report_route", ["partner", "created_at"], unique=False)
    op.drop_index("ix_report_route_partner_report_id", table_name="report_route")
