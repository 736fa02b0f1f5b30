"""Test data made through the domain layer, so it obeys the same rules as real data."""
from itertools import count

from healthpal.domain import assessments, channels, patients, users

PASSWORD = "correct-horse-battery"
_serial = count(1)


def make_user(username: str | None = None, **fields):
    n = next(_serial)
    data = {"username": username or f"clinician{n}", "password": PASSWORD,
            "first_name": "Casey", "last_name": f"Clinician{n}", "email": f"c{n}@example.org", **fields}
    return users.create(actor=None, via=channels.CLI, data=data)


def make_patient(clinician, **fields):
    n = next(_serial)
    letters = "".join(chr(ord("a") + int(d)) for d in str(n))
    data = {"full_name": f"Pat {letters.capitalize()}son", "gender": "f", "birthdate": "1980-05-17",
            "phone": f"555{n:07d}", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4", **fields}
    return patients.create(actor=clinician, via=channels.CLI, data=data)


def make_assessment(patient, **fields):
    n = next(_serial)
    data = {"patient": patient.id, "type": "Cognitive test", "date": f"2024-01-{(n % 28) + 1:02d}",
            "score": 50, "qna_rounds": [{"question": "How do you feel?", "answer": "Fine"}], **fields}
    return assessments.create(actor=patient.clinician, via=channels.CLI, data=data)
