"""Each rule is described once, in `healthpal.domain.rules`: the OpenAPI document's patterns, lengths and
enums, the database's gender check, and the hints shown by the portal, the admin and the CLI all match
it, so changing a limit or its wording there and nowhere else keeps every description true."""
from pathlib import Path

import pytest
import yaml

from healthpal.domain import rules
from healthpal.models import Patient
from tests import factories
from tests.admin.conftest import sign_in as admin_sign_in
from tests.markup import one, page_text, parse
from tests.web.conftest import sign_in as portal_sign_in

SPEC = yaml.safe_load((Path(__file__).resolve().parent.parent / "healthpal/api/openapi.yaml").read_text())


def at(*steps):
    """The part of the OpenAPI document found by following `steps` (keys and list indexes)."""
    node = SPEC
    for step in steps:
        node = node[step]
    return node


def schema(name: str, *steps) -> tuple:
    return ("components", "schemas", name, *steps)


def anchored(pattern: str) -> str:
    return f"^{pattern}$"


OPENAPI = [
    (schema("Date", "pattern"), anchored(rules.PATTERNS["date"])),
    (schema("Username", "pattern"), anchored(rules.PATTERNS["username"])),
    (schema("Username", "description"), rules.HINTS["username"]),
    (schema("UserPatch", "properties", "first_name", "maxLength"), rules.PERSON_NAME_MAX_LENGTH),
    (schema("UserPatch", "properties", "last_name", "maxLength"), rules.PERSON_NAME_MAX_LENGTH),
    (schema("PatientPatch", "properties", "full_name", "minLength"), rules.FULL_NAME_LENGTH[0]),
    (schema("PatientPatch", "properties", "full_name", "maxLength"), rules.FULL_NAME_LENGTH[1]),
    (schema("PatientPatch", "properties", "gender", "enum"), list(rules.GENDERS)),
    (schema("Patient", "properties", "gender", "enum"), list(rules.GENDERS)),
    (("paths", "/api/patients/", "get", "parameters", 1, "schema", "enum"), list(rules.GENDERS)),
    (schema("PatientPatch", "properties", "phone", "oneOf", 0, "pattern"), anchored(rules.PATTERNS["phone"])),
    (schema("PatientPatch", "properties", "phone", "oneOf", 1, "maximum"), 10 ** rules.PHONE_MAX_DIGITS - 1),
    (schema("Patient", "properties", "phone", "pattern"), anchored(rules.PATTERNS["phone"])),
    (schema("PatientPatch", "properties", "address", "pattern"), anchored(rules.PATTERNS["address"])),
    (schema("PatientPatch", "properties", "address_label", "maxLength"), rules.MAX_ADDRESS_LABEL),
    (schema("Patient", "properties", "address_label", "maxLength"), rules.MAX_ADDRESS_LABEL),
    (schema("QnaRound", "properties", "question", "maxLength"), rules.MAX_ROUND_TEXT),
    (schema("QnaRound", "properties", "answer", "maxLength"), rules.MAX_ROUND_TEXT),
    (schema("AssessmentPatch", "properties", "type", "maxLength"), rules.TYPE_MAX_LENGTH),
    (schema("AssessmentPatch", "properties", "type", "pattern"), anchored(rules.PATTERNS["type"])),
    (schema("AssessmentPatch", "properties", "score", "oneOf", 0, "minimum"), rules.SCORE_RANGE[0]),
    (schema("AssessmentPatch", "properties", "score", "oneOf", 0, "maximum"), rules.SCORE_RANGE[1]),
    (schema("Assessment", "properties", "score", "minimum"), rules.SCORE_RANGE[0]),
    (schema("Assessment", "properties", "score", "maximum"), rules.SCORE_RANGE[1]),
    (schema("AssessmentPatch", "properties", "qna_rounds", "maxItems"), rules.MAX_ROUNDS),
]


@pytest.mark.parametrize(("steps", "expected"), OPENAPI, ids=["/".join(map(str, s[2:] or s)) for s, _ in OPENAPI])
def test_the_openapi_document_states_each_limit_as_the_rules_do(steps, expected):
    assert at(*steps) == expected


@pytest.mark.parametrize("field", ["new_password1", "new_password2"])
def test_the_openapi_password_length_is_the_rules(field):
    change = at("paths", "/api/auth/password/change/", "post", "requestBody", "content", "application/json")
    assert change["schema"]["properties"][field]["minLength"] == rules.PASSWORD_MIN_LENGTH


def test_the_database_checks_the_same_genders():
    [check] = [c for c in Patient.__table__.constraints if c.name and str(c.name).endswith("gender_m_or_f")]
    allowed = ", ".join(f"'{value}'" for value in rules.GENDERS)
    assert str(check.sqltext) == f"gender IN ({allowed})"


def shows(response, text: str) -> bool:
    """Whether the page says `text` (as a person reads it: tags gone, white space collapsed)."""
    return text in page_text(parse(response))


def test_portal_forms_show_the_rules_hints(app, clinician):
    client = portal_sign_in(app.test_client(), clinician.username)
    patient = factories.make_patient(clinician)
    assert shows(client.get("/account"), rules.HINTS["password"])
    new_patient = client.get("/patients/new")
    assert all(shows(new_patient, rules.HINTS[name]) for name in ("phone", "address", "address_label"))
    form = client.get(f"/patients/{patient.id}/assessments/new")
    assert shows(form, rules.HINTS["score"])
    score = one(parse(form), "input#score")
    assert (score.attributes["min"], score.attributes["max"]) == tuple(str(limit) for limit in rules.SCORE_RANGE)
    listing = client.get("/")
    assert all(shows(listing, label) for label in rules.GENDERS.values())


def test_admin_forms_show_the_rules_hints(app, superuser):
    client = admin_sign_in(app.test_client(), superuser)
    new_user = client.get("/admin/user/new/")
    assert shows(new_user, rules.HINTS["password"]) and shows(new_user, rules.HINTS["username"])
    new_patient = client.get("/admin/patient/new/")
    assert all(shows(new_patient, rules.HINTS[name]) for name in ("phone", "address", "address_label"))
    assert all(shows(new_patient, label) for label in rules.GENDERS.values())
    new_assessment = client.get("/admin/assessment/new/")
    assert shows(new_assessment, rules.HINTS["type"]) and shows(new_assessment, rules.HINTS["score"])


def test_the_cli_help_states_the_password_rule(runner):
    help_text = " ".join(runner.invoke(args=["create-user", "--help"]).output.split())
    assert rules.HINTS["password"] in help_text
