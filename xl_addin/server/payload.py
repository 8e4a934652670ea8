"""What Excel (Office.js) sends to a custom script for a workbook file, built without Excel.

Used by the server tests and `bench/server.py` to call the scripts with a real workbook, and handy
to try a script by hand (`python -m xl_addin.server.payload FILE > body.json`). Like xlwings'
Office.js client: every sheet's values from A1 to the last used cell, numbers as JSON numbers
(integral ones without decimals, as JavaScript writes them), dates as ISO text, the active sheet
and the selection. A formula cell's result is unknown without Excel, so it is sent empty; the
refresh reads only the cells people type.
"""

import datetime as dt
import json
import sys
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula


def cell_value(value):
    """A cell as Office.js' `range.values` gives it (formulas: unknown, sent as empty)."""
    if value is None or isinstance(value, ArrayFormula):
        return ""
    if isinstance(value, str):
        return "" if value.startswith("=") else value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    return str(value)


def _used(ws):
    """(first row, first column, last row, last column) of the cells holding something, or None."""
    cells = [(c.row, c.column) for row in ws.iter_rows() for c in row if c.value is not None]
    if not cells:
        return None
    rows, columns = zip(*cells)
    return min(rows), min(columns), max(rows), max(columns)


def _address(top, left, bottom, right):
    first, last = f"{get_column_letter(left)}{top}", f"{get_column_letter(right)}{bottom}"
    return first if first == last else f"{first}:{last}"


def book_payload(path, version, active_sheet=None, selection="A1", edits=None):
    """The JSON body of POST /xlwings/custom-scripts-call/<script> for the workbook at `path`.

    `version`: the server's xlwings version. `edits` = {(sheet, "K7"): value} changes cells first,
    as a person would have typed them.
    """
    wb = openpyxl.load_workbook(path)
    for (name, coordinate), value in (edits or {}).items():
        wb[name][coordinate] = value
    sheets = []
    for ws in wb.worksheets:
        used = _used(ws)
        if used is None:
            values, address, rows, columns = [[""]], None, 0, 0
        else:
            top, left, bottom, right = used
            values = [[cell_value(v) for v in row]
                      for row in ws.iter_rows(min_row=1, min_col=1, max_row=bottom, max_col=right, values_only=True)]
            address, rows, columns = _address(*used), bottom - top + 1, right - left + 1
        sheets.append({
            "name": ws.title, "visibility": "Visible", "show_gridlines": True, "print_area": None,
            "notes": [], "notes_supported": True,
            "used_range_address": address, "used_range_row_count": rows, "used_range_column_count": columns,
            "values": values, "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [],
        })
    names = [s["name"] for s in sheets]
    active = names.index(active_sheet) if active_sheet in names else 0
    return {
        "client": "Office.js",
        "version": version,
        "book": {"name": Path(path).name, "active_sheet_index": active, "selection": selection,
                 "calculation": "Automatic"},
        "names": [],
        "sheets": sheets,
    }


if __name__ == "__main__":
    import xlwings

    print(json.dumps(book_payload(sys.argv[1], xlwings.__version__), ensure_ascii=False))
