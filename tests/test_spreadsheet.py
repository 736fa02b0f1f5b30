"""Cells written to any CSV cannot run as spreadsheet formulas."""
import csv

import pytest

from healthpal.domain.spreadsheet import csv_lines, safe_cell


@pytest.mark.parametrize("raw", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_starts_like_a_formula_is_written_as_text(raw):
    assert safe_cell(raw) == "'" + raw


@pytest.mark.parametrize(("raw", "written"), [("Müller", "Müller"), ("a=b", "a=b"), (42, "42"), (None, ""), ("", "")])
def test_other_cells_are_written_as_they_are(raw, written):
    assert safe_cell(raw) == written


def test_a_document_starts_with_a_byte_order_mark_and_quotes_what_csv_needs():
    text = "".join(csv_lines(["name", "note"], [["Łukasz", "says \"hi\", twice"], ["=1+1", "a\nb"]]))
    assert text.startswith("\ufeffname,note\r\n")
    assert list(csv.reader(text[1:].splitlines(keepends=True))) == [
        ["name", "note"], ["Łukasz", "says \"hi\", twice"], ["'=1+1", "a\nb"]]
