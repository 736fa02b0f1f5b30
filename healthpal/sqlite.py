"""SQLite brought up to what the app relies on from PostgreSQL, on every connection the app opens:
foreign keys enforced (ON DELETE CASCADE / SET NULL), a `lower()` that folds every letter (SQLite's
folds ASCII only), the names' collation (`models.NAME_COLLATION`: PostgreSQL's ICU root collation,
here defined by `name_sort_key`), and the names' folding for search (`models.NAME_FOLD`: on
PostgreSQL a wrapper over `unaccent`, here `fold_name`).
"""
import sqlite3
import unicodedata

from flask import Flask
from sqlalchemy import event

from healthpal.extensions import db
from healthpal.models import NAME_COLLATION, NAME_FOLD

# Letters that Unicode does not decompose into a base letter and an accent; `unaccent` maps them
# to the same base letters.
_BASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t",
                               "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"})


def init_app(app: Flask) -> None:
    """Prepare each new connection of the app's engine when the database is SQLite."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _prepare):
        event.listen(engine, "connect", _prepare)


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


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _prepare(dbapi_connection: sqlite3.Connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    dbapi_connection.create_collation(NAME_COLLATION, _compare_names)
    dbapi_connection.create_function(NAME_FOLD, 1, fold_name, deterministic=True)
