"""Two sittings of the same assessment side by side: questions matched by their text (ignoring
case and spacing), both answers, and how the score moved."""
from dataclasses import dataclass

from healthpal.domain import assessments, audit
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.domain.transactions import atomic
from healthpal.models import Assessment, QARound, User

SAME_TYPE = "Choose two assessments of the same type."
TWO_DIFFERENT = "Choose two different assessments."


@dataclass(frozen=True)
class Row:
    question: str
    earlier: str
    later: str

    @property
    def changed(self) -> bool:
        return self.earlier.strip() != self.later.strip()


@dataclass(frozen=True)
class Comparison:
    earlier: Assessment
    later: Assessment
    matched: list[Row]              # asked both times, in the earlier sitting's order
    only_earlier: list[QARound]     # asked only the first time
    only_later: list[QARound]       # asked only the second time

    @property
    def change(self) -> int:
        return self.later.score - self.earlier.score

    @property
    def direction(self) -> str:
        return "up" if self.change > 0 else "down" if self.change < 0 else "unchanged"


def comparable(history) -> dict[str, list]:
    """A patient's assessments (`assessments.history` rows) by type, alphabetically, for the
    types sat at least twice: what can be compared."""
    by_type: dict[str, list] = {}
    for row in history:
        by_type.setdefault(row.type, []).append(row)
    return {kind: rows for kind, rows in sorted(by_type.items()) if len(rows) > 1}


def _key(question: str) -> str:
    return " ".join(question.split()).casefold()


def align(earlier: Assessment, later: Assessment) -> Comparison:
    """The two assessments' rounds matched question by question."""
    later_rounds = {_key(r.question): r for r in later.rounds}
    earlier_keys = {_key(r.question) for r in earlier.rounds}
    matched = [Row(r.question, r.answer, later_rounds[_key(r.question)].answer)
               for r in earlier.rounds if _key(r.question) in later_rounds]
    return Comparison(
        earlier=earlier, later=later, matched=matched,
        only_earlier=[r for r in earlier.rounds if _key(r.question) not in later_rounds],
        only_later=[r for r in later.rounds if _key(r.question) not in earlier_keys],
    )


def compare(*, actor: User, via: str, patient_id: int, first_id: int, second_id: int) -> Comparison:
    """Two visible assessments of one patient and one type, the older first; each recorded in
    the audit trail as read. Another patient's (or clinician's) assessment is NotFound; two of
    different types, or the same one twice, is Invalid."""
    chosen = [assessments.get(actor=actor, via=via, assessment_id=number) for number in (first_id, second_id)]
    if any(a.patient_id != patient_id for a in chosen):
        raise NotFound("Not found.")
    if chosen[0].id == chosen[1].id:
        raise Invalid({"second": [TWO_DIFFERENT]})
    if chosen[0].type != chosen[1].type:
        raise Invalid({"second": [SAME_TYPE]})
    earlier, later = sorted(chosen, key=lambda a: (a.date, a.id))
    comparison = align(earlier, later)
    with atomic():
        for assessment in chosen:
            audit.record(actor=actor, via=via, action=audit.READ, entity=assessment)
    return comparison
