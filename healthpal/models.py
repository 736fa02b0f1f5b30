"""The database schema: users, patients, assessments, their Q&A rounds, sign-in sessions, the audit
log and the API's idempotency keys.

Rules live in `healthpal.domain`; the constraints here are the database's last line of defence.
"""
import hashlib
import secrets
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthpal.extensions import Base, db

# Names sort as people expect (Élodie with the E's, Łukasz with the L's, "de la Cruz" among the D's):
# PostgreSQL's ICU root collation; on SQLite `healthpal.sqlite` defines a collation of that name.
NAME_COLLATION = "und-x-icu"
# Names are found without their case or accents ("muller" finds "Müller", "lukasz" "Łukasz"):
# `name_fold(text)` in SQL, on PostgreSQL an IMMUTABLE wrapper over the `unaccent` extension (below,
# and migration 0007), so an index can hold it; on SQLite `healthpal.sqlite` defines it.
NAME_FOLD = "name_fold"

# Flask-SQLAlchemy builds `db.Model` at run time from `Base`; the type checker sees `Base`.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def built_on(dialect: str):
    """An `include_object` for Alembic's autogenerate, which ignores `Index.ddl_if`: leaves out the
    indexes meant for another database than `dialect`."""
    def include(obj, _name, type_, _reflected, _compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None) if type_ == "index" else None
        return condition is None or condition.dialect in (None, dialect)

    return include


def utcnow() -> datetime:
    return datetime.now(UTC)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def new_user_key() -> str:
    return secrets.token_hex(16)


# On SQLite, AUTOINCREMENT: the id of a deleted user, patient or assessment is never handed out again
# (PostgreSQL sequences never reuse one either).
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class Versioned:
    """A record clients may hold a copy of: `version` starts at 1 and the domain bumps it with every
    committed change (the API's ETag; the portal's and admin's forms carry it to detect lost updates)."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")


class User(Timestamps, Model):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSED_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    first_name: Mapped[str] = mapped_column(String(150), default="")
    last_name: Mapped[str] = mapped_column(String(150), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_superuser: Mapped[bool] = mapped_column(default=False)
    # Random and never shared by two accounts: every API token names it, so a deleted account's
    # tokens match no later account, even one given the same id.
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_user_key)

    patients: Mapped[list["Patient"]] = relationship(back_populates="clinician", passive_deletes=True)

    # Flask-Login protocol (is_active is the column above).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.username

    def __str__(self) -> str:
        return self.username


# "Dana" and "dana" are one username: the domain checks it, and this index holds under races.
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class Patient(Versioned, Timestamps, Model):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinician_id", "full_name", "birthdate"),
        # The target of assessments' (patient_id, clinician_id) foreign key.
        UniqueConstraint("id", "clinician_id"),
        CheckConstraint("gender IN ('m', 'f')", name="gender_m_or_f"),
        Index("ix_patients_clinician_full_name", "clinician_id", "full_name", "id"),
        Index("ix_patients_clinician_birthdate", "clinician_id", "birthdate", "id"),
        Index("ix_patients_clinician_created_at", "clinician_id", "created_at", "id"),
        Index("ix_patients_clinician_gender", "clinician_id", "gender"),
        Index("ix_patients_clinician_phone", "clinician_id", "phone"),
        Index("ix_patients_full_name_id", "full_name", "id"),  # the admin's list of every patient, by name
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    full_name: Mapped[str] = mapped_column(String(255, collation=NAME_COLLATION))
    gender: Mapped[str] = mapped_column(String(1))
    birthdate: Mapped[date]
    phone: Mapped[str] = mapped_column(String(15))
    address: Mapped[str] = mapped_column(String(512))
    address_label: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # The latest assessment's date and score (latest date, then latest id), kept by the domain on
    # every assessment write, so the list sorts and filters on them through an index.
    last_assessed_on: Mapped[date | None]
    last_score: Mapped[int | None]

    clinician: Mapped[User | None] = relationship(back_populates="patients")
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Assessment.date", foreign_keys="Assessment.patient_id",
    )

    def __str__(self) -> str:
        return f"{self.full_name} ({self.birthdate.isoformat()})"


# Search by any part of a name without case or accents (`name_fold(full_name) LIKE …`) or of a
# phone (LIKE): trigram GIN indexes on PostgreSQL (pg_trgm, migrations 0002 and 0007); plain
# indexes elsewhere. On PostgreSQL `name_fold` is this SQL function (IMMUTABLE, so an index may
# use it; `unaccent` itself is only STABLE, as its dictionary could change); SQLite registers
# its own on every connection (healthpal/extensions.py).
NAME_FOLD_SQL = (
    f"CREATE OR REPLACE FUNCTION {NAME_FOLD}(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1) COLLATE \"und-x-icu\") $$"
)
event.listen(Patient.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS unaccent").execute_if(dialect="postgresql"))
event.listen(Patient.__table__, "before_create", DDL(NAME_FOLD_SQL).execute_if(dialect="postgresql"))
event.listen(Patient.__table__, "after_drop",
             DDL(f"DROP FUNCTION IF EXISTS {NAME_FOLD}(text)").execute_if(dialect="postgresql"))
Index("ix_patients_name_fold_trgm", func.name_fold(Patient.full_name).label("folded_name"),
      postgresql_using="gin", postgresql_ops={"folded_name": "gin_trgm_ops"})
Index("ix_patients_phone_trgm", Patient.phone, postgresql_using="gin", postgresql_ops={"phone": "gin_trgm_ops"})

# The list sorts and filters each clinician's patients by last assessment date and score, where
# "none yet" counts as the lowest value (healthpal/domain/paging.py). PostgreSQL puts NULLs last
# unless told, so its indexes say NULLS FIRST; SQLite puts them first already (and cannot say so).
for _name, _column in (("last_assessed_on", Patient.last_assessed_on), ("last_score", Patient.last_score)):
    Index(f"ix_patients_clinician_{_name}", Patient.clinician_id, _column.asc().nulls_first(),
          Patient.id).ddl_if(dialect="postgresql")
    Index(f"ix_patients_clinician_{_name}", Patient.clinician_id, _column, Patient.id).ddl_if(dialect="sqlite")


class Assessment(Versioned, Timestamps, Model):
    """One assessment of one patient. It carries its patient's clinician (`clinician_id`), so that a
    clinician's list reads that clinician's own index entries only, however large the clinic grows.
    The composite foreign key keeps the copy right: a non-null `clinician_id` is always the
    patient's, and reassigning or unassigning the patient carries it along (ON UPDATE CASCADE)."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("patient_id", "date", "type"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_0_to_100"),
        ForeignKeyConstraint(["patient_id", "clinician_id"], ["patients.id", "patients.clinician_id"],
                             name="fk_assessments_patient_clinician", onupdate="CASCADE", ondelete="CASCADE"),
        Index("ix_assessments_clinician_date", "clinician_id", "date", "id"),
        Index("ix_assessments_clinician_type_date", "clinician_id", "type", "date", "id"),
        Index("ix_assessments_clinician_patient_date", "clinician_id", "patient_id", "date", "id"),
        Index("ix_assessments_type_date", "type", "date", "id"),
        Index("ix_assessments_date_id", "date", "id"),
        Index("ix_assessments_score_id", "score", "id"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[int | None]
    type: Mapped[str] = mapped_column(String(64))
    date: Mapped[date]
    score: Mapped[int]

    patient: Mapped[Patient] = relationship(back_populates="assessments", foreign_keys=[patient_id])
    rounds: Mapped[list["QARound"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="QARound.position",
    )

    def __str__(self) -> str:
        return f"{self.type} on {self.date.isoformat()}"


COUNT_SHARDS = 16


class ShardedCount:
    """A running count of a clinician's rows in up to `COUNT_SHARDS` rows (one per shard of the
    patients' ids): the sum is the exact total their unfiltered list shows, read from at most 16
    rows however many it counts. Kept by the database's triggers below (`_counting`), in the
    transaction of every write that adds, removes or moves a counted row. Sharding lets one
    clinician's concurrent creates update different rows."""

    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    total: Mapped[int]


class AssessmentCount(ShardedCount, Model):
    """How many assessments a clinician has, sharded by their patients' ids (the domain's writes, the
    cascades of a patient's deletion or reassignment and of a clinician's deletion, bulk SQL all
    counted). Two writes of one patient already wait for each other on the patient's row."""

    __tablename__ = "assessment_counts"


class PatientCount(ShardedCount, Model):
    """How many patients a clinician has, sharded by the patients' ids (the domain's writes, the
    cascade of a clinician's deletion, bulk SQL all counted)."""

    __tablename__ = "patient_counts"


class AssessmentMonthCount(Model):
    """How many assessments a clinician has of one type in one month (`month`: its first day): a
    filtered list's exact total sums the months wholly inside its date range, however many
    assessments they hold, and counts only the edge months' own index entries. Kept by the
    database's triggers below as `assessment_counts` is, in the transaction of every write that
    adds, removes or moves an assessment (to another clinician, type or month). One row per
    clinician, type and month, unsharded: two creates of one clinician's same type in the same month
    at once wait for each other's commit on that row (a clinician is one person). A row that comes
    down to 0 stays (at most types × months of the clinician's rows)."""

    __tablename__ = "assessment_month_counts"

    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    total: Mapped[int]


def month_of(dialect: str, day: str) -> str:
    """SQL for the first day of the month of the date `day` (an SQL expression) on `dialect`."""
    if dialect == "postgresql":
        return f"date_trunc('month', {day}::timestamp)::date"
    return f"date({day}, 'start of month')"


def _counting(dialect: str, *, table: str, keys: dict[str, str], watched: str, names: tuple[str, ...],
              source: str = "assessments") -> list[str]:
    """The SQL creating triggers that keep `table`, a running count of the rows of `source`
    (assessments or patients) per `keys` (column → SQL expression over a row's columns, written
    `{r}column` with `{r}` standing for the row's prefix), on `dialect`; `watched`: the columns an
    UPDATE must change to move a row; `names`: its three triggers and (PostgreSQL) three functions.

    A row without a clinician (an unassigned patient, or its assessment) counts nowhere. A removal only
    decrements an existing row: when a clinician is deleted their rows go with them, whichever of
    the cascades runs first. PostgreSQL counts inserts and deletes once per statement (a bulk load
    or a cascade adds or removes many rows at once) and takes the rows in key order, so concurrent
    writers never wait for each other in a circle; SQLite, which has one writer at a time, counts
    row by row."""
    added, removed, moved, count_added, count_removed, count_moved = names
    columns = ", ".join(keys)

    def of(row: str) -> str:
        return ", ".join(expression.format(r=row) for expression in keys.values())

    def matching(row: str) -> str:
        return " AND ".join(f"{table}.{column} = {row}{column}" for column in keys)

    add = (f"INSERT INTO {table} ({columns}, total) SELECT {of('NEW.')}, 1 WHERE NEW.clinician_id IS NOT NULL "
           f"ON CONFLICT ({columns}) DO UPDATE SET total = {table}.total + 1;")
    remove = f"UPDATE {table} SET total = total - 1 WHERE " + " AND ".join(
        f"{column} = {expression.format(r='OLD.')}" for column, expression in keys.items()) + ";"
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    changed = " OR ".join(f"{expression.format(r='OLD.')} {differs} {expression.format(r='NEW.')}"
                          for expression in keys.values())
    update_trigger = f"CREATE TRIGGER {moved} AFTER UPDATE OF {watched} ON {source}"
    if dialect != "postgresql":
        return [
            f"CREATE TRIGGER {added} AFTER INSERT ON {source} BEGIN {add} END",
            f"CREATE TRIGGER {removed} AFTER DELETE ON {source} BEGIN {remove} END",
            f"{update_trigger} WHEN {changed} BEGIN {remove} {add} END",
        ]
    grouped = ", ".join(str(position) for position in range(1, len(keys) + 1))
    named = ", ".join(f"{expression.format(r='')} AS {column}" for column, expression in keys.items())
    return [
        f"""CREATE FUNCTION {count_added}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {table} ({columns}, total)
    SELECT {of('')}, count(*) FROM added WHERE clinician_id IS NOT NULL
    GROUP BY {grouped} ORDER BY {grouped}
    ON CONFLICT ({columns}) DO UPDATE SET total = {table}.total + excluded.total;
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION {count_removed}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM {table} WHERE ({columns}) IN (SELECT {of('')} FROM removed WHERE clinician_id IS NOT NULL)
    ORDER BY {columns} FOR UPDATE;
    UPDATE {table} SET total = {table}.total - gone.total
    FROM (SELECT {named}, count(*) AS total FROM removed WHERE clinician_id IS NOT NULL GROUP BY {grouped}) AS gone
    WHERE {matching('gone.')};
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION {count_moved}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF ({of('NEW.')}) < ({of('OLD.')}) THEN
        {add}
        {remove}
    ELSE
        {remove}
        {add}
    END IF;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {added} AFTER INSERT ON {source} REFERENCING NEW TABLE AS added "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {count_added}()",
        f"CREATE TRIGGER {removed} AFTER DELETE ON {source} REFERENCING OLD TABLE AS removed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {count_removed}()",
        f"{update_trigger} FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {count_moved}()",
    ]


def _dropping(dialect: str, names: tuple[str, ...], source: str = "assessments") -> list[str]:
    """The SQL that drops the triggers and functions `names` of one `_counting` on `source` (none
    missing is an error)."""
    triggers, functions = names[:3], names[3:]
    if dialect != "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in triggers]
    return ([f"DROP TRIGGER IF EXISTS {name} ON {source}" for name in triggers]
            + [f"DROP FUNCTION IF EXISTS {name}()" for name in functions])


SHARD_COUNTING = ("assessments_added", "assessments_removed", "assessments_moved",
                  "count_added_assessments", "count_removed_assessments", "count_moved_assessment")
# PostgreSQL fires a table's triggers of one event in the order of their names: these sort after
# `SHARD_COUNTING`'s, so every write locks its `assessment_counts` rows before its month rows.
MONTH_COUNTING = ("month_counts_added", "month_counts_removed", "month_counts_moved",
                  "count_added_assessment_months", "count_removed_assessment_months", "count_moved_assessment_month")


def assessment_counting(dialect: str) -> list[str]:
    """The SQL that creates the triggers keeping `assessment_counts` on `dialect` (migration 0008
    and `db.create_all` both run it; `drop_assessment_counting` undoes it): an assessment counts for
    (its clinician, its patient's id % 16)."""
    return _counting(dialect, table="assessment_counts", watched="clinician_id, patient_id", names=SHARD_COUNTING,
                     keys={"clinician_id": "{r}clinician_id", "shard": f"{{r}}patient_id % {COUNT_SHARDS}"})


def drop_assessment_counting(dialect: str) -> list[str]:
    """The SQL that drops what `assessment_counting` created."""
    return _dropping(dialect, SHARD_COUNTING)


def month_counting(dialect: str) -> list[str]:
    """The SQL that creates the triggers keeping `assessment_month_counts` on `dialect` (migration
    0009 and `db.create_all` both run it; `drop_month_counting` undoes it): an assessment counts for
    (its clinician, its type, the first day of its month)."""
    return _counting(dialect, table="assessment_month_counts", watched="clinician_id, type, date", names=MONTH_COUNTING,
                     keys={"clinician_id": "{r}clinician_id", "type": "{r}type", "month": month_of(dialect, "{r}date")})


def drop_month_counting(dialect: str) -> list[str]:
    """The SQL that drops what `month_counting` created."""
    return _dropping(dialect, MONTH_COUNTING)


PATIENT_COUNTING = ("patients_added", "patients_removed", "patients_moved",
                    "count_added_patients", "count_removed_patients", "count_moved_patient")


def patient_counting(dialect: str) -> list[str]:
    """The SQL that creates the triggers keeping `patient_counts` on `dialect` (migration 0011 and
    `db.create_all` both run it; `drop_patient_counting` undoes it): a patient counts for (its
    clinician, its id % 16)."""
    return _counting(dialect, source="patients", table="patient_counts", watched="clinician_id",
                     names=PATIENT_COUNTING,
                     keys={"clinician_id": "{r}clinician_id", "shard": f"{{r}}id % {COUNT_SHARDS}"})


def drop_patient_counting(dialect: str) -> list[str]:
    """The SQL that drops what `patient_counting` created."""
    return _dropping(dialect, PATIENT_COUNTING, source="patients")


def _start_counting(_metadata, connection, tables=(), **_kw) -> None:
    dialect = connection.dialect.name
    names = {table.name for table in tables}
    for statement in ((assessment_counting(dialect) + month_counting(dialect) if "assessments" in names else [])
                      + (patient_counting(dialect) if "patients" in names else [])):
        connection.execute(text(statement))


def _stop_counting(_metadata, connection, **_kw) -> None:
    dialect = connection.dialect.name
    for statement in drop_assessment_counting(dialect) + drop_month_counting(dialect) + drop_patient_counting(dialect):
        connection.execute(text(statement))


# `db.create_all` (the tests) builds the triggers as migrations 0008, 0009 and 0011 do; `db.drop_all` drops them.
event.listen(Model.metadata, "after_create", _start_counting)
event.listen(Model.metadata, "before_drop", _stop_counting)


def question_digest(question: str) -> str:
    """What the uniqueness of a question within its assessment is enforced on (its SHA-256)."""
    return hashlib.sha256(question.encode()).hexdigest()


def _question_digest(context) -> str:
    return question_digest(context.get_current_parameters()["question"])


class QARound(Model):
    __tablename__ = "qa_rounds"
    __table_args__ = (
        # Questions may be 10,000 characters: too long for a B-tree entry, so uniqueness is
        # enforced on their SHA-256 digest, filled in from the question on insert.
        UniqueConstraint("assessment_id", "question_digest"),
        UniqueConstraint("assessment_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    position: Mapped[int]
    question: Mapped[str] = mapped_column(Text)
    question_digest: Mapped[str] = mapped_column(String(64), default=_question_digest)
    answer: Mapped[str] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="rounds")


class SessionRecord(Model):
    """One sign-in: a portal browser session (`portal`; anonymous until its visitor signs in) or a
    mobile-app sign-in (`app`, the life of one refresh token). Found by the SHA-256 digest of a
    random secret that only its holder knows: the portal cookie, or the `sid` claim of the app's
    tokens. Deleting the record ends the sign-in; it goes with its user."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("kind IN ('portal', 'app')", name="kind_known"),
        Index("ix_sessions_user_id_kind", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    data: Mapped[str] = mapped_column(Text, default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    user: Mapped[User | None] = relationship()


CHANGES = "action IN ('create', 'update')"  # the events that say who last changed a record


class AuditEvent(Model):
    """One append-only line of the audit trail: who did what to which record, when and where."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_entity_changes", "entity_type", "entity_id", "id",
              postgresql_where=text(CHANGES), sqlite_where=text(CHANGES)),
        CheckConstraint("channel IN ('api', 'portal', 'admin', 'cli')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_username: Mapped[str] = mapped_column(String(150), default="")
    action: Mapped[str] = mapped_column(String(16), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(8), index=True)
    changes: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class IdempotencyKey(Model):
    """The response to an API create sent with an `Idempotency-Key`, kept for 24 hours so that a
    retry with that key replays it instead of creating a twin (stored with the create it describes)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
