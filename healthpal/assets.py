"""Static files are linked with a hash of their content (`/static/css/app.css?v=1a2b3c4d5e`), so
browsers may keep them for a year (nginx says so) and a deploy that changes a file changes its
address."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app


@lru_cache(maxsize=256)
def _digest(path: Path, _modified: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def add_version(endpoint: str, values: dict) -> None:
    """`url_for("static", filename=...)` gains `v=<hash>` when the file exists."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return  # every other URL, first: a page builds dozens
    folder = current_app.static_folder
    if folder is None:
        return
    path = Path(folder) / values["filename"]
    if path.is_file():
        values["v"] = _digest(path, path.stat().st_mtime)


def init_app(app: Flask) -> None:
    app.url_defaults(add_version)
