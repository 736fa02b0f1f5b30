"""The domain reads added for the portal: scoped like every other read, one query each."""
from healthpal.domain import assessments, channels
from tests import factories
from tests.toolkit import sql_statements

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
