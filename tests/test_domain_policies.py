"""Each policy is one function, and every entry point that applies it gives the same answer: who sees
everything, whether a mobile sign-in is still honoured, which page numbers exist, what the audit
trail records of an assessment, whether registration is open, and the throttle's limits."""
import ast
from datetime import timedelta
from pathlib import Path

import pytest

from healthpal import sign_in_throttle
from healthpal.domain import assessments, audit, channels, patients, scope, sessions, throttle, users
from healthpal.domain.exceptions import NotAllowed, NotFound, Throttled
from tests import factories
from tests.api.support import Api
from tests.toolkit import sign_in

DOMAIN = Path(__file__).resolve().parent.parent / "healthpal" / "domain"


def reaches(call) -> bool:
    try:
        call()
    except NotFound:
        return False
    return True


@pytest.mark.parametrize("via", [channels.ADMIN, channels.API, channels.PORTAL])
@pytest.mark.parametrize("who", ["superuser", "clinician"])
def test_patients_assessments_and_accounts_agree_on_who_sees_everything(request, who, via, other_clinician):
    actor = request.getfixturevalue(who)
    theirs = factories.make_assessment(factories.make_patient(other_clinician))
    reached = [
        reaches(lambda: patients.get(actor=actor, via=via, patient_id=theirs.patient_id)),
        reaches(lambda: assessments.get(actor=actor, via=via, assessment_id=theirs.id)),
        reaches(lambda: users.update(actor=actor, via=via, user_id=other_clinician.id, data={"first_name": "Bo"})),
    ]
    assert reached == [who == "superuser" and via == channels.ADMIN] * 3
    assert scope.sees_everything(actor, via) is reached[0]


def test_a_tokens_holder_is_its_live_sign_in_else_its_live_account(clinician):
    record, secret = sessions.start(kind=sessions.APP, user_id=clinician.id, lifetime=timedelta(days=1))

    def holder(key=clinician.key):
        user, found = sessions.token_holder(secret=secret, user_id=clinician.id, user_key=key)
        return (user.id if user else None), found

    assert holder() == (clinician.id, record.id)
    assert holder(key="another account's key") == (None, None)
    sessions.end(record.id)
    assert holder() == (clinician.id, None)            # the sign-in ended; the account is still there
    users.deactivate(actor=None, via=channels.CLI, user_id=clinician.id)
    assert holder() == (None, None)                    # the account is gone


@pytest.mark.parametrize("page, status", [
    ("1", 200), ("2", 200), (" 2 ", 200), ("last", 200),
    ("3", 404), ("0", 404), ("-1", 404), ("abc", 404), ("", 404), ("1.5", 404), ("99999999999999999999", 404),
])
def test_the_portal_and_the_api_refuse_the_same_page_numbers(app, clinician, page, status):
    for _ in range(21):                                 # two pages of 20, in the portal and in the API
        factories.make_patient(clinician)
    portal = sign_in(app.test_client(), clinician.username)
    api = Api(app.test_client(), clinician)
    assert portal.get("/", query_string={"page": page}).status_code == status
    assert api.get("/api/patients/", query_string={"page": page}).status_code == status


def test_an_assessment_deleted_with_its_patient_is_recorded_as_its_own_deletion_is(clinician):
    kept, gone = factories.make_patient(clinician), factories.make_patient(clinician)
    rounds = [{"question": "Sleep?", "answer": "Badly"}, {"question": "Appetite?", "answer": "Good"}]
    alone = factories.make_assessment(kept, date="2024-03-01", score=40, qna_rounds=rounds)
    with_patient = factories.make_assessment(gone, date="2024-03-01", score=40, qna_rounds=rounds)
    assessments.delete(actor=clinician, via=channels.API, assessment_id=alone.id)
    patients.delete(actor=clinician, via=channels.API, patient_id=gone.id)

    def deletion(assessment_id: int) -> dict:
        [event] = [e for e in audit.events_for(entity_type="assessment", entity_id=assessment_id)
                   if e.action == audit.DELETE]
        return dict(event.changes)

    by_itself, by_patient = deletion(alone.id), deletion(with_patient.id)
    assert (by_itself.pop("patient"), by_patient.pop("patient")) == ([kept.id, None], [gone.id, None])
    assert by_itself == by_patient
    assert set(by_itself) == {"type", "date", "score", "qna_rounds"}


@pytest.mark.parametrize("data", [
    {"username": "dana", "password1": factories.PASSWORD, "password2": factories.PASSWORD}, {}, "not an object",
])
def test_a_closed_registration_refuses_whatever_is_sent(data):
    with pytest.raises(NotAllowed, match="Registration is closed"):
        users.register(via=channels.API, data=data, open_registration=False)
    assert users.by_username("dana") is None


def test_an_open_registration_creates_the_user():
    user = users.register(via=channels.API, open_registration=True,
                          data={"username": "dana", "password1": factories.PASSWORD, "password2": factories.PASSWORD})
    assert users.by_username("dana") == user


def test_the_throttle_holds_at_the_limits_it_is_given():
    strict = throttle.Throttle(limits=throttle.Limits(per_user=1, per_address=100, window_seconds=60),
                               counters=throttle.Counters())
    strict.check(username="alice", address="10.0.0.1")
    strict.failed(username="alice", address="10.0.0.1")
    with pytest.raises(Throttled):
        strict.check(username="alice", address="10.0.0.2")


def test_the_apps_throttle_takes_its_limits_from_the_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_USER", 2)
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 7)
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_WINDOW_SECONDS", 30)
    assert sign_in_throttle.current().limits == throttle.Limits(per_user=2, per_address=7, window_seconds=30)


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda path: path.name)
def test_the_domain_reads_no_app_config_nor_request(module):
    """The edges pass settings in: no domain module imports Flask (current_app, request, session, g)."""
    tree = ast.parse(module.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name == "flask" or name.startswith(("flask.", "flask_"))}
