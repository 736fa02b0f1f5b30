"""The mobile app's JSON API (shared/API.md): parse the request, call the domain, serialise."""
from flask import Blueprint, Flask

from healthpal.api import errors
from healthpal.api.paths import PositiveId
from healthpal.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
errors.register(bp)


def route(rule: str, **options):
    """`bp.route`, answering with and without the trailing slash (no redirect)."""
    return bp.route(rule, strict_slashes=False, **options)


from healthpal.api import (  # noqa: E402,F401  (each module registers its views)
    account,
    assessments,
    auth,
    docs,
    exports,
    guard,
    patients,
    tokens,
)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = PositiveId
    csrf.exempt(bp)
    tokens.register_loaders()
    app.register_blueprint(bp)
    docs.init_app(app)
