"""The floor of an audited detail read: its own work in bare Flask, served beside the app (not a test;
`run.py` serves it under the app's gunicorn settings and measures it after the ceilings).

    GET /api/patients/<id>/  -> the patient as the API shows it, with its ETag
    GET /ready               -> {"ok": true} once it serves

What the app's `GET /api/patients/<id>/` cannot do without, and nothing else: the bearer token's
signature and expiry (PyJWT, HS256), its sign-in looked up as the app looks it up (the session by its
digest, joined to its active user), then in one transaction the patient read in that clinician's
scope with its audit event written in the same statement, and COMMIT; the body as JSON. Raw psycopg2
on one persistent connection per worker (as `../shared/tools/ceiling.py`), so four round trips as
the app's: BEGIN, the sign-in, the read, COMMIT.

Left out: everything else the app does on each request (its routing guards, Flask-SQLAlchemy's
session and pool, the ORM, prepared statements, the log line and metrics, request ids, security
headers, error answers). The app's figure against this one is what all of that costs together; the
issue's target for the detail reads, against this one, says how much of it may remain.

Its audit events carry `{"bench": "floor"}` as their changes, and `forget` removes them with the
sign-in that `sign_in` made.
"""
import hashlib
import json
import os
from datetime import UTC, date, datetime, timedelta

import jwt
import psycopg2
from flask import Flask, Response, request

CHANGES = '{"bench": "floor"}'
LIFETIME = timedelta(hours=2)
SIGN_IN = (
    "SELECT users.id, users.username FROM sessions JOIN users ON users.id = sessions.user_id"
    " WHERE sessions.digest = %s AND sessions.kind = 'app' AND sessions.expires_at > %s"
    " AND users.id = %s AND users.key = %s AND users.is_active")
READ = (
    "WITH found AS (SELECT id, full_name, gender, birthdate, phone, address, address_label, version,"
    " created_at, updated_at FROM patients WHERE id = %s AND clinician_id = %s),"
    " read_event AS (INSERT INTO audit_events (at, actor_id, actor_username, action, entity_type, channel,"
    " changes, entity_id, patient_id) SELECT %s, %s, %s, 'read', 'patient', 'api', %s::json, id, id FROM found)"
    " SELECT * FROM found")

app = Flask(__name__)
_connection = None


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(_dsn(os.environ["DATABASE_URL"]))
    return _connection


def _refused() -> Response:
    return Response('{"detail": "Given token not valid for any token type"}', 401, mimetype="application/json")


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@app.get("/ready")
def ready():
    return {"ok": True}


@app.get("/api/patients/<int:patient_id>/")
def patient_detail(patient_id: int):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        claims = jwt.decode(token, os.environ["FLOOR_KEY"], algorithms=["HS256"]) if scheme == "Bearer" else None
    except jwt.PyJWTError:
        claims = None
    if claims is None:
        return _refused()
    now = datetime.now(UTC)
    database = connection()
    with database, database.cursor() as cursor:   # one transaction: committed, or rolled back on an error
        cursor.execute(SIGN_IN, (_digest(claims["sid"]), now, int(claims["sub"]), claims["user_key"]))
        user = cursor.fetchone()
        if user is None:
            return _refused()
        cursor.execute(READ, (patient_id, user[0], now, user[0], user[1], CHANGES))
        row = cursor.fetchone()
    if row is None:
        return Response('{"detail": "Not found."}', 404, mimetype="application/json")
    born, today = row[3], date.today()
    body = {"id": row[0], "full_name": row[1], "gender": row[2], "birthdate": born.isoformat(), "phone": row[4],
            "address": row[5], "address_label": row[6],
            "age": today.year - born.year - ((today.month, today.day) < (born.month, born.day)),
            "created_at": _stamp(row[8]), "updated_at": _stamp(row[9])}
    response = Response(json.dumps(body) + "\n", mimetype="application/json")
    response.headers["ETag"] = f'"{row[7]}"'
    return response


def sign_in(url: str, username: str, key: str, secret: str) -> str:
    """A sign-in of `username` (a session record, as the app's login makes) and a token for it,
    signed with `key`, that this app honours."""
    now = datetime.now(UTC)
    with psycopg2.connect(_dsn(url)) as database, database.cursor() as cursor:
        cursor.execute("SELECT id, key FROM users WHERE username = %s", (username,))
        user_id, user_key = cursor.fetchone()
        cursor.execute("INSERT INTO sessions (digest, kind, user_id, data, user_agent, address, created_at,"
                       " last_used_at, expires_at) VALUES (%s, 'app', %s, '', 'bench floor', '', %s, %s, %s)",
                       (_digest(secret), user_id, now, now, now + LIFETIME))
    return jwt.encode({"sub": str(user_id), "user_key": user_key, "sid": secret, "type": "access",
                       "iat": now, "nbf": now, "exp": now + LIFETIME}, key, algorithm="HS256")


def forget(url: str, secret: str) -> int:
    """Remove the sign-in that `sign_in` made with `secret` and every audit event of this app; how many events."""
    with psycopg2.connect(_dsn(url)) as database, database.cursor() as cursor:
        cursor.execute("DELETE FROM sessions WHERE digest = %s", (_digest(secret),))
        cursor.execute("DELETE FROM audit_events WHERE changes::jsonb = %s::jsonb", (CHANGES,))
        return cursor.rowcount
