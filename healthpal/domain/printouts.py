"""What the printable pages show, each print recorded in the audit trail as an export of format
`print` (the record leaves Healthpal on paper)."""
from healthpal.domain import assessments, audit, patients
from healthpal.domain.transactions import atomic
from healthpal.models import Assessment, Patient, User


def patient_summary(*, actor: User, via: str, patient_id: int) -> tuple[Patient, list]:
    """A visible patient and their assessment history (`assessments.history` rows, newest first)."""
    patient = patients.get(actor=actor, via=via, patient_id=patient_id)
    history = assessments.history(actor=actor, via=via, patient_id=patient.id)
    with atomic():
        audit.record_export(actor=actor, via=via, entity_type="patient", file_format="print", filters={},
                            rows=1 + len(history), patient_id=patient.id)
    return patient, history


def assessment(*, actor: User, via: str, assessment_id: int) -> Assessment:
    """A visible assessment with its rounds and its patient."""
    record = assessments.get(actor=actor, via=via, assessment_id=assessment_id)
    with atomic():
        audit.record_export(actor=actor, via=via, entity_type="assessment", file_format="print",
                            filters={"assessment": record.id}, rows=1, patient_id=record.patient_id)
    return record
