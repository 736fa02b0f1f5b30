"""Healthpal: a clinician portal, a mobile JSON API and an admin panel over one domain layer."""
from pathlib import Path

from flask import Flask

from healthpal import config as settings
from healthpal.json_provider import JSONProvider

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, request ids, logs and metrics, the portal and the
    API, versioned static files, the admin, errors, the security headers of every response, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, test_config)
    trust_proxies(app)
    register_extensions(app)
    keep_sessions_on_the_server(app)
    throttle_failed_sign_ins(app)
    adapt_sqlite(app)
    guard_audit(app)
    register_observability(app)
    register_blueprints(app)
    register_assets(app)
    register_admin(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    if test_config is None:
        settings.load_dotenv(ROOT / ".env")
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings.check_production(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json = JSONProvider(app)  # keys in the contract's order, non-ASCII as it is


def trust_proxies(app: Flask) -> None:
    """Behind nginx or a load balancer, take the client's address and scheme from the
    X-Forwarded-* headers the trusted proxies set (the sign-in throttle counts per address)."""
    proxies = app.config["HEALTHPAL_TRUSTED_PROXIES"]
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add middleware
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)


def register_extensions(app: Flask) -> None:
    from healthpal import database
    from healthpal.extensions import csrf, db, htmx, jwt, login_manager, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                               **database.engine_options(app.config)}
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    jwt.init_app(app)
    htmx.init_app(app)


def keep_sessions_on_the_server(app: Flask) -> None:
    """The session cookie carries only a random id; the session lives in the database."""
    from healthpal import server_sessions

    server_sessions.init_app(app)


def throttle_failed_sign_ins(app: Flask) -> None:
    """The failed sign-in throttle's counters, this app's own (its limits come from the settings)."""
    from healthpal import sign_in_throttle

    sign_in_throttle.init_app(app)


def adapt_sqlite(app: Flask) -> None:
    """On SQLite (the development default), what the app relies on from PostgreSQL."""
    from healthpal import sqlite

    sqlite.init_app(app)


def guard_audit(app: Flask) -> None:
    """No transaction changes a user, patient or assessment without its audit event."""
    from healthpal.domain import audit_guard
    from healthpal.extensions import db

    with app.app_context():
        audit_guard.install(db.engine, app.config["HEALTHPAL_AUDIT_GUARD"])


def register_observability(app: Flask) -> None:
    """Before the blueprints, so that every request, refused ones included, is timed and logged."""
    from healthpal import observability

    observability.init_app(app)


def register_blueprints(app: Flask) -> None:
    from healthpal import api, health, web

    web.init_app(app)
    api.init_app(app)
    health.init_app(app)


def register_assets(app: Flask) -> None:
    from healthpal import assets

    assets.init_app(app)


def register_admin(app: Flask) -> None:
    from healthpal import admin

    admin.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from healthpal import errors

    errors.init_app(app)


def register_security_headers(app: Flask) -> None:
    from healthpal import security

    security.init_app(app)


def register_commands(app: Flask) -> None:
    from healthpal import cli

    cli.init_app(app)
