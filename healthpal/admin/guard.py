"""What the admin refuses before any of its views runs, with a 400 that says why: a return address
(`url=`) off this site, a NUL in the query string (in a search, a filter or a lookup: PostgreSQL
refuses one in a query), a page, offset or limit no list can have, and bulk-action row ids that
cannot exist. Flask-Admin would otherwise follow the address, or answer 500."""
from flask import abort, request

from healthpal.domain import rules
from healthpal.security import safe_path

NUMBERS = ("page", "page_size", "offset", "limit")
# Far beyond any real list, and small enough that page × page size stays a valid SQL offset.
MAX_NUMBER = 10**9
OFF_SITE = "The return address is not a page of this site."
NUL = "Null characters are not allowed in a search or filter."
NO_SUCH_PAGE = "There is no such page: pages, offsets and limits are whole numbers from 0 to 1000000000."
BAD_ROW = "The selected records are not valid record ids."


def _whole_number_in_range(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) <= MAX_NUMBER


def refuse_bad_input(view_name: str) -> None:
    """Abort with 400 if this request to an admin view carries input that must not reach it."""
    target = request.values.get("url")
    if target and safe_path(target) is None:
        abort(400, OFF_SITE)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, NUL)
    for name in NUMBERS:
        value = request.args.get(name)
        if value is not None and not _whole_number_in_range(value.strip()):
            abort(400, NO_SUCH_PAGE)
    if view_name == "action_view" and not all(
        rules.is_id(rules.id_number(raw)) for raw in request.form.getlist("rowid")
    ):
        abort(400, BAD_ROW)
