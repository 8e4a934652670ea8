"""The remote engine's book built from an .xlsx, and what its actions did: shared by the tests that
drive code written against an `xw.Book` (the ribbon, the xlwings adapter, the server's scripts).

The remote engine (`xw.Book(json=payload)`) holds a workbook as the JSON an xlwings client sends
(sheet values anchored at A1, the book's active sheet and selection) and records every change as an
action (`book.json()["actions"]`: setValues, rangeClearContents, setRangeColor, alert, ...). Formula
cells get no value (without Excel their results are unknown). It is part of xlwings PRO; its
noncommercial key is set here, for the tests only.
"""

import copy
import datetime as dt
import os
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402
from openpyxl.worksheet.formula import ArrayFormula  # noqa: E402

from workbook import layout as L  # noqa: E402

if "remote" not in [engine.name for engine in xw.engines]:
    # xlwings was imported before the key was set: register its remote engine now (what xlwings'
    # own import does when a key is present).
    from xlwings.pro import _xlremote

    xw.engines.add(xw.main.Engine(impl=_xlremote.engine))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
NOT_WRITES = {"alert", "activateSheet", "calculate"}  # actions that change no cell


# --- the payload -------------------------------------------------------------------------------------
def _payload_value(value):
    """A cell as an xlwings client sends it: "" for empty, doubles, ISO dates, no formulas."""
    if value is None or isinstance(value, ArrayFormula):
        return ""
    if isinstance(value, str) and value.startswith("="):
        return ""  # a formula's result is unknown without Excel
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    return str(value)


def payload_of(path, sheet=L.INDICATORS, selection="A1", drop=(), edits=None):
    """The remote engine's payload for an .xlsx: every sheet's values from A1, active sheet, selection.

    `edits` = {(sheet, "K7"): value} changes cells as a person would have typed them.
    """
    wb = openpyxl.load_workbook(path, data_only=False)
    for (name, coordinate), value in (edits or {}).items():
        wb[name][coordinate] = value
    sheets = []
    for ws in wb.worksheets:
        if ws.title in drop:
            continue
        values = [[_payload_value(v) for v in row]
                  for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column,
                                          values_only=True)]
        sheets.append({"name": ws.title, "values": values or [[]], "used_range_address": ws.dimensions,
                       "pictures": [], "tables": [], "charts": [], "shapes": []})
    names = [s["name"] for s in sheets]
    defined = []
    for name, definition in wb.defined_names.items():  # workbook-wide names, as a client sends them
        target, _, address = definition.attr_text.rpartition("!")
        target = target.strip("'").replace("''", "'")
        if target in names:
            defined.append({"name": name, "sheet_index": names.index(target), "address": address.replace("$", ""),
                            "book_scope": True, "scope_sheet_name": None, "scope_sheet_index": None,
                            "refers_to": f"={definition.attr_text}"})
    return {
        "client": "Microsoft Office Scripts",  # not Office.js: the version must equal xlwings'
        "version": xw.__version__,
        "book": {"name": Path(path).name, "active_sheet_index": names.index(sheet) if sheet in names else 0,
                 "selection": selection},
        "names": defined,
        "sheets": sheets,
    }


def remote_book(path=EXAMPLE, **kwargs):
    return xw.Book(json=payload_of(path, **kwargs))


def actions_of(book):
    return book.json()["actions"]


def sheet_names(book):
    return [s.name for s in book.sheets]


def address(action):
    first = f"{get_column_letter(action['start_column'] + 1)}{action['start_row'] + 1}"
    last = (f"{get_column_letter(action['start_column'] + action['column_count'])}"
            f"{action['start_row'] + action['row_count']}")
    return first if first == last else f"{first}:{last}"


def touched(book):
    """(sheet, address, func) of every action that changes cells."""
    names = sheet_names(book)
    out = []
    for action in actions_of(book):
        if action["func"] in NOT_WRITES:
            continue
        assert action["sheet_position"] is not None, action
        out.append((names[action["sheet_position"]], address(action), action["func"]))
    return out


def alerts(book):
    return [a["args"] for a in actions_of(book) if a["func"] == "alert"]


def apply_actions(names, grids, actions, shown=lambda value: value):
    """`grids` ({sheet: rows of values from A1}) after the actions' values and clears; `shown` turns a
    written value into what the cell holds."""
    for action in actions:
        if action["func"] not in ("setValues", "rangeClearContents"):
            continue
        grid = grids[names[action["sheet_position"]]]
        for i in range(action["row_count"]):
            for j in range(action["column_count"]):
                r, c = action["start_row"] + i, action["start_column"] + j
                while len(grid) <= r:
                    grid.append([])
                grid[r].extend([""] * (c + 1 - len(grid[r])))
                grid[r][c] = shown(action["values"][i][j]) if action["func"] == "setValues" else ""
    return grids


def applied(book):
    """The book's sheet values after its actions (values and clears only), as {sheet: grid}."""
    names = sheet_names(book)
    grids = {name: [list(row) for row in copy.deepcopy(book.sheets[name].impl.api["values"])] for name in names}
    return apply_actions(names, grids, actions_of(book))


def table_below_header(grid, header_row=L.HEADER_ROW):
    rows = [[None if v == "" else v for v in row] for row in grid[header_row:]]
    return [row for row in rows if any(v is not None for v in row)]


def payload_after(book, selection="A1"):
    """The payload a client would send after applying `book`'s actions (for a second button press)."""
    grids = applied(book)
    data = copy.deepcopy(book.impl.api)
    for sheet in data["sheets"]:
        grid = grids[sheet["name"]]
        width = max(len(row) for row in grid)
        sheet["values"] = [row + [""] * (width - len(row)) for row in grid]
        sheet["used_range_address"] = f"A1:{get_column_letter(width)}{len(grid)}"
    data["book"]["selection"] = selection
    return data


