"""Every field rule of Healthpal (shared/API.md §2–§4), written once.

Pure functions over plain values: each cleaner takes what a client sent and returns the value to
store, or raises `FieldError` with the messages to show. No database, no Flask (e-mail syntax is
email-validator's; the common-password list is read from a file in the package once, at import).
"""
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from datetime import date
from pathlib import Path
from typing import TypeGuard

from email_validator import EmailNotValidError, validate_email

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_TEXT = "Not a valid string."
NUL_CHAR = "Null characters are not allowed."
DATE_FORMAT = "Date has wrong format. Use YYYY-MM-DD."

# Each rule's limits and choices, and what it allows in words: the one source of form hints, admin
# descriptions, CLI help and the OpenAPI document's patterns, lengths and enums
# (tests/test_rule_descriptions.py fails when any of them drifts from here).
GENDERS = {"m": "Male", "f": "Female"}          # stored value → what people read
FULL_NAME_LENGTH = (2, 255)
PHONE_MAX_DIGITS = 15
PLACE_ID_MAX_LENGTH = 512
TYPE_MAX_LENGTH = 64
SCORE_RANGE = (0, 100)
USERNAME_MAX_LENGTH = 150
PERSON_NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
MAX_AGE_YEARS = 120
MAX_ROUNDS = 200
MAX_ROUND_TEXT = 10_000
MAX_ADDRESS_LABEL = 255
MAX_ID = 2**63 - 1  # the largest id any of our databases can compare with

HINTS = {
    "full_name": "Latin letters (accents allowed); words joined by a space, apostrophe or hyphen.",
    "phone": f"Digits only, no country code (up to {PHONE_MAX_DIGITS}).",
    "address": f"A Google Place ID: up to {PLACE_ID_MAX_LENGTH} letters, digits, '_' or '-'.",
    "address_label": f"The address as people read it, in any script (optional, up to {MAX_ADDRESS_LABEL} "
                     "characters).",
    "type": f"Up to {TYPE_MAX_LENGTH} characters: words of letters (A-Z) and digits joined by a single space or "
            "hyphen.",
    "score": f"A whole number from {SCORE_RANGE[0]} to {SCORE_RANGE[1]}.",
    "username": f"Up to {USERNAME_MAX_LENGTH} letters, digits and @ . + - _ characters.",
    "password": f"At least {PASSWORD_MIN_LENGTH} characters, not all digits, not a common password.",
}

PATTERNS = {
    "phone": rf"[0-9]{{1,{PHONE_MAX_DIGITS}}}",
    "address": rf"[A-Za-z0-9_-]{{1,{PLACE_ID_MAX_LENGTH}}}",
    "type": r"[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*",
    "username": rf"[A-Za-z0-9@.+_-]{{1,{USERNAME_MAX_LENGTH}}}",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
}
_DATE = re.compile(PATTERNS["date"])
_PHONE = re.compile(PATTERNS["phone"])
_PLACE_ID = re.compile(PATTERNS["address"])
_TYPE = re.compile(PATTERNS["type"])
_DIGITS = re.compile(r"[0-9]+")
_USERNAME = re.compile(PATTERNS["username"])
_NAME_SEPARATORS = frozenset(" '-")

# The 10,000 most common passwords (healthpal/domain/data/README.md says where they come from),
# plus this product's own name and trade, the first words an attacker would try here.
COMMON_PASSWORDS = frozenset(
    (Path(__file__).parent / "data" / "common-passwords.txt").read_text(encoding="utf-8").splitlines()
) | {"healthpal", "healthpal1", "clinician"}


class FieldError(ValueError):
    """A value broke a rule. `messages` is what the client sees for that field."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = list(messages)


def collect(data: Mapping, cleaners: Mapping[str, Callable], *, partial: bool,
            optional: Collection[str] = ()) -> tuple[dict, dict]:
    """Run each field's cleaner over `data`; return (cleaned values, all field errors together).

    Absent keys are an error unless `partial` (a PATCH) or named in `optional`; `null` is refused
    for every field.
    """
    cleaned, errors = {}, {}
    for name, clean in cleaners.items():
        if name not in data:
            if not partial and name not in optional:
                errors[name] = [REQUIRED]
            continue
        if data[name] is None:
            errors[name] = [NULL]
            continue
        try:
            cleaned[name] = clean(data[name])
        except FieldError as error:
            errors[name] = error.messages
    return cleaned, errors


def text(value, *, max_length: int | None = None, allow_blank: bool = False) -> str:
    """A trimmed string with no NUL character."""
    if not isinstance(value, str):
        raise FieldError(NOT_TEXT)
    if "\x00" in value:
        raise FieldError(NUL_CHAR)
    value = value.strip()
    if not value and not allow_blank:
        raise FieldError(BLANK)
    if max_length is not None and len(value) > max_length:
        raise FieldError(f"Ensure this field has no more than {max_length:,} characters.")
    return value


def token(value) -> str:
    """A token (a JWT) sent in a body, taken exactly as sent: a non-empty string."""
    if not isinstance(value, str):
        raise FieldError(NOT_TEXT)
    if value == "":
        raise FieldError(BLANK)
    return value


def secret(value) -> str:
    """A password as typed at sign-in, taken exactly as sent: a non-empty string with no NUL."""
    value = token(value)
    if "\x00" in value:
        raise FieldError(NUL_CHAR)
    return value


def _is_latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith("LATIN ")


def full_name(value) -> str:
    """2–255 characters: words of Latin letters joined by one space, apostrophe or hyphen."""
    value = unicodedata.normalize("NFC", text(value))
    if not FULL_NAME_LENGTH[0] <= len(value) <= FULL_NAME_LENGTH[1]:
        raise FieldError("Full name must be between 2 and 255 characters long.")
    letters_ok = all(_is_latin_letter(c) or c in _NAME_SEPARATORS for c in value)
    doubled = any(a in _NAME_SEPARATORS and b in _NAME_SEPARATORS for a, b in zip(value, value[1:], strict=False))
    if not letters_ok or doubled or not _is_latin_letter(value[0]) or not _is_latin_letter(value[-1]):
        raise FieldError(
            "Full name may contain only Latin letters (accents allowed), with words joined by a "
            "single space, apostrophe or hyphen, and must start and end with a letter."
        )
    return value


def gender(value) -> str:
    """`m` or `f`."""
    value = text(value)
    if value not in GENDERS:
        choices = " or ".join(f'"{choice}"' for choice in GENDERS)
        raise FieldError(f'"{value}" is not a valid choice. Use {choices}.')
    return value


def parse_date(value) -> date:
    """Exactly YYYY-MM-DD, zero-padded, and a real calendar date."""
    if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
        raise FieldError(DATE_FORMAT)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(DATE_FORMAT) from None


def id_number(value) -> int | None:
    """A record id sent as a JSON integer or a string of ASCII digits; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return None


def is_id(value) -> TypeGuard[int]:
    """Whether `value` can be the id of a stored record (anything else matches nothing)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age(birthdate: date, today: date) -> int:
    """Full years lived on `today`."""
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


def birthdate(value, *, today: date) -> date:
    """A date not after today and not more than 120 years before it."""
    day = parse_date(value)
    if day > today:
        raise FieldError("Birthdate cannot be in the future.")
    if day < years_before(today, MAX_AGE_YEARS):
        raise FieldError(f"Birthdate cannot be more than {MAX_AGE_YEARS} years ago.")
    return day


def phone(value) -> str:
    """1–15 ASCII digits; a non-negative JSON integer is taken as its digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    value = text(value)
    if not _PHONE.fullmatch(value):
        raise FieldError(f"Phone number must be 1 to {PHONE_MAX_DIGITS} digits (0-9), with no spaces or symbols.")
    return value


def place_id(value) -> str:
    """A Google Place ID: 1–512 characters of A-Z a-z 0-9 _ -."""
    value = text(value)
    if not _PLACE_ID.fullmatch(value):
        raise FieldError("Address must be " + HINTS["address"][0].lower() + HINTS["address"][1:])
    return value


def address_label(value) -> str:
    """The address as people read it: at most 255 characters of any script, no control characters."""
    value = unicodedata.normalize("NFC", text(value, allow_blank=True))
    if len(value) > MAX_ADDRESS_LABEL:
        raise FieldError(f"Address label must be at most {MAX_ADDRESS_LABEL} characters long.")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise FieldError("Address label may not contain control characters such as line breaks or tabs.")
    return value


def assessment_type(value) -> str:
    """1–64 characters: words of ASCII letters and digits joined by one space or hyphen."""
    value = text(value)
    if len(value) > TYPE_MAX_LENGTH or not _TYPE.fullmatch(value):
        raise FieldError("Type must be " + HINTS["type"][0].lower() + HINTS["type"][1:])
    return value


def assessment_date(value, *, today: date) -> date:
    """A date not after today (the patient's birthdate is checked by the caller)."""
    day = parse_date(value)
    if day > today:
        raise FieldError("Assessment date cannot be in the future.")
    return day


def score(value) -> int:
    """An integer 0–100; also a string of ASCII digits or a JSON number with no fraction."""
    invalid = FieldError("Score must be a whole number.")
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, float):
        if not value.is_integer():
            raise invalid
        value = int(value)
    elif isinstance(value, str):
        value = value.strip()
        if not _DIGITS.fullmatch(value):
            raise invalid
        value = int(value)
    elif not isinstance(value, int):
        raise invalid
    if not SCORE_RANGE[0] <= value <= SCORE_RANGE[1]:
        raise FieldError(f"Score must be between {SCORE_RANGE[0]} and {SCORE_RANGE[1]}.")
    return value


def _round(item) -> tuple[tuple[str, str] | None, dict]:
    if not isinstance(item, Mapping):
        return None, {"non_field_errors": ["Each round must be an object with a question and an answer."]}
    cleaned, errors = collect(
        item,
        {
            "question": lambda v: text(v, max_length=MAX_ROUND_TEXT),
            "answer": lambda v: text(v, max_length=MAX_ROUND_TEXT),
        },
        partial=False,
    )
    return (None if errors else (cleaned["question"], cleaned["answer"])), errors


def qna_rounds(value) -> list[tuple[str, str]]:
    """A non-empty list of {question, answer}; at most 200; questions unique (case-sensitive).

    Per-item errors are reported first, aligned with the input; the whole-list checks run only
    when every item is valid.
    """
    if not isinstance(value, list):
        raise FieldError("Expected a list of question and answer rounds.")
    if not value:
        raise FieldError("At least one question and answer round is required.")
    results = [_round(item) for item in value]
    if any(errors for _, errors in results):
        raise FieldError(*[errors for _, errors in results])
    rounds = [cleaned for cleaned, _ in results if cleaned is not None]
    if len(rounds) > MAX_ROUNDS:
        raise FieldError(f"An assessment can have at most {MAX_ROUNDS} rounds.")
    questions = [question for question, _ in rounds]
    duplicates = sorted({q for q in questions if questions.count(q) > 1})
    if duplicates:
        raise FieldError("Each question may appear only once: " + "; ".join(f'"{q}"' for q in duplicates) + ".")
    return rounds


def username(value) -> str:
    """1–150 characters of letters, digits and @ . + - _."""
    value = text(value)
    if not _USERNAME.fullmatch(value):
        raise FieldError("Username must be " + HINTS["username"][0].lower() + HINTS["username"][1:])
    return value


def email(value) -> str:
    """An e-mail address in its normalised form (the domain lower-cased), or blank. The syntax is
    email-validator's (RFC 5321/5322, internationalised addresses included); no DNS look-up."""
    value = text(value, max_length=EMAIL_MAX_LENGTH, allow_blank=True)
    if not value:
        return value
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldError("Enter a valid email address.") from None


def person_name(value) -> str:
    """A first or last name: up to 150 characters, may be blank."""
    return text(value, max_length=PERSON_NAME_MAX_LENGTH, allow_blank=True)


def password(value) -> str:
    """A new password, taken exactly as typed: 8+ characters, not all digits, not a common one."""
    if not isinstance(value, str):
        raise FieldError(NOT_TEXT)
    if value == "":
        raise FieldError(BLANK)
    if "\x00" in value:
        raise FieldError(NUL_CHAR)
    problems = []
    if len(value) < PASSWORD_MIN_LENGTH:
        problems.append(f"This password is too short. It must contain at least {PASSWORD_MIN_LENGTH} characters.")
    if value.isdigit():
        problems.append("This password is entirely numeric.")
    if value.lower() in COMMON_PASSWORDS:
        problems.append("This password is too common.")
    if problems:
        raise FieldError(*problems)
    return value
