"""The OpenAPI document: valid, served publicly, in step with the routes; Swagger UI works offline."""
import json
import re

import pytest
from openapi_spec_validator import validate

from healthpal.api import docs
from tests.markup import attr, parse

METHODS = {"get", "put", "patch", "post", "delete"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_the_served_json_is_the_yaml_file(spec):
    assert spec == docs.document()


def api_routes(app) -> set[tuple[str, str]]:
    """(path with {params}, without its trailing slash; method) for every rule of the API blueprint."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule).rstrip("/")
            found |= {(path, method.lower()) for method in rule.methods if method.lower() in METHODS}
    return found


def spec_operations(spec) -> set[tuple[str, str]]:
    return {(path.rstrip("/"), method) for path, item in spec["paths"].items() for method in item if method in METHODS}


def test_every_api_route_is_documented_and_every_documented_operation_exists(app, spec):
    assert api_routes(app) == spec_operations(spec)


def test_every_protected_operation_documents_401_and_public_ones_say_so(spec):
    public = {"/api/auth/login/", "/api/auth/token/refresh/", "/api/auth/token/verify/", "/api/auth/logout/",
              "/api/auth/registration/", "/api/openapi.json"}
    for path, item in spec["paths"].items():
        for method in set(item) & METHODS:
            operation = item[method]
            if path in public:
                assert {} in operation["security"] or operation["security"] == [], (path, method)
            else:
                assert "security" not in operation and "401" in operation["responses"], (path, method)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/docs"])
def test_swagger_ui_is_public_and_loads_only_local_assets(client, url):
    page = client.get(url)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    doc = parse(page)
    assets = [node.attributes.get("src") or node.attributes.get("href") for node in doc.css("[src], [href]")]
    assert assets and all(asset.startswith(("/api/docs/", "/static/js/swagger-ui.js?v=")) for asset in assets)
    config = json.loads(attr(doc, "div#swagger-ui", "data-config"))
    assert (config["url"], config["validatorUrl"]) == ("/api/openapi.json", None)
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200


def test_docs_and_document_need_no_token_even_with_a_bad_one(client):
    bad = {"Authorization": "Bearer garbage"}
    assert client.get("/api/openapi.json", headers=bad).status_code == 200
    assert client.get("/api/docs/", headers=bad).status_code == 200
