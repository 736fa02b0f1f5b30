"""The app's failed sign-in throttle, as the portal and the API hand it to the domain: its limits
from this app's settings, its counters kept with the app (created by the factory) in the storage
`RATELIMIT_STORAGE_URI` names (with `RATELIMIT_STORAGE_OPTIONS`, e.g. a Redis key prefix).

The storage is used directly through `limits`: nothing else is rate-limited, so no per-request hook
runs (Flask-Limiter's ran before and after every request for no limit)."""
from typing import cast

from flask import Flask, current_app
from limits.storage import Storage, storage_from_string

from healthpal.domain import throttle

COUNTERS = "login_throttle"


def init_app(app: Flask) -> None:
    storage = cast(Storage, storage_from_string(app.config["RATELIMIT_STORAGE_URI"],   # memory:// or redis://:
                                                **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})))  # not async
    app.extensions[COUNTERS] = throttle.Counters(storage)


def counters(app: Flask) -> throttle.Counters:
    return app.extensions[COUNTERS]


def current() -> throttle.Throttle:
    """This app's throttle, its limits as the settings say now."""
    config = current_app.config
    limits = throttle.Limits(per_user=config["HEALTHPAL_LOGIN_FAILURES_PER_USER"],
                             per_address=config["HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS"],
                             window_seconds=config["HEALTHPAL_LOGIN_WINDOW_SECONDS"])
    return throttle.Throttle(limits=limits, counters=counters(current_app))
