"""Downloads and printouts in the portal: the buttons, what they give, and the audit trail."""
import csv
import io
import re

from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tests.toolkit import audit_rows


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_the_patient_page_offers_print_csv_and_fhir(alice, clinician):
    patient = factories.make_patient(clinician)
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert f'href="/patients/{patient.id}/print">Print</a>' in page
    assert re.search(rf'href="/patients/{patient.id}/assessments.csv"\s+download[^>]*>Download CSV</a>', page)
    assert re.search(rf'href="/patients/{patient.id}/fhir"\s+download[^>]*>Download FHIR</a>', page)


def test_download_fhir_saves_the_patients_bundle(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Łukasz Nowak")
    factories.make_assessment(patient)
    response = alice.get(f"/patients/{patient.id}/fhir")
    assert response.headers["Content-Type"] == "application/fhir+json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="patient-{patient.id}.fhir.json"'
    bundle = Bundle.model_validate_json(response.get_data())
    assert bundle.entry[0].resource.name[0].text == "Łukasz Nowak"
    (event,) = audit_rows(action="export")
    assert (event.channel, event.patient_id, event.changes["format"]) == ("portal", patient.id, "fhir")


def test_the_patient_page_csv_holds_that_patients_assessments_newest_first(alice, clinician):
    patient = factories.make_patient(clinician)
    older = factories.make_assessment(patient, date="2024-01-02")
    newer = factories.make_assessment(patient, date="2024-02-02")
    factories.make_assessment(factories.make_patient(clinician))
    response = alice.get(f"/patients/{patient.id}/assessments.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="patient-{patient.id}-assessments.csv"'
    assert [row[0] for row in csv_rows(response)[1:]] == [str(newer.id), str(older.id)]
    (event,) = audit_rows(action="export")
    assert (event.channel, event.entity_type, event.patient_id, event.changes["rows"]) == (
        "portal", "assessment", patient.id, 2)


def test_the_list_csv_link_carries_the_current_search_filter_and_sort(alice, clinician):
    factories.make_patient(clinician, full_name="Zoë Müller")
    page = alice.get("/?q=Mü&gender=f&sort=-birthdate").get_data(as_text=True)
    link = re.search(r'<a class="download" href="([^"]+)"\s+download>Download CSV', page).group(1)
    assert link == "/patients.csv?q=M%C3%BC&amp;gender=f&amp;sort=-birthdate"


def test_the_list_csv_is_the_whole_filtered_sorted_list(alice, clinician):
    for n, name in enumerate(("Anna Müller", "Bea Müller", "Cleo Smith", "Dora Müller")):
        factories.make_patient(clinician, full_name=name, birthdate=f"198{n}-01-01")
    factories.make_patient(clinician, full_name="Emil Müller", gender="m")
    rows = csv_rows(alice.get("/patients.csv?q=Müller&gender=f&sort=-birthdate"))
    assert [row[1] for row in rows[1:]] == ["Dora Müller", "Bea Müller", "Anna Müller"]
    (event,) = audit_rows(action="export")
    assert event.changes == {"format": "csv", "rows": 3,
                             "filters": {"search": "Müller", "gender": "f", "ordering": "-birthdate"}}


def test_other_clinicians_records_do_not_download_or_print(bob, clinician):
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient)
    for path in (f"/patients/{patient.id}/fhir", f"/patients/{patient.id}/assessments.csv",
                 f"/patients/{patient.id}/print", f"/assessments/{assessment.id}/print"):
        assert bob.get(path).status_code == 404, path
    assert audit_rows(action="export") == []


def test_downloads_need_a_signed_in_user(client, clinician):
    patient = factories.make_patient(clinician)
    for path in ("/patients.csv", f"/patients/{patient.id}/fhir", f"/patients/{patient.id}/print"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_printable_summary_has_the_clinic_the_date_the_history_and_no_controls(app, alice, clinician,
                                                                                frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_CLINIC_NAME", "Lakeside Clinic")
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=40)
    factories.make_assessment(patient, type="Mood check", date="2024-02-05", score=55)
    page = alice.get(f"/patients/{patient.id}/print").get_data(as_text=True)
    assert '<p class="clinic">Lakeside Clinic</p>' in page
    assert "Printed <time>2026-06-15 12:00 UTC</time>" in page
    assert "<h1>Zoë Müller</h1>" in page and "1980-05-17" in page
    assert page.count('data-label="Score">') == 2 and '<figure class="chart">' in page
    assert "Sign out" not in page and 'aria-label="Main"' not in page
    (event,) = audit_rows(action="export")
    assert (event.patient_id, event.changes) == (patient.id, {"format": "print", "filters": {}, "rows": 3})


def test_the_printable_assessment_has_every_round(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    assessment = factories.make_assessment(patient, type="Memory screen", score=77, qna_rounds=[
        {"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(1, 13)])
    detail = alice.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert f'href="/assessments/{assessment.id}/print">Print</a>' in detail
    page = alice.get(f"/assessments/{assessment.id}/print").get_data(as_text=True)
    assert "<h1>Memory screen</h1>" in page and "<strong>77</strong>" in page
    assert re.findall(r'<p class="question">(Question \d+\?)</p>', page) == [f"Question {n}?" for n in range(1, 13)]
    (event,) = audit_rows(action="export")
    assert (event.entity_type, event.patient_id, event.changes["filters"]) == (
        "assessment", patient.id, {"assessment": assessment.id})
