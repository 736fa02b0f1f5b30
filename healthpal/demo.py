"""Demo data for a first run: two logins and a clinic's worth of realistic patients.

Everything is created through the domain layer, so the demo data obeys the same rules as real data.
"""
import random
from datetime import timedelta

from healthpal.domain import assessments, channels, clock, patients, users
from healthpal.models import User

CLINICIAN = {"username": "demo", "password": "demo-clinician-2024", "first_name": "Dana",
             "last_name": "Reyes", "email": "dana.reyes@example.org"}
ADMIN = {"username": "admin", "password": "demo-admin-2024", "first_name": "Alex",
         "last_name": "Morgan", "email": "admin@example.org", "is_superuser": True}

NAMES = [
    ("Amélie Laurent", "f"), ("Jonas Müller", "m"), ("Søren Kierkegaard", "m"), ("Zoë O'Connor", "f"),
    ("Łukasz Nowak", "m"), ("María José García-López", "f"), ("Ngozi Okafor", "f"), ("Hiroshi Tanaka", "m"),
    ("Fatima Zahra Benali", "f"), ("Oliver Smith", "m"), ("Chloé Dubois", "f"), ("Mateus Oliveira", "m"),
    ("Ingrid Bergström", "f"), ("Tomáš Dvořák", "m"), ("Aisha Rahman", "f"), ("Liam O'Brien", "m"),
    ("Sofía Hernández", "f"), ("Emeka Nwosu", "m"), ("Hannah Schmidt", "f"), ("Ravi Patel", "m"),
    ("Élodie Martin", "f"), ("Kwame Mensah", "m"), ("Greta Jansen", "f"), ("Mehmet Yılmaz", "m"),
    ("Anna-Lena Weiß", "f"),
]
PLACES = [  # Google Place IDs, with their addresses as the Places widget shows them
    ("ChIJN1t_tDeuEmsRUsoyG83frY4", "48 Pirrama Rd, Pyrmont NSW 2009, Australia"),
    ("ChIJLU7jZClu5kcR4PcOOO6p3I0", "Champ de Mars, 5 Av. Anatole France, 75007 Paris, France"),
    ("ChIJD7fiBh9u5kcRYJSMaMOCCwQ", "Paris, France"),
    ("ChIJOwg_06VPwokRYv534QaPC8g", "New York, NY, USA"),
    ("ChIJdd4hrwug2EcRmSrV3Vo6llI", "London, UK"),
    ("ChIJ2eUgeAK6j4ARbn5u_wAGqWA", "1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA"),
]
ASSESSMENTS = {
    "Cognitive test": [("How do you feel today?", "Rested, a little anxious"),
                       ("Can you repeat these three words: apple, table, penny?", "Apple, table, penny"),
                       ("What is today's date?", "Correct")],
    "Mood check": [("How has your mood been this week?", "Mostly good"),
                   ("Have you had trouble sleeping?", "Two bad nights")],
    "Mobility assessment": [("Can you stand up without using your arms?", "Yes, slowly"),
                            ("How far can you walk without resting?", "About 500 metres")],
    "PHQ-9": [("Little interest or pleasure in doing things?", "Several days"),
              ("Feeling down, depressed, or hopeless?", "Not at all")],
}


def _account(data: dict) -> tuple[User, bool]:
    """The demo account named in `data`, created if missing; and whether it was created now."""
    existing = users.by_username(str(data["username"]))
    if existing is not None:
        return existing, False
    return users.create(actor=None, via=channels.CLI, data=data), True


def seed() -> dict:
    """Create the demo logins and patients if they are missing; return what was created."""
    clinician, clinician_is_new = _account(CLINICIAN)
    _admin, admin_is_new = _account(ADMIN)
    created = {"users": clinician_is_new + admin_is_new, "patients": 0, "assessments": 0}
    if patients.search(actor=clinician, via=channels.CLI, page_size=1).total:
        return created
    rng = random.Random(2024)
    today = clock.today()
    for index, (name, gender) in enumerate(NAMES):
        birthdate = today - timedelta(days=rng.randint(18 * 365, 92 * 365))
        place_id, label = PLACES[index % len(PLACES)]
        patient = patients.create(actor=clinician, via=channels.CLI, data={
            "full_name": name, "gender": gender, "birthdate": birthdate.isoformat(),
            "phone": f"55501{index:05d}", "address": place_id, "address_label": label,
        })
        created["patients"] += 1
        for kind in rng.sample(sorted(ASSESSMENTS), k=rng.randint(1, 3)):
            score = rng.randint(40, 80)
            for visit in range(rng.randint(1, 4)):
                score = max(0, min(100, score + rng.randint(-8, 12)))
                assessments.create(actor=clinician, via=channels.CLI, data={
                    "patient": patient.id, "type": kind, "score": score,
                    "date": (today - timedelta(days=30 * visit + rng.randint(0, 20))).isoformat(),
                    "qna_rounds": [{"question": q, "answer": a} for q, a in ASSESSMENTS[kind]],
                })
                created["assessments"] += 1
    return created
