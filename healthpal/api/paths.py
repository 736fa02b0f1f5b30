"""Which requests are the API's, and the ids in its paths."""
from werkzeug.routing import BaseConverter

PREFIX = "/api"


def is_api(path: str) -> bool:
    """`/api` itself or anything under `/api/` (and nothing else, e.g. not `/apis`)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


class PositiveId(BaseConverter):
    """`<id:name>`: `1`, `42`… but not `0`, `-1`, `007`, `abc` or more than 18 digits (→ 404).

    The bound lives in the pattern, not in `to_python`: werkzeug answers 405 instead of 404 when a
    converter refuses a value on a path whose other methods are served by other rules.
    """

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)
