"""Static files are linked with a hash of their content (`/static/css/app.css?v=1a2b3c4d5e`), so
browsers may keep them for a year (nginx says so) and a deploy that changes a file changes its
address."""
import hashlib
import os
import stat
from collections.abc import Callable
from functools import lru_cache

from flask import Flask, current_app, request, url_for

_URLS = "healthpal.static_urls"
_REMEMBERED = 1000  # addresses per app before the oldest are forgotten (each edit of a file adds one)


@lru_cache(maxsize=256)
def _digest(path: str, _modified_ns: int, _size: int) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:10]


def _signature(filename: str) -> tuple[str, int, int] | None:
    """The static file's path, time and size (one `stat`), or None when it is not a file there."""
    folder = current_app.static_folder
    if folder is None:
        return None
    path = os.path.join(folder, filename)
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # no such file (ValueError: a NUL in the name)
        return None
    return (path, found.st_mtime_ns, found.st_size) if stat.S_ISREG(found.st_mode) else None


def add_version(endpoint: str, values: dict) -> None:
    """`url_for("static", filename=...)` gains `v=<hash>` when the file exists (computed again only
    when the file's time or size changed)."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return  # every other URL, first: a page builds dozens
    signature = _signature(values["filename"])
    if signature is not None:
        values["v"] = _digest(*signature)


def _remembered(key: tuple, build: Callable[[], str]) -> str:
    """The address remembered for `key` in this app, built (and remembered) the first time."""
    urls = current_app.extensions[_URLS]
    url = urls.get(key)
    if url is None:
        if len(urls) >= _REMEMBERED:
            urls.clear()
        url = urls[key] = build()
    return url


def static_url(filename: str) -> str:
    """`url_for("static", filename=filename)` (with its hash), remembered while the file stays as it
    was: a page links the same few files on every view, and building each address costs several
    times the one `stat` that tells whether the file changed."""
    return _remembered(("static", request.script_root, filename, _signature(filename)),
                       lambda: url_for("static", filename=filename))


def fixed_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` for an address that depends on its arguments alone (a file
    Flask-Admin serves: an admin page links twenty), remembered."""
    return _remembered(("fixed", request.script_root, endpoint, *sorted(values.items())),
                       lambda: url_for(endpoint, **values))


def init_app(app: Flask) -> None:
    app.extensions[_URLS] = {}
    app.url_defaults(add_version)
    app.jinja_env.globals.update(static_url=static_url, fixed_url=fixed_url)
