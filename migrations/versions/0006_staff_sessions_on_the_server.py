"""staff sessions kept on the server; staff ids never reused

Sign-ins move from the cookie (an id and a version number) to the staff_session table:
the cookie holds a random token, the table its hash. Every session signed in before this
revision ends (the cookie's old form is no longer read): staff sign in again once.

staff_user is rebuilt on SQLite with AUTOINCREMENT, so a removed account's id is never
given to the next account (PostgreSQL sequences never reuse ids already).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('staff_user', recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('failed_passwords', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('session_version')
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('code_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index('ix_staff_session_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_session_user_id')
    op.drop_table('staff_session')
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('staff_user', recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_column('failed_passwords')
