"""Query plans of the lists: what a statement reads of the big tables, judged against one clinician's rows.

Used by bench/run.py (printed with each list's plan) and by tests/test_list_plans.py (which fails
when a list walks another clinician's rows).
"""
from dataclasses import dataclass

from sqlalchemy import text

BIG_TABLES = ("patients", "assessments", "qa_rounds", "audit_events")

# The rows of each big table that belong to one clinician.
OWN_ROWS = {
    "patients": "SELECT count(*) FROM patients WHERE clinician_id = :clinician",
    "assessments": "SELECT count(*) FROM assessments WHERE clinician_id = :clinician",
    "qa_rounds": "SELECT count(*) FROM qa_rounds JOIN assessments a ON a.id = qa_rounds.assessment_id"
                 " WHERE a.clinician_id = :clinician",
    "audit_events": "SELECT count(*) FROM audit_events WHERE actor_id = :clinician",
}


@dataclass(frozen=True)
class Scan:
    table: str
    node: str
    index: str | None
    walked: int  # rows the node read: those it returned plus those its filters threw away, every loop


def scans(plan: dict):
    """Every scan of a big table in a plan from EXPLAIN (ANALYZE, FORMAT JSON)."""
    if plan.get("Relation Name") in BIG_TABLES:
        removed = plan.get("Rows Removed by Filter", 0) + plan.get("Rows Removed by Index Recheck", 0)
        yield Scan(plan["Relation Name"], plan["Node Type"], plan.get("Index Name"),
                   round((plan.get("Actual Rows", 0) + removed) * plan.get("Actual Loops", 1)))
    for child in plan.get("Plans", ()):
        yield from scans(child)


def own_rows(connection, clinician_id: int) -> dict:
    return {table: connection.execute(text(sql), {"clinician": clinician_id}).scalar_one()
            for table, sql in OWN_ROWS.items()}


def explain(connection, statement: str, parameters, *, analyze: bool = True, fmt: str = "JSON"):
    """EXPLAIN a statement as the app sent it (DBAPI parameters), on the same connection."""
    options = f"ANALYZE, BUFFERS, FORMAT {fmt}" if analyze else f"FORMAT {fmt}"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"EXPLAIN ({options}) {statement}", parameters)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return rows[0][0][0]["Plan"] if fmt == "JSON" else "\n".join(row[0] for row in rows)


def problems(plan: dict, own: dict | None) -> list[str]:
    """What a plan reads beyond what it should: a big table scanned in full, or (given the
    clinician's own row counts `own`) more rows of a big table than the clinician has."""
    found = []
    for scan in scans(plan):
        if scan.node == "Seq Scan":
            found.append(f"scans {scan.table} in full ({scan.walked:,} rows)")
        elif own is not None and scan.walked > own[scan.table]:
            found.append(f"walks {scan.walked:,} rows of {scan.table} ({scan.node} on {scan.index}), "
                         f"beyond the clinician's {own[scan.table]:,}")
    return found


def verdict(plan: dict, own: dict | None) -> str:
    """One line about a plan: what it reads of the big tables, and whether that is too much."""
    found = problems(plan, own)
    if found:
        return "PROBLEM: " + "; ".join(found)
    read = ", ".join(f"{s.table} {s.walked:,}" + (f"/{own[s.table]:,}" if own else "") for s in scans(plan))
    scope = "within the clinician's own rows" if own is not None else "no big table scanned in full"
    return f"ok: {scope} (rows read{'/own' if own else ''}: {read or 'none'})"
