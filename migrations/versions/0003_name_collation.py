"""name collation: patients' names sort as people expect (ICU root collation)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:30:00

PostgreSQL sorts `full_name` with the ICU root collation `und-x-icu` (Élodie among the E's, Łukasz
among the L's) instead of the database's byte order; its indexes are rebuilt with it. SQLite gets a
collation of the same name that the app registers on every connection (healthpal/extensions.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('full_name', existing_type=sa.String(length=255),
                              type_=sa.String(length=255, collation='und-x-icu'), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('full_name', existing_type=sa.String(length=255, collation='und-x-icu'),
                              type_=sa.String(length=255), existing_nullable=False)
