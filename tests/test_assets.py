"""Static files are linked with a hash of their content, so that they can be cached for a year."""
import hashlib
import re
from pathlib import Path

from flask import url_for

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
