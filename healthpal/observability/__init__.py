"""Operations: a request id on every request, one log line per request, Prometheus metrics."""
from flask import Flask

from healthpal.observability import logs, metrics, request_ids, requests


def init_app(app: Flask) -> None:
    logs.init_app(app)
    request_ids.init_app(app)
    requests.init_app(app)
    metrics.init_app(app)
