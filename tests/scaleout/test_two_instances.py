"""Two app instances behind nginx, on one PostgreSQL and one Redis, behave as one: whichever
instance answers, a revoked token, an ended session, failed sign-ins and an idempotent create
count everywhere, and stopping one instance under a stream of writes loses nothing that was
acknowledged."""
import threading
import time
from http.cookies import SimpleCookie

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests import factories
from tests.api.support import Http, patient_data
from tests.helpers import wait_until
from tests.markup import csrf_token, parse

pytestmark = pytest.mark.slow

BOTH = {"a", "b"}


def login(http: Http, username: str, password: str = factories.PASSWORD):
    return http.open("/api/auth/login/", method="POST", json={"username": username, "password": password})


def bearer(pair: dict) -> dict:
    return {"Authorization": f"Bearer {pair['access']}"}


def request_id(response) -> str:
    return response.headers["X-Request-ID"]


def letters(number: int) -> str:
    """A name part made of letters only (names may not hold digits): 0 → "Aaa", 1 → "Aab"…"""
    word = ""
    for _ in range(3):
        number, digit = divmod(number, 26)
        word = chr(97 + digit) + word
    return word.capitalize()


def test_the_api_works_end_to_end_through_nginx(cluster):
    http = Http(cluster.nginx.base)
    username = cluster.create_user("enda")
    signed_in = login(http, username)
    assert signed_in.status_code == 200
    auth = bearer(signed_in.json)
    answers = [signed_in]
    for number in range(4):
        created = http.open("/api/patients/", method="POST", headers=auth,
                            json=patient_data(full_name=f"Ann {letters(number)}"))
        assert created.status_code == 201
        answers.append(created)
    patient_id = answers[-1].json["id"]
    assessment = http.open("/api/assessments/", method="POST", headers=auth, json={
        "patient": patient_id, "type": "Mood", "score": 70, "qna_rounds": [{"question": "Sleep?", "answer": "Well"}]})
    assert assessment.status_code == 201
    changed = http.open(f"/api/patients/{patient_id}/", method="PATCH", headers=auth, json={"phone": "5550001"})
    assert changed.status_code == 200 and changed.json["phone"] == "5550001"
    page = http.open("/api/patients/?page_size=2", headers=auth)
    assert page.json["count"] == 4
    # nginx passes the client's host and scheme: the app's links point back through nginx.
    assert page.json["next"] == f"{cluster.nginx.base}/api/patients/?page_size=2&page=2"
    answers += [assessment, changed, page]
    assert cluster.served_by(request_id(answer) for answer in answers) == BOTH
    # Each request is one line in one instance's log, under nginx's request id.
    lines = [line for instance in cluster.instances for line in instance.request_lines()
             if line["request_id"] == request_id(changed)]
    assert [(line["method"], line["route"], line["status"], line["channel"]) for line in lines] == [
        ("PATCH", "/api/patients/<id:patient_id>/", 200, "api")]

    # Static files come from nginx itself (no app request id), cached for a year.
    style = http.open("/static/app.css")
    assert style.status_code == 200 and "X-Request-ID" not in style.headers
    assert style.headers["Cache-Control"] == "max-age=31536000"
    # nginx refuses a body over 1 MiB before the app sees it, in the API's JSON.
    too_large = http.open("/api/patients/", method="POST", headers={**auth, "Content-Type": "application/json"},
                          data=b"{" + b" " * (1024 * 1024) + b"}")
    assert too_large.status_code == 413 and too_large.json == {
        "detail": "Request body is too large (1 MiB at most)."}

    # Each instance's metrics add up its two workers: together they counted every create.
    created = 0.0
    for instance in cluster.instances:
        page = Http(f"http://127.0.0.1:{instance.port}").open("/metrics")
        for family in text_string_to_metric_families(page.data.decode()):
            created += sum(sample.value for sample in family.samples if sample.name == "healthpal_http_requests_total"
                           and sample.labels == {"method": "POST", "route": "/api/patients/", "status": "201"})
    assert created == 4


def test_a_token_revoked_through_one_instance_is_refused_by_the_other(cluster):
    http = Http(cluster.nginx.base)
    pair = login(http, cluster.create_user("rhea")).json
    logged_out = http.open("/api/auth/logout/", method="POST", headers=bearer(pair), json={"refresh": pair["refresh"]})
    assert logged_out.status_code == 200
    refused = [http.open("/api/auth/user/", headers=bearer(pair)) for _ in range(4)]
    refused += [http.open("/api/auth/token/refresh/", method="POST", json={"refresh": pair["refresh"]})
                for _ in range(4)]
    assert {answer.status_code for answer in refused} == {401}
    assert cluster.served_by(request_id(answer) for answer in refused) == BOTH


class Browser:
    """A browser's cookie jar over Http."""

    def __init__(self, base: str):
        self.http, self.cookies = Http(base), {}

    def open(self, path: str, method: str = "GET", data: dict | None = None, cookies: dict | None = None):
        jar = self.cookies if cookies is None else cookies
        cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        response = self.http.open(path, method=method, data=data, headers={"Cookie": cookie} if cookie else {})
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def csrf_token(self, path: str) -> str:
        return csrf_token(parse(self.open(path).data.decode()))

    def sign_in(self, username: str) -> None:
        signed_in = self.open("/login", method="POST", data={
            "csrf_token": self.csrf_token("/login"), "username": username, "password": factories.PASSWORD})
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"


def test_a_portal_session_ended_on_one_instance_is_ended_on_the_other(cluster):
    browser = Browser(cluster.nginx.base)
    browser.sign_in(cluster.create_user("sian"))
    pages = [browser.open("/") for _ in range(4)]
    assert {page.status_code for page in pages} == {200}
    assert cluster.served_by(request_id(page) for page in pages) == BOTH
    session_before = dict(browser.cookies)

    changed = browser.open("/account", method="POST", data={
        "csrf_token": browser.csrf_token("/account"), "old_password": factories.PASSWORD,
        "new_password1": "a-new-long-password-2026", "new_password2": "a-new-long-password-2026"})
    assert changed.status_code in (200, 302)
    replayed = [browser.open("/", cookies=session_before) for _ in range(4)]
    assert {page.status_code for page in replayed} == {302}
    assert {page.headers["Location"].split("?")[0] for page in replayed} == {"/login"}
    assert cluster.served_by(request_id(page) for page in replayed) == BOTH


def test_a_cookie_copied_before_signing_out_is_refused_by_both_instances(cluster):
    browser = Browser(cluster.nginx.base)
    browser.sign_in(cluster.create_user("tess"))
    copied = dict(browser.cookies)
    signed_out = browser.open("/logout", method="POST", data={"csrf_token": browser.csrf_token("/")})
    assert signed_out.status_code == 302
    replayed = [browser.open("/", cookies=copied) for _ in range(4)]
    assert {page.status_code for page in replayed} == {302}
    assert {page.headers["Location"].split("?")[0] for page in replayed} == {"/login"}
    assert cluster.served_by(request_id(page) for page in replayed) == BOTH


def test_failed_sign_ins_are_counted_across_instances(cluster):
    http = Http(cluster.nginx.base)
    username = cluster.create_user("fern")
    failures = [login(http, username, "not-the-password") for _ in range(5)]
    assert {failure.status_code for failure in failures} == {400}
    assert cluster.served_by(request_id(failure) for failure in failures) == BOTH
    refused = [login(http, username) for _ in range(2)]
    assert {answer.status_code for answer in refused} == {429}
    assert cluster.served_by(request_id(answer) for answer in refused) == BOTH


def test_an_idempotent_create_is_replayed_by_either_instance(cluster):
    http = Http(cluster.nginx.base)
    headers = {**bearer(login(http, cluster.create_user("ida")).json), "Idempotency-Key": "create-ida-1"}
    body = patient_data(full_name="Ida Retry")
    first = http.open("/api/patients/", method="POST", headers=headers, json=body)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    retries = [http.open("/api/patients/", method="POST", headers=headers, json=body) for _ in range(4)]
    assert {(retry.status_code, retry.headers["Idempotent-Replayed"]) for retry in retries} == {(201, "true")}
    assert all(retry.json == first.json and retry.headers["ETag"] == first.headers["ETag"] for retry in retries)
    assert cluster.served_by(request_id(retry) for retry in retries) == BOTH
    changed = http.open("/api/patients/", method="POST", headers=headers, json={**body, "phone": "5550009"})
    assert changed.status_code == 422
    with cluster.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM patients WHERE full_name = 'Ida Retry'")).scalar() == 1


def test_stopping_an_instance_under_writes_loses_no_acknowledged_write(cluster):
    """Four clients create patients non-stop; instance a is stopped (SIGTERM, as systemd does) in
    the middle (after 20 acknowledged writes, and until 5 more are). Every 201 is in the database,
    nginx keeps serving from b, and at most the requests in flight at that moment fail."""
    http = Http(cluster.nginx.base)
    auth = bearer(login(http, cluster.create_user("will")).json)
    writers, done = 4, threading.Event()
    outcomes, lock, counter = [], threading.Lock(), iter(range(100_000))

    def write():
        while not done.is_set():
            with lock:
                name = f"Wanda {letters(next(counter))}"
            sent = time.monotonic()
            try:
                answer = http.open("/api/patients/", method="POST", headers=auth, json=patient_data(full_name=name))
                outcome = (sent, name, answer.status_code, answer.json, answer.headers.get("X-Request-ID"))
            except OSError as error:
                outcome = (sent, name, None, str(error), None)
            with lock:
                outcomes.append(outcome)

    def acknowledged_after(moment: float) -> int:
        with lock:
            return sum(1 for sent, _, status, _, _ in outcomes if status == 201 and sent > moment)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: acknowledged_after(float("-inf")) >= 20, seconds=60, what="20 writes acknowledged")
        exited = cluster.instances[0].stopped()
        wait_until(lambda: acknowledged_after(exited) >= 5, seconds=60, what="5 writes acknowledged after the stop")
    finally:
        done.set()
    for thread in threads:
        thread.join(30)

    acknowledged = {name: body["id"] for _, name, status, body, _ in outcomes if status == 201}
    failed = [(status, body) for _, _, status, body, _ in outcomes if status != 201]
    with cluster.engine.connect() as connection:
        stored = dict(connection.execute(text(
            "SELECT full_name, id FROM patients WHERE full_name LIKE 'Wanda %'")).all())
    assert len(acknowledged) >= 20 and acknowledged.items() <= stored.items()
    assert len(failed) <= writers, failed
    after = [request for sent, _, status, _, request in outcomes if sent > exited and status == 201]
    assert len(after) >= 5 and cluster.served_by(after) == {"b"}
