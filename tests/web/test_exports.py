"""Downloads and printouts in the portal: the buttons, what they give, and the audit trail."""
import csv
import io

from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tests.markup import attr, parse, text_of, texts
from tests.web.conftest import audit_rows


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_the_patient_page_offers_print_csv_and_fhir(alice, clinician):
    patient = factories.make_patient(clinician)
    doc = parse(alice.get(f"/patients/{patient.id}"))
    assert text_of(doc, f'main a[href="/patients/{patient.id}/print"]') == "Print"
    downloads = {a.text(): a.attributes["href"] for a in doc.css("main a[download]")}
    assert downloads == {"Download CSV": f"/patients/{patient.id}/assessments.csv",
                         "Download FHIR": f"/patients/{patient.id}/fhir"}


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
    doc = parse(alice.get("/?q=Mü&gender=f&sort=-birthdate"))
    assert text_of(doc, "a.download[download]").startswith("Download CSV")
    assert attr(doc, "a.download[download]", "href") == "/patients.csv?q=M%C3%BC&gender=f&sort=-birthdate"


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
    doc = parse(alice.get(f"/patients/{patient.id}/print"))
    assert text_of(doc, ".print-header .clinic") == "Lakeside Clinic"
    assert text_of(doc, ".print-header .printed") == "Printed 2026-06-15 12:00 UTC"
    assert text_of(doc, "h1") == "Zoë Müller" and "1980-05-17" in text_of(doc, "main")
    assert texts(doc, 'td[data-label="Score"]') == ["55", "40"] and len(doc.css("figure.chart")) == 1
    assert doc.css("header.site-header, form") == []  # no menu, no Sign out: only the record
    (event,) = audit_rows(action="export")
    assert (event.patient_id, event.changes) == (patient.id, {"format": "print", "filters": {}, "rows": 3})


def test_the_printable_assessment_has_every_round(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    assessment = factories.make_assessment(patient, type="Memory screen", score=77, qna_rounds=[
        {"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(1, 13)])
    detail = parse(alice.get(f"/assessments/{assessment.id}"))
    assert text_of(detail, f'main a[href="/assessments/{assessment.id}/print"]') == "Print"
    doc = parse(alice.get(f"/assessments/{assessment.id}/print"))
    assert text_of(doc, "h1") == "Memory screen" and text_of(doc, ".score strong") == "77"
    assert texts(doc, "p.question") == [f"Question {n}?" for n in range(1, 13)]
    (event,) = audit_rows(action="export")
    assert (event.entity_type, event.patient_id, event.changes["filters"]) == (
        "assessment", patient.id, {"assessment": assessment.id})
