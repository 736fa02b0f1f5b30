"""The audit invariant is mechanical: a transaction that changes a user, patient, assessment or Q&A
round without an audit event is refused in the tests (and logged in production)."""
import logging
from datetime import date

import pytest

from healthpal.domain import assessments, audit, audit_guard, channels
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, User
from tests import factories
from tests.toolkit import count


@pytest.fixture
def guard_mode():
    """`guard_mode("log")` switches this test's engine to that mode; the tests' "raise" comes back after."""
    yield lambda mode: audit_guard.install(db.engine, mode)
    audit_guard.install(db.engine, "raise")


def unaudited_patient(clinician) -> Patient:
    return Patient(clinician_id=clinician.id, full_name="Ann Lee", gender="f", birthdate=date(1980, 1, 1),
                   phone="1", address="a")


def test_a_write_without_an_audit_event_is_refused_and_stores_nothing(clinician):
    db.session.add(unaudited_patient(clinician))
    with pytest.raises(audit_guard.Unaudited, match=r"Patient None \(insert\)"):
        db.session.commit()
    db.session.rollback()
    assert count(Patient) == 0


def test_an_update_or_delete_without_an_event_is_refused_too(clinician):
    patient = factories.make_patient(clinician)
    patient.phone = "999"
    with pytest.raises(audit_guard.Unaudited, match=rf"Patient {patient.id} \(update\)"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(User, clinician.id))
    with pytest.raises(audit_guard.Unaudited, match=r"\(delete\)"):
        db.session.commit()


def test_a_domain_write_made_without_the_orm_needs_its_event_too(clinician):
    """The assessments' prebuilt statements carry `WRITES`: run without their event, refused."""
    patient = factories.make_patient(clinician)
    db.session.commit()
    db.session.execute(assessments._DELETE_ROUNDS, {"assessment_id": 1})
    with pytest.raises(audit_guard.Unaudited, match=r"qa_rounds \(statement\)"):
        db.session.commit()
    db.session.rollback()
    created = assessments.create(actor=clinician, via=channels.API, data={
        "patient": patient.id, "type": "Mood check", "score": 5, "qna_rounds": [{"question": "Q?", "answer": "A"}]})
    assert created.id and count(Assessment) == 1     # with its event, in one statement or in several


def test_a_write_whose_event_comes_in_a_later_flush_of_the_same_transaction_passes(clinician):
    patient = unaudited_patient(clinician)
    db.session.add(patient)
    db.session.flush()                                   # the id the event needs
    audit.record(actor=clinician, via=channels.CLI, action=audit.CREATE, entity=patient)
    db.session.commit()
    assert count(Patient) == 1


def test_an_event_of_an_earlier_transaction_does_not_cover_a_later_write(clinician):
    factories.make_patient(clinician)                    # audited, committed
    db.session.add(unaudited_patient(clinician))
    with pytest.raises(audit_guard.Unaudited):
        db.session.commit()


def test_in_log_mode_the_write_commits_and_one_error_names_it(clinician, guard_mode, caplog):
    guard_mode("log")
    db.session.add(unaudited_patient(clinician))
    with caplog.at_level(logging.ERROR, logger="healthpal.domain.audit_guard"):
        db.session.commit()
    assert count(Patient) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "unaudited write: Patient None (insert) committed without an audit event"]


def test_off_watches_nothing(clinician, guard_mode, caplog):
    guard_mode("off")
    db.session.add(unaudited_patient(clinician))
    db.session.commit()
    assert count(Patient) == 1 and not caplog.records


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="raise, log, off"):
        audit_guard.install(db.engine, "loud")
