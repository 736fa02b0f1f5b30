"""What the audit trail records of an assessment: the one snapshot of it, for `assessments` (its
create, update and delete diffs, and the values a Stale conflict shows) and for `patients` (a
patient's deletion deletes its assessments and records each), which cannot import `assessments`."""
from healthpal.models import Assessment


def assessment(record: Assessment, rounds=None) -> dict:
    """The assessment's audited fields (its rounds as [question, answer] pairs), rounds loaded, or
    `rounds`, (question, answer) pairs, standing in for them (a write's, before it stores them)."""
    pairs = rounds if rounds is not None else ((r.question, r.answer) for r in record.rounds)
    return {"patient": record.patient_id, "type": record.type, "date": record.date, "score": record.score,
            "qna_rounds": [[question, answer] for question, answer in pairs]}
