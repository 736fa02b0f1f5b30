"""The mobile app's JSON API (shared/API.md)."""
from flask import Blueprint, Flask

from healthpal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
