"""Benchmark: `vp kolada` on a 200-row mapping against the local Kolada stand-in (127.0.0.1 only).

Prints, for the first run (empty cache) and a second run (nothing changed), the HTTP requests the
server saw, how many it answered 304 (revalidations), and seconds; and as the baseline measured in the
same run, one plain request per row (what a client without batching and cache would send). Goals: the
first run sends at most one data request per 25 KPIs (the API's batch) plus the metadata batches; the
second run sends only revalidations.

Run: python bench/kolada.py [--rows 200] [--page-size 5000]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402

from kolada_server import KoladaReplay  # noqa: E402
from rules.rulebook import load_rulebook  # noqa: E402
from workbook import layout as L  # noqa: E402
from workbook.build import make_workbook, workbook_bytes  # noqa: E402
from workbook.kolada import KoladaClient, run_kolada  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402


def mapping_workbook(path, rows):
    wb = make_workbook(example=True)
    ws = wb[L.KOLADA]
    for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW):
        for cell in row:
            cell.value = None
    for n in range(rows):
        for column, value in enumerate([f"I{n % 24 + 1:02d}", f"X{n:05d}", "0181", 2025, "T", "0000", "värde"], 1):
            ws.cell(row=L.FIRST_DATA_ROW + n, column=column, value=value)
    path.write_bytes(workbook_bytes(wb))


def one_run(path, server, cache, book):
    before, revalidated = len(server.requests), server.not_modified
    start = time.perf_counter()
    client = KoladaClient(book, url=server.url, cache_path=cache)
    try:
        source = XlsxBook(path)
        result = run_kolada(source, book, client)
        source.save()
    finally:
        client.close()
    seconds = time.perf_counter() - start
    return len(server.requests) - before, server.not_modified - revalidated, seconds, result


def per_row_baseline(server, rows):
    start = time.perf_counter()
    with requests.Session() as session:
        for n in range(rows):
            session.get(f"{server.url}/data/kpi/X{n:05d}/municipality/0181,0000/year/2025", timeout=30).json()
    return rows, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args(argv)
    book = load_rulebook()
    with tempfile.TemporaryDirectory() as folder, KoladaReplay(page_size=args.page_size,
                                                                extra_kpis=args.rows) as server:
        path, cache = Path(folder) / "vp.xlsx", Path(folder) / "cache.sqlite"
        mapping_workbook(path, args.rows)
        base_requests, base_seconds = per_row_baseline(server, args.rows)
        first = one_run(path, server, cache, book)
        second = one_run(path, server, cache, book)
    print(f"Mapping: {args.rows} rader, {first[3].fetched_rows} värden hämtade; sidstorlek {args.page_size}")
    print(f"{'':28}{'förfrågningar':>14}{'304':>6}{'sekunder':>10}{'förfr./rad':>12}")
    print(f"{'baslinje (en per rad)':28}{base_requests:>14}{0:>6}{base_seconds:>10.2f}{base_requests / args.rows:>12.3f}")
    for label, (sent, not_modified, seconds, _) in (("första körningen", first), ("andra körningen (cache)", second)):
        print(f"{label:28}{sent:>14}{not_modified:>6}{seconds:>10.2f}{sent / args.rows:>12.3f}")
    print(f"Andra körningen: {second[1]} av {second[0]} förfrågningar var omvalideringar (304); "
          f"tid {second[2] / first[2]:.2f} × första.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
