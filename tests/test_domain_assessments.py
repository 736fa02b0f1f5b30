"""Assessments in the domain layer: whole-record rules, PUT/PATCH semantics, scoping, atomic writes."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from healthpal.domain import assessments, audit, channels, patients, rules, sessions, users
from healthpal.domain.exceptions import Conflict, Invalid, NotFound
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, QARound
from tests import factories
from tests.toolkit import count, errors_of, reloaded

API = channels.API
ROUNDS = [{"question": "How do you feel?", "answer": "Fine"}, {"question": "Any pain?", "answer": "No"}]


def pairs(assessment: Assessment) -> list:
    return [(r.question, r.answer) for r in assessment.rounds]


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, birthdate="1980-05-17")


def new(owner, /, **fields):
    """An assessment of `owner` (a patient) created by its clinician; `fields` override the defaults."""
    data = {"patient": owner.id, "type": "Cognitive test", "score": 85, "qna_rounds": ROUNDS, **fields}
    return assessments.create(actor=owner.clinician, via=API, data=data)


def test_create_stores_the_assessment_and_its_rounds_in_order(patient):
    rounds = [{"question": f" Q{i} ", "answer": f"A{i}"} for i in (3, 1, 2)]
    created = new(patient, date="2024-01-15", score="85", type=" PHQ-9 ", qna_rounds=rounds)
    assessment = reloaded(Assessment, created.id)
    assert (assessment.patient_id, assessment.type, assessment.date, assessment.score) == (
        patient.id, "PHQ-9", date(2024, 1, 15), 85)
    assert pairs(assessment) == [("Q3", "A3"), ("Q1", "A1"), ("Q2", "A2")]
    assert [r.position for r in assessment.rounds] == [0, 1, 2]


def test_create_without_date_is_dated_today(patient, frozen_clock):
    assert reloaded(Assessment, new(patient).id).date == date(2026, 6, 15)
    frozen_clock.advance(days=1)                      # "today" is read per call, never frozen
    assert reloaded(Assessment, new(patient).id).date == date(2026, 6, 16)


def test_create_reports_every_field_error_at_once(patient, clinician):
    errors = errors_of(lambda: assessments.create(actor=clinician, via=API, data={}))
    assert errors == {name: ["This field is required."] for name in ("patient", "type", "score", "qna_rounds")}

    errors = errors_of(lambda: assessments.create(actor=clinician, via=API, data={
        "patient": patient.id, "type": "Bad  type", "date": None, "score": 50.5,
        "qna_rounds": [ROUNDS[0], {"question": "Q", "answer": " "}]}))
    assert errors["date"] == ["This field may not be null."]
    assert errors["qna_rounds"] == [{}, {"answer": ["This field may not be blank."]}]
    assert set(errors) == {"type", "date", "score", "qna_rounds"}
    assert count(Assessment) == 0


def test_patient_must_be_one_of_the_callers_own_with_one_message(patient, clinician, other_clinician):
    theirs = factories.make_patient(other_clinician)
    for value in (theirs.id, 10**6, 2**63, 0, -1, "abc", "²", True, 1.0, [patient.id]):
        errors = errors_of(lambda value=value: new(patient, patient=value))
        assert errors == {"patient": [assessments.UNKNOWN_PATIENT]}, value
    assert reloaded(Assessment, new(patient, patient=f" {patient.id} ").id).patient_id == patient.id  # a digit string


def test_date_cannot_be_before_the_birthdate_or_after_today(patient, frozen_clock):
    assert errors_of(lambda: new(patient, date="1980-05-16")) == {"date": [assessments.BEFORE_BIRTH]}
    assert new(patient, date="1980-05-17").date == date(1980, 5, 17)
    assert errors_of(lambda: new(patient, date="2026-06-16")) == {"date": ["Assessment date cannot be in the future."]}
    frozen_clock.advance(days=1)
    assert new(patient, date="2026-06-16").date == date(2026, 6, 16)


def test_one_assessment_per_patient_type_and_date(patient):
    new(patient, date="2024-01-15")
    assert errors_of(lambda: new(patient, date="2024-01-15", score=1, qna_rounds=[ROUNDS[1]])) == {
        "non_field_errors": [assessments.DUPLICATE]}
    new(patient, date="2024-01-15", type="Mood check")
    new(patient, date="2024-01-16")
    assert count(Assessment) == 3


# --- PUT and PATCH --------------------------------------------------------------------------------

def test_put_needs_patient_type_score_rounds_and_keeps_the_stored_date(patient, frozen_clock):
    assessment = new(patient, date="2024-01-15")
    errors = errors_of(lambda: assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                                                  data={"type": "Mood"}))
    assert errors == {name: ["This field is required."] for name in ("patient", "score", "qna_rounds")}
    frozen_clock.advance(days=400)
    assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id, data={
        "patient": patient.id, "type": "Mood", "score": 10, "qna_rounds": [{"question": "New?", "answer": "Yes"}]})
    after = reloaded(Assessment, assessment.id)
    assert (after.date, after.type, after.score, pairs(after)) == (date(2024, 1, 15), "Mood", 10, [("New?", "Yes")])


def test_patch_of_only_the_date_to_before_the_birthdate_is_keyed_date(patient):
    assessment = new(patient, date="2024-01-15")
    errors = errors_of(lambda: assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                                                  data={"date": "1970-01-01"}, partial=True))
    assert errors == {"date": [assessments.BEFORE_BIRTH]}
    assert reloaded(Assessment, assessment.id).date == date(2024, 1, 15)


def test_patch_of_only_the_patient_is_checked_against_the_stored_date(patient, clinician):
    younger = factories.make_patient(clinician, birthdate="2020-01-01")
    assessment = new(patient, date="2010-01-01")
    errors = errors_of(lambda: assessments.update(actor=clinician, via=API, assessment_id=assessment.id,
                                                  data={"patient": younger.id}, partial=True))
    assert errors == {"date": [assessments.BEFORE_BIRTH]}


def test_patch_leaves_rounds_alone_unless_sent_then_replaces_them_whole(patient):
    assessment = new(patient, date="2024-01-15")
    assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id, data={"score": 5}, partial=True)
    after = reloaded(Assessment, assessment.id)
    assert after.score == 5 and pairs(after) == [("How do you feel?", "Fine"), ("Any pain?", "No")]

    replacement = [{"question": "Any pain?", "answer": "Some"}, {"question": "Sleep?", "answer": "Badly"}]
    assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                       data={"qna_rounds": replacement}, partial=True)
    assert pairs(reloaded(Assessment, assessment.id)) == [("Any pain?", "Some"), ("Sleep?", "Badly")]
    assert count(QARound) == 2


def test_rounds_replaced_by_the_same_questions_swapped_take_each_others_places(patient):
    """The new rounds take the old ones' positions and questions (each unique per assessment): the
    old rows are gone before the new ones are written, in one statement on PostgreSQL."""
    assessment = new(patient, date="2024-01-15")
    swapped = [{"question": "Any pain?", "answer": "Yes"}, {"question": "How do you feel?", "answer": "Tired"}]
    updated = assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                                 data={"qna_rounds": swapped}, partial=True)
    assert pairs(updated) == pairs(reloaded(Assessment, assessment.id)) == [("Any pain?", "Yes"),
                                                                            ("How do you feel?", "Tired")]
    assert count(QARound) == 2


def test_patch_null_date_is_refused(patient):
    assessment = new(patient, date="2024-01-15")
    errors = errors_of(lambda: assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                                                  data={"date": None}, partial=True))
    assert errors == {"date": ["This field may not be null."]}


def test_update_into_an_existing_patient_type_and_date_is_refused(patient):
    new(patient, date="2024-01-15")
    second = new(patient, date="2024-01-16")
    errors = errors_of(lambda: assessments.update(actor=patient.clinician, via=API, assessment_id=second.id,
                                                  data={"date": "2024-01-15"}, partial=True))
    assert errors == {"non_field_errors": [assessments.DUPLICATE]}
    assert reloaded(Assessment, second.id).date == date(2024, 1, 16)


def test_update_and_audit_record_what_changed(patient):
    assessment = new(patient, date="2024-01-15")
    assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                       data={"score": 85, "qna_rounds": ROUNDS}, partial=True)          # no change at all
    assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id, data={"score": 90}, partial=True)
    events = audit.events_for(entity_type="assessment", entity_id=assessment.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"score": [85, 90]}


# --- scoping -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("operation", ["get", "read", "update", "patch", "delete"])
def test_another_clinicians_assessment_is_not_found(clinician, other_clinician, operation):
    theirs = factories.make_assessment(factories.make_patient(other_clinician), score=40)
    calls = {
        "get": lambda: assessments.get(actor=clinician, via=API, assessment_id=theirs.id),
        "read": lambda: assessments.read(actor=clinician, via=API, assessment_id=theirs.id),
        "update": lambda: assessments.update(actor=clinician, via=API, assessment_id=theirs.id, data={}),
        "patch": lambda: assessments.update(actor=clinician, via=API, assessment_id=theirs.id, data={"score": 1},
                                            partial=True),
        "delete": lambda: assessments.delete(actor=clinician, via=API, assessment_id=theirs.id),
    }
    with pytest.raises(NotFound):
        calls[operation]()
    assert reloaded(Assessment, theirs.id).score == 40


def test_lists_and_type_suggestions_never_include_other_clinicians(patient, clinician, other_clinician):
    mine = new(patient, date="2024-01-15")
    factories.make_assessment(factories.make_patient(other_clinician), type="Secret type")
    page = assessments.search(actor=clinician, via=API)
    assert [a.id for a in page.items] == [mine.id] and page.total == 1
    assert assessments.types_used(actor=clinician, via=API) == ["Cognitive test"]


def test_delete_removes_the_rounds_too(patient):
    assessment = new(patient, date="2024-01-15")
    kept = new(patient, date="2024-01-16")
    assessments.delete(actor=patient.clinician, via=API, assessment_id=assessment.id)
    assert count(Assessment) == 1 and count(QARound) == len(ROUNDS)
    assert reloaded(Assessment, kept.id) is not None


# --- a failed write changes nothing --------------------------------------------------------------------

class DatabaseDown(Exception):
    """Stands for the database failing part-way through a write."""


@pytest.fixture
def failing_round_inserts():
    """Every statement that inserts rounds fails, at the database connection (however the domain
    writes them: on their own, or in one statement with the assessment's own write)."""
    def fail(_connection, _cursor, statement, *_args):
        if "INSERT INTO QA_ROUNDS" in statement.upper():
            raise DatabaseDown("connection lost while inserting rounds")

    event.listen(db.engine, "before_cursor_execute", fail)
    yield
    event.remove(db.engine, "before_cursor_execute", fail)


def test_a_failure_while_inserting_rounds_leaves_no_assessment(patient, failing_round_inserts):
    audit_before = count(AuditEvent)
    with pytest.raises(DatabaseDown):
        new(patient, date="2024-01-15")
    assert count(Assessment) == 0 and count(QARound) == 0 and count(AuditEvent) == audit_before


@pytest.fixture
def assessment(patient):
    return new(patient, date="2024-01-15")


def test_a_failure_while_replacing_rounds_keeps_the_old_record(patient, assessment, failing_round_inserts):
    audit_before = count(AuditEvent)
    with pytest.raises(DatabaseDown):
        assessments.update(actor=patient.clinician, via=API, assessment_id=assessment.id,
                           data={"score": 1, "qna_rounds": [{"question": "New?", "answer": "Yes"}]}, partial=True)
    after = reloaded(Assessment, assessment.id)
    assert after.score == 85 and pairs(after) == [("How do you feel?", "Fine"), ("Any pain?", "No")]
    assert count(AuditEvent) == audit_before


def test_the_database_refuses_duplicate_questions_even_past_the_rules(patient, monkeypatch):
    """Were the rules ever bypassed, the digest constraint still stops half an assessment being saved,
    and the refusal names the rounds, not a duplicate assessment."""
    monkeypatch.setattr(rules, "qna_rounds", lambda value: [("Same?", "a"), ("Same?", "b")])
    errors = errors_of(lambda: new(patient, date="2024-01-15"))
    assert errors == {"qna_rounds": [assessments.DUPLICATE_QUESTION]}
    assert count(Assessment) == 0 and count(QARound) == 0


def test_ten_thousand_character_questions_are_stored_and_kept_unique(patient):
    long_question = "Why? " + "x" * 9_995
    assessment = new(patient, date="2024-01-15", qna_rounds=[
        {"question": long_question, "answer": "a" * 10_000},
        {"question": long_question[:-1] + "y", "answer": "b"},
    ])
    assert [len(q) for q, _ in pairs(reloaded(Assessment, assessment.id))] == [10_000, 10_000]


# --- races (PostgreSQL) ------------------------------------------------------------------------------

def without_the_check(_connection, _cursor, statement, parameters, _context, _executemany):
    """The assessment's INSERT as if no other assessment held its key (its `WHERE NOT EXISTS` off)."""
    return statement.replace("WHERE NOT (EXISTS (", "WHERE NOT (false AND EXISTS ("), parameters


@pytest.mark.postgres
@pytest.mark.parametrize("precheck", ["with", "without"])
def test_simultaneous_identical_creates_give_one_assessment(patient, race, request, precheck):
    """Without the check every thread's INSERT writes its row: the constraint decides, never a 500."""
    if precheck == "without":
        event.listen(db.engine, "before_cursor_execute", without_the_check, retval=True)
        request.addfinalizer(lambda: event.remove(db.engine, "before_cursor_execute", without_the_check))
    data = {"patient": patient.id, "type": "Cognitive test", "date": "2024-01-15", "score": 85, "qna_rounds": ROUNDS}
    clinician_id = patient.clinician_id
    results = race(lambda: assessments.create(actor=users.get(user_id=clinician_id), via=API, data=data))
    assert sorted(type(r).__name__ for r in results) == ["Assessment"] + ["Invalid"] * (len(results) - 1)
    assert all(r.errors == {"non_field_errors": [assessments.DUPLICATE]} for r in results if isinstance(r, Invalid))
    assert count(Assessment) == 1 and count(QARound) == len(ROUNDS)


def _by_sign_in(actor, **change):
    """`update_by_sign_in` for a mobile-app sign-in of `actor` started now."""
    _, secret = sessions.start(kind=sessions.APP, user_id=actor.id, lifetime=timedelta(hours=1))
    sign_in = sessions.sign_in_values(secret=secret, user_id=actor.id, user_key=actor.key)
    return assessments.update_by_sign_in(sign_in, **change)


@pytest.mark.postgres
@pytest.mark.parametrize("write", [lambda actor, **change: assessments.update(actor=actor, **change), _by_sign_in],
                         ids=["update", "update_by_sign_in"])
def test_an_assessment_moved_between_the_locks_of_its_patient_and_its_own_is_not_written(patient, assessment, write):
    """A write locks the assessment's patient, then the assessment: when another writer moved it to
    another patient in between, that patient is not locked, so nothing is written (Conflict)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite admits one writer at a time")
    elsewhere = factories.make_patient(patient.clinician, full_name="Ada Elsewhere")
    db.session.commit()
    moves = []

    def move_first(_connection, _cursor, statement, *_args):
        if not moves and statement.rstrip().endswith("FOR UPDATE OF assessments"):
            moves.append(assessment.id)
            with db.engine.begin() as other:
                other.execute(update(Assessment).where(Assessment.id == assessment.id).values(patient_id=elsewhere.id))

    event.listen(db.engine, "before_cursor_execute", move_first)
    try:
        with pytest.raises(Conflict):
            write(patient.clinician, via=API, assessment_id=assessment.id, data={"score": 3}, partial=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", move_first)
    after = reloaded(Assessment, assessment.id)
    assert moves and after.patient_id == elsewhere.id and after.score == 85


# --- the clinician an assessment carries ---------------------------------------------------------------

def clinician_of(assessment_id: int):
    return db.session.scalar(select(Assessment.clinician_id).where(Assessment.id == assessment_id))


def listed_ids(actor, via=API) -> list[int]:
    return [a.id for a in assessments.search(actor=actor, via=via).items]


def test_an_assessment_carries_its_patients_clinician(patient, clinician):
    assert clinician_of(new(patient).id) == clinician.id


def test_reassigning_a_patient_takes_its_assessments_along(patient, clinician, other_clinician, superuser):
    made = [new(patient, date="2024-01-01").id, new(patient, date="2024-02-01").id]
    patients.update(actor=superuser, via=channels.ADMIN, patient_id=patient.id,
                    data={"clinician_id": other_clinician.id}, partial=True)
    assert listed_ids(other_clinician) == made and listed_ids(clinician) == []
    assert {clinician_of(number) for number in made} == {other_clinician.id}
    assert assessments.get(actor=other_clinician, via=API, assessment_id=made[0]).id == made[0]
    with pytest.raises(NotFound):
        assessments.get(actor=clinician, via=API, assessment_id=made[0])


def test_a_deleted_clinicians_assessments_stay_with_their_unassigned_patients(patient, clinician, superuser):
    made = new(patient).id
    users.delete(actor=superuser, via=channels.ADMIN, user_id=clinician.id)
    assert clinician_of(made) is None
    assert listed_ids(superuser, channels.ADMIN) == [made]


def test_the_database_refuses_an_assessment_under_another_clinician(patient, other_clinician):
    made = new(patient)
    made.clinician_id = other_clinician.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
