"""What the audit trail records of an assessment: the one snapshot of it, for `assessments` (its
create, update and delete diffs, and the values a Stale conflict shows) and for `patients` (a
patient's deletion deletes its assessments and records each), which cannot import `assessments`."""
from healthpal.models import Assessment


def assessment(record: Assessment) -> dict:
    """The assessment's audited fields (its rounds as [question, answer] pairs), rounds loaded."""
    return {"patient": record.patient_id, "type": record.type, "date": record.date, "score": record.score,
            "qna_rounds": [[r.question, r.answer] for r in record.rounds]}
