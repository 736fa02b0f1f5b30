"""The app factory and its configuration: environment, `.env`, defaults, and the production checks."""
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import request

import healthpal
from healthpal import config, create_app

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-real-production-secret-of-enough-length-0123456789"


def settings_read_by_the_app() -> set:
    """Every environment variable `config.from_environment` looks at."""
    class Recorder(dict):
        def get(self, key, default=None):
            read.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            read.add(key)
            return super().__contains__(key)

    read = set()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config.os, "environ", Recorder())
        config.from_environment("/nowhere")
    return read


KEYS = sorted(settings_read_by_the_app())


@pytest.fixture
def env(monkeypatch):
    """A clean environment for the app's settings: none set, and anything a test (or a `.env` file
    it loads) sets is undone afterwards."""
    for key in (*KEYS, "FLASK_DEBUG"):
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    return monkeypatch


def test_every_setting_is_documented_in_env_example():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE)) - {"TEST_DATABASE_URL"}
    assert documented == set(KEYS)


# --- defaults and the environment ----------------------------------------------------------------

def test_development_defaults(env, tmp_path):
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'healthpal.sqlite'}"
    assert settings["SECRET_KEY"] == settings["JWT_SECRET_KEY"] == config.DEV_SECRET
    assert settings["HEALTHPAL_OPEN_REGISTRATION"] is False
    assert settings["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=30)
    assert settings["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=1)
    assert (settings["HEALTHPAL_LOGIN_FAILURES_PER_USER"], settings["HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS"],
            settings["HEALTHPAL_LOGIN_WINDOW_SECONDS"]) == (5, 20, 900)
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://" and settings["HEALTHPAL_THROTTLE_STORAGE_DEFAULTED"]
    assert settings["HEALTHPAL_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert settings["HEALTHPAL_SESSION_LIFETIME"] == timedelta(hours=12)


def test_the_clinic_name_on_printouts_comes_from_the_environment(env, tmp_path):
    assert config.from_environment(str(tmp_path))["HEALTHPAL_CLINIC_NAME"] == "Healthpal"
    env.setenv("HEALTHPAL_CLINIC_NAME", "  ")
    assert config.from_environment(str(tmp_path))["HEALTHPAL_CLINIC_NAME"] == "Healthpal"
    env.setenv("HEALTHPAL_CLINIC_NAME", " Clinique du Lac ")
    assert config.from_environment(str(tmp_path))["HEALTHPAL_CLINIC_NAME"] == "Clinique du Lac"


def test_environment_overrides(env, tmp_path):
    env.setenv("SECRET_KEY", SECRET)
    env.setenv("DATABASE_URL", "sqlite:////srv/healthpal.sqlite")
    env.setenv("HEALTHPAL_OPEN_REGISTRATION", " Yes ")
    env.setenv("JWT_ACCESS_TOKEN_SECONDS", "60")
    env.setenv("HEALTHPAL_LOGIN_FAILURES_PER_USER", "3")
    env.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    env.setenv("HEALTHPAL_IDLE_TIMEOUT_MINUTES", "10")
    env.setenv("HEALTHPAL_SESSION_LIFETIME_HOURS", "8")
    settings = config.from_environment(str(tmp_path))
    assert settings["SECRET_KEY"] == settings["JWT_SECRET_KEY"] == SECRET       # the JWT key follows SECRET_KEY
    assert settings["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/healthpal.sqlite"
    assert settings["HEALTHPAL_OPEN_REGISTRATION"] is True
    assert settings["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=60)
    assert settings["HEALTHPAL_LOGIN_FAILURES_PER_USER"] == 3
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert settings["HEALTHPAL_IDLE_TIMEOUT"] == timedelta(minutes=10)
    assert settings["HEALTHPAL_SESSION_LIFETIME"] == timedelta(hours=8)
    env.setenv("JWT_SECRET_KEY", SECRET + "-jwt")
    assert config.from_environment(str(tmp_path))["JWT_SECRET_KEY"] == SECRET + "-jwt"


@pytest.mark.parametrize("value, enabled", [("1", True), ("true", True), ("ON", True), ("0", False),
                                            ("false", False), ("no", False), ("", False)])
def test_open_registration_flag(env, tmp_path, value, enabled):
    env.setenv("HEALTHPAL_OPEN_REGISTRATION", value)
    assert config.from_environment(str(tmp_path))["HEALTHPAL_OPEN_REGISTRATION"] is enabled


def test_a_number_setting_that_is_not_a_number_says_which(env, tmp_path):
    env.setenv("HEALTHPAL_LOGIN_WINDOW_SECONDS", "15m")
    with pytest.raises(config.ConfigError, match="HEALTHPAL_LOGIN_WINDOW_SECONDS must be a whole number"):
        config.from_environment(str(tmp_path))


def test_logs_are_text_in_development_and_json_in_production(env, tmp_path):
    settings = config.from_environment(str(tmp_path))
    assert (settings["HEALTHPAL_LOG_FORMAT"], settings["HEALTHPAL_LOG_LEVEL"]) == ("text", "INFO")
    env.setenv("HEALTHPAL_ENV", "production")
    assert config.from_environment(str(tmp_path))["HEALTHPAL_LOG_FORMAT"] == "json"
    env.setenv("HEALTHPAL_LOG_FORMAT", "Text")
    env.setenv("HEALTHPAL_LOG_LEVEL", "warning")
    settings = config.from_environment(str(tmp_path))
    assert (settings["HEALTHPAL_LOG_FORMAT"], settings["HEALTHPAL_LOG_LEVEL"]) == ("text", "WARNING")


@pytest.mark.parametrize("key, value, message", [
    ("HEALTHPAL_LOG_FORMAT", "xml", "HEALTHPAL_LOG_FORMAT must be one of json, text, not 'xml'"),
    ("HEALTHPAL_LOG_LEVEL", "loud", "HEALTHPAL_LOG_LEVEL must be one of debug, info, warning, error"),
    ("HEALTHPAL_METRICS_ALLOWED", "127.0.0.1,prometheus", "HEALTHPAL_METRICS_ALLOWED: 'prometheus' does not appear"),
])
def test_a_bad_log_or_metrics_setting_says_which(env, tmp_path, key, value, message):
    env.setenv(key, value)
    with pytest.raises(config.ConfigError, match=message):
        config.from_environment(str(tmp_path))


def test_metrics_are_for_loopback_unless_told(env, tmp_path):
    assert [str(n) for n in config.from_environment(str(tmp_path))["HEALTHPAL_METRICS_ALLOWED"]] == [
        "127.0.0.1/32", "::1/128"]
    env.setenv("HEALTHPAL_METRICS_ALLOWED", " 10.0.0.0/16 , 127.0.0.1")
    assert [str(n) for n in config.from_environment(str(tmp_path))["HEALTHPAL_METRICS_ALLOWED"]] == [
        "10.0.0.0/16", "127.0.0.1/32"]


@pytest.mark.parametrize("raw, url", [
    ("postgres://u:p@db:5432/hp", "postgresql+psycopg2://u:p@db:5432/hp"),
    ("postgresql://u:p@db/hp", "postgresql+psycopg2://u:p@db/hp"),
    ("postgresql+psycopg2://u:p@db/hp", "postgresql+psycopg2://u:p@db/hp"),
    ("sqlite:////var/lib/hp.sqlite", "sqlite:////var/lib/hp.sqlite"),
    ("", "sqlite:////inst/healthpal.sqlite"),
    (None, "sqlite:////inst/healthpal.sqlite"),
])
def test_database_urls_are_normalised_to_psycopg2(raw, url):
    assert config.database_url(raw, "/inst") == url


# --- the factory and .env -------------------------------------------------------------------------

def test_create_app_reads_the_env_file_and_keeps_real_variables(env, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SECRET_KEY={SECRET}\nDATABASE_URL=postgres://u:p@db/hp\nJWT_ACCESS_TOKEN_SECONDS=90\n")
    env.setenv("JWT_ACCESS_TOKEN_SECONDS", "120")
    seen = []
    env.setattr(config, "load_dotenv", lambda path: (seen.append(path), config._load_dotenv(dotenv)))

    app = create_app()
    assert seen == [healthpal.ROOT / ".env"]
    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u:p@db/hp"
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=120)     # the real variable wins


def test_the_env_file_is_optional(env, tmp_path):
    config.load_dotenv(tmp_path / "missing.env")
    assert "SECRET_KEY" not in os.environ


def test_create_app_without_settings_uses_sqlite_in_the_instance_folder(env):
    env.setattr(config, "load_dotenv", lambda path: None)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(Path(app.instance_path) / "healthpal.sqlite")
    assert Path(app.instance_path).is_dir()
    assert not app.testing


def test_test_config_overrides_the_environment(env, tmp_path):
    env.setenv("SECRET_KEY", SECRET)
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.testing and app.config["SECRET_KEY"] == "x" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


# --- unsafe settings: check-config, and production refuses to start ------------------------------------

SAFE_PRODUCTION = {"HEALTHPAL_ENV": "production", "SECRET_KEY": SECRET,
                   "DATABASE_URL": "postgresql://healthpal:secret@db.internal/healthpal",
                   "SESSION_COOKIE_SECURE": "true", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}


def production(env, **changes):
    for key, value in {**SAFE_PRODUCTION, **changes}.items():
        if value is None:
            env.delenv(key, raising=False)
        else:
            env.setenv(key, value)


def test_production_starts_when_every_setting_is_safe(env):
    production(env)
    app = create_app()
    assert app.config["ENV_NAME"] == "production" and app.config["JWT_SECRET_KEY"] == SECRET
    assert config.unsafe_settings(app.config) == []


def test_production_accepts_memory_throttle_storage_when_written_out(env):
    production(env, RATELIMIT_STORAGE_URI="memory://")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"


WEAK_SECRET = "{} is missing or is the development default"


@pytest.mark.parametrize("changes, reported", [
    ({"SECRET_KEY": None}, [WEAK_SECRET.format("SECRET_KEY"), WEAK_SECRET.format("JWT_SECRET_KEY")]),
    ({"SECRET_KEY": config.DEV_SECRET}, [WEAK_SECRET.format("SECRET_KEY"), WEAK_SECRET.format("JWT_SECRET_KEY")]),
    ({"JWT_SECRET_KEY": config.DEV_SECRET}, [WEAK_SECRET.format("JWT_SECRET_KEY")]),
    ({"FLASK_DEBUG": "1"}, ["DEBUG is on"]),
    ({"DATABASE_URL": "sqlite:////srv/healthpal.sqlite"}, ["DATABASE_URL is SQLite"]),
    ({"SESSION_COOKIE_SECURE": "false"}, ["SESSION_COOKIE_SECURE off"]),  # unset, it is on in production
    ({"RATELIMIT_STORAGE_URI": None}, ["RATELIMIT_STORAGE_URI is not set"]),
    ({"HEALTHPAL_BEHIND_PROXY": "true"}, ["HEALTHPAL_BEHIND_PROXY is set but HEALTHPAL_TRUSTED_PROXIES is 0"]),
])
def test_production_refuses_each_unsafe_setting_and_says_which(env, changes, reported):
    """(The JWT key defaults to SECRET_KEY, so a development SECRET_KEY makes two weak secrets.)"""
    production(env, **changes)
    with pytest.raises(config.ConfigError) as caught:
        create_app()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("Healthpal will not start with HEALTHPAL_ENV=production")
    assert len(lines) == 1 + len(reported)
    assert all(line.startswith(f"- {expected}") for line, expected in zip(lines[1:], reported, strict=True))


@pytest.mark.parametrize("changes, reported", [
    ({"WTF_CSRF_ENABLED": False}, "WTF_CSRF_ENABLED is off"),
    ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_HTTPONLY off"),
])
def test_settings_only_code_can_change_are_checked_too(env, changes, reported):
    production(env)
    settings = {**create_app().config, **changes}
    assert [problem.split(":")[0] for problem in config.unsafe_settings(settings)] == [reported]


def test_a_proxy_with_its_count_set_is_safe(env):
    production(env, HEALTHPAL_BEHIND_PROXY="true", HEALTHPAL_TRUSTED_PROXIES="1")
    assert config.unsafe_settings(create_app().config) == []


def test_every_problem_is_reported_at_once(env):
    env.setenv("HEALTHPAL_ENV", "production")
    with pytest.raises(config.ConfigError) as caught:
        create_app()
    assert str(caught.value).count("\n- ") == 4   # both secrets, SQLite, implicit throttle storage (the cookie
    #                                                is Secure by default in production)


def test_development_allows_the_default_secret(env):
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == config.DEV_SECRET


def run_flask(tmp_path, *args, **environment):
    clean = {key: value for key, value in os.environ.items() if key not in KEYS and key != "FLASK_DEBUG"}
    env = {**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "SECRET_KEY": config.DEV_SECRET, **environment}   # set, so that no local .env file can supply a real one
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_an_operator_sees_why_production_will_not_start(tmp_path):
    result = run_flask(tmp_path, "-c", "import wsgi", HEALTHPAL_ENV="production")
    assert result.returncode != 0
    assert result.stderr.startswith("ConfigError: Healthpal will not start with HEALTHPAL_ENV=production")
    assert "- SECRET_KEY is missing or is the development default" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_lists_unsafe_settings_in_development_and_succeeds(tmp_path):
    result = run_flask(tmp_path, "-m", "flask", "--app", "wsgi", "check-config")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Unsafe settings (HEALTHPAL_ENV=development):"
    assert [line.split(" ")[1] for line in lines[1:]] == [
        "SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI"]


def test_check_config_fails_in_production_listing_every_unsafe_setting(tmp_path):
    result = run_flask(tmp_path, "-m", "flask", "--app", "wsgi", "check-config", HEALTHPAL_ENV="production",
                       FLASK_DEBUG="1", RATELIMIT_STORAGE_URI="memory://")
    assert result.returncode != 0
    assert "- SECRET_KEY is missing" in result.stderr and "- DEBUG is on" in result.stderr
    assert "RATELIMIT_STORAGE_URI" not in result.stderr                  # written out: accepted


def test_check_config_passes_a_safe_production_environment(tmp_path):
    result = run_flask(tmp_path, "-m", "flask", "--app", "wsgi", "check-config",
                       **{**SAFE_PRODUCTION, "SECRET_KEY": SECRET})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No unsafe settings found (HEALTHPAL_ENV=production).\n"


# --- behind a reverse proxy ---------------------------------------------------------------------------

@pytest.mark.parametrize("proxies, address, scheme", [("0", "127.0.0.1", "http"), ("1", "203.0.113.9", "https")])
def test_client_address_comes_from_trusted_proxies_only(env, proxies, address, scheme):
    """Behind nginx every request comes from 127.0.0.1: without this, one address's sign-in
    throttle would lock out every client."""
    env.setenv("HEALTHPAL_TRUSTED_PROXIES", proxies)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.add_url_rule("/_whoami", "whoami", lambda: {"address": request.remote_addr, "scheme": request.scheme})
    response = app.test_client().get("/_whoami", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={
        "X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"})
    assert response.json == {"address": address, "scheme": scheme}
