"""Log lines on stdout: one JSON object per line in production (for journald, CloudWatch, Loki…),
readable text in development; every line made during a request carries its id."""
import json
import logging
import sys
import traceback
from datetime import UTC, datetime

from flask import Flask, has_request_context
from flask.logging import default_handler
from sqlalchemy.exc import DBAPIError

from healthpal.observability import request_ids

LOGGER = "healthpal"   # the app's logger (Flask names it after the package) and its children
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(record: logging.LogRecord) -> dict:
    """What a call passed as `extra=`, beyond the record's standard attributes."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and key != "request_id"}


class Formatter(logging.Formatter):
    def formatException(self, ei) -> str:
        """The traceback; for a database error without the driver's message, which may quote the
        statement's values (a patient's name, a duplicate key) — the statement itself, with its
        placeholders, and the error's class and SQLSTATE say what failed."""
        error = ei[1]
        if not isinstance(error, DBAPIError):
            return super().formatException(ei)
        cause = type(error.orig)
        code = getattr(error.orig, "pgcode", None) or getattr(error.orig, "sqlite_errorname", None) or ""
        return "".join([
            "Traceback (most recent call last):\n", *traceback.format_tb(ei[2]),
            f"{type(error).__module__}.{type(error).__qualname__}: {cause.__module__}.{cause.__qualname__} {code} "
            "(the database's message is not logged: it may quote patient data)\n",
            f"[SQL: {error.statement}]",
        ])


class JsonFormatter(Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [_timestamp(record), record.levelname, f"[{getattr(record, 'request_id', None) or '-'}]",
                 record.getMessage()]
        parts += [f"{key}={value}" for key, value in _fields(record).items()]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def with_request_id(record: logging.LogRecord) -> bool:
    record.request_id = request_ids.current() if has_request_context() else None
    return True


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is when a line is logged (a test's capture included)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app: Flask) -> None:
    """Send the app's log lines to stdout in the configured format and level (once per logger,
    however many apps are created: the previous app's handler is replaced)."""
    logger = logging.getLogger(LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, StdoutHandler) or h is default_handler]:
        logger.removeHandler(handler)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter() if app.config["HEALTHPAL_LOG_FORMAT"] == "json" else TextFormatter())
    handler.addFilter(with_request_id)
    logger.addHandler(handler)
    logger.setLevel(app.config["HEALTHPAL_LOG_LEVEL"])
