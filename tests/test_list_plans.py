"""Every list reads the signed-in clinician's own rows only, however many other clinicians' rows
there are: PostgreSQL's EXPLAIN ANALYZE of each statement a list sends, against a few thousand rows
made by the benchmark's seeder, must not scan a big table in full nor walk more rows of it than
the clinician has (bench/plans.py judges the plans).

Tables this small are cheapest to read whole, so sequential scans are priced out of the plans
(`enable_seqscan = off`), as they are by size in a real clinic: a list that no index serves still
shows as a full scan, or as a walk through other clinicians' index entries."""
import argparse
from datetime import date

import pytest
from sqlalchemy import text

from bench import plans, seed
from healthpal.domain import assessments, audit, channels, patients
from healthpal.extensions import db
from healthpal.models import Patient, User
from tests.toolkit import sql_statements

API = channels.API


@pytest.fixture
def clinic(app, database_uri):
    """20 clinicians of 40 patients (clin001's with 10 assessments each, the others' with 1–2) and
    big100 with 100 patients of 10 assessments each: about 2,800 assessments, 14,000 rounds."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's (set TEST_DATABASE_URL)")
    options = argparse.Namespace(password="clinic-password-1", big_clinician=[100], patients_per_clinician=40)
    plan = seed.accounts(app, options, 20)
    with db.engine.connect() as connection:
        seed.load(connection, plan, 0, seed.Progress(sum(size for _, size, _ in plan.values())))
        connection.execute(text("ANALYZE"))
        connection.commit()
    return {name: db.session.get(User, clinician_id) for name, (clinician_id, _, _) in plan.items()}


def patient_ids(clinician) -> dict:
    """One of the clinician's patients, and one of someone else's."""
    query = "SELECT min(id) FROM patients WHERE clinician_id {} :c"
    return {whose: db.session.scalar(text(query.format(operator)), {"c": clinician.id})
            for whose, operator in (("own", "="), ("other", "<>"))}


def assessment_list(**filters):
    ordering = filters.pop("ordering", None)
    page = filters.pop("page", 1)
    whose = filters.pop("patient_of", None)

    def run(actor, ids):
        chosen = {**filters, "patient": ids[whose]} if whose else filters
        return assessments.search(actor=actor, via=API, filters=chosen, ordering=ordering, page=page, page_size=20)
    return run


def rows_walked(sent, table: str) -> list[int]:
    """Rows of `table` each scan in the plans of the statements `sent` read (sequential scans priced out)."""
    with db.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        return [scan.walked for statement in sent
                for scan in plans.scans(plans.explain(connection, statement, statement.parameters))
                if scan.table == table]


def patient_list(**options):
    return lambda actor, ids: patients.search(actor=actor, via=API, page_size=20, **options)


LISTS = {
    "assessments": assessment_list(),
    "assessments, newest first": assessment_list(ordering="-date"),
    "assessments by score": assessment_list(ordering="-score"),
    "assessments by type": assessment_list(ordering="type"),
    "assessments by patient": assessment_list(ordering="patient"),
    "assessments of a type since a day": assessment_list(type="Mood check", date_gte=date(2023, 1, 1)),
    "assessments of one day": assessment_list(date=date(2022, 5, 1)),
    "assessments until a day": assessment_list(date_lte=date(2021, 1, 1), ordering="-date"),
    "assessments, last page": assessment_list(page="last"),
    "assessments of one patient": assessment_list(patient_of="own"),
    "assessments of someone else's patient": assessment_list(patient_of="other"),
    "patients": patient_list(),
    "patients by birthdate": patient_list(ordering="-birthdate"),
    "patients, newest first": patient_list(ordering="-created_at"),
    "patients of one gender": patient_list(gender="f"),
    "patients, last page": patient_list(page="last"),
    "latest assessment of a page of patients": lambda actor, ids: assessments.latest_for(
        actor=actor, via=API, patient_ids=range(ids["own"], ids["own"] + 20)),
    "one patient's history": lambda actor, ids: assessments.history(actor=actor, via=API, patient_id=ids["own"]),
    "assessment types used": lambda actor, ids: assessments.types_used(actor=actor, via=API),
}


@pytest.mark.parametrize("username", ["clin002", "clin001", "big100"])
def test_every_list_reads_only_the_clinicians_own_rows(clinic, username):
    clinician = clinic[username]
    ids = patient_ids(clinician)
    found = {}
    for name, run in LISTS.items():
        with sql_statements() as sent:
            run(clinician, ids)
        assert sent, name
        with db.engine.connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))
            own = plans.own_rows(connection, clinician.id)
            for statement in sent:
                problems = plans.problems(plans.explain(connection, statement, statement.parameters), own)
                if problems:
                    found[name] = (problems, statement,
                                   plans.explain(connection, statement, statement.parameters, fmt="TEXT"))
    assert found == {}


def test_the_judge_sees_a_list_that_walks_the_whole_clinic(clinic):
    """What the assessment list did before migration 0006: the global date index, joined to the patients."""
    clinician = clinic["clin002"]
    statement = ("SELECT assessments.id FROM assessments JOIN patients ON patients.id = assessments.patient_id"
                 " WHERE patients.clinician_id = %(c)s ORDER BY assessments.date, assessments.id LIMIT 20")
    with db.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        found = plans.problems(plans.explain(connection, statement, {"c": clinician.id}),
                               plans.own_rows(connection, clinician.id))
    assert len(found) == 1 and "beyond the clinician's" in found[0], found


def test_the_unfiltered_list_tells_its_total_without_counting_assessments(clinic):
    """A full page of big100's 1,000 assessments reads the page's 20 and no more: the total is the
    clinician's running count (`assessment_counts`), not a count of their index entries."""
    clinician = clinic["big100"]
    with sql_statements() as sent:
        page = assessment_list()(clinician, {})
    assert page.total == 1000 and len(page.items) == 20
    assert rows_walked(sent, "assessments") == [20]


def test_the_unfiltered_patient_list_tells_its_total_without_counting_patients(clinic):
    """A full page of big100's 100 patients reads the page's 20 and no more: the total is the
    clinician's running count (`patient_counts`); a filtered page still counts its own entries."""
    clinician = clinic["big100"]
    with sql_statements() as sent:
        page = patient_list()(clinician, {})
    assert page.total == 100 and len(page.items) == 20
    assert rows_walked(sent, "patients") == [20]
    with sql_statements() as sent:
        page = patient_list(gender="f")(clinician, {})
    assert page.total > 20 and len(rows_walked(sent, "patients")) == 2   # the page, then its count


def test_a_filtered_list_tells_its_total_from_the_month_counts_and_its_edge_month(clinic):
    """A full page of big100's assessments of one type since the middle of a month reads the page's
    20 rows and that month's entries from the day on, not every entry since the day: the whole
    months after it are summed from `assessment_month_counts`."""
    clinician = clinic["big100"]
    since = db.session.scalar(text("SELECT min(date) FROM assessments WHERE clinician_id = :c AND type = 'Mood check' "
                                   "AND date >= '2021-01-01' AND extract(day FROM date) > 1"), {"c": clinician.id})
    matching = ("SELECT count(*) FROM assessments WHERE clinician_id = :c AND type = 'Mood check' "
                "AND date >= :since AND date < :until")
    until = date(since.year + since.month // 12, since.month % 12 + 1, 1)
    edge = db.session.scalar(text(matching), {"c": clinician.id, "since": since, "until": until})
    every = db.session.scalar(text(matching), {"c": clinician.id, "since": since, "until": date.max})
    with sql_statements() as sent:
        page = assessment_list(type="Mood check", date_gte=since)(clinician, {})
    assert page.total == every > 20 + edge > 20 and len(page.items) == 20
    assert rows_walked(sent, "assessments") == [20, edge]


def test_who_last_changed_a_record_is_one_index_entry_however_many_changes_the_clinic_has(clinic):
    """The pages' "last changed by" reads that record's latest change only, not every create and
    update of the clinic (migration 0010's partial index), while reads of it are the most numerous."""
    clinician = clinic["clin002"]
    patient = db.session.get(Patient, patient_ids(clinician)["own"])
    db.session.execute(text(
        "INSERT INTO audit_events (at, actor_username, action, entity_type, entity_id, patient_id, channel) "
        "SELECT now(), 'someone', CASE WHEN n % 2 = 0 THEN 'create' ELSE 'update' END, 'patient', p.id, p.id, 'api' "
        "FROM patients p CROSS JOIN generate_series(1, 3) AS n"
    ))
    db.session.execute(text(
        "INSERT INTO audit_events (at, actor_username, action, entity_type, entity_id, patient_id, channel) "
        "SELECT now(), 'reader', 'read', 'patient', :p, :p, 'api' FROM generate_series(1, 500)"
    ), {"p": patient.id})
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE audit_events"))
        connection.commit()
    with sql_statements() as sent:
        change = audit.last_change(patient)
    assert change is not None and change.actor_username == "someone"
    assert rows_walked(sent, "audit_events") == [1]
