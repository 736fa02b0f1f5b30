"""Flask extensions, created unbound; the app factory binds them."""
import sqlite3
import unicodedata

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
jwt = JWTManager()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="moving-window")


# Names sort as people expect (Élodie with the E's, Łukasz with the L's, "de la Cruz" among the D's):
# PostgreSQL's ICU root collation; on SQLite a collation of the same name with the same idea.
NAME_COLLATION = "und-x-icu"
# Names are found without their case or accents ("muller" finds "Müller", "lukasz" "Łukasz"):
# `name_fold(text)` in SQL. On PostgreSQL an IMMUTABLE wrapper over the `unaccent` extension
# (healthpal/models.py, migration 0007), so an index can hold it; on SQLite `fold_name` below.
NAME_FOLD = "name_fold"
# Letters that carry no combining accent, so Unicode decomposition leaves them as they are;
# `unaccent` maps them to the same base letters.
_BASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t",
                               "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"})


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def fold_name(value: str | None) -> str | None:
    """`value` without case or accents: é → e, ł → l, ß → ss, æ → ae."""
    if value is None:
        return None
    folded = unicodedata.normalize("NFKD", value.casefold().translate(_BASE_LETTERS))
    return "".join(c for c in folded if not unicodedata.combining(c))


def name_sort_key(value: str) -> tuple:
    """Letters first without case or accents, then with them."""
    return fold_name(value), value.casefold(), value


def _compare_names(left: str, right: str) -> int:
    left_key, right_key = name_sort_key(left), name_sort_key(right)
    return (left_key > right_key) - (left_key < right_key)


@event.listens_for(Engine, "connect")
def _sqlite_connection(dbapi_connection, _record):
    """SQLite enforces ON DELETE CASCADE / SET NULL only when asked, per connection; its lower()
    folds ASCII only (PostgreSQL folds every letter); it has no ICU, so the names' collation is
    defined here; nor `unaccent`, so the names' folding for search is too."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_collation(NAME_COLLATION, _compare_names)
        dbapi_connection.create_function(NAME_FOLD, 1, fold_name, deterministic=True)
