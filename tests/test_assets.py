"""Static files are linked with a hash of their content, so that they can be cached for a year; links
built once for many rows."""
import hashlib
import re
from pathlib import Path

from flask import url_for

from healthpal.assets import fixed_url, static_url
from healthpal.web.links import url_for_each
from tests.markup import parse

ROOT = Path(__file__).resolve().parent.parent


def test_static_links_carry_the_hash_of_the_file(client):
    doc = parse(client.get("/login"))
    addresses = [node.attributes.get("href") or node.attributes.get("src") for node in doc.css("[href], [src]")]
    links = dict(re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]{10})", a).groups() for a in addresses
                 if a.startswith("/static/"))          # a static address that is not hashed fails fullmatch
    assert "app.css" in links
    for name, version in links.items():
        assert version == hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest()[:10]
        response = client.get(f"/static/{name}?v={version}")
        assert response.status_code == 200
        response.close()


def test_a_changed_file_gets_a_new_address(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    style = tmp_path / "app.css"
    with app.test_request_context():
        style.write_text("body { color: black }")
        before = url_for("static", filename="app.css")
        style.write_text("body { color: navy }")
        after = url_for("static", filename="app.css")
        missing = url_for("static", filename="nowhere.css")
    assert before != after and before.startswith("/static/app.css?v=")
    assert missing == "/static/nowhere.css"


def test_pages_link_static_files_by_the_address_url_for_gives_and_follow_a_change(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    style = tmp_path / "app.css"
    style.write_text("body { color: black }")
    with app.test_request_context(base_url="http://localhost/clinic/"):
        first = static_url("app.css")
        assert first == url_for("static", filename="app.css") and first.startswith("/clinic/static/app.css?v=")
        assert static_url("app.css") == first
        style.write_text("body { color: navy; }")
        changed = static_url("app.css")
        assert changed != first and changed == url_for("static", filename="app.css")
        assert static_url("nowhere.css") == "/clinic/static/nowhere.css"


def test_a_lists_links_are_what_url_for_gives_for_each_row(app):
    with app.test_request_context(base_url="http://localhost/clinic/"):
        link = url_for_each("web.patient_detail", "patient_id")
        for number in (1, 42, 10**12):
            assert link(number) == url_for("web.patient_detail", patient_id=number)
        assert link(7) == "/clinic/patients/7"


def test_flask_admins_files_are_linked_by_the_address_url_for_gives_under_each_site_root(app):
    asked = {"filename": "admin/js/actions.js", "v": "1.0.0"}
    for root in ("/clinic/", "/"):
        with app.test_request_context(base_url=f"http://localhost{root}"):
            address = fixed_url("admin.static", **asked)
            assert address == url_for("admin.static", **asked) == f"{root}admin/static/admin/js/actions.js?v=1.0.0"
            assert fixed_url("admin.static", **asked) is address            # built once, then remembered
