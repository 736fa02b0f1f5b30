"""audit last change index: who last changed a record, found in one index entry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:40:00

The patient and assessment pages say who last changed the record: the latest create or update
event of that record. With only `ix_audit_events_entity` (every event of the record, reads
included, unordered by id) PostgreSQL preferred `ix_audit_events_action` and read every create and
update event of the whole clinic, a cost that grew with the clinic's writes. This partial index
holds only the changes, ordered by id within each record, so the latest one is its last entry.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CHANGES = "action IN ('create', 'update')"


def upgrade():
    op.create_index('ix_audit_events_entity_changes', 'audit_events', ['entity_type', 'entity_id', 'id'],
                    unique=False, postgresql_where=sa.text(CHANGES), sqlite_where=sa.text(CHANGES))


def downgrade():
    op.drop_index('ix_audit_events_entity_changes', table_name='audit_events')
