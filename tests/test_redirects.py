"""No redirect leaves the site: the portal's `next` and the admin's `url=` go through one check
(healthpal.security.safe_path), over HTTP, for every spelling of another host."""
import pytest

from healthpal.extensions import db
from healthpal.models import Patient
from tests import factories
from tests.admin.conftest import sign_in as admin_sign_in
from tests.admin.conftest import snapshot
from tests.markup import page_text, parse

OFF_SITE = [
    "http:evil.com", "https:evil.com", "http:/evil.com", "https:///evil.com", "http://evil.com/",
    "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "/\t/evil.com", " //evil.com",
    "%2F%2Fevil.com", "/%2F%2Fevil.com", "/%5Cevil.com", "%252F%252Fevil.com", "/%252F%252Fevil.com",
    "http://localhost@evil.com/", "//localhost@evil.com", "http://localhost.evil.com/", "javascript:alert(1)",
    "/\r\nLocation: http://evil.com", "/%0d%0aLocation:%20http://evil.com",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_follows_next_off_the_site(client, clinician, target):
    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    again = client.get("/login", query_string={"next": target})         # already signed in
    assert again.status_code == 302 and again.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_sign_in_page_does_not_carry_next_off_the_site(client, target):
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil.com" not in page


@pytest.fixture
def admin(app, superuser):
    return admin_sign_in(app.test_client(), superuser)


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("page", ["user/details/", "user/edit/", "user/password/", "patient/edit/", "patient/new/"])
def test_admin_pages_refuse_a_return_address_off_the_site(admin, clinician, target, page):
    patient = factories.make_patient(clinician)
    record = clinician.id if page.startswith("user") else patient.id
    response = admin.get(f"/admin/{page}", query_string={"id": record, "url": target})
    assert response.status_code == 400
    assert "The return address is not a page of this site." in page_text(parse(response))


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_saves_and_deletes_refuse_a_return_address_off_the_site(admin, clinician, target):
    patient = factories.make_patient(clinician)
    before = snapshot()
    saves = [
        admin.post("/admin/patient/edit/", query_string={"id": patient.id, "url": target},
                   data={"full_name": "Renamed Person"}),
        admin.post("/admin/user/password/", query_string={"id": clinician.id, "url": target},
                   data={"password": "a-brand-new-secret"}),
        admin.post("/admin/patient/delete/", data={"id": patient.id, "url": target}),
        admin.post("/admin/user/action/", data={"action": "deactivate", "rowid": clinician.id, "url": target}),
    ]
    assert [response.status_code for response in saves] == [400] * 4
    assert snapshot() == before


def test_a_return_address_on_the_site_is_followed_after_a_save(admin, clinician):
    patient = factories.make_patient(clinician)
    response = admin.post("/admin/patient/edit/", query_string={"id": patient.id, "url": "/admin/patient/?page=0"},
                          data={"full_name": "Renamed Person"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/patient/?page=0"
    assert db.session.get(Patient, patient.id).full_name == "Renamed Person"
    page = admin.get("/admin/user/password/", query_string={"id": clinician.id, "url": "http://localhost/admin/"})
    assert page.status_code == 200
