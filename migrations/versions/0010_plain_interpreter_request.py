"""The interpreter request as plain columns on report, filled from the sealed contact
details of the reports already stored.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

- report.interpreter, report.interpreter_language: whether the reporter asked for an
  interpreter, and the language code they picked from our list. It says how to talk to
  them, not what they said (like `lang`, which is plain already), and the inbox shows it
  on every row: it used to open every listed report's contact details to find it (500
  AES-GCM opens per page). Reports already stored are filled here by opening their
  contact details, so this revision needs the sealing keys (the app's own under
  `flask db upgrade`, else SDP_SEALING_KEYS or the embedded keys). Every value is opened
  before the table changes, so one that will not open stops the upgrade with nothing
  changed on either engine (SQLite's ALTER is not undone by a rollback). A report
  stored later by a build from before this revision keeps NULL, and the inbox opens its
  contact details as it used to.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _sealer():
    from flask import current_app, has_app_context
    if has_app_context() and "sdp_sealer" in current_app.extensions:
        return current_app.extensions["sdp_sealer"]
    from sdp_public.config import load_config
    from sdp_public.services.sealing import Sealer, parse_keys
    return Sealer(parse_keys(load_config()["SEALING_KEYS"]))


REPORT = sa.table("report", sa.column("id", sa.Integer), sa.column("form", sa.String),
                  sa.column("reference", sa.String), sa.column("sealed_contact", sa.Text),
                  sa.column("interpreter", sa.Boolean), sa.column("interpreter_language", sa.String))


def opened(bind, sealer_factory=_sealer):
    """The interpreter request of every report with contact details, opened (bound to
    form:reference:contact, as Report.sealing_context was when this was written). Only
    reads: a value that will not open raises before the table is changed."""
    from sdp_public.languages import interpreter_request
    rows = bind.execute(sa.select(REPORT.c.id, REPORT.c.form, REPORT.c.reference, REPORT.c.sealed_contact)
                        .where(REPORT.c.sealed_contact.is_not(None))).all()
    if not rows:
        return []  # no keys are read (or made) when there is nothing to open
    sealer = sealer_factory()
    found = []
    for row in rows:
        wanted, language = interpreter_request(sealer.unseal(row.sealed_contact, f"{row.form}:{row.reference}:contact"))
        found.append({"row_id": row.id, "wanted": wanted, "language": language})
    return found


def upgrade():
    bind = op.get_bind()
    found = opened(bind)
    with op.batch_alter_table("report") as batch_op:
        batch_op.add_column(sa.Column("interpreter", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("interpreter_language", sa.String(length=10), nullable=True))
    bind.execute(REPORT.update().where(REPORT.c.sealed_contact.is_(None))
                 .values(interpreter=False))  # anonymous or purged: nobody to interpret for
    if found:
        bind.execute(REPORT.update().where(REPORT.c.id == sa.bindparam("row_id"))
                     .values(interpreter=sa.bindparam("wanted"), interpreter_language=sa.bindparam("language")), found)


def downgrade():
    with op.batch_alter_table("report") as batch_op:
        batch_op.drop_column("interpreter_language")
        batch_op.drop_column("interpreter")
