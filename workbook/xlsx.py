"""The file adapter: the VP workbook as an .xlsx file, through openpyxl.

Reads tables by their header names, writes only the output sheets, saves atomically after a
timestamped backup (the newest BACKUPS_KEPT are kept) with the file's permissions, and refuses a file
that Excel has open (its `~$` lock file), that is not an .xlsx file (openpyxl would drop an .xlsm's
macros) or that is not a VP workbook.

openpyxl does not calculate: a saved file keeps its formulas but loses the results Excel had saved
with them (Excel recalculates when the file is opened). An input cell holding a formula is read by
the result Excel saved; without one it is a finding naming the cell and the formula.
"""

import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from rules.errors import VPError

from . import layout as L
from .tables import UnsavedFormula, find_table

BACKUPS_KEPT = 5


class FileRefused(VPError):
    """The file cannot be used right now (open elsewhere, not an Excel workbook, not writable)."""


def lock_file(path):
    return path.with_name("~$" + path.name)


def check_not_open(path):
    """Excel keeps `~$name.xlsx` beside a workbook it has open; writing then would lose someone's work."""
    lock = lock_file(path)
    if lock.exists():
        raise FileRefused(f"{path.name} är öppen i Excel eller hos någon annan (låsfilen {lock.name} finns). "
                          "Stäng arbetsboken och försök igen.")
    if path.exists() and not os.access(path, os.W_OK):
        raise FileRefused(f"{path.name} är skrivskyddad och kan inte uppdateras.")


def check_xlsx(path):
    """Only an .xlsx file is saved: openpyxl would write an .xlsm with the wrong content type and
    without its macros."""
    if Path(path).suffix.lower() != ".xlsx":
        raise FileRefused(f"{Path(path).name}: vp refresh hanterar bara .xlsx; använd knappen Uppdatera i Excel "
                          "för .xlsm (sparad härifrån skulle filen förlora sina makron).")


class XlsxBook:
    """An openpyxl workbook seen through the refresh's adapter interface."""

    def __init__(self, path, read_only=False):
        """`read_only`: for a check, which never saves (then an .xlsm may be read too)."""
        self.path = Path(path)
        self.read_only = read_only
        if not self.path.exists():
            raise FileRefused(f"Filen {self.path} finns inte.")
        try:
            self.wb = openpyxl.load_workbook(self.path, read_only=False, data_only=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise FileRefused(f"{self.path.name} är inte en Excel-arbetsbok (.xlsx) som går att läsa: {exc}") from None
        self._values = None  # the same workbook with Excel's cached results, loaded only if needed

    def sheet_names(self):
        return self.wb.sheetnames

    def _cached_value(self, sheet, coordinate):
        if self._values is None:
            self._values = openpyxl.load_workbook(self.path, data_only=True)
        return self._values[sheet][coordinate].value

    def read_table(self, sheet, required, optional=()):
        """The table under the first header row holding every required header (empty rows dropped)."""
        ws = self.wb[sheet]
        rows = [(row[0].row, {cell.column: cell.value for cell in row}) for row in ws.iter_rows() if row]

        def resolve(row, column, value):
            if isinstance(value, str) and value.startswith("="):
                # A formula in an input cell: use the result Excel saved; without one (the file was
                # last saved by openpyxl) reading it is an error naming the cell and the formula.
                coordinate = ws.cell(row=row, column=column).coordinate
                cached = self._cached_value(sheet, coordinate)
                return UnsavedFormula(value, f"{sheet}!{coordinate}") if cached is None else cached
            return value

        return find_table(sheet, rows, required, optional, resolve)

    def read_rows(self, sheet, last_row):
        """The sheet's first `last_row` rows as (row number, {column number: value}), formulas read as
        in `read_table`: for a labelled cell above or beside a table (the follow-up period, the inputs
        on Fördelning)."""
        ws = self.wb[sheet]
        out = []
        for row in ws.iter_rows(min_row=1, max_row=min(last_row, ws.max_row)):
            cells = {}
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith("="):
                    cached = self._cached_value(sheet, cell.coordinate)
                    value = UnsavedFormula(value, f"{sheet}!{cell.coordinate}") if cached is None else cached
                if value is not None:
                    cells[cell.column] = value
            if row:
                out.append((row[0].row, cells))
        return out

    def write_cell(self, sheet, headers, row, column, value):
        """One value into an output sheet (the follow-up period that `vp refresh --period` sets)."""
        self._output_sheet(sheet, headers).cell(row=row, column=column, value=value)

    def write_table(self, sheet, headers, rows, fills=None, fill_colours=None):
        """Replace an output sheet's table below its header row with `rows` (values only). Only the
        table's own columns are cleared and written: a note typed beside the table stays."""
        ws = self._output_sheet(sheet, headers)
        header_row = self._header_row(ws, headers)
        width = max([len(headers), *(len(values) for values in rows)])
        for row in ws.iter_rows(min_row=header_row + 1, max_row=max(ws.max_row, header_row + 1), max_col=width):
            for cell in row:
                cell.value = None
                cell.fill = PatternFill(fill_type=None)
        for offset, values in enumerate(rows, start=1):
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=header_row + offset, column=column, value=value)
                label = fills[offset - 1] if fills else None
                colour = (fill_colours or {}).get(label)
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour, end_color=colour)

    def append_row(self, sheet, headers, values):
        ws = self._output_sheet(sheet, headers)
        header_row = self._header_row(ws, headers)
        last = header_row  # the table's last row; a note beside the table does not count
        for row in ws.iter_rows(min_row=header_row + 1, max_row=ws.max_row, max_col=max(len(headers), len(values))):
            if any(c.value not in (None, "") for c in row):
                last = row[0].row
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=last + 1, column=column, value=value)
            if hasattr(value, "year"):
                cell.number_format = "yyyy-mm-dd hh:mm"

    def _output_sheet(self, sheet, headers):
        if sheet not in L.OUTPUT_SHEETS:
            raise VPError(f"Bladet {sheet} är inget utdatablad; uppdateringen skriver bara {L.OUTPUT_SHEETS}.")
        if sheet not in self.wb.sheetnames:
            ws = self.wb.create_sheet(sheet)
            for column, header in enumerate(headers, start=1):
                ws.cell(row=4, column=column, value=header).font = Font(bold=True)
        return self.wb[sheet]

    def _header_row(self, ws, headers):
        for row in ws.iter_rows(min_row=1, max_row=min(L.HEADER_SEARCH_ROWS, ws.max_row)):
            if row and str(row[0].value).strip() == headers[0]:
                return row[0].row
        for column, header in enumerate(headers, start=1):
            ws.cell(row=4, column=column, value=header).font = Font(bold=True)
            ws.column_dimensions[get_column_letter(column)].width = 16
        return 4

    def save(self, now=None):
        """Backup, then write to a temporary file beside the original (with its permissions) and
        replace it in one step. Returns the backup's path."""
        if self.read_only:
            raise VPError(f"{self.path.name} är öppnad bara för läsning och sparas inte.")
        check_xlsx(self.path)
        check_not_open(self.path)
        backup = backup_path(self.path, now)
        shutil.copy2(self.path, backup)
        handle, temporary = tempfile.mkstemp(prefix=".vp-", suffix=self.path.suffix, dir=self.path.parent)
        os.close(handle)
        try:
            self.wb.save(temporary)
            shutil.copymode(self.path, temporary)  # mkstemp's 0600 would hide the file from colleagues
            os.replace(temporary, self.path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        prune_backups(self.path)
        return backup


def _backups(path):
    """The backups of `path`, oldest first: <stem>.vp-backup-YYYYMMDD-HHMMSS[-n]<suffix>."""
    pattern = re.compile(re.escape(path.stem) + r"\.vp-backup-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix) + "$")
    found = []
    for candidate in path.parent.iterdir():
        match = pattern.match(candidate.name)
        if match:
            found.append(((match.group(1), int(match.group(2) or 1)), candidate))
    return [candidate for _, candidate in sorted(found)]


def backup_path(path, now=None):
    """A new backup name for `path`, stamped with the time; a second backup in the same second gets -2, -3, …"""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    name = f"{path.stem}.vp-backup-{stamp}"
    candidate, number = path.with_name(name + path.suffix), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{name}-{number}{path.suffix}")
    return candidate


def prune_backups(path, keep=BACKUPS_KEPT):
    """Delete all but the newest `keep` backups of `path` (never another file's)."""
    for old in _backups(path)[:-keep]:
        old.unlink(missing_ok=True)
