"""One purged state for reports; the area as a plain column; assignment; first-sign-in
password change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

- report.purged_at marks the one purged state: answers, contact and every sealed event
  body are NULL and purged_at is set. The retention purge used to write "" for the
  answers (and NULL elsewhere), which `db verify-backup` then tried to open; the rows it
  purged that way are moved to the one state here.
- report.area: the County Durham area chosen from a fixed list (never typed text), kept
  plain so the inbox can filter by it in SQL instead of opening every report (it was
  applied after LIMIT 500, so older matches vanished). The anonymised statistics already
  keep it plain. Reports sent before this revision have NULL until
  `flask reports fill-areas` (idempotent, needs the sealing keys) has run once.
- report.assigned_to_id: the caseworker of the report's partner it is assigned to.
- staff_user.must_change_password: the printed password works once, for the first sign-in,
  which must set a new one. Accounts that already exist have signed in with theirs.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report") as batch_op:
        batch_op.alter_column("sealed_answers", existing_type=sa.Text(), nullable=True)
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("area", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_report_assigned_to_id_staff_user", "staff_user", ["assigned_to_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_report_assigned_to_id", ["assigned_to_id"], unique=False)
    op.execute("UPDATE report SET sealed_answers = NULL, sealed_contact = NULL, purged_at = updated_at "
               "WHERE sealed_answers = ''")
    op.execute("UPDATE report_event SET sealed_body = NULL WHERE report_id IN "
               "(SELECT id FROM report WHERE purged_at IS NOT NULL)")
    # A plain ADD COLUMN: a batch rebuild on SQLite would drop staff_user's AUTOINCREMENT
    # (ids must never be reused, see 0006).
    op.add_column("staff_user", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("staff_user", recreate="always" if sqlite else "auto",
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("must_change_password")
    op.execute("UPDATE report SET sealed_answers = '' WHERE purged_at IS NOT NULL")
    with op.batch_alter_table("report") as batch_op:
        batch_op.drop_index("ix_report_assigned_to_id")
        batch_op.drop_constraint("fk_report_assigned_to_id_staff_user", type_="foreignkey")
        batch_op.drop_column("assigned_to_id")
        batch_op.drop_column("area")
        batch_op.drop_column("purged_at")
        batch_op.alter_column("sealed_answers", existing_type=sa.Text(), nullable=False)
