"""Form posts → the plain dicts the domain takes, and the domain's errors → what each field shows.

There are no WTForms classes on purpose: every rule (and every message) lives in the domain, the
global CSRFProtect checks the token of every POST, and the Q&A rounds are a list the browser
grows and shrinks. Parsing is all that is left, and it is here.
"""
from collections.abc import Mapping

from healthpal.domain import patients, versions

ROUND_FIELDS = ("question", "answer")


def patient_data(form: Mapping) -> dict:
    """The writable patient fields as typed (a missing field is sent blank)."""
    return {name: form.get(name, "") for name in patients.FIELDS}


def version(form: Mapping) -> versions.Expected:
    """The version of the record the form was opened at (sent back in its hidden `version` field)."""
    return versions.parse(form.get("version"))


def patient_values(patient) -> dict:
    """A stored patient as the form shows it."""
    return stored_patient({name: getattr(patient, name) for name in patients.FIELDS})


def stored_patient(values: Mapping) -> dict:
    """A patient's stored values (a record's, or those a Stale refusal carries) as the form shows them."""
    return {name: values[name].isoformat() if name == "birthdate" else values[name] for name in patients.FIELDS}


def rounds_from(form) -> list[dict]:
    """The question/answer pairs in the order the page shows them."""
    questions, answers = form.getlist("question"), form.getlist("answer")
    return [{"question": q, "answer": a} for q, a in zip(questions, answers, strict=False)]


def assessment_data(form, *, patient_id: int) -> dict:
    """An assessment form post as the domain's create/update data."""
    return {
        "patient": patient_id,
        "type": form.get("type", ""),
        "date": form.get("date", ""),
        "score": form.get("score", ""),
        "qna_rounds": rounds_from(form),
    }


def assessment_values(assessment) -> dict:
    """A stored assessment as the form shows it."""
    return stored_assessment({"type": assessment.type, "date": assessment.date, "score": assessment.score,
                              "qna_rounds": [(r.question, r.answer) for r in assessment.rounds]})


def stored_assessment(values: Mapping) -> dict:
    """An assessment's stored values (a record's, or those a Stale refusal carries) as the form shows them."""
    return {
        "type": values["type"],
        "date": values["date"].isoformat(),
        "score": str(values["score"]),
        "qna_rounds": [{"question": question, "answer": answer} for question, answer in values["qna_rounds"]],
    }


def round_errors(errors: dict, count: int) -> tuple[list[Mapping], list[str]]:
    """Split the domain's `qna_rounds` errors into one dict per round (aligned with the form)
    and the messages about the list as a whole (empty, too long, duplicate questions)."""
    raw = errors.get("qna_rounds") or []
    per_round = [item for item in raw if isinstance(item, Mapping)]
    whole = [item for item in raw if isinstance(item, str)]
    per_round += [{}] * (count - len(per_round))
    return per_round, whole


def repeat_values(assessment, today) -> dict:
    """A new sitting of `assessment` as the form shows it: same type and questions in the same
    order; answers and score empty; dated `today`."""
    return {
        "type": assessment.type,
        "date": today.isoformat(),
        "score": "",
        "qna_rounds": [{"question": r.question, "answer": ""} for r in assessment.rounds],
    }
