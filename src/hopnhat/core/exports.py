"""Every spreadsheet the platform hands out (CSV or .xlsx) writes its cells through here, so a value someone typed
cannot become a live formula in the reader's Excel or LibreOffice (CSV / formula injection).

The rule is OWASP's: a text value that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (or their
full-width forms, which Excel also evaluates) is neutralised; numbers stay numbers, a negative one included.

- CSV has no types, so a dangerous text gets a leading apostrophe (`'=HYPERLINK(…)`), which spreadsheet programs
  show as text. A text that is only a number (`-12`, `+84 912`, is not: it has a space) is left as it is.
  `restore_cell` takes the apostrophe off again where we read our own exports back (crosswalk CSV import).
- In .xlsx a cell carries its type: a dangerous text is written as a *string* cell with Excel's quote prefix set
  (the cell shows `=…` as text, and stays text when someone edits it), so it reads back unchanged.

Use `csv_writer` / `csv_dict_writer` for CSV and `append_row` / `set_cell` for openpyxl sheets; never write a
user's value with `sheet.append`, `sheet.cell(value=…)` or a bare `csv.writer`.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any

# OWASP "CSV Injection": = + - @ tab CR; the full-width ＝ ＋ － ＠ are evaluated by Excel as well.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def is_dangerous(value: Any) -> bool:
    """A text a spreadsheet program would read as a formula (a plain signed number is not)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value)


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell may carry it: a dangerous text prefixed with an apostrophe, anything else unchanged."""
    if is_dangerous(value):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The inverse of `safe_cell`, for reading back a file we exported."""
    if isinstance(value, str) and value.startswith("'") and is_dangerous(value[1:]):
        return value[1:]
    return value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer: csv.DictWriter):
        self._writer = writer

    def writeheader(self):
        return self._writer.writeheader()

    def writerow(self, row: dict[str, Any]):
        return self._writer.writerow({k: safe_cell(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> _SafeWriter:
    """`csv.writer` whose every cell goes through `safe_cell`."""
    return _SafeWriter(csv.writer(out, **kwargs))


def csv_dict_writer(out, fieldnames, **kwargs) -> _SafeDictWriter:
    """`csv.DictWriter` whose every cell goes through `safe_cell`."""
    return _SafeDictWriter(csv.DictWriter(out, fieldnames=fieldnames, **kwargs))


def set_cell(sheet, row: int, column: int, value: Any):
    """Write one openpyxl cell: a text is always a text cell, never a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        # openpyxl's value setter turns a text starting with "=" into a formula: set the text, then the type.
        cell.value = value
        cell.data_type = "s"
        if is_dangerous(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def append_row(sheet, values: Iterable[Any]) -> None:
    """`sheet.append(values)` through `set_cell`."""
    row = sheet._current_row + 1  # where openpyxl's own append() writes next
    for column, value in enumerate(values, start=1):
        set_cell(sheet, row, column, value)
    sheet._current_row = row  # an empty row still takes its line, as with append()
