"""`vp export`: a values-only copy for readers without the add-in; the source file is untouched."""

import shutil
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula

from rules.errors import VPError

from .evaluate import calculate
from .xlsx import XlsxBook


def export_values(source, out, progress=None):
    """Replace every formula by its result (calculated by an independent formula engine), keep fills."""
    progress = progress or (lambda message: None)
    source, out = Path(source), Path(out)
    if source.resolve() == out.resolve():
        raise VPError("Kopian måste ha ett annat namn än originalet.")
    XlsxBook(source)  # refuses a missing or foreign file with a clear message
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / source.name
        shutil.copy2(source, copy)  # calculate on a copy: the source is never opened for writing
        progress("Räknar formlerna (kan ta en halv minut) …")
        cells = calculate(copy)
        progress("Skriver värdekopian …")
        wb = openpyxl.load_workbook(copy)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, ArrayFormula) or (isinstance(value, str) and value.startswith("=")):
                        result = cells.get((ws.title.upper(), cell.coordinate))
                        cell.value = _plain(result)
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
    return out


def _plain(value):
    if value is None:
        return None
    if type(value).__name__ == "XlError":
        return str(value)
    return value
