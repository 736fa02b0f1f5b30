"""The patient list as clinicians use it: accent-blind search, date of birth, address labels,
sort by last assessment and score, "not assessed lately"; and who last changed a record."""
import pytest

from healthpal.domain import assessments, audit, channels, patients, users
from tests import factories
from tests.markup import attr, errors_for, form_values, parse, text_of
from tests.web.conftest import counting_queries, sign_in
from tests.web.test_patients import listed, names_in


def test_the_list_shows_date_of_birth_beside_age_and_the_address_label(alice, clinician, frozen_clock):
    factories.make_patient(clinician, full_name="Ann Able", birthdate="1980-05-17",
                           address_label="48 Pirrama Rd, Pyrmont NSW 2009")
    doc = parse(alice.get("/"))
    [row] = listed(doc)
    assert (row["Age"], row["Date of birth"]) == ("46", "1980-05-17")
    assert attr(doc, 'td[data-label="Date of birth"] time', "datetime") == "1980-05-17"
    assert row["Address"] == "48 Pirrama Rd, Pyrmont NSW 2009"


@pytest.mark.parametrize("typed", ["muller", "MULLER", "Müller", "lukasz", "1980-05-17"])
def test_search_finds_names_without_accents_and_by_date_of_birth(alice, clinician, typed):
    factories.make_patient(clinician, full_name="Łukasz Müller", birthdate="1980-05-17")
    factories.make_patient(clinician, full_name="Ann Other", birthdate="1990-01-01")
    assert names_in(parse(alice.get("/", query_string={"q": typed}))) == ["Łukasz Müller"]


@pytest.fixture
def seen(clinician, frozen_clock):
    for name, day, score in (("Ann Recent", "2026-06-05", 50), ("Bea Spring", "2026-03-07", 80),
                             ("Dee Never", None, None)):
        patient = factories.make_patient(clinician, full_name=name)
        if day:
            factories.make_assessment(patient, date=day, score=score)


def test_column_headers_sort_by_last_assessment_and_score(alice, seen):
    header = 'table.patients th[aria-sort]:has(a[href*="{}"])'
    doc = parse(alice.get("/"))
    assert text_of(doc, 'th a[href="/?sort=last_assessed_on"]').startswith("Last assessment")
    assert text_of(doc, 'th a[href="/?sort=last_score"]').startswith("Score")
    doc = parse(alice.get("/?sort=last_assessed_on"))
    assert names_in(doc) == ["Dee Never", "Bea Spring", "Ann Recent"]
    assert attr(doc, header.format("sort=-last_assessed_on"), "aria-sort") == "ascending"  # and a click reverses it
    assert names_in(parse(alice.get("/?sort=-last_assessed_on"))) == ["Ann Recent", "Bea Spring", "Dee Never"]
    assert names_in(parse(alice.get("/?sort=-last_score"))) == ["Bea Spring", "Ann Recent", "Dee Never"]


def test_the_not_assessed_filter_keeps_its_choice_and_says_what_it_hid(alice, seen):
    doc = parse(alice.get("/?not_assessed=90"))
    assert names_in(doc) == ["Bea Spring", "Dee Never"]
    assert form_values(doc, "#patient-search")["not_assessed"] == "90"
    assert text_of(doc, "#not_assessed option[selected]") == "Not assessed in the last 90 days"
    assert text_of(doc, "#results .count") == "2 patients found"
    assert names_in(parse(alice.get("/?not_assessed=7"))) == [
        "Ann Recent", "Bea Spring", "Dee Never"]                      # not an offered choice: ignored
    empty = parse(alice.get("/?not_assessed=30&q=ann"))
    assert text_of(empty, "#results .empty p") == (
        "No patients match “ann” among those not assessed in the last 30 days.")


def test_sorting_and_filtering_cost_the_same_queries_as_the_plain_list(alice, clinician, seen):
    def queries_for(url):
        with counting_queries() as count:
            assert alice.get(url).status_code == 200
        return count[0]

    queries_for("/")  # the first request of a session also saves the session
    assert len({queries_for(url) for url in ("/", "/?sort=-last_score", "/?not_assessed=365&sort=last_assessed_on",
                                             "/?q=1980-05-17")}) == 1


def test_the_form_stores_and_shows_the_address_label(alice, clinician):
    data = {"full_name": "Ann Able", "gender": "f", "birthdate": "1980-05-17", "phone": "5550100",
            "address": "ChIJN1t_tDeuEmsRUsoyG83frY4", "address_label": "  Ул. Тверская, 7, Москва  "}
    response = alice.post("/patients/new", data=data)
    assert response.status_code == 302
    page = text_of(parse(alice.get(response.headers["Location"])), "main")
    assert "Ул. Тверская, 7, Москва" in page and "Open in Google Maps" in page
    patient = patients.search(actor=clinician, via=channels.PORTAL).items[0]
    assert patient.address_label == "Ул. Тверская, 7, Москва"
    assert form_values(parse(alice.get(f"/patients/{patient.id}/edit")), "form.patient-form")["address_label"] == (
        "Ул. Тверская, 7, Москва")
    refused = alice.post(f"/patients/{patient.id}/edit", data={**data, "address_label": "x" * 256})
    assert refused.status_code == 422
    assert errors_for(parse(refused), "address_label") == ["Address label must be at most 255 characters long."]


def test_patient_and_assessment_pages_say_who_last_changed_them(app, clinician, other_clinician, frozen_clock):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    assessment = factories.make_assessment(patient)
    frozen_clock.advance(hours=3, minutes=7)
    patients.update(actor=clinician, via=channels.PORTAL, patient_id=patient.id, data={"phone": "123"},
                    partial=True)
    assessments.update(actor=clinician, via=channels.PORTAL, assessment_id=assessment.id, data={"score": 9},
                       partial=True)
    alice = sign_in(app.test_client(), clinician.username)
    for url in (f"/patients/{patient.id}", f"/assessments/{assessment.id}"):
        doc = parse(alice.get(url))
        assert text_of(doc, ".last-change") == "Last changed by Alice Adams, 2026-06-15 15:07 UTC", url
        assert attr(doc, ".last-change time", "datetime") == "2026-06-15T15:07:00Z", url
    _ = patient.id  # loaded before counting
    with counting_queries() as seen:
        change = audit.last_change(entity=patient)
    assert seen[0] == 1 and change.by == "Alice Adams"


def test_a_record_changed_by_someone_gone_shows_their_recorded_username(app, clinician, superuser, frozen_clock):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    patients.update(actor=superuser, via=channels.ADMIN, patient_id=patient.id, data={"phone": "9"}, partial=True)
    alice = sign_in(app.test_client(), clinician.username)
    changed = text_of(parse(alice.get(f"/patients/{patient.id}")), ".last-change")
    assert changed.startswith(f"Last changed by {superuser.display_name}, ")
    users.delete(actor=None, via=channels.CLI, user_id=superuser.id)
    assert text_of(parse(alice.get(f"/patients/{patient.id}")), ".last-change").startswith("Last changed by root, ")
