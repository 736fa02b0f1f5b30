"""JSON responses are the bytes Flask's own provider writes, whatever they hold (orjson writes them
where it writes the same; the standard library where it would not)."""
import dataclasses
import decimal
import uuid
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from healthpal.json_provider import JSONProvider, spelled_otherwise


@dataclasses.dataclass
class Point:
    x: int
    label: str


class Text(str):
    pass


VALUES = {
    "a list page": {"count": 2, "next": "https://x/api/patients/?page=2", "previous": None, "results": [
        {"id": 1, "full_name": "Łukasz Müller", "age": 46, "qna_rounds": [{"question": "How?", "answer": "Fine"}],
         "ok": True, "none": None, "created_at": "2026-12-03T09:00:00.123456Z"}]},
    "every control character and more": "".join(map(chr, range(0x100))) + "\u2028\u2029\ufeff😀 \\ \" / </script>",
    "floats": [0.0, -0.0, 0.1, 12.5, 1e15, 1e16, 1e17, 1.5e-4, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308],
    "a string that looks like an exponent": {"type": "Test 2e5", "n": "0.00001"},
    "integers beyond 64 bits": [2**63 - 1, -(2**63), 2**64, -(2**70)],
    "non-string keys": {7: "seven", 2.5: "two and a half", None: "none", True: "yes"},
    "dates and times": {"day": date(2024, 1, 15), "moment": datetime(2024, 1, 15, 9, 30, tzinfo=UTC)},
    "types only Flask knows": [Markup("<b>x</b>"), uuid.UUID(int=7), decimal.Decimal("1.10"), Point(1, "é")],
    "subclasses": [Text("é"), True, {"nested": [Text("x")]}],
    "a top-level list": [1, "two", [3]],
    "an empty object": {},
    "deep nesting": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"deep": 1}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
}


def body(provider_class, value, debug=False) -> bytes:
    app = Flask(__name__)
    app.debug = debug
    app.json = provider_class(app)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    with app.app_context():
        return app.json.response(value).get_data()


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_response_body_is_byte_for_byte_flasks(value, debug):
    assert body(JSONProvider, value, debug) == body(DefaultJSONProvider, value, debug)


def test_what_cannot_be_json_is_refused_as_before():
    for provider in (JSONProvider, DefaultJSONProvider):
        with pytest.raises(TypeError):
            body(provider, {"set": {1, 2}})


def test_the_app_answers_with_it(app, client):
    assert isinstance(app.json, JSONProvider)
    assert client.get("/healthz").get_data() == b'{"status":"ok"}\n'


@pytest.mark.parametrize("text, otherwise", [
    (b'{"a":1e+16}', True), (b'[1.5e-05]', True), (b'{"n":0.00001}', True), (b'{"type":"Test 2e5"}', True),
    (b'{"address":"ChIJc96e8LFFGz0RwEO6xM3aF7c"}', False), (b'{"id":12,"date":"2024-01-05"}', False),
    (b'{"address":"ChIJcc05bfc82b3726db0953e4e"}', False), (b'{"type":"e4e5"}', False), (b'[-2e-05]', True),
])
def test_only_what_may_be_a_number_in_exponent_form_is_written_by_the_standard_library(text, otherwise):
    assert spelled_otherwise(text) is otherwise
