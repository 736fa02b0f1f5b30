"""Configuration: environment variables (and a `.env` file) over development defaults."""
import ipaddress
import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv as _load_dotenv

DEV_SECRET = "dev-only-insecure-secret-change-me-000000"  # 41 bytes: long enough for HS256
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(RuntimeError):
    """The configuration cannot be used (raised at start-up, with the reason)."""


def load_dotenv(path: Path) -> None:
    """Read a `.env` file into the environment when there is one (real variables win)."""
    if path.is_file():
        _load_dotenv(path, override=False)


def database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: `DATABASE_URL` normalised to psycopg2, or a SQLite file in the instance folder."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "healthpal.sqlite")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg2://" + raw[len(prefix):]
    return raw


def _on_off(name: str, default: bool = False) -> bool:
    """An on/off setting: `1`, `true`, `yes` or `on` (any case) is on; unset is `default`."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}.") from None


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0 <= seconds < 24 * 3600:
        raise ConfigError(f"{name} must be a number of seconds (0 for no limit), not {value!r}.")
    return seconds


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def _networks(name: str, default: str) -> tuple:
    """A comma-separated list of addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`)."""
    value = os.environ.get(name) or default
    try:
        return tuple(ipaddress.ip_network(item.strip()) for item in value.split(",") if item.strip())
    except ValueError as error:
        raise ConfigError(f"{name}: {error}.") from None


def from_environment(instance_path: str) -> dict:
    """Every setting the app reads, taken from the environment with development defaults."""
    secret = os.environ.get("SECRET_KEY") or DEV_SECRET
    env_name = os.environ.get("HEALTHPAL_ENV", "development")
    throttle_storage = os.environ.get("RATELIMIT_STORAGE_URI")
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or secret,
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        # How long to wait for the database: well below gunicorn's worker timeout (30 s), so a
        # database that is down or stalled gets a 503 instead of a killed worker.
        "DATABASE_CONNECT_TIMEOUT": _seconds("DATABASE_CONNECT_TIMEOUT", 5),
        "DATABASE_STATEMENT_TIMEOUT": _seconds("DATABASE_STATEMENT_TIMEOUT", 15),
        "DATABASE_LOCK_TIMEOUT": _seconds("DATABASE_LOCK_TIMEOUT", 5),
        "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": _seconds("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", 20),
        # The hot paths' statements prepared once per connection (PostgreSQL); off behind a pooler
        # that hands each transaction to any server connection (PgBouncer in transaction mode).
        "DATABASE_PREPARED_STATEMENTS": _on_off("DATABASE_PREPARED_STATEMENTS", default=True),
        "HEALTHPAL_OPEN_REGISTRATION": _on_off("HEALTHPAL_OPEN_REGISTRATION"),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=_int("JWT_ACCESS_TOKEN_SECONDS", 30 * 60)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=_int("JWT_REFRESH_TOKEN_SECONDS", 24 * 3600)),
        "HEALTHPAL_LOGIN_FAILURES_PER_USER": _int("HEALTHPAL_LOGIN_FAILURES_PER_USER", 5),
        "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS": _int("HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 20),
        "HEALTHPAL_LOGIN_WINDOW_SECONDS": _int("HEALTHPAL_LOGIN_WINDOW_SECONDS", 900),
        "RATELIMIT_STORAGE_URI": throttle_storage or "memory://",
        # memory:// by default: the throttle then counts per process, which `unsafe_settings` reports.
        "HEALTHPAL_THROTTLE_STORAGE_DEFAULTED": not throttle_storage,
        "HEALTHPAL_IDLE_TIMEOUT": timedelta(minutes=_int("HEALTHPAL_IDLE_TIMEOUT_MINUTES", 30)),
        "HEALTHPAL_SESSION_LIFETIME": timedelta(hours=_int("HEALTHPAL_SESSION_LIFETIME_HOURS", 12)),
        "GOOGLE_MAPS_API_KEY": os.environ.get("GOOGLE_MAPS_API_KEY", ""),
        "HEALTHPAL_CLINIC_NAME": os.environ.get("HEALTHPAL_CLINIC_NAME", "").strip() or "Healthpal",
        # The portal's cookie: never readable by scripts, not sent on other sites' subrequests or
        # POSTs, and (in production, unless turned off for a plain-HTTP test) only over HTTPS.
        "SESSION_COOKIE_SECURE": _on_off("SESSION_COOKIE_SECURE", default=env_name == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # How many reverse proxies (nginx, a load balancer) stand in front of the app and set
        # X-Forwarded-For/-Proto/-Host; 0 trusts no such header.
        "HEALTHPAL_TRUSTED_PROXIES": _int("HEALTHPAL_TRUSTED_PROXIES", 0),
        # Declares that clients reach the app through a reverse proxy (nginx, a load balancer); with
        # no trusted proxy count, every client would then seem to come from the proxy's address.
        "HEALTHPAL_BEHIND_PROXY": _on_off("HEALTHPAL_BEHIND_PROXY"),
        "MAX_CONTENT_LENGTH": 1024 * 1024,  # request bodies: 1 MiB at most (413 beyond)
        # Database errors never carry the statement's values (patients' names) into a log line.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "HEALTHPAL_LOG_LEVEL": _choice("HEALTHPAL_LOG_LEVEL", "info", LOG_LEVELS).upper(),
        "HEALTHPAL_LOG_FORMAT": _choice(
            "HEALTHPAL_LOG_FORMAT", "json" if env_name == "production" else "text", ("json", "text")),
        # Who may read GET /metrics: client addresses or networks, comma-separated.
        "HEALTHPAL_METRICS_ALLOWED": _networks("HEALTHPAL_METRICS_ALLOWED", "127.0.0.1,::1"),
        # A change committed without its audit event: "log" it (the default), "raise" (the tests) or "off".
        "HEALTHPAL_AUDIT_GUARD": os.environ.get("HEALTHPAL_AUDIT_GUARD", "log"),
    }


def _weak_secret(key: str):
    def check(config) -> str | None:
        value = config.get(key)
        if not value or value == DEV_SECRET:
            return f"{key} is missing or is the development default: anyone could forge sessions and tokens."
        return None
    return check


def _debug(config) -> str | None:
    if config.get("DEBUG"):
        return "DEBUG is on: error pages show code and settings, and the debugger can run code."
    return None


def _sqlite(config) -> str | None:
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        return ("DATABASE_URL is SQLite: one writer at a time and no concurrent workers; "
                "use PostgreSQL in production.")
    return None


def _cookies(config) -> str | None:
    weak = [name for name, safe in (("SESSION_COOKIE_SECURE", config.get("SESSION_COOKIE_SECURE")),
                                    ("SESSION_COOKIE_HTTPONLY", config.get("SESSION_COOKIE_HTTPONLY", True)))
            if not safe]
    if weak:
        return (f"{' and '.join(weak)} off: the portal session cookie may travel without TLS "
                "or be read by scripts; set it to true (behind TLS).")
    return None


def _csrf(config) -> str | None:
    if config.get("WTF_CSRF_ENABLED") is False:
        return "WTF_CSRF_ENABLED is off: other sites could submit the portal's forms."
    return None


def _throttle_storage(config) -> str | None:
    if config.get("HEALTHPAL_THROTTLE_STORAGE_DEFAULTED"):
        return ("RATELIMIT_STORAGE_URI is not set, so the failed sign-in throttle counts in memory, per "
                "process: with several workers each keeps its own count. Set it to a Redis URL "
                "(redis://host:6379/0), or to memory:// written out for a single-process deployment.")
    return None


def _proxy(config) -> str | None:
    if config.get("HEALTHPAL_BEHIND_PROXY") and not config.get("HEALTHPAL_TRUSTED_PROXIES"):
        return ("HEALTHPAL_BEHIND_PROXY is set but HEALTHPAL_TRUSTED_PROXIES is 0: every client seems to "
                "come from the proxy's address, so one address's sign-in throttle locks everyone out.")
    return None


# Every check of a setting, in the order they are reported. Each returns what is unsafe, or None.
CHECKS = (_weak_secret("SECRET_KEY"), _weak_secret("JWT_SECRET_KEY"), _debug, _sqlite, _cookies, _csrf,
          _throttle_storage, _proxy)


def unsafe_settings(config) -> list[str]:
    """What is unsafe about these settings (for production), one sentence each; empty if nothing."""
    return [problem for check in CHECKS if (problem := check(config)) is not None]


def check_production(config) -> None:
    """Refuse to run in production with any unsafe setting, naming every one."""
    if config["ENV_NAME"] != "production":
        return
    problems = unsafe_settings(config)
    if problems:
        raise ConfigError(
            "Healthpal will not start with HEALTHPAL_ENV=production while these settings are unsafe "
            "(`flask --app wsgi check-config` lists them):\n" + "\n".join(f"- {problem}" for problem in problems)
        )
