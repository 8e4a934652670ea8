"""Memory and time follow the data, not a sheet's used range: one value in Indikatorer!A1048576 (or in
column XFD) is read as one more row, not as a million empty ones; the export's formula engine walks
stored cells only."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import openpyxl

from test_file_fidelity import parts, rezip, sheet_part
from workbook import layout as L
from workbook.export import _stored_cells_only
from workbook.package import Package

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
MEMORY_LIMIT = 2 * 1024 ** 3  # the old reader needed ~4 GB for this file


def far_away(path):
    """The example with a value at XFD6 and one at A1048576 (and a dimension that claims the whole sheet)."""
    part = sheet_part(EXAMPLE, L.INDICATORS)
    xml = parts(EXAMPLE)[part]
    xml = xml.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>I99</t></is></c>'
                                       b'<c r="XFD1048576"><v>1</v></c></row></sheetData>')
    xml = xml.replace(b'<dimension ref="A1:O28" />', b'<dimension ref="A1:XFD1048576" />')
    return rezip(EXAMPLE, path, {part: xml})


def test_reading_a_sheet_stops_at_its_last_stored_cell(tmp_path):
    package = Package(far_away(tmp_path / "VP2025.xlsx"))
    rows = list(package.iter_rows(L.INDICATORS))
    assert rows[-1][0] == 1048576 and rows[-1][1] == {1: "I99", 16384: 1}
    assert len(rows) < 40  # the stored rows, not a million


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_check_and_refresh_of_a_value_in_the_last_row_stay_small(tmp_path):
    path = far_away(tmp_path / "VP2025.xlsx")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = "import sys; from workbook.cli import main; sys.exit(main(sys.argv[1:]))"
    for command in ("check", "refresh"):
        run = subprocess.run([sys.executable, "-c", script, command, str(path)], cwd=ROOT, env=env,
                             capture_output=True, timeout=180, preexec_fn=_limit_memory)
        assert run.returncode in (0, 1), run.stderr.decode()
        assert "Indikatorer!C1048576: Nämndmål saknas" in run.stdout.decode()  # I99 is read, found incomplete
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb[L.INDICATORS]["A1048576"].value == "I99"


def test_the_export_engine_sees_stored_cells_only():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"], ws["D2"], ws["A5"], ws["A1048576"] = 1, 2, 3, 4
    _stored_cells_only(ws)
    assert [[c.coordinate for c in row] for row in ws.iter_rows()] == [["B2", "D2"], ["A5"], ["A1048576"]]
    assert [[c.coordinate for c in row] for row in ws.iter_rows(2, 1048576, 2, 4)] == [["B2", "D2"]]
    assert list(ws.iter_rows(min_row=3, max_row=5, values_only=True)) == [(3,)]
