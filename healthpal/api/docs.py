"""The API's documentation: the hand-maintained OpenAPI document, served as JSON, and Swagger UI
with assets from the flask-swagger-ui wheel (no internet needed). Both are public."""
from functools import cache
from pathlib import Path

import yaml
from flask import Flask
from flask_swagger_ui import get_swaggerui_blueprint

from healthpal.api import bp

SPEC = Path(__file__).with_name("openapi.yaml")
SPEC_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"


@cache
def document() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


@bp.route("/openapi.json", methods=["GET"])
@bp.route("/openapi.json/", methods=["GET"])  # every path answers with and without a trailing slash
def openapi():
    return document()


def init_app(app: Flask) -> None:
    """Swagger UI at /api/docs/ (and /api/docs, without a redirect); no call-outs to a validator."""
    ui = get_swaggerui_blueprint(DOCS_URL, SPEC_URL, config={"app_name": "Healthpal API", "validatorUrl": None})
    app.register_blueprint(ui)
    app.add_url_rule(DOCS_URL, "swagger_ui_root", app.view_functions[f"{ui.name}.show"])
