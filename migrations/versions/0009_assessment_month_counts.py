"""assessment month counts: each clinician's running count of assessments per type and month

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00

A filtered assessment list (type, date, date_gte, date_lte) told its exact total by counting the
filter's index entries: 10,000 of them for a clinician of 10,000 patients filtered by one type
since 2020. `assessment_month_counts` holds the count per (clinician, type, first day of the
month), kept by triggers on `assessments` in the transaction of every insert, delete and move (to
another clinician, type or month), as 0008's `assessment_counts` is. A filtered list sums the months
wholly inside its range and counts the edge months' index entries only. The SQL is
`healthpal.models.month_counting`, which `db.create_all` runs too.

The triggers go on before the counts are filled in: creating them locks `assessments` against
writes until this migration commits, so the count made here sees every committed assessment and
each later write is counted by a trigger. The filling in is one INSERT … SELECT … GROUP BY.

A later SQLite batch rebuild of `assessments` drops its triggers: such a migration must create them
again.
"""
from alembic import op
import sqlalchemy as sa

from healthpal.models import drop_month_counting, month_counting, month_of


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'assessment_month_counts',
        sa.Column('clinician_id', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['clinician_id'], ['users.id'],
                                name=op.f('fk_assessment_month_counts_clinician_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('clinician_id', 'type', 'month', name=op.f('pk_assessment_month_counts')),
    )
    dialect = op.get_bind().dialect.name
    for statement in month_counting(dialect):
        op.execute(statement)
    op.execute(f'INSERT INTO assessment_month_counts (clinician_id, type, month, total) '
               f'SELECT clinician_id, type, {month_of(dialect, "date")}, count(*) FROM assessments '
               f'WHERE clinician_id IS NOT NULL GROUP BY 1, 2, 3')


def downgrade():
    for statement in drop_month_counting(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('assessment_month_counts')
