"""Liveness and readiness probes for load balancers and orchestrators (shared/API.md §7): public,
cheap, outside /api/, neither throttled nor audited."""
from flask import Blueprint, Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from healthpal import database
from healthpal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and serving (the database is not consulted)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers and its schema is at the newest migration."""
    try:
        problem = database.schema_problem(db.engine, current_app.extensions["migrate"].directory)
    except SQLAlchemyError as error:
        current_app.logger.warning("Not ready: %s", database.describe(error, db.engine.url))
        problem = "the database is unreachable or did not answer in time"
    if problem:
        return {"status": "unavailable", "reason": problem}, 503
    return {"status": "ready"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
