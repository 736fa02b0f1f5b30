"""The failed sign-in throttle: N failures per username or M per client address in a window.

A `Throttle` is handed to the domain's sign-in functions by the edges, with its `Limits` (from the
app's settings) and the app's `Counters`; this module reads no configuration itself.

Counters live in a `limits` storage (`RATELIMIT_STORAGE_URI`: memory by default, Redis in a
multi-process deployment), so the API and the portal share them. While that storage fails (Redis
down), the counters are kept in this process's memory, with one warning in the log, and go back to
the storage once it answers again: a sign-in never fails because of the throttle's storage.
"""
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from blinker import Namespace
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from healthpal.domain.exceptions import Throttled

# Sent (sender: the storage's error) each time the counters' storage fails and the throttle turns to
# the process's own memory instead; the metrics count it (healthpal_throttle_fallbacks_total).
fell_back = Namespace().signal("throttle-fell-back")

log = logging.getLogger(__name__)
RETRY_STORAGE_SECONDS = 5   # while the storage is down, how often to see whether it is back


class Counters:
    """The storage's rate limiter (a moving window), or this process's memory while the storage fails."""

    def __init__(self, storage: Storage | None = None):
        self.storage = storage if storage is not None else MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.lock = threading.Lock()
        self.memory: RateLimiter | None = None      # set while the storage is down
        self.next_check = 0.0

    def run(self, operation: Callable[[RateLimiter], object]):
        memory = self.memory
        if memory is not None and self.storage_is_back():
            self.memory = memory = None
        if memory is None:
            try:
                return operation(self.limiter)
            except self.storage.base_exceptions as error:
                fell_back.send(error)
                memory = self.fall_back(error)
        return operation(memory)

    def storage_is_back(self) -> bool:
        with self.lock:
            if time.monotonic() < self.next_check:
                return False
            self.next_check = time.monotonic() + RETRY_STORAGE_SECONDS
        if not self.storage.check():
            return False
        log.warning("The sign-in throttle's storage answers again: failed sign-ins are counted there again.")
        return True

    def fall_back(self, error: Exception) -> RateLimiter:
        """Count in memory from now on; the first failure of an outage is logged."""
        with self.lock:
            if self.memory is not None:
                return self.memory
            memory = self.memory = MovingWindowRateLimiter(MemoryStorage())
            self.next_check = time.monotonic() + RETRY_STORAGE_SECONDS
        log.warning("The sign-in throttle's storage failed (%s: %s): failed sign-ins are counted in this "
                    "process's memory until it answers again.", type(error).__name__, error)
        return memory


@dataclass(frozen=True)
class Limits:
    """How many failed sign-ins, per username and per client address, within `window_seconds`."""

    per_user: int
    per_address: int
    window_seconds: int


@dataclass(frozen=True)
class Throttle:
    """The throttle of one app: its limits and its counters."""

    limits: Limits
    counters: Counters

    def _items(self) -> tuple[RateLimitItemPerSecond, RateLimitItemPerSecond]:
        limits = self.limits
        return (RateLimitItemPerSecond(limits.per_user, limits.window_seconds),
                RateLimitItemPerSecond(limits.per_address, limits.window_seconds))

    def check(self, *, username: str, address: str) -> None:
        """Raise Throttled (with seconds to wait) while either counter is exhausted."""
        per_user, per_address = self._items()
        waits = self.counters.run(lambda counters: [
            max(1, int(counters.get_window_stats(item, *key).reset_time - time.time()) + 1)
            for item, key in ((per_user, ("login-user", username)), (per_address, ("login-address", address)))
            if not counters.test(item, *key)
        ])
        if waits:
            raise Throttled(retry_after=max(waits))

    def failed(self, *, username: str, address: str) -> None:
        per_user, per_address = self._items()

        def count(counters: RateLimiter) -> None:
            counters.hit(per_user, "login-user", username)
            counters.hit(per_address, "login-address", address)

        self.counters.run(count)

    def succeeded(self, *, username: str) -> None:
        """A successful sign-in clears that username's failures (not the address's)."""
        per_user, _ = self._items()
        self.counters.run(lambda counters: counters.clear(per_user, "login-user", username))
