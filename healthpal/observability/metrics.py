"""Prometheus metrics at GET /metrics: requests by route template and status, their latency, the
database pool's connections, and the throttle's fallbacks to per-process memory.

Under gunicorn every worker writes its values to files in `PROMETHEUS_MULTIPROC_DIR` (set by
deploy/gunicorn.conf.py, which also marks exited workers dead), and a scrape answered by any
worker adds up all of them. Only addresses in HEALTHPAL_METRICS_ALLOWED may read the page; it is
neither audited nor throttled.
"""
import ipaddress
import os

from flask import Flask, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event

from healthpal.domain import throttle
from healthpal.extensions import db

disable_created_metrics()      # no `_created` series: the process start time says as much
REQUESTS = Counter("healthpal_http_requests_total", "Requests answered, by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("healthpal_http_request_duration_seconds",
                    "Time from the request's arrival in the app to its response, by method, route template and "
                    "status.", ["method", "route", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30))
POOL_SIZE = Gauge("healthpal_db_pool_size", "Connections each worker's pool keeps, summed over the live workers.",
                  multiprocess_mode="livesum")
POOL_OPEN = Gauge("healthpal_db_pool_connections_open", "Database connections open, summed over the live workers.",
                  multiprocess_mode="livesum")
POOL_IN_USE = Gauge("healthpal_db_pool_connections_in_use",
                    "Database connections lent to a request right now, summed over the live workers.",
                    multiprocess_mode="livesum")
THROTTLE_FALLBACKS = Counter("healthpal_throttle_fallbacks_total",
                             "Times the failed sign-in throttle could not reach its storage (Redis) and counted in "
                             "the worker's own memory instead.")


@throttle.fell_back.connect
def count_throttle_fallback(_sender, **_details) -> None:
    THROTTLE_FALLBACKS.inc()


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def watch_pool(engine) -> None:
    """Follow one engine's pool through its events (exact, and cheap: no query)."""
    size = getattr(engine.pool, "size", None)
    if size is not None:
        POOL_SIZE.inc(size())
    event.listen(engine, "connect", lambda *_: POOL_OPEN.inc())
    event.listen(engine, "close", lambda *_: POOL_OPEN.dec())
    event.listen(engine, "close_detached", lambda *_: POOL_OPEN.dec())
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())


def allowed(address: str | None) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    client = getattr(client, "ipv4_mapped", None) or client      # ::ffff:127.0.0.1 is 127.0.0.1
    return any(client in network for network in current_app.config["HEALTHPAL_METRICS_ALLOWED"])


def exposition() -> bytes:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:                   # several workers: add up their files
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_page():
    if not allowed(request.remote_addr):
        abort(403)
    return exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics_page, methods=["GET"])
    with app.app_context():
        watch_pool(db.engine)
