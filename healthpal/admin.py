"""Flask-Admin for superusers."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Placeholder until the admin panel lands."""
