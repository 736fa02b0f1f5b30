"""Lists: search, filters, ordering with its tie-break, and pages (rows, and an exact total)."""
import pytest

from healthpal.domain import assessments, channels, paging, patients
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.extensions import db
from tests import factories
from tests.toolkit import sql_statements

API = channels.API


def names(page) -> list:
    return [p.full_name for p in page.items]


@pytest.fixture
def people(clinician):
    """Five patients of alice, made in this order (so ids ascend in this order)."""
    return [
        factories.make_patient(clinician, full_name="Cara Lee", gender="f", birthdate="1990-01-01", phone="5550001"),
        factories.make_patient(clinician, full_name="Abe Stone", gender="m", birthdate="1970-01-01", phone="5550002"),
        factories.make_patient(clinician, full_name="Bea Stone", gender="f", birthdate="1990-01-01", phone="7770003"),
        factories.make_patient(clinician, full_name="Dan O'Hara", gender="m", birthdate="1980-01-01", phone="7770004"),
        factories.make_patient(clinician, full_name="Ann Lee", gender="f", birthdate="1990-01-01", phone="5550005"),
    ]


def search(actor, **options):
    return patients.search(actor=actor, via=API, **options)


def test_default_order_is_full_name(clinician, people):
    assert names(search(clinician)) == ["Abe Stone", "Ann Lee", "Bea Stone", "Cara Lee", "Dan O'Hara"]


@pytest.mark.parametrize("ordering, expected", [
    ("-full_name", ["Dan O'Hara", "Cara Lee", "Bea Stone", "Ann Lee", "Abe Stone"]),
    # Ties (three born 1990-01-01) are broken by id, in the direction of the first field.
    ("birthdate", ["Abe Stone", "Dan O'Hara", "Cara Lee", "Bea Stone", "Ann Lee"]),
    ("-birthdate", ["Ann Lee", "Bea Stone", "Cara Lee", "Dan O'Hara", "Abe Stone"]),
    ("-birthdate,full_name", ["Ann Lee", "Bea Stone", "Cara Lee", "Dan O'Hara", "Abe Stone"]),
    ("birthdate,-full_name", ["Abe Stone", "Dan O'Hara", "Cara Lee", "Bea Stone", "Ann Lee"]),
    ("id", ["Cara Lee", "Abe Stone", "Bea Stone", "Dan O'Hara", "Ann Lee"]),
    ("-id", ["Ann Lee", "Dan O'Hara", "Bea Stone", "Abe Stone", "Cara Lee"]),
    ("-created_at", ["Ann Lee", "Dan O'Hara", "Bea Stone", "Abe Stone", "Cara Lee"]),
    ("nonsense,-id", ["Ann Lee", "Dan O'Hara", "Bea Stone", "Abe Stone", "Cara Lee"]),   # unknown ignored
    ("nonsense", ["Abe Stone", "Ann Lee", "Bea Stone", "Cara Lee", "Dan O'Hara"]),       # all unknown: default
    (" -id , ", ["Ann Lee", "Dan O'Hara", "Bea Stone", "Abe Stone", "Cara Lee"]),
])
def test_ordering(clinician, people, ordering, expected):
    assert names(search(clinician, ordering=ordering)) == expected


@pytest.mark.parametrize("text, expected", [
    ("lee", ["Ann Lee", "Cara Lee"]),
    ("STONE", ["Abe Stone", "Bea Stone"]),
    ("o'h", ["Dan O'Hara"]),
    ("777", ["Bea Stone", "Dan O'Hara"]),          # phone substring
    ("0005", ["Ann Lee"]),
    ("  lee  ", ["Ann Lee", "Cara Lee"]),
    ("%", []), ("_", []), ("\\", []),                # LIKE wildcards are taken literally
    ("", ["Abe Stone", "Ann Lee", "Bea Stone", "Cara Lee", "Dan O'Hara"]),
])
def test_search_by_name_or_phone(clinician, people, text, expected):
    assert names(search(clinician, text=text)) == expected


@pytest.mark.parametrize("text", ["élodie", "ÉLODIE", "Élodie", "łukas", "ŁUKAS", "ie łu",
                                  "elodie", "ELODIE", "lukasiewicz", "e lu", "Elodie Lukasiewicz"])
def test_search_ignores_case_and_accents(clinician, text):
    factories.make_patient(clinician, full_name="Élodie Łukasiewicz")
    assert names(search(clinician, text=text)) == ["Élodie Łukasiewicz"]


@pytest.mark.parametrize(("text", "expected"), [
    ("muller", ["Jonas Müller"]), ("MÜLLER", ["Jonas Müller"]), ("mueller", []),
    ("lukasz", ["Łukasz Nowak"]), ("soren", ["Søren Kierkegaard"]), ("weiss", ["Anna-Lena Weiß"]),
    ("dvorak", ["Tomáš Dvořák"]), ("yilmaz", ["Mehmet Yılmaz"]), ("zoe o'c", ["Zoë O'Connor"]),
    ("aeroe", ["Ærøe Larsen"]), ("ÆRØE", ["Ærøe Larsen"]),
])
def test_names_are_found_typed_without_accents(clinician, text, expected):
    """What clinicians type: no accents, any case; letters that do not decompose (ł, ø, ß, ı, æ) too."""
    for name in ("Jonas Müller", "Łukasz Nowak", "Søren Kierkegaard", "Anna-Lena Weiß", "Tomáš Dvořák",
                 "Mehmet Yılmaz", "Zoë O'Connor", "Ærøe Larsen"):
        factories.make_patient(clinician, full_name=name)
    assert names(search(clinician, text=text)) == expected


def test_a_date_of_birth_typed_as_yyyy_mm_dd_finds_the_patients_born_that_day(clinician):
    factories.make_patient(clinician, full_name="Ann Lee", birthdate="1980-05-17")
    factories.make_patient(clinician, full_name="Bea Lee", birthdate="1980-05-17")
    factories.make_patient(clinician, full_name="Cara Lee", birthdate="1980-05-18")
    assert names(search(clinician, text="1980-05-17")) == ["Ann Lee", "Bea Lee"]
    assert names(search(clinician, text=" 1980-05-18 ")) == ["Cara Lee"]
    assert names(search(clinician, text="1980-02-30")) == []                   # not a date: no name or phone has it


def test_names_sort_as_people_expect_not_by_byte(clinician):
    """Accented and other Latin letters sort with their base letter, whatever the case."""
    for name in ("Zoë Adams", "Łukasz Nowak", "émile Zola", "Adam Smith", "Élodie Martin", "de la Cruz",
                 "Frank Ocean", "Lars Olsen"):
        factories.make_patient(clinician, full_name=name)
    expected = ["Adam Smith", "de la Cruz", "Élodie Martin", "émile Zola", "Frank Ocean", "Lars Olsen",
                "Łukasz Nowak", "Zoë Adams"]
    assert names(search(clinician, page_size=20)) == expected
    assert names(search(clinician, ordering="-full_name", page_size=20)) == expected[::-1]


def test_search_by_gender_combines_with_text(clinician, people):
    assert names(search(clinician, gender="m")) == ["Abe Stone", "Dan O'Hara"]
    assert names(search(clinician, gender="f", text="lee")) == ["Ann Lee", "Cara Lee"]


def test_percent_and_underscore_in_names_match_only_themselves(clinician):
    factories.make_patient(clinician, full_name="Ann Lee")
    assert names(search(clinician, text="a%e")) == []
    assert names(search(clinician, text="a_n")) == []


# --- pages ---------------------------------------------------------------------------------------

def test_pages_carry_the_total(clinician, people):
    first = search(clinician, page=1, page_size=2)
    assert (names(first), first.total, first.pages, first.has_previous, first.has_next) == (
        ["Abe Stone", "Ann Lee"], 5, 3, False, True)
    last = search(clinician, page=3, page_size=2)
    assert (names(last), last.total, last.has_next, last.has_previous) == (["Dan O'Hara"], 5, False, True)
    assert names(search(clinician, page=paging.LAST, page_size=2)) == ["Dan O'Hara"]
    assert search(clinician, page=paging.LAST, page_size=2).number == 3


def test_an_empty_list_has_one_empty_page(clinician):
    page = search(clinician)
    assert (page.items, page.total, page.pages, page.number) == ([], 0, 1, 1)
    assert search(clinician, page=paging.LAST).number == 1


@pytest.mark.parametrize("number", [0, -1, 4, "2", "abc", None, 1.0])
def test_pages_out_of_range_or_not_numbers_are_invalid(clinician, people, number):
    with pytest.raises(NotFound, match="Invalid page."):
        search(clinician, page=number, page_size=2)


@pytest.mark.parametrize("number, queries", [(1, 2), (2, 2), (3, 1), (paging.LAST, 2)])
def test_a_page_costs_its_rows_and_a_count_unless_it_is_not_full(clinician, people, number, queries):
    """Five patients in pages of two: a full page also counts; the short last page tells the total."""
    assert clinician.id                          # loaded before counting
    with sql_statements() as statements:
        page = search(clinician, page=number, page_size=2)
    assert len(statements) == queries
    assert page.total == 5 and page.pages == 3
    assert not any("OVER" in statement.upper() for statement in statements)


# --- assessment lists ----------------------------------------------------------------------------------

@pytest.fixture
def visits(clinician, other_clinician):
    """Six assessments of two of alice's patients, and one of bob's."""
    ann = factories.make_patient(clinician, full_name="Ann Lee")
    abe = factories.make_patient(clinician, full_name="Abe Stone")
    made = [
        factories.make_assessment(ann, type="Mood check", date="2024-03-01", score=70),
        factories.make_assessment(ann, type="Cognitive test", date="2024-01-15", score=40),
        factories.make_assessment(abe, type="Cognitive test", date="2024-02-01", score=90),
        factories.make_assessment(abe, type="Mood check", date="2024-01-15", score=55),
        factories.make_assessment(ann, type="PHQ-9", date="2024-02-01", score=55),
        factories.make_assessment(abe, type="PHQ-9", date="2023-12-31", score=10),
    ]
    factories.make_assessment(factories.make_patient(other_clinician), type="Mood check", date="2024-03-01")
    return {"ann": ann, "abe": abe, "made": made}


def listed(actor, visits, params=None, ordering=None) -> list:
    """Positions (in `visits["made"]`) of the listed assessments, in list order."""
    filters = assessments.parse_filters(params or {})
    page = assessments.search(actor=actor, via=API, filters=filters, ordering=ordering)
    ids = [a.id for a in visits["made"]]
    return [ids.index(a.id) for a in page.items]


@pytest.mark.parametrize("ordering, expected", [
    (None, [5, 1, 3, 2, 4, 0]),                     # date, ties by id
    ("-date", [0, 4, 2, 3, 1, 5]),
    ("score", [5, 1, 3, 4, 0, 2]),
    ("-score", [2, 0, 4, 3, 1, 5]),
    ("type,-date", [2, 1, 0, 3, 4, 5]),
    ("patient,date", [1, 4, 0, 5, 3, 2]),
])
def test_assessment_ordering(clinician, visits, ordering, expected):
    assert listed(clinician, visits, ordering=ordering) == expected


@pytest.mark.parametrize("params, expected", [
    ({"type": "Mood check"}, [3, 0]),
    ({"type": "mood check"}, []),                                       # exact
    ({"date": "2024-01-15"}, [1, 3]),
    ({"date_gte": "2024-02-01"}, [2, 4, 0]),
    ({"date_lte": "2024-01-15"}, [5, 1, 3]),
    ({"date_gte": "2024-01-01", "date_lte": "2024-02-01", "type": "Cognitive test"}, [1, 2]),
    ({"unknown": "x", "type": ""}, [5, 1, 3, 2, 4, 0]),
])
def test_assessment_filters(clinician, visits, params, expected):
    assert listed(clinician, visits, params) == expected


def test_assessment_patient_filter(clinician, other_clinician, visits):
    assert listed(clinician, visits, {"patient": str(visits["ann"].id)}) == [1, 4, 0]
    theirs = factories.make_patient(other_clinician, full_name="Cy Lee")
    assert listed(clinician, visits, {"patient": str(theirs.id)}) == []          # someone else's: empty
    assert listed(clinician, visits, {"patient": "99999999999999999999999"}) == []


@pytest.mark.parametrize("params, errors", [
    ({"date": "2024-1-5"}, {"date": ["Enter a valid date."]}),
    ({"date_gte": "x", "date_lte": "2024-02-30"}, {"date_gte": ["Enter a valid date."],
                                                    "date_lte": ["Enter a valid date."]}),
    ({"patient": "abc"}, {"patient": ["Enter a number."]}),
    ({"patient": "-1"}, {"patient": ["Enter a number."]}),
    ({"patient": "²"}, {"patient": ["Enter a number."]}),
])
def test_assessment_filter_errors(params, errors):
    with pytest.raises(Invalid) as caught:
        assessments.parse_filters(params)
    assert caught.value.errors == errors


def test_assessment_lists_load_rounds_without_a_query_per_row(clinician, visits):
    db.session.expire_all()
    assert clinician.id                          # loaded before counting
    with sql_statements() as statements:
        page = assessments.search(actor=clinician, via=API)
        rounds = [len(a.rounds) for a in page.items]
    assert rounds == [1] * 6 and len(statements) == 2
