"""API.md §7: creates with an `Idempotency-Key` happen at most once per key and user; a retry within
24 hours replays the first answer, a different body with the key is 422, and one still running is 409."""
import threading

import pytest

from healthpal.domain import audit
from healthpal.domain import patients as patient_domain
from healthpal.extensions import db
from healthpal.models import Assessment, IdempotencyKey, Patient
from tests import factories
from tests.api.support import Api, Http, assessment_data, patient_data
from tests.toolkit import count


def keyed(key: str) -> dict:
    return {"Idempotency-Key": key}


@pytest.mark.parametrize("path", ["/api/patients/", "/api/assessments/"])
def test_a_retry_replays_the_first_answer_and_stores_nothing_more(api, path):
    body = patient_data() if "patients" in path else assessment_data(factories.make_patient(api.user).id)
    first = api.post(path, json=body, headers=keyed("retry-1"))
    again = api.post(path, json=body, headers=keyed("retry-1"))
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"] == '"1"'
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    model = Patient if "patients" in path else Assessment
    assert count(model) == 1
    assert [e.action for e in audit.events_for(entity_type=model.__tablename__.rstrip("s"))].count("create") == 1


def test_the_replay_is_the_first_answer_even_after_the_record_changed(api):
    first = api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    api.patch(f"/api/patients/{first.json['id']}/", json={"phone": "1"})
    again = api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    assert (again.data, again.headers["ETag"]) == (first.data, '"1"')


def test_the_same_body_in_another_key_order_is_the_same_request(api):
    body = patient_data()
    api.post("/api/patients/", json=body, headers=keyed("k"))
    again = api.post("/api/patients/", json=dict(reversed(body.items())), headers=keyed("k"))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def test_the_key_with_a_different_body_is_422_and_stores_nothing(api):
    api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    other = api.post("/api/patients/", json=patient_data(full_name="Jane Roe"), headers=keyed("k"))
    assert other.status_code == 422 and list(other.json) == ["detail"]
    assert count(Patient) == 1


def test_only_successes_are_kept_so_a_fixed_body_may_reuse_the_key(api):
    refused = api.post("/api/patients/", json=patient_data(phone="x"), headers=keyed("k"))
    assert refused.status_code == 400 and count(IdempotencyKey) == 0
    fixed = api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_keys_of_different_users_never_meet(api, other_api):
    mine = api.post("/api/patients/", json=patient_data(), headers=keyed("shared"))
    theirs = other_api.post("/api/patients/", json=patient_data(), headers=keyed("shared"))
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["id"] != mine.json["id"] and count(Patient) == 2


def test_without_a_key_every_post_is_a_new_request(api):
    api.post("/api/patients/", json=patient_data())
    assert api.post("/api/patients/", json=patient_data()).status_code == 400   # a duplicate, not a replay


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ", "tab\there"])
def test_a_malformed_key_is_400_and_creates_nothing(api, key):
    response = api.post("/api/patients/", json=patient_data(), headers=keyed(key))
    assert (response.status_code, response.json) == (400, {"Idempotency-Key": [
        "Must be 1 to 255 printable ASCII characters."]})
    assert count(Patient) == 0


def test_a_key_of_255_printable_characters_is_fine(api):
    assert api.post("/api/patients/", json=patient_data(), headers=keyed("~ !" * 85)).status_code == 201


def test_keys_expire_after_24_hours_and_the_command_purges_them(api, frozen_clock, runner):
    first = api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    frozen_clock.advance(hours=23, minutes=59)
    assert api.post("/api/patients/", json=patient_data(), headers=keyed("k")).data == first.data
    frozen_clock.advance(minutes=2)
    result = runner.invoke(args=["purge-idempotency-keys"])
    assert (result.exit_code, result.output) == (0, "Purged 1 expired idempotency key(s).\n")
    assert count(IdempotencyKey) == 0


def test_an_expired_key_is_forgotten_on_the_fly(api, frozen_clock):
    api.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    frozen_clock.advance(hours=25)
    again = api.post("/api/patients/", json=patient_data(full_name="Jane Roe"), headers=keyed("k"))
    assert again.status_code == 201 and count(Patient) == 2 and count(IdempotencyKey) == 1


@pytest.mark.postgres
def test_a_second_request_while_the_first_runs_is_409_then_the_retry_replays(live_server, clinician, database_uri,
                                                                                monkeypatch):
    """Over real HTTP: the first create is held mid-transaction; the same key meanwhile gets 409."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite queues the second writer instead")
    http = Api(Http(live_server), clinician)
    inside, release = threading.Event(), threading.Event()
    create = patient_domain.create

    def slow_create(**kwargs):
        inside.set()
        assert release.wait(timeout=20)
        return create(**kwargs)

    monkeypatch.setattr(patient_domain, "create", slow_create)
    first = {}
    thread = threading.Thread(target=lambda: first.update(r=http.post("/api/patients/", json=patient_data(),
                                                                       headers=keyed("k"))))
    thread.start()
    assert inside.wait(timeout=20)
    meanwhile = http.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    release.set()
    thread.join(timeout=30)
    assert meanwhile.status_code == 409 and list(meanwhile.json) == ["detail"]
    assert first["r"].status_code == 201
    retry = http.post("/api/patients/", json=patient_data(), headers=keyed("k"))
    assert (retry.status_code, retry.data, retry.headers["Idempotent-Replayed"]) == (201, first["r"].data, "true")
    db.session.expire_all()
    assert count(Patient) == 1
