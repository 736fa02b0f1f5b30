"""The type annotations the code carries are checked: mypy over `healthpal/` (settings in pyproject.toml)
finds no error, so a call with a wrong argument type fails the suite."""
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_type_error_in_the_package():
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "healthpal")])
    assert status == 0, report + errors
