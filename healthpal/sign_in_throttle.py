"""The app's failed sign-in throttle, as the portal and the API hand it to the domain: its limits
from this app's settings, its counters kept with the app (created by the factory)."""
from flask import Flask, current_app

from healthpal.domain import throttle

COUNTERS = "login_throttle"


def init_app(app: Flask) -> None:
    app.extensions[COUNTERS] = throttle.Counters()


def current() -> throttle.Throttle:
    """This app's throttle, its limits as the settings say now."""
    config = current_app.config
    limits = throttle.Limits(per_user=config["HEALTHPAL_LOGIN_FAILURES_PER_USER"],
                             per_address=config["HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS"],
                             window_seconds=config["HEALTHPAL_LOGIN_WINDOW_SECONDS"])
    return throttle.Throttle(limits=limits, counters=current_app.extensions[COUNTERS])
