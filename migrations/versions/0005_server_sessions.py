"""server sessions: a `sessions` table, a per-account key, ids never reused on SQLite

Revision ID: 0005
Revises: 0006
Create Date: 2026-12-03 06:30:00

- `sessions`: one row per portal browser session or mobile-app sign-in, found by the digest of its
  secret; it replaces `revoked_tokens` (a sign-in ends by deleting its row) and `users.token_epoch`
  (a password change, reset or deactivation deletes every row of the user). Existing portal cookies
  and API tokens name no row, so everyone signs in again once.
- `users.key`: a random key per account, filled in for existing users; tokens carry it.
- On SQLite, `users`, `patients` and `assessments` are rebuilt with AUTOINCREMENT, so the id of a
  deleted row is never handed out again (PostgreSQL's sequences never reuse one). The rebuild copies
  every row; migrations/env.py turns foreign keys off meanwhile. SQLite reports neither the expression
  index on lower(username) nor the names' collation, so both are given again to the rebuilds.

The downgrade brings back `token_epoch` (0 for everyone) and an empty `revoked_tokens`, and drops the
sessions; the tables keep AUTOINCREMENT (harmless to the earlier schema).
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0006'
branch_labels = None
depends_on = None



def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _users_batch():
    """Plain ALTERs on PostgreSQL; on SQLite a rebuild of `users` with AUTOINCREMENT."""
    if _sqlite():
        return op.batch_alter_table('users', recreate='always', table_kwargs={'sqlite_autoincrement': True})
    return op.batch_alter_table('users')


def upgrade():
    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('portal', 'app')", name=op.f('ck_sessions_kind_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('digest', name=op.f('uq_sessions_digest'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_last_used_at'), ['last_used_at'], unique=False)
        batch_op.create_index('ix_sessions_user_id_kind', ['user_id', 'kind'], unique=False)

    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=32), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('key', sa.String))
    connection = op.get_bind()
    for user_id in connection.execute(sa.select(users.c.id)).scalars().all():
        connection.execute(users.update().where(users.c.id == user_id).values(key=secrets.token_hex(16)))
    with _users_batch() as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_key'), ['key'])
        batch_op.drop_column('token_epoch')
    if _sqlite():
        op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)
        with op.batch_alter_table('patients', recreate='always', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            # SQLite does not report a column's collation, so the rebuild must be told it again (0003).
            batch_op.alter_column('full_name', existing_type=sa.String(length=255),
                                  type_=sa.String(length=255, collation='und-x-icu'), existing_nullable=False)
        with op.batch_alter_table('assessments', recreate='always', table_kwargs={'sqlite_autoincrement': True}):
            pass

    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_tokens_expires_at'))
    op.drop_table('revoked_tokens')


def downgrade():
    op.create_table('revoked_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jti', sa.String(length=36), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revoked_tokens')),
    sa.UniqueConstraint('jti', name=op.f('uq_revoked_tokens_jti'))
    )
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_tokens_expires_at'), ['expires_at'], unique=False)

    with _users_batch() as batch_op:
        batch_op.add_column(sa.Column('token_epoch', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(batch_op.f('uq_users_key'), type_='unique')
        batch_op.drop_column('key')
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('token_epoch', existing_type=sa.Integer(), server_default=None)
    if _sqlite():
        op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_user_id_kind')
        batch_op.drop_index(batch_op.f('ix_sessions_last_used_at'))
        batch_op.drop_index(batch_op.f('ix_sessions_expires_at'))
    op.drop_table('sessions')
