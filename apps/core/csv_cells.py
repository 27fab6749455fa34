"""Cells of CSV files people open in a spreadsheet: text a user typed (a note, a name, a
partner's label) must never run as a formula (CSV formula injection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Spreadsheets treat a cell starting with one of these as a formula (or strip the tab or
# carriage return and then do).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """`value`, with text that a spreadsheet would run as a formula prefixed by a quote.
    Numbers stay numbers (a negative number is data, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for `csv.writer.writerow` with every text cell made safe."""
    return [csv_cell(v) for v in values]
