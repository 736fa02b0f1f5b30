"""Reading a request: its JSON body and its paging parameters."""
import json

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from healthpal.domain import paging
from healthpal.domain.exceptions import Invalid

_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_object() -> dict:
    """The request's JSON object; an empty body reads as `{}`.

    415 for a body of another media type (form posts included), 400 `{"detail": "JSON parse
    error - ..."}` for malformed JSON, 400 `{"non_field_errors": [...]}` for JSON that is not an object.
    """
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if not request.is_json:
        raise UnsupportedMediaType(f'Unsupported media type "{request.mimetype}" in request.')
    try:
        data = json.loads(raw, parse_constant=_no_constant)
        json.dumps(data, ensure_ascii=False).encode()  # a lone surrogate (\ud800) is no text
    except (ValueError, UnicodeError, RecursionError) as error:
        raise BadRequest(f"JSON parse error - {error}") from None
    if not isinstance(data, dict):
        kind = "null" if data is None else _KINDS.get(type(data), "another value")
        raise Invalid({"non_field_errors": [f"Invalid data. Expected an object, but got {kind}."]})
    return data


def page_params() -> dict:
    """`page` and `page_size` from the query string, as the domain's paginate takes them."""
    return {
        "page": paging.number(request.args.get("page")),
        "page_size": paging.size(request.args.get("page_size")),
    }
