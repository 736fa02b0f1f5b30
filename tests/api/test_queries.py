"""SQL statements per request: authentication is one query, a list page a fixed few whatever its
size (a full page adds one count, a page that is not full tells its total without it), a detail
read one (the sign-in judged, the record fetched with its rounds and the audit event added, in one
statement; three on SQLite: auth, fetch, event), and a write of an assessment's rounds one INSERT
for all of them.

Counted with `tests.toolkit.sql_statements`: every statement the app sends (BEGIN and COMMIT are not
cursor executions, so nothing is filtered out)."""
import re

import pytest

from healthpal.extensions import db
from tests import factories
from tests.toolkit import get_with_sql, sql_statements


@pytest.fixture
def records(api):
    patients = [factories.make_patient(api.user, full_name=f"Pat {chr(97 + n // 26)}{chr(97 + n % 26)}son")
                for n in range(30)]
    assessments = [factories.make_assessment(p, qna_rounds=[{"question": f"Q{k}?", "answer": "A"} for k in range(3)])
                   for p in patients for _ in range(2)]
    return patients, assessments


def test_authentication_is_one_query(api):
    _, statements = get_with_sql(api, "/api/auth/user/")
    assert len(statements) == 1, statements


@pytest.mark.parametrize("url", ["/api/patients/", "/api/patients/?search=pat&gender=f&ordering=-birthdate",
                                 "/api/assessments/", "/api/assessments/?type=Cognitive+test&ordering=-score"])
def test_a_list_costs_the_same_few_queries_for_1_or_100_rows(api, records, url):
    glue = "&" if "?" in url else "?"
    one, small = get_with_sql(api, f"{url}{glue}page_size=1")
    many, large = get_with_sql(api, f"{url}{glue}page_size=100")
    assert len(one.json["results"]) == 1 and len(many.json["results"]) > 25
    assert len(large) + 1 == len(small) <= 4, small     # page_size=1 is full, so it also counts


def test_the_second_page_costs_the_same(api, records):
    _, first = get_with_sql(api, "/api/assessments/?page_size=7")
    _, later = get_with_sql(api, "/api/assessments/?page_size=7&page=3")
    assert len(first) == len(later)


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def assert_audited_read(statements) -> None:
    """The sign-in judged, the record read and its audit event added, all in one statement
    (PostgreSQL); or auth, the read and the event's INSERT apart (SQLite, which runs no INSERT
    inside a WITH)."""
    if on_postgresql():
        assert len(statements) == 1, statements
        assert statements[0].lstrip().upper().startswith("WITH FOUND AS")
        assert all(part in statements[0].upper() for part in ("FROM SESSIONS JOIN USERS", "INSERT INTO AUDIT_EVENTS"))
    else:
        assert len(statements) == 3, statements
        assert statements[-1].lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")


def test_a_patient_read_is_one_query_with_its_sign_in_and_audit_event(api, records):
    patient_id = records[0][0].id
    response, statements = get_with_sql(api, f"/api/patients/{patient_id}/")
    assert response.json["id"] == patient_id
    assert_audited_read(statements)


def test_an_assessment_read_is_one_query_with_its_sign_in_and_audit_event(api, records):
    assessment = records[1][0]
    response, statements = get_with_sql(api, f"/api/assessments/{assessment.id}/")
    assert len(response.json["qna_rounds"]) == 3
    assert_audited_read(statements)


FIVE_ROUNDS = [{"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(5)]


def kinds(statements) -> list[str]:
    return [" ".join(statement.split()[:3]).upper() for statement in statements]


def test_creating_an_assessment_with_five_rounds_is_two_queries(api, records):
    """The patient, read and locked, the token's sign-in judged in the same statement; one statement
    for the rest: the assessment (unless its patient has one of its type on its date), its rounds, the
    patient's last assessment and the audit event. SQLite, which runs no INSERT inside a WITH, judges
    the sign-in first and sends those four one by one (six; seven before either)."""
    with sql_statements() as statements:
        response = api.post("/api/assessments/", json={"patient": records[0][0].id, "type": "Sleep review",
                                                       "score": 7, "qna_rounds": FIVE_ROUNDS})
    assert response.status_code == 201 and response.json["qna_rounds"] == FIVE_ROUNDS
    if on_postgresql():
        assert kinds(statements) == ["WITH HOLDER AS", "WITH WRITTEN AS"], statements
        assert statements[0].endswith("FOR NO KEY UPDATE OF patients"), statements[0]
        assert all(part in statements[1].upper() for part in ("INSERT INTO ASSESSMENTS", "INSERT INTO QA_ROUNDS",
                                                             "UPDATE PATIENTS SET", "INSERT INTO AUDIT_EVENTS"))
    else:
        assert kinds(statements)[2:] == ["INSERT INTO ASSESSMENTS", "INSERT INTO QA_ROUNDS", "UPDATE PATIENTS SET",
                                         "INSERT INTO AUDIT_EVENTS"], statements


def test_replacing_an_assessments_score_and_rounds_is_three_queries(api, records):
    """What bench/run.py sends: a new score, new rounds. The patient locked as writers of its assessments lock it,
    the token's sign-in judged in the same statement; the assessment with its rounds, locked; one
    statement for the rest: the old rounds' DELETE, the assessment's UPDATE, the new rounds, the
    patient's last assessment and the audit event (SQLite: auth first, then one by one, eight; ten
    before either)."""
    assessment = records[1][0]
    with sql_statements() as statements:
        response = api.patch(f"/api/assessments/{assessment.id}/", json={"score": 3, "qna_rounds": FIVE_ROUNDS})
    assert response.status_code == 200 and response.json["qna_rounds"] == FIVE_ROUNDS
    if on_postgresql():
        assert kinds(statements) == ["WITH HOLDER AS", "SELECT ASSESSMENTS.ID, ASSESSMENTS.TYPE,",
                                     "WITH REPLACED_ROUNDS AS"], statements
        assert "FROM SESSIONS JOIN USERS" in statements[0].upper(), statements[0]
        assert statements[0].endswith("FOR NO KEY UPDATE OF patients"), statements[0]
    else:
        assert kinds(statements)[3:] == ["DELETE FROM QA_ROUNDS", "UPDATE ASSESSMENTS SET", "INSERT INTO QA_ROUNDS",
                                         "UPDATE PATIENTS SET", "INSERT INTO AUDIT_EVENTS"], statements


def test_changing_an_assessments_score_is_three_queries(api, records):
    """A new score, the same rounds. The patient and the sign-in; the assessment with its rounds; one
    statement for the assessment's UPDATE, the patient's last assessment and the audit event (SQLite:
    six; eight before either)."""
    assessment = records[1][0]
    rounds = [{"question": f"Q{k}?", "answer": "A"} for k in range(3)]
    with sql_statements() as statements:
        response = api.patch(f"/api/assessments/{assessment.id}/", json={"score": 3, "qna_rounds": rounds})
    assert response.status_code == 200 and response.json["score"] == 3 and response.json["qna_rounds"] == rounds
    if on_postgresql():
        assert len(statements) == 3 and "INSERT INTO QA_ROUNDS" not in statements[2].upper(), statements
    else:
        assert kinds(statements)[3:] == ["UPDATE ASSESSMENTS SET", "UPDATE PATIENTS SET", "INSERT INTO AUDIT_EVENTS"]


WRITES = re.compile(r"\b(INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b", re.IGNORECASE)


@pytest.mark.parametrize("method, url", [("POST", "/api/assessments/"), ("PATCH", "/api/assessments/{a}/"),
                                         ("POST", "/api/patients/"), ("PATCH", "/api/patients/{p}/")])
def test_a_write_answers_with_what_it_committed_without_reading_it_back(api, records, method, url):
    patient, assessment = records[0][0], records[1][0]
    rounds = [{"question": "Q?", "answer": "A"}]
    body = ({"patient": patient.id, "type": "Sleep review", "score": 7, "qna_rounds": rounds} if "assessments" in url
            else {"full_name": "Nora Quist", "gender": "f", "birthdate": "1990-02-03", "phone": "5551234",
                  "address": "ChIJx"})
    if method == "PATCH":
        body = {"score": 9} if "assessments" in url else {"phone": "5559876"}
    with sql_statements() as statements:
        response = api.request(method, url.format(a=assessment.id, p=patient.id), json=body)
    assert response.status_code in (200, 201), response.json
    kinds = [statement.lstrip().split(None, 1)[0].upper() for statement in statements]
    first_write = next(n for n, statement in enumerate(statements) if WRITES.search(statement))
    assert "SELECT" not in kinds[first_write:], statements
    assert all(response.json[key] == value for key, value in body.items() if key != "patient")
