"""Benchmark: `vp refresh` vs a bare openpyxl load + save of the same file, at several sizes.

For each size the workbook is made from the bundled example by copying its indicator rows (new Ids,
formulas moved to their row), then both jobs run on fresh copies of it, alternating, best of N; the
ratio refresh / (openpyxl load+save) is the goal (<= 2 at every size), measured in this run.

Run: python bench/refresh.py [--indicators 24 1000 10000] [--rounds N]
"""

import argparse
from copy import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402
from openpyxl.formula.translate import Translator  # noqa: E402

from rules.engine import get_engine  # noqa: E402
from workbook import layout as L  # noqa: E402
from workbook.refresh import run_refresh  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "workbook" / "VP2025-exempel.xlsx"


def make_workbook(path, indicators):
    """The example with `indicators` indicator rows: its own rows copied in turn below the table."""
    if indicators <= 24:
        shutil.copy(EXAMPLE, path)
        return path
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb[L.INDICATORS]
    header = next(row[0].row for row in ws.iter_rows(max_row=L.HEADER_SEARCH_ROWS) if row[0].value == "Id")
    columns = {cell.value: cell.column for cell in ws[header] if cell.value}
    first, last = header + 1, ws.max_row
    originals = [[(cell.value, copy(cell._style)) for cell in row] for row in ws.iter_rows(min_row=first, max_row=last)]
    for n in range(len(originals), indicators):
        source_row = first + n % len(originals)
        target_row = first + n
        for column, (value, style) in enumerate(originals[n % len(originals)], start=1):
            if isinstance(value, str) and value.startswith("="):
                value = Translator(value, f"A{source_row}").translate_formula(f"A{target_row}")
            cell = ws.cell(row=target_row, column=column, value=value)
            cell._style = copy(style)
        ws.cell(row=target_row, column=columns["Id"], value=f"I{n + 1:05d}")
    wb.save(path)
    return path


def bare(path):
    wb = openpyxl.load_workbook(path)
    wb.save(path)


def refresh(path):
    source = XlsxBook(path)
    run_refresh(source)
    source.save()


def measure(source, rounds, folder):
    timings = {"openpyxl load+save": [], "vp refresh": []}
    for _ in range(rounds):
        for label, job in (("openpyxl load+save", bare), ("vp refresh", refresh)):
            path = Path(folder) / "VP2025.xlsx"
            shutil.copy(source, path)
            for backup in Path(folder).glob("VP2025.vp-backup-*"):
                backup.unlink()
            start = time.perf_counter()
            job(path)
            timings[label].append(time.perf_counter() - start)
    return min(timings["openpyxl load+save"]), min(timings["vp refresh"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--indicators", type=int, nargs="+", default=[24, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=None, help="standard: 5 upp till 1 000 indikatorer, annars 3")
    args = parser.parse_args()
    get_engine()  # start-up (rulebook check, self-test) is paid once per process, not per refresh
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.indicators:
            source = make_workbook(Path(folder) / f"källa-{size}.xlsx", size)
            rounds = args.rounds or (5 if size <= 1000 else 3)
            work = Path(folder) / f"körning-{size}"
            work.mkdir()
            base, ours = measure(source, rounds, work)
            results.append((size, base, ours))
            print(f"{size:>6} indikatorer: openpyxl load+save {base * 1000:8.0f} ms, vp refresh {ours * 1000:8.0f} ms, "
                  f"kvot {ours / base:.2f} (bäst av {rounds})", flush=True)
    worst = max(ours / base for _, base, ours in results)
    print(f"största kvot refresh/load+save: {worst:.2f} (mål <= 2)")


if __name__ == "__main__":
    main()
