"""Links to many records of one kind on one page (a list's rows): the address is built once, and each
row's id put in its place, which gives what `url_for` would at a fraction of its cost per row."""
from collections.abc import Callable
from typing import Any

from flask import url_for

# An id that no address holds otherwise: where the built address holds it, each row's id goes.
_MARKER = 918_273_645_546_372_819


def url_for_each(endpoint: str, key: str) -> Callable[[int], str]:
    """`lambda number: url_for(endpoint, **{key: number})` for an endpoint whose rule takes `key` as an
    `int`, building the address once."""
    values: dict[str, Any] = {key: _MARKER}
    before, after = url_for(endpoint, **values).split(str(_MARKER))
    return lambda number: f"{before}{number:d}{after}"
