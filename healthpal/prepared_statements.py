"""Server-side prepared statements for the hot paths' statements on PostgreSQL.

psycopg2 sends every statement as text with its values written in, so PostgreSQL parses and plans
it afresh each time. For the statements every request runs (a token's sign-in, an audited read, an
assessment written with its rounds and audit event in one statement) that was about a third of the
database's CPU per request. A statement whose execution options include `PREPARED`
(`healthpal.extensions`) is prepared once per connection (`PREPARE`, its parameters typed after the
statement's binds) and from then on sent as `EXECUTE` with its values. The switch happens where the
cursor executes it: the statement events before that (logs, the tests' statement counts) and an
error's message see the statement as written.

Mark only point reads and writes (by id, in the signed-in user's scope): after five executions
PostgreSQL may keep one generic plan for a prepared statement, which suits them, while a list's
best plan depends on how many rows the clinician has, so lists are planned for each request.

A migration that changes the type of a column such a statement returns (a longer VARCHAR) makes
PostgreSQL refuse to run it as prepared ("cached plan must not change result type"): that error
discards the connection, with its prepared statements, as a lost one is, and the request runs
again on a fresh connection (`healthpal.errors`).

SQL-level prepared statements live in the server's session: behind a pooler that hands each
transaction to any server connection (PgBouncer in transaction mode) they must be turned off
(`DATABASE_PREPARED_STATEMENTS=off`); every statement is then sent as text.
"""
import re
from typing import cast

from psycopg2.errors import FeatureNotSupported
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.exc import CompileError, UnsupportedCompilationError
from sqlalchemy.sql.compiler import SQLCompiler

from healthpal.extensions import PREPARED

_OPTION = next(iter(PREPARED))
# In the DBAPI connection's `info` (which ends with that connection): statement text → its EXECUTE.
_PREPARED_HERE = "healthpal.prepared"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_EXPANDED = re.compile(r"_\d+$")   # `id_1_2`: the second value of the expanded IN list `id_1`
_RESULT_TYPE_CHANGED = "cached plan must not change result type"
_UNKNOWN = "unknown"               # a type PostgreSQL infers from where the parameter stands
# A parameter's type is its column's, widened so that a value the column could not hold is still
# compared as sent: an id past INTEGER's range finds no row (rather than failing to convert), a string
# longer than a VARCHAR's length is not cut to it; and without the column's collation, which a
# parameter's type cannot carry.
_WIDER = ((re.compile(r"\b(?:SMALLINT|INTEGER)\b"), "BIGINT"), (re.compile(r"\bVARCHAR\(\d+\)"), "VARCHAR"),
          (re.compile(r' COLLATE "[^"]*"'), ""))


def install(engine: Engine) -> None:
    """Send `engine`'s marked statements as prepared statements (PostgreSQL only)."""
    if engine.dialect.name == "postgresql" and not event.contains(engine, "do_execute", _as_prepared):
        event.listen(engine, "do_execute", _as_prepared)
        event.listen(engine, "handle_error", _replan)


def _as_prepared(cursor, statement: str, parameters, context) -> bool:
    """Run a marked statement as EXECUTE (True: done); anything else is left to the dialect (False)."""
    if (not isinstance(context, DefaultExecutionContext) or context.compiled is None
            or not context.execution_options.get(_OPTION) or not isinstance(parameters, dict)):
        return False
    prepared = context.root_connection.info.setdefault(_PREPARED_HERE, {})
    execute = prepared.get(statement)
    if execute is None:
        execute = _prepare(cursor, statement, context, name=f"healthpal_{len(prepared) + 1}")
        prepared[statement] = execute
    cursor.execute(execute, parameters)
    return True


def _replan(context: ExceptionContext) -> None:
    """A prepared statement whose result no longer has the type it was prepared with: the connection
    is discarded as if lost (SQLAlchemy invalidates it, its prepared statements go with it)."""
    error = context.original_exception
    if isinstance(error, FeatureNotSupported) and _RESULT_TYPE_CHANGED in str(error):
        context.is_disconnect = True


def _prepare(cursor, statement: str, context: DefaultExecutionContext, *, name: str) -> str:
    """PREPARE `statement` as `name` on the cursor's connection; the EXECUTE that runs it."""
    order: list[str] = []

    def numbered(match: re.Match) -> str:
        bind = match.group(1)
        if bind is None:
            return "%"                    # `%%` stands for `%` only where values are written in
        if bind not in order:
            order.append(bind)
        return f"${order.index(bind) + 1}"

    body = _PLACEHOLDER.sub(numbered, statement)
    types = f" ({', '.join(_type(context, bind) for bind in order)})" if order else ""
    cursor.execute(f"PREPARE {name}{types} AS {body}")
    values = f"({', '.join(f'%({bind})s' for bind in order)})" if order else ""
    return f"EXECUTE {name}{values}"


def _type(context: DefaultExecutionContext, bind: str) -> str:
    """The SQL type of the parameter for the statement's bind named `bind` (as the statement text names it)."""
    compiled = cast(SQLCompiler, context.compiled)
    named = {escaped: original for original, escaped in (compiled.escaped_bind_names or {}).items()}
    original = named.get(bind, bind)
    parameter = compiled.binds.get(original)
    if parameter is None:
        parameter = compiled.binds.get(_EXPANDED.sub("", original))
    if parameter is None:
        return _UNKNOWN
    try:
        sql_type = context.dialect.type_compiler_instance.process(parameter.type)
    except (CompileError, UnsupportedCompilationError):
        return _UNKNOWN
    for narrow, wide in _WIDER:
        sql_type = narrow.sub(wide, sql_type)
    return sql_type
