"""The paginated envelope: `{"count", "next", "previous", "results"}` with absolute links."""
from urllib.parse import urlencode

from flask import request

from healthpal.domain.paging import Page


def _link(number: int) -> str:
    """This list's absolute URL at page `number`, every other query parameter kept, always in the
    path's trailing-slash form (so `/api/patients` and `/api/patients/` answer the same body)."""
    args = request.args.copy()
    if number == 1:
        args.pop("page", None)
    else:
        args["page"] = str(number)
    query = urlencode(list(args.items(multi=True)))
    base = request.base_url if request.base_url.endswith("/") else request.base_url + "/"
    return base + ("?" + query if query else "")


def envelope(page: Page, results: list) -> dict:
    """The page's envelope around `results`, its items as the serializers give them."""
    return {
        "count": page.total,
        "next": _link(page.number + 1) if page.has_next else None,
        "previous": _link(page.number - 1) if page.has_previous else None,
        "results": results,
    }
