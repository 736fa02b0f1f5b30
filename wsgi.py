"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

A configuration that cannot be used stops the process with the reason (no traceback), for the
operator starting gunicorn or running `flask --app wsgi check-config`.
"""
from healthpal import create_app
from healthpal.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    raise SystemExit(f"ConfigError: {error}") from None
