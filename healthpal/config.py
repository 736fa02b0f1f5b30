"""Configuration: environment variables (and a `.env` file) over development defaults."""
import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv as _load_dotenv

DEV_SECRET = "dev-only-insecure-secret-change-me-000000"  # 41 bytes: long enough for HS256


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


def _flag(name: str, default: bool = False) -> bool:
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


def from_environment(instance_path: str) -> dict:
    """Every setting the app reads, taken from the environment with development defaults."""
    secret = os.environ.get("SECRET_KEY") or DEV_SECRET
    env_name = os.environ.get("HEALTHPAL_ENV", "development")
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": secret,
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or secret,
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        "HEALTHPAL_OPEN_REGISTRATION": _flag("HEALTHPAL_OPEN_REGISTRATION"),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=_int("JWT_ACCESS_TOKEN_SECONDS", 30 * 60)),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=_int("JWT_REFRESH_TOKEN_SECONDS", 24 * 3600)),
        "HEALTHPAL_LOGIN_FAILURES_PER_USER": _int("HEALTHPAL_LOGIN_FAILURES_PER_USER", 5),
        "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS": _int("HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 20),
        "HEALTHPAL_LOGIN_WINDOW_SECONDS": _int("HEALTHPAL_LOGIN_WINDOW_SECONDS", 900),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_int("HEALTHPAL_IDLE_TIMEOUT_MINUTES", 30)),
        "GOOGLE_MAPS_API_KEY": os.environ.get("GOOGLE_MAPS_API_KEY", ""),
        "HEALTHPAL_CLINIC_NAME": os.environ.get("HEALTHPAL_CLINIC_NAME", "").strip() or "Healthpal",
        # The portal's cookie: never readable by scripts, not sent on other sites' subrequests or
        # POSTs, and (in production, unless turned off for a plain-HTTP test) only over HTTPS.
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", default=env_name == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # How many reverse proxies (nginx, a load balancer) stand in front of the app and set
        # X-Forwarded-For/-Proto/-Host; 0 trusts no such header.
        "HEALTHPAL_TRUSTED_PROXIES": _int("HEALTHPAL_TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": 1024 * 1024,  # request bodies: 1 MiB at most (413 beyond)
        # A change committed without its audit event: "log" it (the default), "raise" (the tests) or "off".
        "HEALTHPAL_AUDIT_GUARD": os.environ.get("HEALTHPAL_AUDIT_GUARD", "log"),
    }


def check_production(config) -> None:
    """Refuse to run in production with a missing or development secret."""
    if config["ENV_NAME"] != "production":
        return
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = config.get(key)
        if not value or value == DEV_SECRET:
            raise ConfigError(
                f"{key} is missing or is the development default; set it in the environment "
                "before starting Healthpal with HEALTHPAL_ENV=production."
            )
