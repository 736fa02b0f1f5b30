"""patient counts: each clinician's running count of patients, kept by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:00:00

A clinician's unfiltered patient list (the API's and the portal's first page) told its exact total
by counting the clinician's index entries: 1,000 of them for a typical clinician, 10,000 for a
large practice, on every full page. `patient_counts` holds the same total in up to 16 rows per
clinician (one per shard of the patients' ids), kept by triggers on `patients` in the transaction
of every insert, delete and reassignment (the domain's writes, the cascade of a clinician's
deletion, bulk SQL), as 0008's `assessment_counts` is. The SQL is
`healthpal.models.patient_counting`, which `db.create_all` runs too.

The triggers go on before the counts are filled in (see 0008). A later SQLite batch rebuild of
`patients` drops its triggers: such a migration must create them again.
"""
from alembic import op
import sqlalchemy as sa

from healthpal.models import COUNT_SHARDS, drop_patient_counting, patient_counting


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patient_counts',
        sa.Column('clinician_id', sa.Integer(), nullable=False),
        sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_patient_counts_clinician_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('clinician_id', 'shard', name=op.f('pk_patient_counts')),
    )
    for statement in patient_counting(op.get_bind().dialect.name):
        op.execute(statement)
    op.execute(f'INSERT INTO patient_counts (clinician_id, shard, total) '
               f'SELECT clinician_id, id % {COUNT_SHARDS}, count(*) FROM patients '
               f'WHERE clinician_id IS NOT NULL GROUP BY clinician_id, id % {COUNT_SHARDS}')


def downgrade():
    for statement in drop_patient_counting(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('patient_counts')
