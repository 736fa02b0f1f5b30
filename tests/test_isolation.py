"""Every test starts from an empty database and a fresh sign-in throttle, whatever ran before it.

Each of the two runs below checks that it starts clean, then leaves rows in every table (and
failures in the throttle) behind; whichever order they run in, the second proves the cleanup.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from healthpal import sign_in_throttle
from healthpal.domain import channels, idempotency, patients, sessions, users
from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db
from tests import factories


def row_counts() -> dict:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.mark.parametrize("run", ["first", "second"])
def test_each_test_starts_empty_and_may_leave_a_mess(run):
    assert set(row_counts().values()) == {0}
    sign_in_throttle.current().check(username="alice", address="10.0.0.1")   # no failures carried over

    clinician = factories.make_user("alice")
    patient = factories.make_patient(clinician, full_name="Ann Lee")
    factories.make_assessment(patient)
    patients.read(actor=clinician, via=channels.API, patient_id=patient.id)
    sessions.start(kind=sessions.APP, user_id=clinician.id, lifetime=timedelta(days=1))
    idempotency.once(actor=clinician, key="key-" + run, fingerprint="same", create=lambda: patient,
                     render=lambda _: idempotency.Answer(201, "{}", "1"))
    for _ in range(5):
        with pytest.raises(Invalid):
            users.sign_in(username="alice", password="wrong-password", address="10.0.0.1", via=channels.API,
                          throttle=sign_in_throttle.current())

    assert 0 not in row_counts().values()                         # every table now holds something
