"""assessment clinician: assessments carry their patient's clinician, with indexes per clinician

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 06:10:00

A clinician's assessment list filtered on `patients.clinician_id` walked the global date index and
joined every assessment of the clinic to its patient; its cost followed the size of the whole clinic.
`assessments.clinician_id` copies the patient's clinician (filled in here from the patients) and
the list reads the indexes below, which begin with it. The composite foreign key
(patient_id, clinician_id) → patients (id, clinician_id) keeps the copy right: ON UPDATE CASCADE
carries a patient's reassignment (or unassignment, when its clinician is deleted) to its
assessments. `ix_assessments_patient_type_date` goes: the unique (patient_id, date, type) serves
the same lookups. `ix_patients_full_name_id` serves the admin's list of every patient by name
(it sorted the whole table by the names' collation for each page).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None

CLINICIAN_INDEXES = {
    'ix_assessments_clinician_date': ['clinician_id', 'date', 'id'],
    'ix_assessments_clinician_type_date': ['clinician_id', 'type', 'date', 'id'],
    'ix_assessments_clinician_patient_date': ['clinician_id', 'patient_id', 'date', 'id'],
}


# SQLite rebuilds the table in batch mode from what it reflects, which leaves out the names' collation.
PATIENT_NAME = sa.Column('full_name', sa.String(length=255, collation='und-x-icu'), nullable=False)


def upgrade():
    with op.batch_alter_table('patients', schema=None, reflect_args=[PATIENT_NAME]) as batch_op:
        batch_op.create_unique_constraint('uq_patients_id_clinician_id', ['id', 'clinician_id'])
        batch_op.create_index('ix_patients_full_name_id', ['full_name', 'id'], unique=False)
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clinician_id', sa.Integer(), nullable=True))
    op.execute('UPDATE assessments SET clinician_id = '
               '(SELECT patients.clinician_id FROM patients WHERE patients.id = assessments.patient_id)')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_assessments_patient_clinician', 'patients',
                                    ['patient_id', 'clinician_id'], ['id', 'clinician_id'],
                                    onupdate='CASCADE', ondelete='CASCADE')
        batch_op.drop_index('ix_assessments_patient_type_date')
        for name, columns in CLINICIAN_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        for name in CLINICIAN_INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index('ix_assessments_patient_type_date', ['patient_id', 'type', 'date'], unique=False)
        batch_op.drop_constraint('fk_assessments_patient_clinician', type_='foreignkey')
        batch_op.drop_column('clinician_id')
    with op.batch_alter_table('patients', schema=None, reflect_args=[PATIENT_NAME]) as batch_op:
        batch_op.drop_index('ix_patients_full_name_id')
        batch_op.drop_constraint('uq_patients_id_clinician_id', type_='unique')
