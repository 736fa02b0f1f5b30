"""The failed sign-in throttle: N failures per username or M per client address in a window.

Counters live in Flask-Limiter's storage (`RATELIMIT_STORAGE_URI`: memory by default, Redis in a
multi-process deployment), so the API and the portal share them.
"""
import time

from blinker import Namespace
from flask import current_app
from limits import RateLimitItemPerSecond

from healthpal.domain.exceptions import Throttled
from healthpal.extensions import limiter

# Sent (sender: the storage's error) each time the counters' storage fails and the throttle counts
# in the process's own memory instead; the metrics count it (healthpal_throttle_fallbacks_total).
fell_back = Namespace().signal("throttle-fell-back")


def _limits() -> tuple[RateLimitItemPerSecond, RateLimitItemPerSecond]:
    config = current_app.config
    window = config["HEALTHPAL_LOGIN_WINDOW_SECONDS"]
    return (
        RateLimitItemPerSecond(config["HEALTHPAL_LOGIN_FAILURES_PER_USER"], window),
        RateLimitItemPerSecond(config["HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS"], window),
    )


def check(*, username: str, address: str) -> None:
    """Raise Throttled (with seconds to wait) while either counter is exhausted."""
    per_user, per_address = _limits()
    waits = []
    for item, key in ((per_user, ("login-user", username)), (per_address, ("login-address", address))):
        if not limiter.limiter.test(item, *key):
            reset = limiter.limiter.get_window_stats(item, *key).reset_time
            waits.append(max(1, int(reset - time.time()) + 1))
    if waits:
        raise Throttled(retry_after=max(waits))


def failed(*, username: str, address: str) -> None:
    per_user, per_address = _limits()
    limiter.limiter.hit(per_user, "login-user", username)
    limiter.limiter.hit(per_address, "login-address", address)


def succeeded(*, username: str) -> None:
    """A successful sign-in clears that username's failures (not the address's)."""
    per_user, _ = _limits()
    limiter.limiter.clear(per_user, "login-user", username)
