"""`vp export`: a values-only copy for readers without the add-in; the source file is untouched.

Every formula cell becomes the value an independent formula engine (the `formulas` package, with the
=VP_* catalogue registered) calculates for it; every other part of the file is copied unchanged
(pictures, fills, conditional formats, comments …, see `workbook/patch.py`). A text that begins with
= stays a text: only cells that hold a formula are changed, and values are written as values.
Memory and time follow the cells that are stored, not the sheets' used range: the engine is given only
stored cells (a value in row 1 048 576 does not make it walk a million empty rows).
"""

import os
import re
import tempfile
from bisect import bisect_left, bisect_right
from pathlib import Path


from rules.errors import VPError

from .package import FileRefused, Package, quoted
from .patch import PartError, Sheet, drop_calc_chain, parse_range, write_package
from .xlsx import _try_lock, check_not_open

_CELL = re.compile(r"[A-Z]+\d+(:[A-Z]+\d+)?")


def export_values(source, out, progress=None):
    """Write a copy of `source` to `out` with every formula replaced by its result."""
    progress = progress or (lambda message: None)
    source, out = Path(source), Path(out)
    if source.resolve() == out.resolve():
        raise VPError("Kopian måste ha ett annat namn än originalet.")
    if out.exists():
        check_not_open(out)  # a copy open in Excel is not overwritten
    package = Package(source)  # refuses a missing, foreign, damaged or hostile file with a clear message
    _refuse_dtds(package)
    for name, part, _ in package.sheets:  # every sheet read once by the safe reader: a damaged one is named
        if part is not None:
            for _ in package.iter_rows(name):
                pass
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        copy.write_bytes(package.data)  # calculate on a copy of what was read: the source is never opened for writing
        progress("Räknar formlerna (kan ta en halv minut) …")
        cells = calculate_stored(copy, package)
    progress("Skriver värdekopian …")
    replaced, removed = {}, set()
    replaced_any = False
    for name, part, _ in package.sheets:
        if part is None:
            continue
        try:
            sheet = Sheet(package.read(part), package.shared_strings, package.styles, package.epoch, name)
            changed = sheet.replace_formulas(lambda coordinate, _n=name.upper(): cells.get((_n, coordinate)))
        except PartError as exc:
            raise FileRefused(f"{package.name}: bladet {quoted(name)} ({part}) {exc}.") from None
        if changed:
            replaced[part] = sheet.to_bytes()
            replaced_any = True
    if replaced_any:
        drop_calc_chain(package, replaced, removed)
    if package.styles is not None and package.styles.changed:
        replaced[package.styles_part] = package.styles.to_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".vp-", suffix=".xlsx", dir=out.parent)
    try:
        try:
            _try_lock(handle)  # a refresh in the same folder sees the file is in use, not left behind
            write_package(package, temporary, replaced, removed)
        finally:
            os.close(handle)
        os.replace(temporary, out)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return out


def _refuse_dtds(package):
    """The formula engine reads every part with openpyxl: refuse a DTD (an entity bomb) in any of them."""
    for info in package.zip.infolist():
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            data = package.read(info.filename)
            if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
                package.refuse(f"delen {quoted(info.filename)} innehåller en DTD eller entitetsdeklaration (som i "
                               "en XML-bomb eller XXE-attack); en Excel-fil har aldrig det, så filen läses inte.")


def calculate_stored(path, package=None):
    """Every computed cell of the workbook: {(SHEET NAME IN UPPER CASE, "A1"): value}, by the formulas
    engine over the stored cells only."""
    from .evaluate import _cell_value, cells_of, date_aware_model, vp_functions

    class StoredCellsModel(date_aware_model()):
        def add_sheet(self, worksheet, context):
            worksheet, ctx = super().add_sheet(worksheet, context)
            _stored_cells_only(worksheet)
            return worksheet, ctx

    try:
        with vp_functions():
            solution = StoredCellsModel().loads(str(path)).finish().calculate()
    except (VPError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - the engine's own errors are in English: say it in Swedish
        name = package.name if package else Path(path).name
        raise FileRefused(f"{name}: formlerna kunde inte räknas utan Excel ({type(exc).__name__}); öppna filen i "
                          "Excel och spara en kopia med bara värden där.") from None
    return cells_of(solution, path, lambda value: _plain(_cell_value(value)))


def _plain(value):
    if value is None:
        return None
    if type(value).__name__ == "XlError":
        return ExcelError(str(value))
    return value


class ExcelError(str):
    """An Excel error value (#DIV/0!, #N/A …), written as an error cell."""


def _stored_cells_only(ws):
    """Make `ws.iter_rows` yield only the cells the file stores (sorted by row, then column)."""
    if getattr(ws, "_vp_stored_only", False):
        return
    keys = sorted(ws._cells)
    biggest = (1 << 31, 1 << 31)

    def iter_rows(min_row=None, max_row=None, min_col=None, max_col=None, values_only=False):
        low = bisect_left(keys, (min_row or 1, 0))
        high = bisect_right(keys, ((max_row or biggest[0]), biggest[1]))
        current, row = None, []
        for r, c in keys[low:high]:
            if (min_col and c < min_col) or (max_col and c > max_col):
                continue
            if r != current and row:
                yield tuple(row)
                row = []
            current = r
            cell = ws._cells[(r, c)]
            row.append(cell.value if values_only else cell)
        if row:
            yield tuple(row)

    ws.iter_rows = iter_rows
    ws._vp_stored_only = True


__all__ = ["export_values", "calculate_stored", "parse_range"]
