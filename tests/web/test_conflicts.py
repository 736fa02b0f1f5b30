"""Portal edits and deletes are conflict-safe: a form carries the version it was opened at, and saving
(or deleting) over a newer version changes nothing; the page says who changed the record and when,
shows the saved values beside the user's, and lets the user apply theirs deliberately."""
import pytest

from healthpal.domain import assessments, channels, patients
from healthpal.domain.exceptions import Conflict
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.markup import attr, form_values, page_text, parse, table_rows, text_of
from tests.web.conftest import audit_rows

VALID = {"full_name": "Ann Able", "gender": "f", "birthdate": "1980-05-17", "phone": "5551234567",
         "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}
ROUND = {"question": "How do you feel?", "answer": "Fine"}


def version_in(page) -> str:
    """The version of the record the page's form was opened at."""
    return attr(parse(page), 'main form input[type="hidden"][name="version"]', "value")


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, **VALID)


@pytest.fixture
def colleague_edit(other_clinician):
    """Someone else saves the record meanwhile (the clinician's colleague at the same desk, the API…)."""
    def edit(record, **changes):
        if isinstance(record, Patient):
            patients.update(actor=record.clinician, via=channels.API, patient_id=record.id, data=changes, partial=True)
        else:
            assessments.update(actor=record.patient.clinician, via=channels.API, assessment_id=record.id,
                               data=changes, partial=True)
    return edit


def test_the_edit_form_carries_the_version_it_was_opened_at(alice, patient, colleague_edit):
    assert version_in(alice.get(f"/patients/{patient.id}/edit")) == "1"
    colleague_edit(patient, phone="111")
    assert version_in(alice.get(f"/patients/{patient.id}/edit")) == "2"


def test_saving_over_a_newer_version_changes_nothing_and_shows_both(alice, patient, colleague_edit, frozen_clock):
    opened = version_in(alice.get(f"/patients/{patient.id}/edit"))
    colleague_edit(patient, phone="111")
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "222", "version": opened})
    assert response.status_code == 409
    doc = parse(response)
    assert text_of(doc, ".conflict h2") == "Your changes were not saved"
    assert text_of(doc, ".conflict p") == (
        "alice saved this patient at 2026-06-15 12:00:00 UTC, after you opened this form.")
    assert table_rows(doc, "table.conflict-values") == [["Phone", "111", "222"]]  # only what differs
    assert form_values(doc, "form.patient-form")["phone"] == "222"      # the user's values…
    assert version_in(response) == "2"                                   # …and the new version
    assert text_of(doc, 'form.patient-form button[type="submit"]') == "Save my changes anyway"
    assert db.session.get(Patient, patient.id).phone == "111"
    assert [e.changes for e in audit_rows(action="update", entity_type="patient")] == [{"phone": ["5551234567",
                                                                                                 "111"]}]


def test_saving_the_conflict_form_again_applies_the_users_values(alice, patient, colleague_edit):
    opened = version_in(alice.get(f"/patients/{patient.id}/edit"))
    colleague_edit(patient, phone="111")
    again = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "222", "version": opened})
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "222", "version": version_in(again)})
    assert response.status_code == 302
    assert db.session.get(Patient, patient.id).phone == "222"


def test_an_invalid_form_keeps_the_version_it_was_opened_at(alice, patient, colleague_edit):
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "x", "version": "1"})
    assert response.status_code == 422 and version_in(response) == "1"
    colleague_edit(patient, phone="111")
    fixed = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "222", "version": version_in(response)})
    assert fixed.status_code == 409


def test_deleting_a_patient_changed_since_the_confirmation_opened_asks_again(alice, patient, colleague_edit):
    patient_id = patient.id
    opened = version_in(alice.get(f"/patients/{patient.id}/delete"))
    colleague_edit(patient, full_name="Ann Bell")
    response = alice.post(f"/patients/{patient.id}/delete", data={"version": opened})
    assert response.status_code == 409
    page = page_text(parse(response))
    assert "Delete Ann Bell?" in page and "changed this patient at" in page and "nothing was deleted" in page
    assert db.session.get(Patient, patient_id) is not None
    confirmed = alice.post(f"/patients/{patient_id}/delete", data={"version": version_in(response)})
    assert confirmed.status_code == 302 and db.session.get(Patient, patient_id) is None


def test_an_assessment_edit_over_a_newer_version_shows_the_saved_rounds(alice, patient, colleague_edit):
    assessment = factories.make_assessment(patient, date="2024-01-15", score=50)
    opened = version_in(alice.get(f"/assessments/{assessment.id}/edit"))
    colleague_edit(assessment, qna_rounds=[{"question": "Sleep?", "answer": "Badly"}])
    response = alice.post(f"/assessments/{assessment.id}/edit", data={
        "type": "Cognitive test", "date": "2024-01-15", "score": "60", "version": opened, **ROUND})
    assert response.status_code == 409
    doc = parse(response)
    assert "saved this assessment at" in text_of(doc, ".conflict p")
    assert table_rows(doc, "table.conflict-values") == [
        ["Score", "50", "60"], ["Questions and answers", "1. Sleep? — Badly", "1. How do you feel? — Fine"]]
    stored = db.session.get(Assessment, assessment.id)
    assert stored.score == 50 and [r.question for r in stored.rounds] == ["Sleep?"]


def test_deleting_an_assessment_changed_since_the_confirmation_opened_asks_again(alice, patient, colleague_edit):
    assessment = factories.make_assessment(patient)
    opened = version_in(alice.get(f"/assessments/{assessment.id}/delete"))
    colleague_edit(assessment, score=99)
    response = alice.post(f"/assessments/{assessment.id}/delete", data={"version": opened})
    assert response.status_code == 409 and "nothing was deleted" in page_text(parse(response))
    assert db.session.get(Assessment, assessment.id) is not None


def test_an_unexplained_collision_is_a_clear_page_not_a_false_rule(alice, patient, monkeypatch):
    def collide(**_):
        raise Conflict("Another change to this record was saved at the same moment; nothing was saved. Try again.")

    monkeypatch.setattr(patients, "update", collide)
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "version": "1"})
    assert response.status_code == 409
    assert "nothing was saved. Try again." in page_text(parse(response))
