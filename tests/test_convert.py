"""`vp convert` and `vp new --server`: the VP calls switch between the classic add-in's names and the
names Excel stores for the VP server's (Office.js) functions, and nothing else in the file changes."""

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

from workbook.cli import main
from workbook.convert import OFFICE_JS_STORED_PREFIX, SERVER, CLASSIC, rewrite
from xl_addin import udfs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
NAMES = [func.__name__ for func in udfs.CATALOGUE]
STORED = OFFICE_JS_STORED_PREFIX + "VP_"   # the stored form's prefix for the namespace VP


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def infos(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.date_time, i.compress_type, i.external_attr) for i in z.infolist()]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


def _with_every_place(path):
    """A workbook with VP calls in every place a formula lives, a cached value, a shared formula, a
    string literal and a quoted sheet name that look like VP calls."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blad"
    wb.create_sheet("VP_RULE(x")
    ws["A1"] = '=VP_INDICATORSCORE("61%","Öka","65%")'
    ws["A2"] = '=CONCATENATE("VP_RULE(1) ""VP_SAVING(2)""",VP_RULE("R2.oka.met"),\'VP_RULE(x\'!A1)'
    ws["B1"] = ArrayFormula("B1:B2", "=VP_SPLIT_STAFF(100)")
    ws["D1"] = "=VP_SAVING(100)"
    ws["E1"] = "=OTHER_VP_SAVING(1)+vp_saving(2)"
    wb.defined_names["Poang"] = DefinedName("Poang", attr_text='VP_INDICATORSCORE("61%","Öka","65%")')
    check = DataValidation(type="custom", formula1='VP_BUDGETSTATUS(1,1)="Grön"')
    ws.add_data_validation(check)
    check.add("F1:F9")
    ws.conditional_formatting.add("G1:G9", FormulaRule(formula=['VP_INDICATORCOLOR("61%","Öka",G1)="Röd"']))
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        contents = {i.filename: z.read(i) for i in z.infolist()}
    sheet = contents["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="D1"><f>VP_SAVING(100)</f><v></v></c>',
                          '<c r="D1"><f t="shared" ref="D1:D2" si="0">VP_SAVING(100)</f><v>-3</v></c>'
                          '<c r="D2"><f t="shared" si="0"/><v>-3</v></c>')
    assert "si=\"0\"" in sheet
    contents["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in contents.items():
            z.writestr(name, data)
    return path


def test_round_trip_of_the_example_is_byte_identical_in_every_part(example, tmp_path, capsys):
    server, back = tmp_path / "server.xlsx", tmp_path / "tillbaka.xlsx"
    assert run(capsys, "convert", example, "--to", "server", "--out", server)[0] == 0
    assert run(capsys, "convert", server, "--to", "classic", "--out", back)[0] == 0
    original, converted, returned = parts(example), parts(server), parts(back)
    assert returned == original and infos(back) == infos(example)
    assert example.read_bytes() == EXAMPLE.read_bytes()  # --out: the original is not touched
    changed = {name for name in original if converted[name] != original[name]}
    assert changed and all(name.startswith("xl/worksheets/") for name in changed)
    for name in changed:
        # the only change: the stored prefix in front of each VP call (cached values, styles: the same)
        assert converted[name].replace(STORED.encode(), b"VP_") == original[name]
        formulas = re.findall(r"<f>([^<]*)</f>", converted[name].decode())
        assert formulas and not any(re.search(r"(?<![A-Za-z_])VP_[A-Z_]+\(", f.replace(STORED, "§")) for f in formulas)
    sheet = converted["xl/worksheets/sheet2.xml"].decode()
    assert f"<f>{STORED}INDICATORSCORE(" in sheet


def test_every_place_a_formula_lives_is_converted_and_only_the_calls(tmp_path, capsys):
    path = _with_every_place(tmp_path / "platser.xlsx")
    before = parts(path)
    code, out, err = run(capsys, "convert", path, "--to", "server")
    assert code == 0, err
    assert "Sparad:" in out and "säkerhetskopia" in out
    after = parts(path)
    sheet, book = after["xl/worksheets/sheet1.xml"].decode(), after["xl/workbook.xml"].decode()
    assert f'<f>{STORED}INDICATORSCORE(&quot;61%&quot;' in sheet or f'<f>{STORED}INDICATORSCORE("61%"' in sheet
    assert f'{STORED}SAVING(100)</f><v>-3</v>' in sheet             # shared formula, cached value kept
    assert f'{STORED}SPLIT_STAFF(100)' in sheet                      # array formula
    assert f'<formula1>{STORED}BUDGETSTATUS(1,1)' in sheet           # data validation
    assert f'<formula>{STORED}INDICATORCOLOR(' in sheet              # conditional formatting
    assert f'{STORED}INDICATORSCORE(' in book                        # defined name
    assert "VP_RULE(1) " in sheet and "VP_SAVING(2)" in sheet       # string literals untouched
    assert f"{STORED}RULE(" in sheet and "'VP_RULE(x'!A1" in sheet  # quoted sheet name untouched
    assert "OTHER_VP_SAVING(1)" in sheet                             # another function that ends alike
    for name in before:
        if name not in ("xl/worksheets/sheet1.xml", "xl/workbook.xml"):
            assert after[name] == before[name], name
    assert run(capsys, "convert", path, "--to", "classic")[0] == 0
    assert parts(path) == before
    assert len(list(tmp_path.glob("platser.vp-backup-*.xlsx"))) == 2  # the same backups as vp refresh


def test_already_in_the_target_form_is_said_and_left_alone(example, capsys):
    data = example.read_bytes()
    code, out, err = run(capsys, "convert", example, "--to", "classic")
    assert code == 0 and "redan" in out and "ingenting ändrades" in out
    assert example.read_bytes() == data and not list(example.parent.glob("*backup*"))


def test_a_workbook_without_vp_functions_is_said_and_left_alone(tmp_path, capsys):
    path = tmp_path / "annan.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=SUM(1,2)"
    wb.active["A2"] = "VP_RULE(x) som text"
    wb.save(path)
    data = path.read_bytes()
    code, out, err = run(capsys, "convert", path, "--to", "server")
    assert code == 0 and out.strip() == "annan.xlsx har inga VP-funktioner; ingenting ändrades." and err == ""
    assert path.read_bytes() == data


def _refused(capsys, path, *extra, to="server"):
    data = path.read_bytes()
    code, out, err = run(capsys, "convert", path, "--to", to, *extra)
    assert code == 2 and out == "" and err.startswith("Fel: ") and err.count("\n") == 1, err
    assert path.read_bytes() == data
    return err


def _edited(path, edits):
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_both_forms_refused_naming_the_cells(example, capsys):
    _edited(example, {("Indikatorer", "M5"): f"={STORED}INDICATORSCORE(E5,F5,K5,L5)"})
    err = _refused(capsys, example)
    assert "båda formerna" in err and "Indikatorer!M5" in err and "Indikatorer!M6" in err


def test_unknown_vp_name_refused_naming_the_cell(example, capsys):
    _edited(example, {("Indikatorer", "Q7"): "=VP_INDICATORSCOREX(1,2,3)"})
    err = _refused(capsys, example)
    assert "Indikatorer!Q7" in err and "VP_INDICATORSCOREX" in err


def test_a_dev_server_name_is_an_unknown_name(example, capsys):
    _edited(example, {("Indikatorer", "Q7"): f"={OFFICE_JS_STORED_PREFIX}VP_DEV_INDICATORSCORE(1,2,3)"})
    err = _refused(capsys, example, to="classic")
    assert "Indikatorer!Q7" in err and "VP_DEV_INDICATORSCORE" in err


def test_a_call_through_another_file_refused(example, capsys):
    path = example
    with zipfile.ZipFile(path) as z:
        contents = {i.filename: z.read(i) for i in z.infolist()}
    contents["xl/worksheets/sheet3.xml"] = contents["xl/worksheets/sheet3.xml"].replace(
        b"<f>VP_GOALSTATUS(", b"<f>[1]!VP_GOALSTATUS(", 1)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)
    err = _refused(capsys, path)
    assert "Nämndmål!" in err and "annan fil" in err


def test_formula_too_long_after_the_rewrite_refused_naming_the_cell(example, capsys):
    calls = "+".join(['VP_SAVING(1)'] * 600)   # 7 799 characters, 12 599 stored for the server
    assert len(calls) < 8192
    _edited(example, {("Besparing", "F20"): "=" + calls})
    err = _refused(capsys, example)
    assert "Besparing!F20" in err and "8 192" in err


def test_a_workbook_open_in_excel_is_refused(example, capsys):
    (example.parent / ("~$" + example.name)).write_text("x")
    err = _refused(capsys, example)
    assert "öppen" in err


def test_an_xlsm_is_converted_with_its_vba_part_byte_for_byte(tmp_path, capsys):
    path = tmp_path / "VP2025.xlsm"
    vba = bytes(range(256)) * 40
    with zipfile.ZipFile(EXAMPLE) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/vbaProject.bin", vba)
    before = parts(path)
    out = tmp_path / "VP2025-server.xlsm"
    assert run(capsys, "convert", path, "--to", "server", "--out", out)[0] == 0
    assert parts(out)["xl/vbaProject.bin"] == vba and path.read_bytes() and parts(path) == before
    assert _refused(capsys, path, "--out", tmp_path / "kopia.xlsx")  # a copy keeps the extension


def test_new_server_is_the_converted_example(tmp_path, capsys):
    built, converted = tmp_path / "ny.xlsx", tmp_path / "konverterad.xlsx"
    assert run(capsys, "new", "--example", "--server", built)[0] == 0
    assert run(capsys, "convert", EXAMPLE, "--to", "server", "--out", converted)[0] == 0
    assert parts(built) == parts(converted)


def test_rewrite_for_office_js_uses_the_shown_names():
    """What the task pane writes through range.formulas (Excel stores it in the stored form itself)."""
    formula = '=IF(A1="VP_RULE(x)",VP_INDICATORSCORE(E5,F5,K5),vp_rule("R2"))'
    shown = rewrite(formula, SERVER, shown=True)
    assert shown == '=IF(A1="VP_RULE(x)",VP.INDICATORSCORE(E5,F5,K5),vp.rule("R2"))'
    assert rewrite(shown, CLASSIC, shown=True) == formula
    assert {rewrite(f"={name}(1)", SERVER) for name in NAMES} == {f"={STORED}{name[3:]}(1)" for name in NAMES}


def test_the_formulas_engine_gives_the_server_variant_the_classic_values(tmp_path, capsys):
    from workbook.evaluate import calculate

    server = tmp_path / "server.xlsx"
    assert run(capsys, "convert", EXAMPLE, "--to", "server", "--out", server)[0] == 0
    classic_values, server_values = calculate(EXAMPLE), calculate(server)
    assert server_values == classic_values
    assert classic_values[("NÄMNDMÅL", "E5")] in ("Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt")
    computed = [v for (sheet, _), v in classic_values.items() if sheet == "INDIKATORER" and v in (0, 0.5, 1)]
    assert len(computed) >= 20
