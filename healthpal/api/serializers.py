"""Output shapes of the API (shared/API.md): model objects → JSON-ready dicts, keys in contract order."""
from datetime import date

from healthpal.domain import assessments, clock, patients
from healthpal.models import Assessment, Patient, User

timestamp = clock.utc_iso  # ISO 8601 in UTC with a `Z`


def user(account: User) -> dict:
    return {
        "pk": account.id,
        "username": account.username,
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
    }


def patient(record: Patient | patients.Listed, today: date | None = None) -> dict:
    """A model object or a `patients.Listed` (a list's, or a detail read's); `today` dates the age
    (the clock's today unless given)."""
    return {
        "id": record.id,
        "full_name": record.full_name,
        "gender": record.gender,
        "birthdate": record.birthdate.isoformat(),
        "phone": record.phone,
        "address": record.address,
        "address_label": record.address_label,
        "age": patients.age(record, today),
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
    }


def patient_list(records: list) -> list[dict]:
    """A page of patients, all aged on one today (the clock asked once)."""
    today = clock.today()
    return [patient(record, today) for record in records]


def assessment(record: Assessment | assessments.Listed) -> dict:
    """A model object, or a `Listed` (a list's, or a detail read's: its rounds are (question, answer)
    pairs already)."""
    pairs = record.rounds if isinstance(record, assessments.Listed) else ((r.question, r.answer) for r in record.rounds)
    return {
        "id": record.id,
        "qna_rounds": [{"question": question, "answer": answer} for question, answer in pairs],
        "type": record.type,
        "date": record.date.isoformat(),
        "score": record.score,
        "patient": record.patient_id,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
    }


def signed_in(account: User, tokens: dict) -> dict:
    """The body of a login or registration: the token pair and the user."""
    return {"access": tokens["access"], "refresh": tokens["refresh"], "user": user(account)}
