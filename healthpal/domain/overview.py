"""What the portal's patient page shows, read in the one transaction that records the read."""
from typing import NamedTuple

from healthpal.domain import assessments, audit, patients
from healthpal.domain.transactions import atomic
from healthpal.models import Patient, User


class PatientOverview(NamedTuple):
    patient: Patient
    history: list                   # `assessments.history` rows, newest first
    last_change: audit.Change | None


def patient(*, actor: User, via: str, patient_id: int) -> PatientOverview:
    """A visible patient (the audited read of `patients.read`), their assessment history and who last
    changed them. The reads join the read's own transaction and are committed with its audit event,
    rather than opening a second transaction that would only be rolled back."""
    with atomic():
        record = patients.read(actor=actor, via=via, patient_id=patient_id)
        return PatientOverview(record, assessments.history(actor=actor, via=via, patient_id=record.id),
                               audit.last_change(record))
