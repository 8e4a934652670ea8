"""The ribbon's actions and the xlwings adapter, on a real `xw.Book` of xlwings' remote engine
(tests/remote.py builds it from the bundled VP2025-exempel.xlsx; numbers are sent as doubles, as
Excel holds them)."""

import re
import shutil
from types import SimpleNamespace

import pytest
import xlwings as xw
from openpyxl.utils import range_boundaries

import rules.indicator
import rules.values
from rules.errors import VPError
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook
from tests.remote import (EXAMPLE, NOT_WRITES, ROOT, actions_of, address, alerts, applied, payload_after, payload_of,
                          remote_book, sheet_names, table_below_header, touched)
from workbook import layout as L
from workbook.refresh import run_refresh
from workbook.tables import cell_value
from workbook.xlsx import XlsxBook
from xl_addin import ribbon
from xl_addin.book_adapter import XlwingsBook

CUSTOM_UI = ROOT / "xl_addin" / "addin" / "customUI.xml"


@pytest.fixture
def example_copy(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


def file_table(sheet, required, optional=()):
    return XlsxBook(EXAMPLE).read_table(sheet, required, optional)


def row_of(sheet, column, value):
    table = file_table(sheet, [column])
    return table.rows[[str(v) for v in table.frame[column]].index(str(value))]


def coordinate(sheet, header, match_column, match_value):
    table = file_table(sheet, [header, match_column])
    position = list(table.frame[match_column].astype(str)).index(str(match_value))
    return table.place(position, header).cell


# --- (f) the tags ---------------------------------------------------------------------------------------
def test_every_ribbon_tag_has_a_callable_action():
    tags = set(re.findall(r'tag="([^"]+)"', CUSTOM_UI.read_text(encoding="utf-8")))
    assert tags == set(ribbon.ACTIONS)
    assert all(callable(action) for action in ribbon.ACTIONS.values())
    with pytest.raises(KeyError):
        ribbon.run("finns_inte", book=object())


# --- (a), (b) Uppdatera -------------------------------------------------------------------------------
def test_uppdatera_writes_overview_findings_and_log_like_the_file_refresh(example_copy):
    book = remote_book()
    message = ribbon.run("uppdatera", book=book)

    expected = run_refresh(XlsxBook(example_copy))
    grids = applied(book)
    overview = table_below_header(grids[L.OVERVIEW])
    assert [row[0] for row in overview].count("KF-mål") == 6
    assert [row[0] for row in overview].count("Indikator") == 24
    assert overview == [[None if v == "" else cell_value(v) for v in row] for row in expected.overview]
    statuses = {f"{row[0]} {row[3] or row[2] or row[1]}": row[6] for row in overview}
    assert statuses["Indikator I03"] == expected.statuses["Indikator I03"]
    assert {"Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt"} <= {row[6] for row in overview}

    # the fills: every overview row coloured by its status, with the rulebook's colours
    fills = load_rulebook().data["fills"]
    colour_of_row = {}
    for action in actions_of(book):
        if action["func"] == "setRangeColor" and action["args"][0] is not None:
            assert sheet_names(book)[action["sheet_position"]] == L.OVERVIEW
            assert action["start_column"] == 0 and action["column_count"] == len(L.OVERVIEW_HEADERS)
            for r in range(action["start_row"], action["start_row"] + action["row_count"]):
                colour_of_row[r] = action["args"][0]
    for offset, label in enumerate(expected.fills):
        assert colour_of_row[L.HEADER_ROW + offset] == "#" + fills[label]

    # one block of values per table; the example's one finding is the plan's saving (RULES R8)
    writes = [(sheet, func) for sheet, _, func in touched(book) if func == "setValues"]
    assert writes == [(L.OVERVIEW, "setValues"), (L.FINDINGS, "setValues"), (L.LOG, "setValues"),
                      (L.HISTORY, "setValues")]
    log = table_below_header(grids[L.LOG])
    assert len(log) == 1 and log[0][2] == "Uppdatering Delår 1 2025, 2 fynd" and log[0][3] == "första uppdateringen"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", log[0][0])
    findings = table_below_header(grids[L.FINDINGS])
    # the plan's saving (RULES R8) and I16's +0,8 % against the budget's total (RULES R2, one budget truth)
    assert [row[:2] for row in findings] == [["Besparing", "R8.besparing.skillnad"],
                                             [f"Indikatorer!{coordinate(L.INDICATORS, 'Utfall', 'Id', 'I16')}",
                                              "R5.sanning.avviker"]]

    # the message box says how many findings and changed statuses
    assert alerts(book) == [[message, "VP", "ok", "info", ""]]
    assert "2 fynd" in message and "0 ändrade statusar (första uppdateringen)" in message


def test_uppdatera_never_touches_a_cell_outside_the_output_sheets():
    edits = {(L.INDICATORS, coordinate(L.INDICATORS, "Utfall", "Id", "I03")): "sextiofem"}
    book = remote_book(edits=edits)
    ribbon.run("uppdatera", book=book)
    writes = touched(book)
    assert writes, "the refresh wrote nothing"
    assert {sheet for sheet, _, _ in writes} == {L.OVERVIEW, L.FINDINGS, L.LOG, L.HISTORY}
    for sheet, where, _ in writes:  # below the header row of its table, never the title or the headers
        assert int(re.match(r"[A-Z]+(\d+)", where).group(1)) > L.HEADER_ROW, (sheet, where)
    assert {a["func"] for a in actions_of(book)} <= {"setValues", "rangeClearContents", "setRangeColor",
                                                     "setNumberFormat", "alert"}


def test_a_second_uppdatera_reads_the_last_overview_and_logs_what_moved():
    first = remote_book()
    ribbon.run("uppdatera", book=first)
    data = payload_after(first)
    sheets = {s["name"]: s for s in data["sheets"]}
    row = row_of(L.INDICATORS, "Id", "I13")
    column = range_boundaries(coordinate(L.INDICATORS, "Utfall", "Id", "I13"))[0]
    sheets[L.INDICATORS]["values"][row - 1][column - 1] = "99,5 %"
    second = xw.Book(json=data)
    message = ribbon.run("uppdatera", book=second)
    log = table_below_header(applied(second)[L.LOG])
    assert len(log) == 2  # appended below the first row
    assert "Indikator I13: Röd → Grön" in log[1][3]
    assert "Nämndmål N4: Ej uppfyllt → Uppfyllt" in log[1][3]
    assert "ändrade statusar" in message and "Indikator I13: Röd → Grön" in message
    assert {sheet for sheet, _, _ in touched(second)} == {L.OVERVIEW, L.FINDINGS, L.LOG, L.HISTORY}
    # the old overview, findings and history (rows 5..) were cleared before the new ones were written
    cleared = [a for a in actions_of(second) if a["func"] == "rangeClearContents"]
    assert [sheet_names(second)[a["sheet_position"]] for a in cleared] == [L.OVERVIEW, L.FINDINGS, L.HISTORY]
    assert cleared[0]["start_row"] == L.HEADER_ROW and cleared[0]["row_count"] == 36


# --- (c) Kontrollera ------------------------------------------------------------------------------------
def test_kontrollera_writes_only_the_findings_sheet():
    bad = coordinate(L.INDICATORS, "Utfall", "Id", "I03")
    book = remote_book(edits={(L.INDICATORS, bad): "sextiofem"})
    message = ribbon.run("kontrollera", book=book)
    assert {sheet for sheet, _, _ in touched(book)} == {L.FINDINGS}
    findings = table_below_header(applied(book)[L.FINDINGS])
    assert len(findings) == 3  # the planted value, the plan's saving (RULES R8), I16 against the budget (R2)
    assert findings[0][0] == f"Indikatorer!{bad}" and findings[0][1] == "R1"
    assert f"Indikatorer!{bad}: 'sextiofem'" in findings[0][2]
    assert "3 fynd" in message and "sextiofem" in message
    assert alerts(book)[0][0] == message


def test_kontrollera_on_the_example_finds_only_the_plans_saving_and_the_budget_truth():
    book = remote_book()
    message = ribbon.run("kontrollera", book=book)
    assert "2 fynd" in message and "planens besparing \u22121,7\u00a0mnkr" in message and "utfallet +0,8" in message
    assert {sheet for sheet, _, _ in touched(book)} <= {L.FINDINGS}


# --- (d) Förklara ---------------------------------------------------------------------------------------
def test_forklara_on_an_indicator_row_gives_its_explanation():
    rulebook = load_rulebook()
    required, optional = L.indicator_columns(rulebook.year)
    table = file_table(L.INDICATORS, list(required), list(optional))
    position = list(table.frame["Id"]).index("I03")
    cells = (L.BASELINE, L.target_column(rulebook.year), L.OUTCOME, L.ACTIVITIES)
    expected = grade_indicator(*(table.frame[c].iloc[position] for c in cells), book=rulebook).explanation
    assert expected.endswith("(regel R2.oka.met)")
    row = row_of(L.INDICATORS, "Id", "I03")

    book = remote_book(sheet=L.INDICATORS, selection=f"K{row}")
    text = ribbon.run("forklara", book=book)
    assert expected in text and "I03" in text
    assert alerts(book)[0][0] == text
    assert touched(book) == []  # explaining writes nothing


def test_forklara_on_goal_rows_gives_the_overview_explanation(example_copy):
    expected = run_refresh(XlsxBook(example_copy), write=False)
    n1 = next(row for row in expected.overview if row[0] == "Nämndmål" and row[2] == "N1")
    text = ribbon.run("forklara", book=remote_book(sheet=L.GOALS, selection=f"C{row_of(L.GOALS, 'Nämndmål', 'N1')}"))
    assert text.startswith(f"Nämndmål N1: {n1[6]}") and n1[7] in text
    kf6 = next(row for row in expected.overview if row[0] == "KF-mål" and row[1] == 6)
    text = ribbon.run("forklara", book=remote_book(sheet=L.KF_GOALS, selection=f"B{row_of(L.KF_GOALS, 'KF-mål', 6)}"))
    assert text.startswith(f"KF-mål 6: {kf6[6]}") and kf6[7] in text


@pytest.mark.parametrize("sheet, selection, expected", [
    (L.BUDGET, "C7", "Förklara gäller bladen"),
    (L.INDICATORS, f"A{L.HEADER_ROW}", "är ingen indikatorrad"),
    (L.INDICATORS, "D200", "är ingen indikatorrad"),
    (L.KF_GOALS, "A1", "är ingen målrad"),
])
def test_forklara_elsewhere_says_what_to_select(sheet, selection, expected):
    book = remote_book(sheet=sheet, selection=selection)
    text = ribbon.run("forklara", book=book)
    assert expected in text and "Markera en cell i en indikatorrad" in text
    assert touched(book) == []


# --- (e) errors become messages ------------------------------------------------------------------------
def test_a_vp_error_becomes_a_swedish_message_not_an_exception():
    book = remote_book(drop=(L.INDICATORS,))
    text = ribbon.run("uppdatera", book=book)
    assert text.startswith("VP kunde inte uppdatera arbetsboken")
    assert "bladet Indikatorer saknas" in text
    assert alerts(book) == [[text, "VP", "ok", "critical", ""]]
    assert touched(book) == []


def test_a_missing_column_is_named():
    data = payload_of(EXAMPLE)
    indicators = next(s for s in data["sheets"] if s["name"] == L.INDICATORS)
    indicators["values"][L.HEADER_ROW - 1] = ["Okänd" if v == "Utfall" else v
                                              for v in indicators["values"][L.HEADER_ROW - 1]]
    text = ribbon.run("kontrollera", book=xw.Book(json=data))
    assert "Bladet Indikatorer saknar kolumnen Utfall" in text


# --- Räkna om, Regelbok ---------------------------------------------------------------------------------
def test_rakna_om_clears_the_caches_and_recalculates():
    rules.values._PARSED[("stale", "x")] = None
    rules.values._TARGETS[("stale", "x")] = None
    before = load_rulebook()
    book = remote_book()
    text = ribbon.run("rakna_om", book=book)
    assert ("stale", "x") not in rules.values._PARSED and ("stale", "x") not in rules.values._TARGETS
    assert load_rulebook() is not before  # read again from the file
    assert [a["func"] for a in actions_of(book)] == ["calculate", "alert"]
    assert "vp2025.toml" in text


def test_regelbok_shows_the_rulebook_and_its_sheet():
    book = remote_book()
    text = ribbon.run("regelbok", book=book)
    activate = [a for a in actions_of(book) if a["func"] == "activateSheet"]
    assert [sheet_names(book)[a["sheet_position"]] for a in activate] == [L.RULEBOOK]
    for part in ("vp2025.toml", "planår 2025", "Uppfyllt från 0,70", "Delvis uppfyllt från 0,50",
                 "Grön från 99,5 %", "Gul från 98,0 %", "LSS 80\u00a0%", "SoL 20\u00a0%", "Omsorgsnämnden 40\u00a0%",
                 "Besparing: 3\u00a0%", "indikator 19", "bladet Regler"):
        assert part in text, part
    assert touched(book) == []


# --- the adapter ----------------------------------------------------------------------------------------
def test_the_adapter_reads_values_with_cell_names_and_refuses_input_sheets():
    book = remote_book()
    source = XlwingsBook(book)
    rulebook = load_rulebook()
    required, optional = L.indicator_columns(rulebook.year)
    live = source.read_table(L.INDICATORS, list(required), list(optional))
    file = file_table(L.INDICATORS, list(required), list(optional))
    assert live.rows == file.rows and live.columns == file.columns
    assert live.frame.equals(file.frame)  # doubles from Excel read back as the file's ints
    position = list(live.frame["Id"]).index("I03")
    assert live.place(position, "Utfall") == file.place(position, "Utfall")
    for sheet in (L.INDICATORS, L.BUDGET, L.RULEBOOK):
        with pytest.raises(VPError, match="inget utdatablad"):
            source.write_table(sheet, ["A"], [["x"]])
        with pytest.raises(VPError, match="inget utdatablad"):
            source.append_row(sheet, ["A"], ["x"])
    assert actions_of(book) == []


def test_the_adapter_finds_a_table_away_from_a1_and_keeps_formula_like_text_as_text():
    values = [[""] * 4 for _ in range(8)]
    values[4][2:4] = ["Id", "Utfall"]
    values[5][2:4] = ["I01", 3.0]
    values[7][2:4] = ["I02", "65%"]
    data = {"client": "Microsoft Office Scripts", "version": xw.__version__,
            "book": {"name": "t.xlsx", "active_sheet_index": 0, "selection": "A1"}, "names": [],
            "sheets": [{"name": "Data", "values": values, "used_range_address": "C5:D8", "pictures": [],
                        "tables": []},
                       {"name": L.FINDINGS, "values": [[]], "used_range_address": None, "pictures": [],
                        "tables": []}]}
    book = xw.Book(json=data)
    source = XlwingsBook(book)
    table = source.read_table("Data", ["Id", "Utfall"])
    assert table.rows == [6, 8] and table.frame["Utfall"].tolist() == [3, "65%"]
    assert str(table.place(1, "Utfall")) == "Data!D8"
    source.write_table(L.FINDINGS, L.FINDINGS_HEADERS, [["Data!D8", "R1", "-5 är fel"]])
    values = [a["values"] for a in actions_of(book) if a["func"] == "setValues"]
    assert values[0] == [L.FINDINGS_HEADERS]  # an empty output sheet gets its header row (row 4)
    assert values[1] == [["Data!D8", "R1", "'-5 är fel"]]


def test_progress_uses_the_status_bar_where_there_is_one():
    class App:
        def __init__(self):
            self.shown = []

        @property
        def status_bar(self):
            return self.shown[-1] if self.shown else False

        @status_bar.setter
        def status_bar(self, value):
            self.shown.append(value)

    app = App()
    source = XlwingsBook(SimpleNamespace(app=app))
    source.progress("Läser tabellerna …")
    source.reset_progress()
    assert app.shown == ["VP: Läser tabellerna …", False]

    remote = XlwingsBook(remote_book())  # xlwings' remote engine has no status bar: skipped silently
    remote.progress("Läser tabellerna …")
    remote.reset_progress()
    assert actions_of(remote.book) == []


def test_uppdatera_keeps_notes_typed_beside_the_output_tables():
    notes = {(L.OVERVIEW, "J5"): "anteckning", (L.FINDINGS, "D5"): "notering", (L.LOG, "F12"): "kommentar"}
    bad = {(L.INDICATORS, coordinate(L.INDICATORS, "Utfall", "Id", "I03")): "sextiofem"}  # a finding to write
    first = remote_book(edits={**notes, **bad})
    ribbon.run("uppdatera", book=first)
    second = xw.Book(json=payload_after(first))  # the second press clears the first's tables
    ribbon.run("uppdatera", book=second)
    widths = {L.OVERVIEW: len(L.OVERVIEW_HEADERS), L.FINDINGS: len(L.FINDINGS_HEADERS), L.LOG: len(L.LOG_HEADERS),
              L.HISTORY: len(L.HISTORY_HEADERS)}
    for book in (first, second):
        names = sheet_names(book)
        for action in actions_of(book):
            if action["func"] in NOT_WRITES:
                continue
            sheet = names[action["sheet_position"]]
            assert action["start_column"] + action["column_count"] <= widths[sheet], (sheet, address(action))
    grids = applied(second)
    for (sheet, cell), text in notes.items():
        column, row = range_boundaries(cell)[:2]
        assert grids[sheet][row - 1][column - 1] == text, sheet
    log = [row[:4] for row in table_below_header(grids[L.LOG])]
    # the planted value, the saving, I16 against the budget
    assert [row[2] for row in log if row[0]][:2] == ["Uppdatering Delår 1 2025, 3 fynd"] * 2
    assert grids[L.LOG][L.HEADER_ROW + 1][0]  # the second row right below the first, not below the note
