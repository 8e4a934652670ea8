"""Tables found by their header row, and the records the rules read, built from them.

Every adapter (the .xlsx file, live Excel through xlwings, the server's payload, a range passed to a
VP function) gives a sheet as rows of (row number, {column number: value}); `find_table` finds the
table in them by its header names and `*_records` turns its rows into `rules.records`, each field
remembering its cell. One reader for every path, so they read a workbook the same way.
"""

import math
import re
from dataclasses import dataclass

import pandas as pd

from rules.errors import VPError
from rules.records import AnalysisRow, ApprovalRow, BudgetRow, FrameRow, IndicatorRow, KFRow, Place
from rules.values import Unreadable

from . import layout as L


class NotAVPWorkbook(VPError):
    """The file lacks a sheet or a column the VP workbook must have."""


class UnsavedFormula(Unreadable):
    """An input cell holding a formula whose result was never saved (the file was last written by a
    program other than Excel): the text is the formula, `where` the cell. Reading it is an error."""

    def __new__(cls, formula, where):
        text = super().__new__(cls, formula, "innehåller en formel men inget sparat värde",
                               "Öppna och spara filen i Excel, eller skriv in värdet.")
        text.where = where
        return text


def cell_value(x):
    """pandas' empty (NaN/NA/NaT) is an empty cell; numpy scalars are Python values."""
    if x is None:
        return None
    if x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        return x.item()
    return x


def column_letter(number):
    """1 -> A, 27 -> AA (Excel's column names)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """A table read from a sheet: values as typed (a DataFrame whose columns are the headers), the
    sheet row of each frame row and the column letter of each header."""

    sheet: str
    frame: pd.DataFrame
    rows: list
    columns: dict
    header_row: int = 0

    def place(self, position, header):
        return Place(self.sheet, f"{self.columns[header]}{self.rows[position]}")


def find_table(sheet, rows, required, optional=(), resolve=None, label=None):
    """The table under the first header row (within the sheet's first rows) holding every required
    header; rows whose required cells are all empty are dropped.

    `rows` is the sheet as (row number, {column number: value}) in order. `resolve(row, column,
    value)` may replace a value (the file adapter: a formula's saved result). `label` names the
    table in messages (default: the sheet).
    """
    header, columns, best = None, {}, set()
    for number, cells in rows:
        if number > L.HEADER_SEARCH_ROWS:
            break
        names = {}
        for column, value in sorted(cells.items()):
            if isinstance(value, str) and len(value) <= 200:
                names.setdefault(value.strip(), column)
        if all(name in names for name in required):
            header, columns = number, names
            break
        if len(names.keys() & set(required)) > len(best):
            best = names.keys() & set(required)
    if header is None:
        missing = [name for name in required if name not in best] or list(required)
        raise NotAVPWorkbook(f"{label or 'Bladet ' + sheet} saknar kolumnen {', '.join(missing)} (rubrikraden ska "
                             f"ligga bland de {L.HEADER_SEARCH_ROWS} första raderna).")
    wanted = list(required) + [name for name in optional if name in columns]
    records, numbers = [], []
    for number, cells in rows:
        if number <= header:
            continue
        values = {name: cells.get(columns[name]) for name in wanted}
        if resolve:
            values = {name: resolve(number, columns[name], value) for name, value in values.items()}
        if all(_blank(values[name]) for name in required):
            continue
        records.append(values)
        numbers.append(number)
    frame = pd.DataFrame(records, columns=wanted, dtype=object)
    return Table(sheet, frame, numbers, {name: column_letter(columns[name]) for name in wanted}, header)


_REFERENCE = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


def parse_reference(text):
    """A reference such as Indikatorer!$A$4:$O$128 or ='KF-mål'!A1 as (sheet, first row, last row),
    or None if it is not a plain range on one sheet."""
    match = _REFERENCE.match(str(text or "").strip())
    if not match:
        return None
    sheet = match.group(1).replace("''", "'") if match.group(1) else match.group(2)
    first = int(match.group(4))
    return sheet, first, int(match.group(6) or first)


def grid_rows(grid, top=1, left=1):
    """A 2-D list of values (a range, a used range) as the (row number, {column: value}) rows."""
    for i, line in enumerate(grid or []):
        yield top + i, {left + j: value for j, value in enumerate(line if isinstance(line, (list, tuple)) else [line])}


def records(table, fields, make):
    """One record per table row: `fields` maps a header to a record field; each field's cell is kept
    in the record's places. Values stay as typed (an unsaved formula raises when read)."""
    present = {header: name for header, name in fields.items() if header in table.columns}
    columns = list(present)
    out = []
    for position, values in enumerate(zip(*(table.frame[c] for c in columns))):
        kwargs, places = {}, {}
        for header, value in zip(columns, values):
            name = present[header]
            kwargs[name] = cell_value(value)
            places[name] = table.place(position, header)
        out.append(make(kwargs, places))
    return out


def frame_records(table):
    required, optional = L.FRAME_COLUMNS
    return records(table, {**required, **optional}, lambda kw, places: FrameRow(**kw, places=places))


def indicator_records(table, year):
    required, optional = L.indicator_columns(year)
    return records(table, {**required, **optional},
                   lambda kw, places: IndicatorRow(**kw, places=places))


def kf_records(table):
    required, optional = L.KF_COLUMNS
    return records(table, {**required, **optional},
                   lambda kw, places: KFRow(**kw, places=places))


def budget_records(table):
    required, optional = L.BUDGET_COLUMNS
    amounts = set(L.BUDGET_AMOUNTS)

    def make(kw, places):
        row = {k: x for k, x in kw.items() if k not in amounts}
        return BudgetRow(**row, amounts={k: x for k, x in kw.items() if k in amounts}, places=places)

    return records(table, {**required, **optional}, make)


def analysis_records(table):
    required, optional = L.ANALYSIS_COLUMNS
    return records(table, {**required, **optional}, lambda kw, places: AnalysisRow(**kw, places=places))


def approval_records(table):
    fields = {L.PERIOD: "period", L.APPROVAL_EVENT: "event", L.APPROVAL_BY: "by", L.APPROVAL_TIME: "time",
              L.APPROVAL_DECISION: "decision", L.APPROVAL_REASON: "reason", L.APPROVAL_RULEBOOK: "rulebook",
              L.APPROVAL_CHECKSUM: "checksum", L.APPROVAL_ROWS: "rows"}
    return records(table, fields, lambda kw, places: ApprovalRow(**kw, places=places))


def read_indicator_table(sheet, rows, year, label=None):
    """The indicator table of a sheet (or a range passed to a VP function) as records."""
    required, optional = L.indicator_columns(year)
    table = find_table(sheet, rows, list(required), list(optional), label=label)
    return table, indicator_records(table, year)
