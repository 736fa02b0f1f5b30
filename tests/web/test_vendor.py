"""The vendored front-end files are exactly the released ones the README names."""
import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_vendored_files_match_the_readme_checksums():
    readme = (STATIC / "vendor" / "README.md").read_text()
    listed = re.findall(r"^\| `([^`]+)` \| `([^`]+)`.*\| `([0-9a-f]{64})` \|$", readme, re.M)
    assert {package for _, package, _ in listed} == {"htmx.org@2.0.11", "@picocss/pico@2.1.1"}
    for path, _, digest in listed:
        assert hashlib.sha256((STATIC / "vendor" / path).read_bytes()).hexdigest() == digest, path


def test_base_layout_uses_the_vendored_versions():
    base = (STATIC.parent / "templates" / "base.html").read_text()
    assert "vendor/htmx-2.0.11/htmx.min.js" in base and "vendor/pico-2.1.1/pico.min.css" in base
