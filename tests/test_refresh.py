"""`vp refresh`, `vp check` and the file adapter, on copies of the bundled workbooks."""

import shutil
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from rules.errors import VPError
from workbook import layout as L
from workbook.cli import main
from workbook.refresh import read_output, run_refresh
from workbook.xlsx import FileRefused, XlsxBook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
EMPTY = ROOT / "workbook" / "VP2025.xlsx"


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


def snapshot(path):
    """Every cell (value or formula) outside the sheets a refresh may write, plus sheet-level settings."""
    wb = openpyxl.load_workbook(path)
    cells = {}
    for ws in wb.worksheets:
        if ws.title in L.OUTPUT_SHEETS:
            continue
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    value = ("matrisformel", value.ref, value.text)
                if value is not None:
                    cells[(ws.title, cell.coordinate)] = value
        cells[(ws.title, "conditional formats")] = len(ws.conditional_formatting)
        cells[(ws.title, "validations")] = len(ws.data_validations.dataValidation)
    return cells


def cell_of(path, sheet, header, match_column, match_value):
    """The coordinate of `header` in the row whose `match_column` equals `match_value`."""
    table = XlsxBook(path).read_table(sheet, [header, match_column])
    index = table.frame.index[table.frame[match_column].astype(str) == str(match_value)][0]
    return table.cell(index, header).split("!")[1]


def test_refresh_never_changes_an_input_cell_or_a_formula(example, capsys):
    before = snapshot(example)
    assert main(["refresh", str(example)]) == 0
    assert main(["refresh", str(example)]) == 0
    assert snapshot(example) == before
    out = capsys.readouterr().out
    assert "KF-mål 1:" in out and "N5:" in out and "I24" in out


def test_refresh_writes_overview_findings_and_log(example):
    main(["refresh", str(example)])
    wb = openpyxl.load_workbook(example)
    overview = [row for row in wb[L.OVERVIEW].iter_rows(min_row=5, values_only=True) if row[0]]
    assert [row[0] for row in overview].count("KF-mål") == 6
    assert [row[0] for row in overview].count("Indikator") == 24
    statuses = {row[6] for row in overview}
    assert {"Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt"} <= statuses
    filled = [c for c in wb[L.OVERVIEW]["G"][4:] if c.value]
    assert all(c.fill.fgColor.rgb.endswith(("C6EFCE", "FFEB9C", "FFC7CE", "D9D9D9")) for c in filled)
    log = [row for row in wb[L.LOG].iter_rows(min_row=5, values_only=True) if row[0]]
    assert len(log) == 1 and log[0][3] == "första uppdateringen"


def test_the_log_names_the_statuses_that_moved(example):
    main(["refresh", str(example)])
    wb = openpyxl.load_workbook(example)
    coordinate = cell_of(example, L.INDICATORS, "Utfall", "Id", "I13")
    wb[L.INDICATORS][coordinate] = "99,5 %"
    wb.save(example)
    main(["refresh", str(example)])
    log = [row for row in openpyxl.load_workbook(example)[L.LOG].iter_rows(min_row=5, values_only=True) if row[0]]
    assert len(log) == 2
    assert "Indikator I13: Röd → Grön" in log[1][3]
    assert "Nämndmål N4: Ej uppfyllt → Uppfyllt" in log[1][3]


def test_check_finds_a_planted_bad_value_and_a_wrong_sum(example, capsys):
    assert main(["check", str(example)]) == 0
    wb = openpyxl.load_workbook(example)
    bad = cell_of(example, L.INDICATORS, "Utfall", "Id", "I03")
    wb[L.INDICATORS][bad] = "sextiofem"
    wrong = cell_of(example, L.BUDGET, L.PROPOSAL, L.AREA, "Personlig assistans")
    wb[L.BUDGET][wrong] = 112.5
    wb.save(example)
    before = example.read_bytes()
    assert main(["check", str(example)]) == 1
    out = capsys.readouterr().out
    assert f"Indikatorer!{bad}: 'sextiofem'" in out
    total = cell_of(example, L.BUDGET, L.PROPOSAL, L.AREA, "Summa verksamhetsområde LSS")
    assert f"Internbudget!{total}" not in out or "783,9" in out
    assert "angiven summa 783,9 men raderna summerar till 784,4" in out
    assert "angiven summa 874,3 men raderna summerar till 874,8" in out
    assert example.read_bytes() == before  # check writes nothing


def test_a_failed_save_leaves_the_original_intact(example, monkeypatch):
    before = example.read_bytes()
    source = XlsxBook(example)
    run_refresh(source)

    def broken_save(path):
        Path(path).write_bytes(b"half a file")
        raise OSError("disken är full")

    monkeypatch.setattr(source.wb, "save", broken_save)
    with pytest.raises(OSError):
        source.save()
    assert example.read_bytes() == before
    assert not [p for p in example.parent.iterdir() if p.name.startswith(".vp-")]


def test_a_file_open_in_excel_is_refused(example, capsys):
    lock = example.with_name("~$" + example.name)
    lock.write_bytes(b"owner")
    before = example.read_bytes()
    assert main(["refresh", str(example)]) == 2
    assert "är öppen i Excel" in capsys.readouterr().err
    assert example.read_bytes() == before


def test_a_foreign_file_is_refused(tmp_path, capsys):
    text = tmp_path / "budget.xlsx"
    text.write_text("inte en arbetsbok")
    assert main(["refresh", str(text)]) == 2
    assert "inte en Excel-arbetsbok" in capsys.readouterr().err
    other = tmp_path / "annan.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.save(other)
    before = other.read_bytes()
    assert main(["refresh", str(other)]) == 2
    assert "inte en VP-arbetsbok: bladet Indikatorer, KF-mål, Internbudget saknas" in capsys.readouterr().err
    assert other.read_bytes() == before


def test_a_missing_column_is_named(example, capsys):
    wb = openpyxl.load_workbook(example)
    ws = wb[L.INDICATORS]
    for cell in ws[4]:
        if cell.value == "Aktiviteter":
            cell.value = "Aktivitet"
    wb.save(example)
    assert main(["refresh", str(example)]) == 2
    assert "Bladet Indikatorer saknar kolumnen Aktiviteter" in capsys.readouterr().err


def test_tables_are_found_by_header_after_inserting_rows_and_columns(example):
    wb = openpyxl.load_workbook(example)
    ws = wb[L.INDICATORS]
    ws.insert_rows(3)   # a note row above the header
    ws.insert_cols(1)   # a column in front of the table
    wb.save(example)
    result = run_refresh(XlsxBook(example), write=False)
    statuses = {k: v for k, v in result.statuses.items() if k.startswith("Indikator")}
    reference = run_refresh(XlsxBook(EXAMPLE), write=False).statuses
    assert statuses == {k: v for k, v in reference.items() if k.startswith("Indikator")}


def test_the_empty_workbook_refreshes_to_not_assessed(tmp_path):
    path = tmp_path / "tom.xlsx"
    shutil.copy(EMPTY, path)
    result = run_refresh(XlsxBook(path), write=False)
    assert {v for k, v in result.statuses.items() if k.startswith("Indikator")} == {"Grå"}
    assert not result.findings


def test_missing_file(tmp_path):
    with pytest.raises(FileRefused, match="finns inte"):
        XlsxBook(tmp_path / "saknas.xlsx")
    assert issubclass(FileRefused, VPError)


def test_formulas_computed_by_an_independent_engine_equal_the_refresh_overview(example):
    """The workbook's own =VP_* formulas, computed by the `formulas` package, give what `vp refresh`
    wrote through the batch engine: the formulas point at the right cells."""
    pytest.importorskip("formulas")
    from workbook.evaluate import calculate

    main(["refresh", str(example)])
    cells = calculate(example)
    source = XlsxBook(example)
    overview = read_output(source, L.OVERVIEW, L.OVERVIEW_HEADERS)
    indicators = source.read_table(L.INDICATORS, ["Id", "Poäng", "Färg", "Förklaring"])
    by_id = {r["Id"]: r for r in overview.to_dict("records") if r["Nivå"] == "Indikator"}
    assert len(by_id) == 24
    for index in indicators.frame.index:
        ident = indicators.frame.at[index, "Id"]
        for column, overview_column in (("Poäng", "Medel/poäng"), ("Färg", "Status/färg"), ("Förklaring", "Förklaring")):
            computed = cells[(L.INDICATORS.upper(), indicators.cell(index, column).split("!")[1])]
            assert computed == by_id[ident][overview_column], (ident, column)
    goals = source.read_table(L.GOALS, ["Nämndmål", "Medel", "Status"])
    goal_rows = {r["Nämndmål"]: r for r in overview.to_dict("records") if r["Nivå"] == "Nämndmål"}
    for index in goals.frame.index:
        goal = goals.frame.at[index, "Nämndmål"]
        for column, overview_column in (("Medel", "Medel/poäng"), ("Status", "Status/färg")):
            computed = cells[(L.GOALS.upper(), goals.cell(index, column).split("!")[1])]
            expected = goal_rows[goal][overview_column]
            assert computed == (expected if expected is not None else "Ej bedömd"), (goal, column)
    kf = source.read_table(L.KF_GOALS, ["KF-mål", "Status"])
    kf_rows = {r["KF-mål"]: r for r in overview.to_dict("records") if r["Nivå"] == "KF-mål"}
    for index in kf.frame.index:
        computed = cells[(L.KF_GOALS.upper(), kf.cell(index, "Status").split("!")[1])]
        assert computed == kf_rows[kf.frame.at[index, "KF-mål"]]["Status/färg"]


def test_export_has_no_formulas_and_the_same_values(example, tmp_path):
    pytest.importorskip("formulas")
    from workbook.evaluate import calculate

    main(["refresh", str(example)])
    before = example.read_bytes()
    out = tmp_path / "kopia" / "VP2025-värden.xlsx"
    assert main(["export", str(example), "--out", str(out)]) == 0
    assert example.read_bytes() == before
    cells = calculate(example)
    source = openpyxl.load_workbook(example)
    copy = openpyxl.load_workbook(out)
    formulas_seen = 0
    for ws in source.worksheets:
        exported = copy[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                value = exported[cell.coordinate].value
                assert not (isinstance(value, str) and value.startswith("=")), (ws.title, cell.coordinate)
                assert not isinstance(value, ArrayFormula)
                if isinstance(cell.value, ArrayFormula) or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    formulas_seen += 1
                    expected = cells.get((ws.title.upper(), cell.coordinate))
                    if isinstance(expected, float):
                        expected = pytest.approx(expected, rel=1e-12)
                    assert value == expected, (ws.title, cell.coordinate)
                else:
                    assert value == cell.value
                fill = exported[cell.coordinate].fill
                assert (fill.patternType, fill.fgColor.rgb) == (cell.fill.patternType, cell.fill.fgColor.rgb)
        assert len(exported.conditional_formatting) == len(ws.conditional_formatting)
    assert formulas_seen > 100


def test_vp_new_builds_a_workbook_that_refreshes(tmp_path, capsys):
    path = tmp_path / "ny.xlsx"
    assert main(["new", str(path), "--example"]) == 0
    assert main(["new", str(path)]) == 2  # never overwrites without --force
    assert "finns redan" in capsys.readouterr().err
    assert main(["refresh", str(path)]) == 0


def test_vp_addin_install_and_remove_into_a_folder(tmp_path):
    assert main(["addin", "install", "--dest", str(tmp_path)]) == 0
    assert (tmp_path / "vp.xlam").exists()
    assert main(["addin", "remove", "--dest", str(tmp_path)]) == 0
    assert not (tmp_path / "vp.xlam").exists()


def test_check_finds_a_change_that_is_not_proposal_minus_budget(example, capsys):
    wb = openpyxl.load_workbook(example)
    change = cell_of(example, L.BUDGET, L.CHANGE, L.AREA, "Korta insatser")
    wb[L.BUDGET][change] = 1.8  # the plan: 10,0 - 8,7 = 1,3
    wb.save(example)
    assert main(["check", str(example)]) == 1
    out = capsys.readouterr().out
    assert "Korta insatser (Förändring): angiven summa 1,8 men raderna summerar till 1,3" in out
