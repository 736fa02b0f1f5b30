"""The domain reads added for the portal: scoped like every other read, one query each; and what the
portal's busiest pages cost in statements and transactions."""
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from healthpal.domain import assessments, channels
from healthpal.extensions import db
from tests import factories
from tests.markup import parse, texts
from tests.toolkit import audit_rows, get_with_sql, sql_statements

VIA = channels.PORTAL


def test_latest_for_gives_each_patient_their_newest_assessment_in_one_query(clinician):
    ann, ben, cy = (factories.make_patient(clinician) for _ in range(3))
    factories.make_assessment(ann, type="A", date="2024-01-01")
    newest = factories.make_assessment(ann, type="B", date="2024-02-01")
    tie_first = factories.make_assessment(ben, type="A", date="2024-03-01")
    tie_last = factories.make_assessment(ben, type="B", date="2024-03-01")
    ids, _ = [ann.id, ben.id, cy.id], clinician.id  # load them before counting
    with sql_statements() as seen:
        latest = assessments.latest_for(actor=clinician, via=VIA, patient_ids=ids)
    assert len(seen) == 1
    assert {pid: a.id for pid, a in latest.items()} == {ann.id: newest.id, ben.id: tie_last.id}
    assert tie_first.id < tie_last.id


def test_latest_for_ignores_other_clinicians_patients(clinician, other_clinician):
    theirs = factories.make_patient(other_clinician)
    factories.make_assessment(theirs)
    assert assessments.latest_for(actor=clinician, via=VIA, patient_ids=[theirs.id]) == {}
    assert assessments.latest_for(actor=clinician, via=VIA, patient_ids=[]) == {}
    assert assessments.latest_for(actor=clinician, via=VIA, patient_ids=[0, -1, 2**70]) == {}


def test_history_lists_a_patients_assessments_newest_first_with_round_counts(clinician):
    patient = factories.make_patient(clinician)
    old = factories.make_assessment(patient, date="2024-01-01")
    new = factories.make_assessment(patient, date="2024-02-01", qna_rounds=[
        {"question": "One?", "answer": "1"}, {"question": "Two?", "answer": "2"}])
    patient_id, _ = patient.id, clinician.id  # load them before counting
    with sql_statements() as seen:
        rows = assessments.history(actor=clinician, via=VIA, patient_id=patient_id)
    assert len(seen) == 1
    assert [(r.id, r.date.isoformat(), r.rounds) for r in rows] == [
        (new.id, "2024-02-01", 2), (old.id, "2024-01-01", 1)]


def test_history_of_another_clinicians_patient_is_empty(clinician, other_clinician):
    theirs = factories.make_patient(other_clinician)
    factories.make_assessment(theirs)
    assert assessments.history(actor=clinician, via=VIA, patient_id=theirs.id) == []
    assert assessments.history(actor=clinician, via=VIA, patient_id=2**70) == []


def test_types_used_are_the_clinicians_own_distinct_types_alphabetically(clinician, other_clinician, superuser):
    assert assessments.types_used(actor=clinician, via=VIA) == []
    ann, ben = factories.make_patient(clinician), factories.make_patient(clinician)
    for patient, kind, day in ((ann, "PHQ-9", "2024-01-01"), (ann, "Mood check", "2024-01-02"),
                               (ben, "PHQ-9", "2024-01-03"), (ben, "Balance", "2024-01-04"),
                               (ann, "Mood check", "2024-01-05")):
        factories.make_assessment(patient, type=kind, date=day)
    factories.make_assessment(factories.make_patient(other_clinician), type="Another type")
    _ = clinician.id, superuser.id  # loaded before counting
    with sql_statements() as seen:
        assert assessments.types_used(actor=clinician, via=VIA) == ["Balance", "Mood check", "PHQ-9"]
    assert len(seen) == 1
    assert assessments.types_used(actor=superuser, via=channels.ADMIN) == [
        "Another type", "Balance", "Mood check", "PHQ-9"]


@contextmanager
def transactions() -> Iterator[Counter]:
    """The BEGINs, COMMITs and ROLLBACKs the app's engine sends inside the block, by name."""
    seen: Counter = Counter()
    listeners = {name: (lambda _connection, name=name: seen.update([name])) for name in ("begin", "commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    try:
        yield seen
    finally:
        for name, listener in listeners.items():
            event.remove(db.engine, name, listener)


def test_the_patient_page_reads_in_the_one_transaction_that_records_the_read(app, alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    factories.make_assessment(patient, type="PHQ-9", date="2024-02-05")
    alice.get(f"/patients/{patient.id}")  # the session's first use is noted; from now on it is read only
    before = len(audit_rows(action="read", entity_type="patient", entity_id=patient.id))
    with transactions() as seen:
        response, sent = get_with_sql(alice, f"/patients/{patient.id}")
    # the session, the patient with the read's audit event (apart on SQLite, which runs no INSERT in a
    # WITH), the history, the last change; nothing to roll back
    assert len(sent) == (4 if db.engine.dialect.name == "postgresql" else 5) and seen == {"begin": 1, "commit": 1}
    assert len(audit_rows(action="read", entity_type="patient", entity_id=patient.id)) == before + 1
    assert texts(parse(response), "table.history a") == ["PHQ-9", "Mood check"]


def test_the_patient_list_and_the_assessment_form_cost_three_statements_each(alice, clinician):
    patients = [factories.make_patient(clinician) for _ in range(3)]
    factories.make_assessment(patients[0], type="Mood check")
    alice.get("/")
    _, listed = get_with_sql(alice, "/")                        # the session, the page, the latest assessments
    _, form = get_with_sql(alice, f"/patients/{patients[0].id}/assessments/new")  # the session, the patient, the types
    assert (len(listed), len(form)) == (3, 3)
