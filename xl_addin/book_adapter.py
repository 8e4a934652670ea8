"""The xlwings adapter: the open VP workbook in Excel seen through the refresh's adapter interface.

Same interface as the file adapter (`workbook.xlsx.XlsxBook`): `sheet_names`, `read_table`,
`write_table`, `append_row`. It works on an `xw.Book` — live Excel through COM, or
xlwings' remote engine (a JSON payload, used by the tests) — and keeps the number of round trips
small: each sheet's used range is read once (values, as Excel gives them), each output block is
written with one range assignment, fills are set per run of rows with the same colour.

It writes only the output sheets (`layout.OUTPUT_SHEETS`); anything else is refused, as in the file
adapter. Integral numbers are read as ints (Excel stores every number as a double; the file adapter
gives 1, not 1.0, so "KF-mål 1" is the same key in both). Error cells are read as their error text
(#VALUE!, #N/A, ...), so a broken input cell shows up as a finding naming the cell instead of as an
empty cell. Text written to a sheet that Excel would take for a formula (starting with = + - @) gets
Excel's text prefix, the apostrophe.
"""

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from rules.errors import VPError
from workbook import layout as L
from workbook.tables import cell_value, find_table, parse_reference

FORMULA_STARTS = ("=", "+", "-", "@")
DATE_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass
class _Grid:
    """A sheet's used range as read once: `values[i][j]` is the cell at (top + i, left + j)."""

    top: int
    left: int
    values: list

    @property
    def bottom(self):
        return self.top + len(self.values) - 1

    @property
    def right(self):
        return self.left + max((len(row) for row in self.values), default=1) - 1

    def get(self, row, column):
        i, j = row - self.top, column - self.left
        if 0 <= i < len(self.values) and 0 <= j < len(self.values[i]):
            return self.values[i][j]
        return None

    def row(self, row):
        """The cells of a sheet row as {column number: value} (only the used range)."""
        i = row - self.top
        if not 0 <= i < len(self.values):
            return {}
        return {self.left + j: value for j, value in enumerate(self.values[i])}

    def last_used_row(self, below, width=None):
        """The last sheet row after `below` holding a value in columns 1..width (all columns if None),
        or `below` if there is none."""
        for i in range(len(self.values) - 1, -1, -1):
            row = self.top + i
            if row <= below:
                break
            if any(value not in (None, "") for column, value in enumerate(self.values[i], start=self.left)
                   if width is None or column <= width):
                return row
        return below

    def put(self, row, column, rows):
        """Record what was written so later reads of the same sheet see it."""
        if not rows:
            return
        bottom = max(self.bottom, row + len(rows) - 1)
        right = max(self.right, column + max(len(r) for r in rows) - 1)
        top, left = min(self.top, row), min(self.left, column)
        grid = [[self.get(r, c) for c in range(left, right + 1)] for r in range(top, bottom + 1)]
        for i, values in enumerate(rows):
            for j, value in enumerate(values):
                grid[row + i - top][column + j - left] = value
        self.top, self.left, self.values = top, left, grid

    def clear(self, first_row, last_row, width):
        """Forget the values of columns 1..width in the rows first_row..last_row."""
        for row in range(first_row, last_row + 1):
            i = row - self.top
            if 0 <= i < len(self.values):
                self.values[i] = [None if self.left + j <= width else value for j, value in enumerate(self.values[i])]


def _read_value(value):
    """A cell as Excel gives it, with integral doubles as ints (1.0 -> 1), like the file adapter."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _write_value(value):
    """A value for Excel: pandas' empties as None, numpy scalars as Python, formula-like text kept text."""
    value = cell_value(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        value = str(value)  # plain text (a message may be a str subclass carrying its cell)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def hex_colour(colour):
    """The rulebook's fill ("C6EFCE") as the "#C6EFCE" xlwings takes."""
    if not colour:
        return None
    colour = str(colour).strip()
    return colour if colour.startswith("#") else f"#{colour}"


class XlwingsBook:
    """An `xw.Book` seen through the refresh's adapter interface."""

    def __init__(self, book):
        self.book = book
        self._grids = {}
        self._names = None
        self._status_bar = None  # None: not tried yet; False: this engine has none

    # --- reading --------------------------------------------------------------------------------
    def sheet_names(self):
        if self._names is None:
            self._names = [sheet.name for sheet in self.book.sheets]
        return list(self._names)

    def _sheet(self, name):
        return self.book.sheets[name]

    def _grid(self, name):
        """The sheet's used range, read once (one round trip per sheet)."""
        grid = self._grids.get(name)
        if grid is None:
            used = self._sheet(name).used_range
            values = used.options(ndim=2, err_to_str=True).value or [[None]]
            grid = _Grid(used.row, used.column, [[_read_value(v) for v in row] for row in values])
            self._grids[name] = grid
        return grid

    def defined_range(self, name):
        """(sheet, first row, last row) of a defined name as Excel holds it, or None."""
        try:
            return parse_reference(self.book.names[name].refers_to)
        except Exception:  # no such name, or an engine without names
            return None

    def read_table(self, sheet, required, optional=()):
        """The table under the first header row holding every required header (empty rows dropped)."""
        grid = self._grid(sheet)
        return find_table(sheet, [(row, grid.row(row)) for row in range(1, grid.bottom + 1)], required, optional)

    def read_rows(self, sheet, last_row):
        """The sheet's first `last_row` rows as (row number, {column number: value}): for a labelled
        cell above or beside a table (the follow-up period, the inputs on Fördelning)."""
        grid = self._grid(sheet)
        return [(row, {c: x for c, x in grid.row(row).items() if x not in (None, "")})
                for row in range(1, min(last_row, grid.bottom) + 1)]

    def write_cell(self, sheet, headers, row, column, value):
        """One value into an output sheet (the follow-up period)."""
        ws, grid = self._output_sheet(sheet, headers)
        value = _write_value(value)
        ws.range((row, column)).value = value
        grid.put(row, column, [[value]])

    def write_table(self, sheet, headers, rows, fills=None, fill_colours=None):
        """Replace an output sheet's table below its header row: clear, one block of values, fills.
        Only the table's own columns are cleared and written: a note typed beside the table stays."""
        ws, grid = self._output_sheet(sheet, headers)
        header_row = self._header_row(ws, grid, headers)
        rows = [[_write_value(value) for value in row] for row in rows]
        width = max([len(headers), *(len(row) for row in rows)])
        last = grid.bottom
        if last > header_row:
            old = ws.range((header_row + 1, 1), (last, width))
            old.clear_contents()
            old.color = None
            grid.clear(header_row + 1, last, width)
        if not rows:
            return
        rows = [row + [None] * (width - len(row)) for row in rows]
        first = header_row + 1
        ws.range((first, 1), (first + len(rows) - 1, width)).value = rows
        grid.put(first, 1, rows)
        for start, stop, colour in _runs(fills or [], fill_colours or {}):
            ws.range((first + start, 1), (first + stop - 1, width)).color = colour

    def append_row(self, sheet, headers, values):
        """Write one row below the last used row of an output sheet (the log)."""
        ws, grid = self._output_sheet(sheet, headers)
        header_row = self._header_row(ws, grid, headers)
        values = [_write_value(value) for value in values]
        row = grid.last_used_row(header_row, max(len(headers), len(values))) + 1
        ws.range((row, 1), (row, len(values))).value = [values]
        grid.put(row, 1, [values])
        for column, value in enumerate(values, start=1):
            if isinstance(value, (dt.date, dt.datetime)):
                ws.range((row, column)).number_format = DATE_FORMAT

    def _output_sheet(self, sheet, headers):
        if sheet not in L.OUTPUT_SHEETS:
            raise VPError(f"Bladet {sheet} är inget utdatablad; uppdateringen skriver bara {L.OUTPUT_SHEETS}.")
        if sheet not in self.sheet_names():
            sheets = self.book.sheets
            sheets.add(name=sheet, after=sheets[len(sheets) - 1])
            self._names = None
            self._grids[sheet] = _Grid(1, 1, [[None]])
        return self._sheet(sheet), self._grid(sheet)

    def _header_row(self, ws, grid, headers):
        """The output table's header row (column A holds the first header); written at row 4 if missing."""
        for row in range(1, min(L.HEADER_SEARCH_ROWS, grid.bottom) + 1):
            if str(grid.get(row, 1)).strip() == headers[0]:
                return row
        row = L.HEADER_ROW
        header = ws.range((row, 1), (row, len(headers)))
        header.value = [list(headers)]
        grid.put(row, 1, [list(headers)])
        try:
            header.font.bold = True
            header.column_width = 16
        except Exception:  # formatting is a nicety; an engine without it still gets the table
            pass
        return row

    # --- progress in Excel's status bar -----------------------------------------------------------
    def progress(self, message):
        """Show a step in Excel's status bar; an engine without one (xlwings' remote engine) is skipped."""
        if self._status_bar is False:
            return
        try:
            self.book.app.status_bar = f"VP: {message}"
            self._status_bar = True
        except Exception:
            self._status_bar = False

    def reset_progress(self):
        """Give the status bar back to Excel."""
        if self._status_bar:
            try:
                self.book.app.status_bar = False
            except Exception:
                pass


def _runs(fills, fill_colours):
    """(start, stop, "#RRGGBB") per run of consecutive rows with the same fill colour."""
    runs, start, current = [], 0, None
    colours = [hex_colour(fill_colours.get(label)) if label else None for label in fills]
    for index, colour in enumerate(colours + [None]):
        if colour != current:
            if current is not None:
                runs.append((start, index, current))
            start, current = index, colour
    return runs
