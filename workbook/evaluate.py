"""Calculating a VP workbook's formulas without Excel, with the `formulas` package (an independent
Excel formula engine) and the =VP_* catalogue registered as its custom functions.

Used by `vp export` (values for readers without the add-in) and by the tests that check the
workbook's formulas point at the right cells.
"""

import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from openpyxl.utils import column_index_from_string, get_column_letter

_CELL = re.compile(r"[A-Z]+\d+(:[A-Z]+\d+)?")


def _cell_value(x):
    """formulas' empty cell and numpy scalars as the plain values xlwings would pass."""
    import schedula as sh

    if x is sh.EMPTY or x is None:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, str) and x == "":
        return None
    return x


def _as_excel_argument(arg):
    """A single cell as a value, a range as rows of values (what xlwings gives a UDF)."""
    if not isinstance(arg, np.ndarray):
        return _cell_value(arg)
    grid = [[_cell_value(v) for v in row] for row in np.atleast_2d(arg).tolist()]
    if len(grid) == 1 and len(grid[0]) == 1:
        return grid[0][0]
    return grid


@contextmanager
def vp_functions():
    """The catalogue registered in `formulas` for the duration of a calculation, under its classic
    names and under the names Excel stores for the VP server's functions (`workbook.convert`), so
    both variants of a workbook are calculated by the same functions."""
    import formulas
    from formulas.functions import wrap_func

    from xl_addin import udfs

    from .convert import stored_server_name

    functions = formulas.get_functions()
    added = []
    for func in udfs.CATALOGUE:
        def run(*args, _func=func):
            result = _func(*[_as_excel_argument(a) for a in args])  # what the cell shows (errors as text)
            if isinstance(result, list):
                result = result if result and isinstance(result[0], list) else [result]
                return np.asarray(result, object)
            return result

        for name in (func.__name__, stored_server_name(func.__name__).upper()):
            functions[name] = wrap_func(run)
            added.append(name)
    try:
        yield
    finally:
        for name in added:
            functions.pop(name, None)


def calculate(path):
    """Every computed cell of the workbook: {(SHEET NAME IN UPPER CASE, "A1"): value}."""
    import formulas

    with vp_functions():
        solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    return cells_of(solution, path)


def cells_of(solution, path, convert=_cell_value):
    """The formulas engine's solution as {(SHEET NAME IN UPPER CASE, "A1"): value}."""
    prefix = f"'[{Path(path).name.upper()}]"
    cells = {}
    for key, ranges in solution.items():
        if not key.upper().startswith(prefix) or not hasattr(ranges, "value"):
            continue
        sheet, ref = key[len(prefix):].rsplit("'!", 1)
        if not _CELL.fullmatch(ref):
            continue  # whole columns (SUMIF's D:D) are inputs, not results
        values = np.atleast_2d(np.asarray(ranges.value, object))
        start = ref.split(":")[0]
        col0 = column_index_from_string(re.match(r"[A-Z]+", start).group())
        row0 = int(re.search(r"\d+", start).group())
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                cells[(sheet.upper(), f"{get_column_letter(col0 + j)}{row0 + i}")] = convert(value)
    return cells
