"""Every field rule of API.md §3–§4 and the user rules, with valid and invalid examples.

The cleaners in `healthpal.domain.rules` are pure functions: each takes what a client sent and
returns the value to store, or raises `FieldError` with the messages the client sees.
"""
import unicodedata
from datetime import date

import pytest

from healthpal.domain import rules

TODAY = date(2026, 6, 15)
NAME_MESSAGE_START = "Full name may contain only Latin letters"


def refused(clean, value) -> list:
    """The messages `clean` gives for `value` (the test fails if it accepts it)."""
    with pytest.raises(rules.FieldError) as caught:
        clean(value)
    return caught.value.messages


# --- generic messages -------------------------------------------------------------------------

TEXT_CLEANERS = {
    "full_name": rules.full_name,
    "gender": rules.gender,
    "phone": rules.phone,
    "address": rules.place_id,
    "type": rules.assessment_type,
    "username": rules.username,
}


@pytest.mark.parametrize("value", ["", " ", "   \t\n "])
@pytest.mark.parametrize("field", sorted(TEXT_CLEANERS))
def test_blank_text_is_refused_with_the_generic_message(field, value):
    assert refused(TEXT_CLEANERS[field], value) == ["This field may not be blank."]


@pytest.mark.parametrize("field", sorted(TEXT_CLEANERS))
def test_nul_character_is_refused(field):
    assert refused(TEXT_CLEANERS[field], "ab\x00cd") == ["Null characters are not allowed."]


@pytest.mark.parametrize("value", [["a"], {"a": 1}, 1.5, True])
@pytest.mark.parametrize("field", ["full_name", "gender", "address", "type", "username"])
def test_non_string_is_refused(field, value):
    assert refused(TEXT_CLEANERS[field], value) == ["Not a valid string."]


def test_collect_reports_required_null_and_rule_errors_together():
    cleaners = {"full_name": rules.full_name, "gender": rules.gender, "phone": rules.phone,
                "address": rules.place_id}
    cleaned, errors = rules.collect({"full_name": " Ann Lee ", "gender": None, "phone": "12-34"}, cleaners,
                                    partial=False)
    assert cleaned == {"full_name": "Ann Lee"}
    assert errors["gender"] == ["This field may not be null."]
    assert errors["address"] == ["This field is required."]
    assert len(errors["phone"]) == 1
    assert set(errors) == {"gender", "address", "phone"}


def test_collect_partial_skips_absent_keys_but_not_null():
    cleaned, errors = rules.collect({"gender": None}, {"full_name": rules.full_name, "gender": rules.gender},
                                    partial=True)
    assert cleaned == {}
    assert errors == {"gender": ["This field may not be null."]}


# --- full_name ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    ("John Doe", "John Doe"),
    ("Jo", "Jo"),
    ("  Ann Lee  ", "Ann Lee"),
    ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
    ("D'Angelo", "D'Angelo"),
    ("José Ñúñez", "José Ñúñez"),
    ("Jürgen Müller", "Jürgen Müller"),
    ("Søren Ødegård", "Søren Ødegård"),
    ("Łukasz Wałęsa", "Łukasz Wałęsa"),
    ("Řehoř Dvořák", "Řehoř Dvořák"),
    ("Şule Yılmaz", "Şule Yılmaz"),
    ("Anna Weiß", "Anna Weiß"),
    ("ÆSA Ðorđe Þór", "ÆSA Ðorđe Þór"),
    ("a" * 255, "a" * 255),
])
def test_full_name_accepts_latin_words(value, stored):
    assert rules.full_name(value) == stored


def test_full_name_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Zoë Ñúñez")
    assert decomposed != "Zoë Ñúñez"
    assert rules.full_name(decomposed) == unicodedata.normalize("NFC", decomposed) == "Zoë Ñúñez"


def test_full_name_length_is_counted_after_nfc():
    # 255 letters once composed, 510 code points as sent.
    assert rules.full_name(unicodedata.normalize("NFD", "é" * 255)) == "é" * 255


@pytest.mark.parametrize("value", [
    "John × Doe", "A×B", "Ab÷c", "Maªa", "µark Lee",            # symbols and non-letters of Latin-1
    "Иван Петров", "Jоhn",                                       # Cyrillic (the second has a Cyrillic o)
    "Αλέξης Παππάς",                                             # Greek
    "John2", "R2 D2",                                            # digits
    "John  Doe", "John--Doe", "O''Neil", "John -Doe", "John' Doe",  # double separators
    "-John", "John-", "'John", "John'", " -John",                # leading / trailing separators
    "John.Doe", "John_Doe", "John,Doe", "John\tDoe", "Anna\u00a0Lena",  # other separators
    "Ｊohn",                                                      # full-width Latin is not Latin script
])
def test_full_name_refuses_other_characters_and_bad_separators(value):
    messages = refused(rules.full_name, value)
    assert len(messages) == 1 and messages[0].startswith(NAME_MESSAGE_START)


@pytest.mark.parametrize("value", ["J", "é", "a" * 256])
def test_full_name_length_is_2_to_255(value):
    assert refused(rules.full_name, value) == ["Full name must be between 2 and 255 characters long."]


# --- gender --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [("m", "m"), ("f", "f"), (" f ", "f")])
def test_gender_accepts_m_and_f(value, stored):
    assert rules.gender(value) == stored


@pytest.mark.parametrize("value", ["M", "F", "male", "x", "mf"])
def test_gender_refuses_anything_else(value):
    assert len(refused(rules.gender, value)) == 1


# --- dates and birthdate ---------------------------------------------------------------------------

def birthdate(value, today=TODAY):
    return rules.birthdate(value, today=today)


@pytest.mark.parametrize("value, stored", [
    ("1980-05-17", date(1980, 5, 17)),
    (" 1980-05-17 ", date(1980, 5, 17)),
    ("2026-06-15", TODAY),                 # born today
    ("1906-06-15", date(1906, 6, 15)),     # exactly 120 years ago
    ("2024-02-29", date(2024, 2, 29)),     # a leap day
])
def test_birthdate_accepts_dates_up_to_120_years_back(value, stored):
    assert birthdate(value) == stored


@pytest.mark.parametrize("value", [
    "1980-5-17", "1980-05-7", "80-05-17", "19800517", "1980/05/17", "17-05-1980", "1980-05-17T00:00:00",
    "1980-02-30", "2023-02-29", "1980-13-01", "1980-00-10", "+1980-05-17",
    "１９８０-０５-１７", "١٩٨٠-٠٥-١٧", "yesterday", 19800517, ["1980-05-17"],
])
def test_dates_must_be_exactly_yyyy_mm_dd(value):
    assert refused(birthdate, value) == ["Date has wrong format. Use YYYY-MM-DD."]
    assert refused(lambda v: rules.assessment_date(v, today=TODAY), value) == [rules.DATE_FORMAT]


def test_birthdate_cannot_be_in_the_future():
    assert refused(birthdate, "2026-06-16") == ["Birthdate cannot be in the future."]


def test_birthdate_cannot_be_more_than_120_years_ago():
    assert refused(birthdate, "1906-06-14") == ["Birthdate cannot be more than 120 years ago."]


@pytest.mark.parametrize("today, earliest, too_early", [
    (date(2024, 2, 29), "1904-02-29", "1904-02-28"),   # 1904 is a leap year too
    (date(2020, 2, 29), "1900-02-28", "1900-02-27"),   # 1900 is not: the edge moves to 28 February
    (date(2025, 3, 1), "1905-03-01", "1905-02-28"),
])
def test_birthdate_120_year_edge_around_29_february(today, earliest, too_early):
    assert birthdate(earliest, today=today) == date.fromisoformat(earliest)
    assert refused(lambda v: birthdate(v, today=today), too_early) == ["Birthdate cannot be more than 120 years ago."]


@pytest.mark.parametrize("born, today, years", [
    (date(1980, 5, 17), date(2026, 5, 16), 45),
    (date(1980, 5, 17), date(2026, 5, 17), 46),
    (date(2000, 2, 29), date(2025, 2, 28), 24),
    (date(2000, 2, 29), date(2025, 3, 1), 25),
    (date(2026, 6, 15), date(2026, 6, 15), 0),
])
def test_age_is_full_years(born, today, years):
    assert rules.age(born, today) == years


def test_assessment_date_is_not_after_today():
    assert rules.assessment_date("2026-06-15", today=TODAY) == TODAY
    assert rules.assessment_date("1900-01-01", today=TODAY) == date(1900, 1, 1)
    assert refused(lambda v: rules.assessment_date(v, today=TODAY), "2026-06-16") == [
        "Assessment date cannot be in the future."]


# --- phone -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    ("5551234567", "5551234567"),
    ("0", "0"),
    ("0123456789", "0123456789"),
    ("123456789012345", "123456789012345"),
    (" 5551234 ", "5551234"),
    (5551234567, "5551234567"),            # a JSON integer is stored as its digits
    (0, "0"),
])
def test_phone_accepts_1_to_15_digits(value, stored):
    assert rules.phone(value) == stored


@pytest.mark.parametrize("value", [
    "1234567890123456", 1234567890123456, "555-1234", "+15551234567", "555 1234", "(555)1234",
    "555.1234", "12e4", "５５５１２３４", "٥٥٥١٢٣٤", "555a", -5551234, 5551234.0, True,
])
def test_phone_refuses_anything_but_ascii_digits(value):
    assert len(refused(rules.phone, value)) == 1


# --- address (Google Place ID) -------------------------------------------------------------------

@pytest.mark.parametrize("value", ["ChIJN1t_tDeuEmsRUsoyG83frY4", "a", "abc-DEF_123", "x" * 512])
def test_place_id_accepts_up_to_512_safe_characters(value):
    assert rules.place_id(value) == value


@pytest.mark.parametrize("value", ["x" * 513, "ChIJ N1t", "ChIJ/abc", "ChIJé", "abc.def", "abc+def", "abc=", 12345])
def test_place_id_refuses_longer_or_other_characters(value):
    assert len(refused(rules.place_id, value)) == 1


# --- assessment type -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    ("Cognitive test", "Cognitive test"),
    ("PHQ-9", "PHQ-9"),
    ("A", "A"),
    ("7", "7"),
    ("  Mood check 2 ", "Mood check 2"),
    ("Follow-up visit", "Follow-up visit"),
    ("a" * 64, "a" * 64),
    ("ab-" * 21 + "a", "ab-" * 21 + "a"),   # 64 characters with separators
])
def test_type_accepts_ascii_words_up_to_64_characters(value, stored):
    assert rules.assessment_type(value) == stored


@pytest.mark.parametrize("value", [
    "a" * 65, "ab-" * 21 + "ab",
    "Cognitive  test", "Cognitive--test", "Cognitive -test", "Cognitive- test",
    "-test", "test-", "- -",
    "Test_1", "Test!", "Test/2", "Test.1", "Test's", "Café test", "Тест", "Test\ttwo",
])
def test_type_refuses_long_or_badly_formed_labels(value):
    assert len(refused(rules.assessment_type, value)) == 1


# --- score -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    (85, 85), (0, 0), (100, 100), ("85", 85), (" 85 ", 85), ("0", 0), ("100", 100), ("007", 7),
    (85.0, 85), (0.0, 0),
])
def test_score_accepts_whole_numbers_0_to_100(value, stored):
    result = rules.score(value)
    assert result == stored and type(result) is int


@pytest.mark.parametrize("value", [
    50.5, "85.0", "abc", "", " ", True, False, "+85", "8 5", "-1", "８５", [85], {"score": 85},
    float("nan"), float("inf"),
])
def test_score_refuses_non_integers(value):
    assert refused(rules.score, value) == ["Score must be a whole number."]


@pytest.mark.parametrize("value", [-1, 101, "101", 1000.0, 10**20])
def test_score_must_be_0_to_100(value):
    assert refused(rules.score, value) == ["Score must be between 0 and 100."]


# --- qna_rounds ------------------------------------------------------------------------------------

def qa(question="How do you feel?", answer="Fine"):
    return {"question": question, "answer": answer}


@pytest.mark.parametrize("value, stored", [
    ([qa()], [("How do you feel?", "Fine")]),
    ([qa("  How?  ", " Well ")], [("How?", "Well")]),
    ([qa("Как дела? «цитата» ×÷ 😀", "Χαίρετε — 100% ✓")], [("Как дела? «цитата» ×÷ 😀", "Χαίρετε — 100% ✓")]),
    ([qa("How?", "a"), qa("how?", "b")], [("How?", "a"), ("how?", "b")]),   # case-sensitive
    ([{**qa(), "extra": 1, "id": 9}], [("How do you feel?", "Fine")]),       # unknown keys ignored
    ([qa("q" * 10_000, "a" * 10_000)], [("q" * 10_000, "a" * 10_000)]),
])
def test_rounds_accepted(value, stored):
    assert rules.qna_rounds(value) == stored


def test_rounds_keep_their_order_and_allow_200():
    value = [qa(f"Question {i}", f"Answer {i}") for i in range(200)]
    assert rules.qna_rounds(value) == [(f"Question {i}", f"Answer {i}") for i in range(200)]


@pytest.mark.parametrize("value", ["How?", {"question": "How?", "answer": "Fine"}, 3, "[]"])
def test_rounds_must_be_a_list(value):
    assert refused(rules.qna_rounds, value) == ["Expected a list of question and answer rounds."]


def test_rounds_must_not_be_empty():
    assert refused(rules.qna_rounds, []) == ["At least one question and answer round is required."]


NOT_OBJECT = {"non_field_errors": ["Each round must be an object with a question and an answer."]}


@pytest.mark.parametrize("value, errors", [
    ([qa(), 1, "x", None, [], qa()], [{}, NOT_OBJECT, NOT_OBJECT, NOT_OBJECT, NOT_OBJECT, {}]),
    ([qa(), qa("Q2", "   ")], [{}, {"answer": ["This field may not be blank."]}]),
    ([qa("", "")], [{"question": ["This field may not be blank."], "answer": ["This field may not be blank."]}]),
    ([{"answer": "x"}, {"question": "q"}],
     [{"question": ["This field is required."]}, {"answer": ["This field is required."]}]),
    ([qa(None, "x"), qa("y", None)],
     [{"question": ["This field may not be null."]}, {"answer": ["This field may not be null."]}]),
    ([qa(7, "x"), qa("y", ["z"])], [{"question": ["Not a valid string."]}, {"answer": ["Not a valid string."]}]),
    ([qa("a\x00b", "x")], [{"question": ["Null characters are not allowed."]}]),
    ([qa("q" * 10_001, "a"), qa("q", "a" * 10_001)],
     [{"question": ["Ensure this field has no more than 10,000 characters."]},
      {"answer": ["Ensure this field has no more than 10,000 characters."]}]),
])
def test_round_errors_are_aligned_with_the_input(value, errors):
    assert refused(rules.qna_rounds, value) == errors


def test_more_than_200_rounds_is_one_list_message():
    value = [qa(f"Question {i}") for i in range(201)]
    assert refused(rules.qna_rounds, value) == ["An assessment can have at most 200 rounds."]


@pytest.mark.parametrize("questions", [["How?", "How?"], ["How?", "  How?  "], ["A", "B", "A"]])
def test_duplicate_questions_after_trimming_are_one_list_message(questions):
    messages = refused(rules.qna_rounds, [qa(q) for q in questions])
    assert len(messages) == 1 and isinstance(messages[0], str) and "only once" in messages[0]


def test_per_item_errors_come_before_whole_list_checks():
    too_many_with_a_blank = [qa(f"Question {i}") for i in range(201)]
    too_many_with_a_blank[5] = qa("Question 5", "")
    errors = refused(rules.qna_rounds, too_many_with_a_blank)
    assert len(errors) == 201 and errors[5] == {"answer": ["This field may not be blank."]}
    assert all(item == {} for i, item in enumerate(errors) if i != 5)

    duplicated_with_a_blank = [qa("Same"), qa("Same"), qa("Other", " ")]
    assert refused(rules.qna_rounds, duplicated_with_a_blank) == [{}, {}, {"answer": ["This field may not be blank."]}]


# --- ids -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, number", [
    (5, 5), ("5", 5), (" 42 ", 42), ("0", 0), (2**70, 2**70),
    ("abc", None), ("4.0", None), ("-1", None), ("²", None), ("５", None), ("", None), (True, None), (4.0, None),
    (None, None),
])
def test_id_number_takes_ints_and_ascii_digit_strings(value, number):
    assert rules.id_number(value) == number


@pytest.mark.parametrize("value, ok", [(1, True), (2**63 - 1, True), (0, False), (-1, False), (2**63, False),
                                       (True, False), ("1", False)])
def test_is_id_is_the_range_a_database_can_hold(value, ok):
    assert rules.is_id(value) is ok


# --- users -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["alice", "a", "alice.smith@example.org", "a+b-c_d", "Bob99", "x" * 150])
def test_username_accepts_letters_digits_and_at_dot_plus_dash_underscore(value):
    assert rules.username(value) == value


@pytest.mark.parametrize("value", ["x" * 151, "ali ce", "alicé", "ali/ce", "ali:ce", "алиса", "al'ice"])
def test_username_refuses_other_characters(value):
    assert len(refused(rules.username, value)) == 1


@pytest.mark.parametrize("value, stored", [
    ("", ""), ("  ", ""), ("a@b.co", "a@b.co"), (" Ann@Example.org ", "Ann@example.org"),
    ("zoë@müller.de", "zoë@müller.de"),
])
def test_email_accepts_an_address_or_blank(value, stored):
    assert rules.email(value) == stored


@pytest.mark.parametrize("value", ["ab", "a@b", "a b@c.de", "a@@b.co", "@b.co", "a@b.co x", "x" * 250 + "@b.co",
                                   "a..b@c.de", "a@-c.de", "a@localhost"])
def test_email_refuses_malformed_addresses(value):
    assert len(refused(rules.email, value)) == 1


@pytest.mark.parametrize("value, stored", [("", ""), (" Ann ", "Ann"), ("x" * 150, "x" * 150)])
def test_person_name_may_be_blank_up_to_150(value, stored):
    assert rules.person_name(value) == stored


def test_person_name_over_150_is_refused():
    assert refused(rules.person_name, "x" * 151) == ["Ensure this field has no more than 150 characters."]


@pytest.mark.parametrize("value", ["correct-horse", "zqwxabc1", " padded password ", "Ünïcödé-pässwörd", "8172635b"])
def test_password_is_taken_exactly_as_typed(value):
    assert rules.password(value) == value


TOO_SHORT = "This password is too short. It must contain at least 8 characters."
NUMERIC = "This password is entirely numeric."
COMMON = "This password is too common."


@pytest.mark.parametrize("value, messages", [
    ("abq1234", [TOO_SHORT]),
    ("9081726", [TOO_SHORT, NUMERIC]),
    ("1234567", [TOO_SHORT, NUMERIC, COMMON]),
    ("trustno1", [COMMON]),
    ("QwertyUIOP", [COMMON]),
    ("123456789012", [NUMERIC]),
    ("12345678", [NUMERIC, COMMON]),
    ("password", [COMMON]),
    ("PassWord123", [COMMON]),
    ("healthpal", [COMMON]),
    ("", ["This field may not be blank."]),
    (12345678, ["Not a valid string."]),
    ("abc\x00defgh", ["Null characters are not allowed."]),
])
def test_weak_passwords_are_refused_with_every_reason(value, messages):
    assert refused(rules.password, value) == messages
