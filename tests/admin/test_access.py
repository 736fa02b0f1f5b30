"""Who gets into the admin panel: superusers only, on every admin URL."""
from urllib.parse import parse_qs, urlsplit

import pytest

from healthpal.domain import audit, users
from healthpal.extensions import db
from tests import factories
from tests.admin.conftest import sign_in, snapshot
from tests.conftest import make_app
from tests.helpers import user_signing_in
from tests.markup import csrf_token, parse

VIEWS = ("user", "patient", "assessment", "audit")
LOOKUPS = {"user": "username", "patient": "clinician", "assessment": "patient", "audit": "actor"}
# What each create or edit form would change if the post got through.
PAYLOADS = {
    "user": {"username": "eve", "is_active": "y", "is_superuser": "y", "password": "a-long-fresh-secret"},
    "patient": {"full_name": "Eve Intruder", "gender": "f", "birthdate": "1990-01-01", "phone": "5550000000",
                "address": "ChIJN1t_tDeuEmsRUsoyG83frY4", "clinician": "__None"},
    "assessment": {"patient": "{patient}", "type": "Forged", "date": "2024-01-01", "score": "1",
                   "rounds-0-question": "Q?", "rounds-0-answer": "A"},
    "audit": {"action": "read", "channel": "api"},
}

# (method, URL template, form data) for every URL a model view serves; {id} becomes a real record's id.
VIEW_URLS = (
    ("GET", "/admin/{view}/", None),
    ("GET", "/admin/{view}/new/", None),
    ("POST", "/admin/{view}/new/", "payload"),
    ("GET", "/admin/{view}/edit/?id={id}", None),
    ("POST", "/admin/{view}/edit/?id={id}", "payload"),
    ("POST", "/admin/{view}/delete/", {"id": "{id}"}),
    ("GET", "/admin/{view}/details/?id={id}", None),
    ("GET", "/admin/{view}/export/csv/", None),
    ("GET", "/admin/{view}/ajax/lookup/?name={lookup}&query=a", None),
    ("POST", "/admin/{view}/ajax/update/", {"list_form_pk": "{id}", "score": "0"}),
    ("POST", "/admin/{view}/action/", {"action": "delete", "rowid": "{id}"}),
)
EXTRA_URLS = (
    ("GET", "/admin/", None),
    ("GET", "/admin/user/password/?id={user}", None),
    ("POST", "/admin/user/password/?id={user}", {"password": "a-brand-new-secret"}),
)


def _for_view(view: str, url: str, data) -> tuple:
    data = PAYLOADS[view] if data == "payload" else data
    url = url.replace("{view}", view).replace("{lookup}", LOOKUPS[view]).replace("{id}", "{" + view + "}")
    return url, data and {k: v.replace("{id}", "{" + view + "}") for k, v in data.items()}


MATRIX = [(method, *_for_view(view, url, data)) for view in VIEWS for method, url, data in VIEW_URLS]
MATRIX += list(EXTRA_URLS)


@pytest.fixture
def records(clinician):
    """One record of each kind, ids by view name."""
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient)
    event = audit.events_for(entity_type="assessment", entity_id=assessment.id)[0]
    return {"user": clinician.id, "patient": patient.id, "assessment": assessment.id, "audit": event.id}


def call(client, method, url, data, ids):
    url = url.format(**ids)
    data = data and {k: v.format(**ids) for k, v in data.items()}
    return client.open(url, method=method, data=data)


def test_the_matrix_covers_every_admin_url(app):
    """A new admin URL must be added to the access matrix above."""
    served = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")
              and rule.endpoint != "admin.static" for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(method, urlsplit(url).path.replace("/csv/", "/<export_type>/")) for method, url, _ in MATRIX}
    assert served - covered == set()


@pytest.mark.parametrize(("method", "url", "data"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_a_clinician_gets_403_everywhere_and_changes_nothing(as_clinician, records, method, url, data):
    before = snapshot()
    response = call(as_clinician, method, url, data, records)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "data"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, records, method, url, data):
    before = snapshot()
    response = call(client, method, url, data, records)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert urlsplit(parse_qs(location.query)["next"][0]).path == urlsplit(url).path
    assert snapshot() == before


# Only the patient (clinician) and assessment (patient) forms have ajax lookups; the audit log
# has no create or edit form (see test_audit_view.py).
NOT_PAGES = ("/admin/user/ajax", "/admin/audit/ajax", "/admin/audit/new", "/admin/audit/edit")
PAGES = [url for method, url, _ in MATRIX if method == "GET" and not url.startswith(NOT_PAGES)]


@pytest.mark.parametrize("url", PAGES)
def test_a_superuser_sees_every_page(admin, records, url):
    response = admin.get(url.format(**records))
    assert response.status_code == 200


def test_the_ajax_lookups_find_clinicians_and_patients(admin, clinician):
    patient = factories.make_patient(clinician, full_name="Zoë O'Connor")
    found = admin.get("/admin/patient/ajax/lookup/?name=clinician&query=alic").get_json()
    assert found == [[clinician.id, "alice"]]
    found = admin.get("/admin/assessment/ajax/lookup/?name=patient&query=zoë").get_json()
    assert found == [[patient.id, str(patient)]]


def test_a_deactivated_superuser_is_shut_out(app, superuser):
    client = sign_in(app.test_client(), superuser)
    assert client.get("/admin/").status_code == 200
    users.deactivate(actor=None, via="cli", user_id=superuser.id)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.fixture
def csrf_app(test_config):
    """An app with CSRF protection on, as in production (the shared test app has it off)."""
    app = make_app({**test_config, "WTF_CSRF_ENABLED": True})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("url", "data"), [
    ("/admin/user/new/", PAYLOADS["user"]),
    ("/admin/user/edit/?id={user}", {**PAYLOADS["user"], "username": "alice"}),
    ("/admin/user/delete/", {"id": "{user}"}),
    ("/admin/user/password/?id={user}", {"password": "a-brand-new-secret"}),
])
def test_an_admin_post_without_a_csrf_token_is_refused(csrf_app, superuser, clinician, url, data):
    """With CSRF protection on (as in production), a forged admin form post changes nothing."""
    client = sign_in(csrf_app.test_client(), superuser)
    form = client.get(f"/admin/user/edit/?id={clinician.id}")
    assert csrf_token(parse(form))                      # the form has a token; this post leaves it out
    before = snapshot()
    response = call(client, "POST", url, data, {"user": clinician.id})
    assert response.status_code == 400
    assert snapshot() == before


def test_admin_posts_with_the_csrf_token_go_through(csrf_app, superuser, clinician):
    client = sign_in(csrf_app.test_client(), superuser)

    def token(url):
        return csrf_token(parse(client.get(url)))

    url = f"/admin/user/password/?id={clinician.id}"
    response = client.post(url, data={"password": "a-brand-new-secret", "csrf_token": token(url)})
    assert response.status_code == 302
    db.session.expire_all()                      # the other app wrote it through its own session
    assert user_signing_in("alice", "a-brand-new-secret") is not None
    response = client.post("/admin/user/delete/", data={"id": clinician.id, "csrf_token": token("/admin/user/")})
    assert response.status_code == 302
    assert users.by_username("alice") is None
