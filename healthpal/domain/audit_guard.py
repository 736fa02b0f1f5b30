"""The audit invariant, checked mechanically: no transaction changes a user, patient, assessment or
Q&A round without also adding an audit event.

`install(engine, mode)` watches every session bound to `engine`. Each flush notes whether it wrote
a guarded record and whether it added an audit event, and an INSERT into the audit table run
through the session (as `audit.record` adds its event) counts as one; a statement run through the
session that carries `WRITES` (the domain's writes made without the ORM) counts as a write. At
commit, a transaction that wrote guarded records without any event is refused (`mode="raise"`, on
in the tests, so a new write path that forgets `audit.record` fails them) or logged (`"log"`, the
default elsewhere, so production keeps serving while saying loudly what went unaudited). `"off"`
watches nothing.
"""
import logging
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from healthpal.models import Assessment, AuditEvent, Patient, QARound, User

GUARDED = (User, Patient, Assessment, QARound)
_WRITES_OPTION = "audit_guard_writes"
# The execution options of a statement that writes guarded records without the ORM (the domain's
# prebuilt INSERTs, UPDATEs and DELETEs), so that the guard counts it as a write.
WRITES = {_WRITES_OPTION: True}
MODES = ("raise", "log", "off")
_WROTE, _AUDITED = "audit_guard.wrote", "audit_guard.audited"

log = logging.getLogger(__name__)
_modes: "weakref.WeakKeyDictionary[Engine, str]" = weakref.WeakKeyDictionary()


class Unaudited(RuntimeError):
    """A transaction changed guarded records without recording an audit event."""


def install(engine: Engine, mode: str) -> None:
    """Check every transaction on `engine` as `mode` says (one of MODES)."""
    if mode not in MODES:
        raise ValueError(f"audit guard mode must be one of {', '.join(MODES)}, not {mode!r}")
    _modes[engine] = mode
    if not event.contains(Session, "before_flush", _note_flush):
        event.listen(Session, "before_flush", _note_flush)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "before_commit", _check_commit)
        event.listen(Session, "after_transaction_end", _forget)


def _mode(session: Session) -> str:
    bind = session.get_bind()
    return _modes.get(bind if isinstance(bind, Engine) else bind.engine, "off")


def _changed(session: Session) -> list[str]:
    """What this flush writes of the guarded records, as `Patient 7 (update)` labels."""
    changes = [(obj, "insert") for obj in session.new] + [(obj, "delete") for obj in session.deleted]
    changes += [(obj, "update") for obj in session.dirty if session.is_modified(obj)]
    return [f"{type(obj).__name__} {getattr(obj, 'id', None)} ({what})"
            for obj, what in changes if isinstance(obj, GUARDED)]


def _note_flush(session: Session, _context, _instances) -> None:
    if _mode(session) == "off":
        return
    session.info.setdefault(_WROTE, []).extend(_changed(session))
    if any(isinstance(obj, AuditEvent) for obj in session.new):
        session.info[_AUDITED] = True


def _note_statement(state: ORMExecuteState) -> None:
    """A statement run through the session, outside a flush: an INSERT of an audit event, or a write
    of guarded records the domain makes without the ORM (a statement carrying `WRITES`)."""
    table = getattr(state.statement, "table", None)
    if state.is_insert and getattr(table, "name", None) == AuditEvent.__tablename__:
        state.session.info[_AUDITED] = True
    elif state.execution_options.get(_WRITES_OPTION) and _mode(state.session) != "off":
        state.session.info.setdefault(_WROTE, []).append(f"{getattr(table, 'name', None)} (statement)")


def _check_commit(session: Session) -> None:
    mode = _mode(session)
    if mode == "off":
        return
    session.flush()                      # what is still pending is part of this transaction too
    wrote = session.info.get(_WROTE)
    if not wrote or session.info.get(_AUDITED):
        return
    message = "unaudited write: " + ", ".join(wrote) + " committed without an audit event"
    if mode == "raise":
        raise Unaudited(message)
    log.error(message)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:       # the outermost transaction ended: commit or rollback
        session.info.pop(_WROTE, None)
        session.info.pop(_AUDITED, None)
