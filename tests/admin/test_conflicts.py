"""Admin edit forms carry the record's version (a hidden field the domain checks): saving over a newer
version changes nothing, says who saved it and when, shows each differing field's saved value, and
saving again applies the admin's values."""
import pytest

from healthpal.domain import assessments, channels, patients
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.admin.test_assessments import assessment_form
from tests.admin.test_patients import patient_form
from tests.markup import attr, errors_for, flashes, parse


def version_in(response) -> str:
    """The version of the record the admin's form was opened at."""
    return attr(parse(response), 'form.admin-form input[type="hidden"][name="version"]', "value")


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, birthdate="1980-05-17")


def test_the_edit_form_carries_the_version(admin, patient):
    assert version_in(admin.get(f"/admin/patient/edit/?id={patient.id}")) == "1"


def test_saving_a_patient_over_a_newer_version_changes_nothing_and_shows_the_saved_values(admin, patient):
    opened = version_in(admin.get(f"/admin/patient/edit/?id={patient.id}"))
    patients.update(actor=patient.clinician, via=channels.API, patient_id=patient.id, data={"phone": "111"},
                    partial=True)
    response = admin.post(f"/admin/patient/edit/?id={patient.id}",
                          data=patient_form(patient, phone="222", version=opened))
    assert response.status_code == 200
    page = parse(response)
    [message] = [f for f in flashes(page) if f.startswith("Not saved")]
    assert "alice saved this record at" in message and "save again to apply yours" in message
    assert errors_for(page, "phone") == ["Saved now: 111"] and errors_for(page, "full_name") == []
    assert version_in(response) == "2"
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone == "111"
    again = admin.post(f"/admin/patient/edit/?id={patient.id}", data=patient_form(patient, phone="222", version="2"))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).phone == "222"


def test_saving_an_assessment_over_a_newer_version_changes_nothing(admin, patient):
    assessment = factories.make_assessment(patient, date="2024-03-01", score=85)
    opened = version_in(admin.get(f"/admin/assessment/edit/?id={assessment.id}"))
    assessments.update(actor=patient.clinician, via=channels.API, assessment_id=assessment.id, data={"score": 10},
                       partial=True)
    response = admin.post(f"/admin/assessment/edit/?id={assessment.id}",
                          data=assessment_form(patient, score="85", type="Mood", version=opened))
    page = parse(response)
    assert any(f.startswith("Not saved") for f in flashes(page))
    assert errors_for(page, "score") == ["Saved now: 10"]
    assert errors_for(page, "type") == ["Saved now: Cognitive test"]
    db.session.expire_all()
    stored = db.session.get(Assessment, assessment.id)
    assert (stored.score, stored.type, stored.version) == (10, "Cognitive test", 2)
