"""Calls as Excel (Office.js) sends them, and what the catalogue called directly says about them.

A call is a tuple of arguments, each as the cells hold it: a value (one cell; None = empty),
a list of rows (a range), an `ExcelError` (a cell showing #DIV/0! ...) or `OMIT` (an optional
argument left out). `body()` is what Excel posts for it; `expected()` is the catalogue function
called directly with the values the classic add-in passes (an Excel error as its text), with its
result in the shape a cell block has: a value -> [[value]], a list -> one row, rows stay rows,
empty -> "", a `VPError` -> the readable cell text.

The sample calls come from the example workbook (the plan's 24 indicators and its other tables):
every =VP_...(...) formula whose arguments are plain references to typed cells, resolved to those
cells' values; plus, per function, columns of those rows (a column in gives a column out), the
goal functions on each board goal's indicator scores, and the plan's 24 indicator rows and its
budget rows fed to every function position by position.
"""

import inspect
import re
from collections import defaultdict
from dataclasses import dataclass

import openpyxl
import xlwings as xw
from openpyxl.worksheet.formula import ArrayFormula

from rules.errors import VPError
from xl_addin import udfs


@dataclass(frozen=True)
class ExcelError:
    text: str  # "#DIV/0!"


OMIT = object()

_ERROR_TYPES = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#NAME?": "Name", "#NULL!": "Null",
                "#NUM!": "Num", "#REF!": "Ref", "#VALUE!": "Value"}


def js_cell(value):
    """One cell as Office.js passes it to a custom function (an empty cell is null)."""
    if isinstance(value, ExcelError):
        return {"type": "Error", "basicType": "Error", "basicValue": value.text,
                "errorType": _ERROR_TYPES.get(value.text, "Value")}
    return value


def js_arg(value):
    if value is OMIT:
        return None
    if isinstance(value, list):
        return [[js_cell(v) for v in row] for row in value]
    return [[js_cell(value)]]


def body(name, call, address="[VP2025-exempel.xlsx]Indikatorer!M5"):
    """The JSON Excel posts to /xlwings/custom-functions-call."""
    return {"client": "Office.js", "version": xw.__version__, "func_name": name,
            "args": [js_arg(v) for v in call], "caller_address": address,
            "session_id": "test", "culture_info_name": "sv-SE", "date_format": "yyyy-MM-dd",
            "runtime": "1.4"}


def _py(value):
    if isinstance(value, ExcelError):
        return value.text
    if isinstance(value, list):
        return [[_py(v) for v in row] for row in value]
    return value


def _cell(value):
    return "" if value is None else value


def block(result):
    """A function's result as the block of cells Excel shows."""
    if isinstance(result, list):
        if result and all(isinstance(row, list) for row in result):
            return [[_cell(v) for v in row] for row in result]
        return [[_cell(v) for v in result]]
    return [[_cell(result)]]


def expected(func, call):
    """The catalogue function called directly, as the cells Excel shows."""
    args = [_py(v) for v in call]
    while args and call[len(args) - 1] is OMIT:
        args.pop()
    if any(a is OMIT for a in args):
        raise ValueError("OMIT only at the end")
    try:
        return block(func(*args))
    except VPError as exc:
        return [[f"{udfs.ERROR_PREFIX}{exc}"]]


# --- samples from the example workbook --------------------------------------------------------
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _js_number(value):
    """Numbers as JSON carries them from Excel: integral doubles without decimals."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _formula_calls(text, names):
    """(name, [argument texts]) of each catalogue call in a formula."""
    out = []
    for match in re.finditer(r"\b(VP_[A-Z_]+)\(", text):
        name = match.group(1)
        if name not in names:
            continue
        depth, start, args, i = 1, match.end(), [], match.end()
        while i < len(text) and depth:
            ch = text[i]
            if ch == '"':
                i = text.index('"', i + 1)
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1:
                args.append(text[start:i].strip())
                start = i + 1
            i += 1
        args.append(text[start:i - 1].strip())
        out.append((name, [a for a in args if a != ""] if args != [""] else []))
    return out


def workbook_calls(path):
    """{function name: [(sheet, row, call)]} for formulas whose arguments are plain typed cells."""
    wb = openpyxl.load_workbook(path)
    names = {f.__name__ for f in udfs.CATALOGUE}
    calls = defaultdict(list)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                formula = cell.value.text if isinstance(cell.value, ArrayFormula) else cell.value
                if not (isinstance(formula, str) and formula.startswith("=")):
                    continue
                for name, args in _formula_calls(formula, names):
                    values = []
                    for arg in args:
                        ref = _REF.match(arg)
                        if not ref:
                            break
                        value = ws[f"{ref.group(1)}{ref.group(2)}"].value
                        if isinstance(value, (ArrayFormula,)) or (isinstance(value, str) and value.startswith("=")):
                            break
                        values.append(_js_number(value))
                    else:
                        calls[name].append((ws.title, cell.row, tuple(values)))
    return calls


def table(path, sheet, headers):
    """The rows under a sheet's header row (the first of the top rows holding every header)."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    for number, row in enumerate(rows[:15]):
        found = {str(v).strip(): j for j, v in enumerate(row) if v is not None}
        if all(h in found for h in headers):
            out = []
            for data in rows[number + 1:]:
                record = {h: _js_number(data[found[h]]) if found[h] < len(data) else None for h in headers}
                if any(v not in (None, "") for v in record.values()):
                    out.append(record)
            return out
    raise AssertionError(f"{sheet}: no header row with {headers}")


INDICATOR_HEADERS = ["Id", "KF-mål", "Nämndmål", "Ingående värde", "Riktvärde 2025", "Utfall", "Aktiviteter",
                     "Dominant"]
QUARTET = ["Ingående värde", "Riktvärde 2025", "Utfall", "Aktiviteter"]


def column_call(calls):
    """Per-row calls of one function as one call with a column per argument (None if they differ
    in length)."""
    lengths = {len(call) for call in calls}
    if len(calls) < 2 or len(lengths) != 1:
        return None
    return tuple([[v] for v in values] for values in zip(*calls))


BUDGET_HEADERS = ["Förslag till budget 2025", "Budget per november 2024", "Fördelad budget enligt VP 2024",
                  "Förändring"]


def sample_calls(path, indicators):
    """{function name: [call]} for every catalogue function (see the module docstring)."""
    from_workbook = workbook_calls(path)
    amounts = [[row[h] for h in BUDGET_HEADERS] for row in table(path, "Internbudget", BUDGET_HEADERS)]
    score = udfs.VP_INDICATORSCORE
    colour = udfs.VP_INDICATORCOLOR
    by_goal = defaultdict(list)
    for row in indicators:
        by_goal[(row["Nämndmål"], row["KF-mål"])].append(row)
    samples = {}
    for func in udfs.CATALOGUE:
        params = list(inspect.signature(func).parameters)
        calls = [call for _, _, call in from_workbook.get(func.__name__, [])]
        if params and params[0] == "poang":
            for members in by_goal.values():
                scores = [[score(*(m[h] for h in QUARTET))] for m in members]
                dominant = next((colour(*(m[h] for h in QUARTET)) for m in members if m["Dominant"] == "JA"), None)
                call = (scores,) + tuple([dominant, *([OMIT] * len(params))][:len(params) - 1])
                calls.append(call)
            calls.append(([[score(*(m[h] for h in QUARTET))] for m in indicators],) + (OMIT,) * (len(params) - 1))
        by_sheet = defaultdict(list)
        for sheet, _, call in from_workbook.get(func.__name__, []):
            by_sheet[sheet].append(call)
        for sheet_calls in by_sheet.values():
            column = column_call(sheet_calls)
            if column:
                calls.append(column)
        # the plan's 24 indicators, their four columns fed to the parameters in turn
        for row in indicators:
            values = [row[h] for h in QUARTET]
            calls.append(tuple(values[i % len(values)] for i in range(len(params))))
        # and the plan's budget amounts, position by position
        for values in amounts:
            calls.append(tuple(values[i % len(values)] for i in range(len(params))))
        samples[func.__name__] = calls
    return samples


BAD_VALUES = ("sextio", ExcelError("#DIV/0!"), [["a", "b"], ["c", "d"]], True, "61 procent", -1e308)


def bad_calls(good_call):
    """The good call with each argument in turn replaced by something wrong (an optional argument
    before it becomes an empty cell), and two ranges of different sizes side by side."""
    out = []
    for i in range(len(good_call)):
        for bad in BAD_VALUES:
            call = [None if (v is OMIT and j < i) else v for j, v in enumerate(good_call)]
            call[i] = bad
            out.append(tuple(call))
    if len(good_call) >= 2:
        # two columns wide, so that no converter flattens them to a list
        out.append(([["61%", 1], ["62%", 2]], [["Öka", 1], ["Öka", 2], ["Öka", 3]])
                   + tuple(None if v is OMIT else v for v in good_call[2:]))
    return out


# --- scripts: the workbook after Excel applied a script's actions -----------------------------
# The only sheets a button may write: the refresh's output sheets (issue 9 names Översikt, Kontroll
# and Logg; the follow-up periods added Historik).
from workbook.layout import OUTPUT_SHEETS as _OUTPUT  # noqa: E402

OUTPUT_SHEETS = set(_OUTPUT)
ISSUE_OUTPUT_SHEETS = {"Översikt", "Kontroll", "Logg"}
NOT_WRITES = {"alert", "runMacro", "activateSheet", "calculate"}


def writes(payload, actions):
    """(sheet, func) of every action that changes the workbook."""
    names = [s["name"] for s in payload["sheets"]]
    out = []
    for action in actions:
        if action["func"] in NOT_WRITES:
            continue
        position = action.get("sheet_position")
        out.append((names[position] if position is not None else None, action["func"]))
    return out


def _as_excel_keeps(value):
    """A value written with Excel's text prefix ('+1,4 %) is the text after it in the cell."""
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


def applied(payload, actions):
    """{sheet: grid of values} after the actions' values and clears (from A1), as the cells hold them."""
    import copy

    from tests.remote import apply_actions

    names = [s["name"] for s in payload["sheets"]]
    grids = apply_actions(names, {s["name"]: copy.deepcopy(s["values"]) for s in payload["sheets"]}, actions,
                          _as_excel_keeps)
    width = {name: max((len(row) for row in grid), default=1) for name, grid in grids.items()}
    return {name: [row + [""] * (width[name] - len(row)) for row in grid] for name, grid in grids.items()}


def payload_with(payload, grids, selection=None, edits=None):
    """The payload Excel sends next: these grids, `edits` = {(sheet, row, column): value} (1-based)."""
    import copy

    from openpyxl.utils import get_column_letter

    data = copy.deepcopy(payload)
    for sheet in data["sheets"]:
        grid = copy.deepcopy(grids[sheet["name"]])
        for (name, row, column), value in (edits or {}).items():
            if name == sheet["name"]:
                grid[row - 1][column - 1] = value
        sheet["values"] = grid
        sheet["used_range_address"] = f"A1:{get_column_letter(len(grid[0]))}{len(grid)}"
    if selection:
        data["book"]["selection"] = selection
    return data


def table_below(grid, first_header):
    """The rows under the row whose column A is `first_header` (empty rows dropped, "" as None)."""
    for index, row in enumerate(grid):
        if row and str(row[0]).strip() == first_header:
            rows = [[None if v == "" else v for v in r] for r in grid[index + 1:]]
            return [r for r in rows if any(v is not None for v in r)]
    raise AssertionError(f"no header {first_header}")


def sheet_grid(path, sheet):
    """A saved sheet's values as a grid from A1 (None as "")."""
    ws = openpyxl.load_workbook(path)[sheet]
    return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
