"""assessment counts: each clinician's running count of assessments, kept by triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00

A clinician's unfiltered assessment list told its exact total by counting the clinician's index
entries: 100,000 of them for a clinician of 10,000 patients, most of the list's time.
`assessment_counts` holds the same total in up to 16 rows per clinician (one per shard of their
patients' ids, so one clinician's concurrent creates do not all wait on one row), kept by triggers
on `assessments` in the transaction of every insert, delete and move (the domain's writes and the
cascades of a patient's or clinician's deletion or reassignment alike). The SQL is
`healthpal.models.assessment_counting`, which `db.create_all` runs too.

The triggers go on before the counts are filled in: creating them locks `assessments` against
writes until this migration commits, so the count made here sees every committed assessment and
each later write is counted by a trigger. The filling in is one INSERT … SELECT … GROUP BY.

A later SQLite batch rebuild of `assessments` drops its triggers: such a migration must create them
again.
"""
from alembic import op
import sqlalchemy as sa

from healthpal.models import COUNT_SHARDS, assessment_counting, drop_assessment_counting


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assessment_counts',
        sa.Column('clinician_id', sa.Integer(), nullable=False),
        sa.Column('shard', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['clinician_id'], ['users.id'], name=op.f('fk_assessment_counts_clinician_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('clinician_id', 'shard', name=op.f('pk_assessment_counts')),
    )
    for statement in assessment_counting(op.get_bind().dialect.name):
        op.execute(statement)
    op.execute(f'INSERT INTO assessment_counts (clinician_id, shard, total) '
               f'SELECT clinician_id, patient_id % {COUNT_SHARDS}, count(*) FROM assessments '
               f'WHERE clinician_id IS NOT NULL GROUP BY clinician_id, patient_id % {COUNT_SHARDS}')


def downgrade():
    for statement in drop_assessment_counting(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('assessment_counts')
