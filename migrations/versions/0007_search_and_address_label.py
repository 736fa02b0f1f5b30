"""search and address label: accent-blind name search, readable addresses, the patient list's
last assessment

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 06:00:00

- Names are searched without case or accents through `name_fold(full_name)`: on PostgreSQL an
  IMMUTABLE SQL wrapper over the `unaccent` extension (a trusted extension: the database owner
  may create it), with a trigram GIN index on it replacing 0002's index on the raw name; SQLite
  gets a plain index on the same expression (the app registers `name_fold` on every connection).
- `address_label`: the address as people read it, next to the Google Place ID ("" when unknown).
- `last_assessed_on` / `last_score`: the latest assessment's date and score, kept by the domain
  on every assessment write, filled in here from the assessments there are; indexed per
  clinician for the list's sorts and its "not assessed lately" filter.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None

NAME_FOLD_SQL = (
    "CREATE OR REPLACE FUNCTION name_fold(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1) COLLATE \"und-x-icu\") $$"
)
LATEST = ("SELECT a.{column} FROM assessments a WHERE a.patient_id = patients.id "
          "ORDER BY a.date DESC, a.id DESC LIMIT 1")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_label', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('last_assessed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_score', sa.Integer(), nullable=True))
    for name in ('last_assessed_on', 'last_score'):  # no assessment yet sorts lowest; SQLite's way already
        column = sa.text(f'{name} NULLS FIRST') if _postgresql() else sa.column(name)
        op.create_index(f'ix_patients_clinician_{name}', 'patients', [sa.column('clinician_id'), column, sa.column('id')])
    op.execute(f"UPDATE patients SET last_assessed_on = ({LATEST.format(column='date')}), "
               f"last_score = ({LATEST.format(column='score')})")
    op.drop_index('ix_patients_full_name_trgm', table_name='patients')
    if _postgresql():
        op.execute('CREATE EXTENSION IF NOT EXISTS unaccent')
        op.execute(NAME_FOLD_SQL)
        op.execute('CREATE INDEX ix_patients_name_fold_trgm ON patients USING gin (name_fold(full_name) gin_trgm_ops)')
    else:
        op.execute('CREATE INDEX ix_patients_name_fold_trgm ON patients (name_fold(full_name))')


def downgrade():
    op.drop_index('ix_patients_name_fold_trgm', table_name='patients')
    if _postgresql():
        op.execute('DROP FUNCTION name_fold(text)')
    op.create_index('ix_patients_full_name_trgm', 'patients', ['full_name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'full_name': 'gin_trgm_ops'})
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_clinician_last_score')
        batch_op.drop_index('ix_patients_clinician_last_assessed_on')
        batch_op.drop_column('last_score')
        batch_op.drop_column('last_assessed_on')
        batch_op.drop_column('address_label')
