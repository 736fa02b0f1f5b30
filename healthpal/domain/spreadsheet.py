"""Spreadsheet-safe text: every CSV the app writes passes its cells through here.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula (and a leading tab or
carriage return can smuggle one in), so such a cell is written with a leading `'`, which
spreadsheets show as text. Names, usernames and free-text answers are typed by users, so any of
them could otherwise carry a `=HYPERLINK(…)` into the clinic's spreadsheet.
"""
import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value: object) -> str:
    """`value` as text that no spreadsheet will run as a formula (`None` is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A CSV document, one line at a time (for streaming): a byte-order mark so that spreadsheets
    read it as UTF-8, the header, then each row, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[object]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield BYTE_ORDER_MARK + line(header)
    for row in rows:
        yield line(row)
