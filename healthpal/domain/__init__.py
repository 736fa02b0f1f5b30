"""The rules of Healthpal, shared by the portal, the API, the admin and the CLI.

Functions here take an explicit `actor` and `via` (the channel), return model objects, own the
transaction, and raise `Invalid` / `NotFound`; they never read the request or render anything.

Glossary (the words the domain's signatures use):

- actor: the `User` a call acts for (the signed-in clinician or admin). None for a CLI command (the
  audit trail then names the operating-system account, `os:<name>`) and for a self-registration
  (the new user becomes the actor of its own creation).
- channel, `via`: the way the call came in, one of `channels.ALL` (`api`, `portal`, `admin`, `cli`).
  It is recorded on every audit event, and it is part of the scope: only in the admin panel does a
  superuser see every record.
- scope: what an actor may reach, as a query (`patients.visible`, `assessments.visible`): a
  clinician's own patients and assessments; everything for whoever `scope.sees_everything` (a
  superuser in the admin panel). Anything outside it is NotFound, never "forbidden".
- version: a patient's or assessment's change counter (`versions`), bumped by every committed
  change. A write may name the version its author read (`expected`); an older one raises Stale.
- audit event: one row of the append-only trail (`audit.record`): who (actor), how (channel), what
  (create, update, delete, read, export, purge), which record, and the changed fields. It is added
  in the same transaction as the change it describes; `audit_guard` checks every commit has its events.
- read: the audited read, `patients.read` / `assessments.read`: one record within the actor's
  scope, plus an audit event saying the actor read it. Use it to show a record to someone; `get`
  fetches within scope without recording anything, for writes and checks. `read_by_sign_in` is
  the same read for the holder of a mobile-app sign-in not judged yet: on PostgreSQL one statement,
  a transaction by itself, judges the sign-in, reads and records the read.
- sign-in session: a portal browser session or a mobile-app sign-in (`sessions`, a `SessionRecord`
  row; not Flask's `session`, nor SQLAlchemy's `db.session`); `sessions.honoured` judges whether a
  presented one still counts.
"""
