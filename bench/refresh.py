"""Benchmark: `vp refresh` on the example workbook vs a bare openpyxl load + save of the same file.

Both are measured in this run, on fresh copies, alternating, best of N; the ratio is the goal
(<= 2). Run: python bench/refresh.py [--rounds N]
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from rules.engine import get_engine  # noqa: E402
from workbook.refresh import run_refresh  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "workbook" / "VP2025-exempel.xlsx"


def bare(path):
    wb = openpyxl.load_workbook(path)
    wb.save(path)


def refresh(path):
    source = XlsxBook(path)
    run_refresh(source)
    source.save()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    get_engine()  # start-up (rulebook check, self-test) is paid once per process, not per refresh
    timings = {"openpyxl load+save": [], "vp refresh": []}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for label, job in (("openpyxl load+save", bare), ("vp refresh", refresh)):
                path = Path(folder) / "VP2025.xlsx"
                shutil.copy(EXAMPLE, path)
                start = time.perf_counter()
                job(path)
                timings[label].append(time.perf_counter() - start)
    base = min(timings["openpyxl load+save"])
    ours = min(timings["vp refresh"])
    print(f"openpyxl load+save: {base * 1000:.0f} ms (bäst av {args.rounds})")
    print(f"vp refresh:         {ours * 1000:.0f} ms (bäst av {args.rounds})")
    print(f"kvot refresh/load+save: {ours / base:.2f} (mål <= 2)")


if __name__ == "__main__":
    main()
