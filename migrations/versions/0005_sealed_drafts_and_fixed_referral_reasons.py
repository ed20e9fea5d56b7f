"""Drafts are sealed; a referral's route keeps only "Referred by <partner>".

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- draft.answers (plain JSON) becomes draft.sealed (AES-GCM, bound to the draft's id). The
  plain drafts still in the table are DELETED, not converted: a draft lives 24 hours, so
  at worst someone part-way through a form at deploy time starts again (the form says
  their answers expired). Converting them would need the sealing keys in the migration.
- report_route.reason for a referral held the referring caseworker's own words in clear
  ("Referred by X: <reason>"), outside the retention purge; it becomes "Referred by X".
  The words stay in the referral's sealed event.
- On SQLite the deleted and rewritten bytes are overwritten (secure_delete) and the WAL is
  checkpointed and truncated afterwards, so the old plain text survives in no free page
  and no WAL frame. On PostgreSQL the dead tuples of the old rows remain until VACUUM
  reclaims them (autovacuum, or VACUUM FULL draft, report_route by hand).

Downgrade restores the column shape only: sealed drafts are deleted (they cannot be
opened without the keys) and referral reasons are not brought back.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _scrub_sqlite():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    op.execute("DELETE FROM draft")
    routes = sa.table("report_route", sa.column("id", sa.Integer), sa.column("reason", sa.Text))
    for route_id, reason in bind.execute(sa.select(routes.c.id, routes.c.reason)
                                         .where(routes.c.reason.like("Referred by %"))).all():
        fixed = reason.split(": ", 1)[0]
        if fixed != reason:
            bind.execute(routes.update().where(routes.c.id == route_id).values(reason=fixed))
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("answers")
        batch.add_column(sa.Column("sealed", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("draft") as batch:
        batch.alter_column("sealed", server_default=None)
    _scrub_sqlite()


def downgrade():
    op.execute("DELETE FROM draft")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("sealed")
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("draft") as batch:
        batch.alter_column("answers", server_default=None)
