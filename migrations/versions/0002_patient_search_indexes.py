"""patient search indexes: trigram (pg_trgm) indexes for search by any part of a name or phone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:00:00

On PostgreSQL the `pg_trgm` extension backs `full_name ILIKE '%…%'` and `phone LIKE '%…%'`
with GIN indexes (pg_trgm is a trusted extension: the database owner may create it). Other
databases get plain indexes on the same columns.
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_patients_full_name_trgm', 'patients', ['full_name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'full_name': 'gin_trgm_ops'})
    op.create_index('ix_patients_phone_trgm', 'patients', ['phone'], unique=False,
                    postgresql_using='gin', postgresql_ops={'phone': 'gin_trgm_ops'})


def downgrade():
    op.drop_index('ix_patients_phone_trgm', table_name='patients')
    op.drop_index('ix_patients_full_name_trgm', table_name='patients')
