"""A CSV export streams: 10,000 assessments leave with the worker's memory flat (measured with
tracemalloc while the body is read, as a server would send it)."""
import tracemalloc
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import insert, select

from healthpal.api import tokens
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, QARound

ROWS = 10_000
MIB = 1024 * 1024


def load(clinician, count: int) -> None:
    """`count` patients of `clinician`, each with one assessment of three rounds, in bulk."""
    day = date(2020, 1, 1)
    db.session.execute(insert(Patient), [
        {"clinician_id": clinician.id, "full_name": f"Patient {n:05d}", "gender": "f", "birthdate": date(1970, 1, 1),
         "phone": f"{n:07d}", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"} for n in range(count)])
    ids = db.session.scalars(select(Patient.id).where(Patient.clinician_id == clinician.id)).all()
    db.session.execute(insert(Assessment), [
        {"patient_id": pid, "clinician_id": clinician.id, "type": "Mood check", "date": day + timedelta(days=n % 1000),
         "score": n % 101}
        for n, pid in enumerate(ids)])
    assessment_ids = db.session.scalars(select(Assessment.id)).all()
    db.session.execute(insert(QARound), [
        {"assessment_id": aid, "position": k, "question": f"Question {k} of a monthly check, fairly long " * 2,
         "answer": "An answer of some length, as clinicians write them. " * 3}
        for aid in assessment_ids for k in range(3)])
    db.session.commit()


def test_a_ten_thousand_row_export_keeps_memory_flat(app, clinician):
    load(clinician, ROWS)
    client = FlaskClient(app, app.response_class, use_cookies=False)   # the body is not buffered
    headers = {"Authorization": f"Bearer {tokens.issue(clinician)['access']}"}
    tracemalloc.start()
    try:
        response = client.get("/api/exports/assessments.csv", headers=headers, buffered=False)
        assert response.status_code == 200 and response.is_streamed
        lines, size = 0, 0
        for chunk in response.response:
            lines, size = lines + 1, size + len(chunk)
            if lines == 1_000:
                first = tracemalloc.get_traced_memory()[1]   # the peak over the first 1,000 rows
                tracemalloc.reset_peak()
        rest = tracemalloc.get_traced_memory()[1]            # the peak over the other 9,000
    finally:
        tracemalloc.stop()
        response.close()
    assert lines == ROWS + 1
    print(f"\n{ROWS} rows, {size / MIB:.1f} MiB of CSV; peak traced memory {first / MIB:.2f} MiB over the "
          f"first 1,000 rows, {rest / MIB:.2f} MiB over the other 9,000")
    assert first < 6 * MIB < size
    assert rest < first * 1.25
