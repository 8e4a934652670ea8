"""Issue 14 part B: the workbook names its rulebook and every command uses it (or --rulebook); a broken
rulebook stops every command; a date in a value cell is the same error in refresh and in export."""

import datetime
import hashlib
import shutil

import openpyxl
import pytest

from rules.rulebook import rulebook_path
from workbook import layout as L
from workbook.cli import main
from workbook.rulebook_record import CHECK_ID, read_record
from workbook.xlsx import XlsxBook

EXAMPLE = L.__file__.replace("layout.py", "VP2025-exempel.xlsx")


def _rulebook(tmp_path, old, new, name="vp2025.toml"):
    text = rulebook_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _indicator_colours(path):
    """Id -> Färg as the Indikatorer sheet shows it (the formulas' values in an export)."""
    ws = openpyxl.load_workbook(path, data_only=True)[L.INDICATORS]
    headers = [c.value for c in ws[L.HEADER_ROW]]
    ident, colour = headers.index(L.ID), headers.index(L.COLOUR)
    return {row[ident]: row[colour] for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True) if row[ident]}


def _overview_colours(path):
    ws = openpyxl.load_workbook(path)[L.OVERVIEW]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r and r[0] == L.OVERVIEW_HEADERS[0])
    return {r[3]: r[6] for r in rows[top + 1:] if r[0] == L.LEVEL_INDICATOR and r[3]}


def test_the_built_workbook_records_its_rulebook_file_and_sha256():
    record = read_record(XlsxBook(EXAMPLE, read_only=True))
    assert record.name == rulebook_path().name
    assert record.sha256 == hashlib.sha256(rulebook_path().read_bytes()).hexdigest()
    assert str(record.sha_place) == f"{L.RULEBOOK}!C{L.RULEBOOK_RECORD_ROW}"


def _with_outcome(tmp_path, ident, outcome):
    """The example workbook with one indicator's Utfall typed anew (as text, as a person types it)."""
    path = tmp_path / "vp.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb[L.INDICATORS]
    headers = [c.value for c in ws[L.HEADER_ROW]]
    row = next(r for r in range(L.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == ident)
    ws.cell(row, headers.index(L.OUTCOME) + 1).value = outcome
    wb.save(path)
    return path


def test_export_and_refresh_with_the_same_rulebook_give_the_same_statuses(tmp_path, capsys):
    # I16 (+/- 0,5 %) at +2,3 %: adherence 97,7 %, red with the plan's yellow edge 98,0, yellow from 97,6
    # (the edge every example of the rulebook still agrees with)
    changed = _rulebook(tmp_path, "gul = 98.0", "gul = 97.6", name="vp2025-gul.toml")
    book = _with_outcome(tmp_path, "I16", "+2,3%")
    out = tmp_path / "kopia.xlsx"
    assert main(["export", "--rulebook", str(changed), str(book), "--out", str(out)]) == 0
    assert main(["--rulebook", str(changed), "refresh", str(book), "--period", "Delår 1 2025"]) == 0
    exported, refreshed = _indicator_colours(out), _overview_colours(book)
    assert exported == refreshed
    assert refreshed["I16"] == "Gul"
    # and with the rulebook the workbook records, I16 is red in both
    default_out = tmp_path / "kopia-standard.xlsx"
    assert main(["export", str(book), "--out", str(default_out)]) == 0
    assert main(["refresh", str(book)]) == 0
    assert _indicator_colours(default_out) == _overview_colours(book)
    assert _overview_colours(book)["I16"] == "Röd"
    err = capsys.readouterr().err
    assert f"[{CHECK_ID}]" in err and "vp2025-gul.toml" in err  # export said which rulebook it used


def test_a_workbook_assessed_with_another_rulebook_gets_a_finding_naming_both(tmp_path, capsys):
    changed = _rulebook(tmp_path, "gul = 98.0", "gul = 97.6", name="annan.toml")
    assert main(["check", str(EXAMPLE)]) in (0, 1)
    assert CHECK_ID not in capsys.readouterr().out
    main(["check", "--rulebook", str(changed), str(EXAMPLE)])
    line = next(x for x in capsys.readouterr().out.splitlines() if CHECK_ID in x)
    assert "vp2025.toml" in line and "annan.toml" in line
    assert hashlib.sha256(changed.read_bytes()).hexdigest() in line
    assert f"{L.RULEBOOK}!C{L.RULEBOOK_RECORD_ROW}" in line


BROKEN = [("uppfyllt = 0.70", "uppfyllt = 0.80"),          # an example no longer holds (self-test)
          ("[goal.thresholds]", "[goal.thresholds")]        # not TOML


@pytest.mark.parametrize("old, new", BROKEN, ids=["selftest", "syntax"])
@pytest.mark.parametrize("command", ["refresh", "check", "report", "export", "new", "approve", "addin", "serve"])
def test_a_broken_rulebook_stops_every_command_with_exit_2_and_one_line(tmp_path, capsys, old, new, command):
    broken = _rulebook(tmp_path, old, new)
    book = shutil.copy(EXAMPLE, tmp_path / "vp.xlsx")
    before = book.read_bytes()
    argv = {"refresh": ["refresh", str(book)], "check": ["check", str(book)], "report": ["report", str(book)],
            "export": ["export", str(book), "--out", str(tmp_path / "kopia.xlsx")],
            "new": ["new", str(tmp_path / "ny.xlsx")],
            "approve": ["approve", str(book), "--period", "Delår 1 2025", "--by", "Ekonom"],
            "addin": ["addin", "install", "--dest", str(tmp_path / "xl")],
            "serve": ["serve", "--lokal"]}[command]
    assert main(["--rulebook", str(broken), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Fel: Regelboken") and broken.name in err[0]
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([broken.name, "vp.xlsx"])


def test_a_date_in_utfall_is_the_same_error_in_refresh_and_export(tmp_path, capsys):
    book = tmp_path / "vp.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb[L.INDICATORS]
    headers = [c.value for c in ws[L.HEADER_ROW]]
    row = next(r for r in range(L.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value == "I21")
    cell = ws.cell(row, headers.index(L.OUTCOME) + 1)
    cell.value, cell.number_format = datetime.datetime(2025, 5, 4), "d/m"  # Excel's reading of 4/5
    wb.save(book)
    out = tmp_path / "kopia.xlsx"
    assert main(["export", str(book), "--out", str(out)]) == 0
    main(["check", str(book)])
    finding = next(x for x in capsys.readouterr().out.splitlines() if cell.coordinate in x)
    exported = openpyxl.load_workbook(out)[L.INDICATORS]
    shown = exported.cell(row, headers.index(L.COLOUR) + 1).value
    assert shown.startswith("#VP-FEL") and "datum" in shown and "'4/5" in shown and "4 av 5" in finding
    reason = finding.split(": ", 1)[1]
    assert reason.split(" Excel gör")[0] in shown  # the same sentence in both
