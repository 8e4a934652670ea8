"""Follow-up periods, the Historik sheet and the trend rule (R12), through `vp refresh` on copies of the
bundled workbooks. Expected values are worked out by hand from the plan's indicators (see the comments),
not taken from the code under test."""

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest

from rules.errors import VPInputError
from rules.periods import Period, parse_period, previous_period
from rules.rulebook import load_rulebook
from rules.trend import indicator_trend
from workbook import layout as L
from workbook.cli import main
from workbook.xlsx import XlsxBook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
EMPTY = ROOT / "workbook" / "VP2025.xlsx"

# The example's outcomes are Delår 1; Delår 2 changes these (Id -> Utfall as typed).
DELAR_2 = {"I02": "Samtliga", "I03": "60%", "I05": "30%", "I12": "NEJ", "I13": "99,5 %", "I16": "-0,3%",
           "I22": "12%", "I24": "8,5%"}
# By hand, in each indicator's own direction (riktvärde from workbook/data/indikatorer.csv):
TRENDS_DELAR_2 = {
    "I02": "↑ bättre",      # Öka: 4/5 -> Samtliga (all) is higher
    "I03": "↓ sämre",       # Öka: 65 % -> 60 %
    "I05": "↑ bättre",      # 30 % (a number to reach, higher is better): 25 % -> 30 %
    "I12": "↓ sämre",       # JA: JA -> NEJ
    "I13": "↑ bättre",      # Bibehåll (higher is better): 98 % -> 99,5 %
    "I16": "↑ bättre",      # +/- 0,5 %: +0,8 % (99,2 % adherence) -> -0,3 % (99,7 %), closer to zero
    "I22": "↓ sämre",       # Minska/Bibehålla: 11 % -> 12 %
    "I24": "↑ bättre",      # Minska/Bibehålla: 9,1 % -> 8,5 %
    "I04": "– inget utfall",  # no outcome in either period
    "I15": "– inget utfall",
    "I14": "– ej jämförbar",  # no riktvärde: no direction (60 % both times)
}
UNCHANGED = ["I01", "I06", "I07", "I08", "I09", "I10", "I11", "I17", "I18", "I19", "I20", "I21", "I23"]
TRENDS_DELAR_2.update({ident: "→ oförändrad" for ident in UNCHANGED})
# Rows per period: 6 KF goals, 6 board goals (N1-N5, Kontoret), 24 indicators, 11 budget rows with a
# prognosis (workbook/build.py EXAMPLE_PROGNOSES) and the budget in total.
ROWS_PER_PERIOD = 6 + 6 + 24 + 11 + 1


def copy(source, tmp_path, name="VP2025.xlsx"):
    path = tmp_path / name
    shutil.copy(source, path)
    return path


def set_outcomes(path, outcomes):
    table = XlsxBook(path).read_table(L.INDICATORS, [L.ID, L.OUTCOME])
    wb = openpyxl.load_workbook(path)
    for position, ident in enumerate(table.frame[L.ID]):
        if ident in outcomes:
            wb[L.INDICATORS][table.place(position, L.OUTCOME).cell] = outcomes[ident]
    wb.save(path)


def history(path):
    """Historik's rows below its header, as openpyxl reads the saved file."""
    ws = openpyxl.load_workbook(path)[L.HISTORY]
    header = next(r for r in range(1, 16) if ws.cell(row=r, column=1).value == L.PERIOD)
    assert [c.value for c in ws[header]][:len(L.HISTORY_HEADERS)] == L.HISTORY_HEADERS
    return [tuple(row[:len(L.HISTORY_HEADERS)]) for row in ws.iter_rows(min_row=header + 1, values_only=True)
            if any(v is not None for v in row[:len(L.HISTORY_HEADERS)])]


def period_cell(path):
    ws = openpyxl.load_workbook(path)[L.OVERVIEW]
    return ws[f"A{L.PERIOD_ROW}"].value, ws[f"B{L.PERIOD_ROW}"].value


def one_error_line(err):
    lines = [line for line in err.splitlines() if line.startswith("Fel:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- periods -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, name", [("Delår 1 2025", "Delår 1"), ("delår 2  2025", "Delår 2"),
                                         (" ÅRSREDOVISNING 2025 ", "Årsredovisning"), ("Delår 1, 2025", "Delår 1")])
def test_a_period_is_read_in_the_rulebooks_spelling(typed, name):
    period = parse_period(typed, "Översikt!B3")
    assert period.text == f"{name} 2025"


@pytest.mark.parametrize("typed, says", [("Delår 3 2025", "är ingen uppföljningsperiod"),
                                         ("Delår 1 2024", "gäller 2024, men arbetsboken och regelboken gäller planåret 2025"),
                                         ("Delår 1", "är ingen uppföljningsperiod"), (2025, "är ingen uppföljningsperiod")])
def test_a_wrong_period_names_the_cell_and_says_what_to_write(typed, says):
    with pytest.raises(VPInputError) as caught:
        parse_period(typed, "Översikt!B3")
    message = str(caught.value)
    assert message.startswith("Översikt!B3:") and says in message
    assert "Delår 1 2025, Delår 2 2025 eller Årsredovisning 2025" in message


def test_the_previous_period_follows_the_years_order_not_the_order_stored():
    d1, d2, year = Period("Delår 1", 2025, 0), Period("Delår 2", 2025, 1), Period("Årsredovisning", 2025, 2)
    assert previous_period([year, d1, d2], year) == d2  # Delår 1 corrected last changes nothing
    assert previous_period([d2, year], d1) is None
    assert previous_period([d1, year], d2) == d1


# --- the trend rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize("riktvarde, before, now, trend", [
    ("Öka", "61%", "65%", "battre"), ("Öka", "65%", "61%", "samre"), ("Öka", "61%", "61 %", "oforandrad"),
    ("Minska", "10%", "9%", "battre"), ("Minska", "9%", "10%", "samre"),
    ("Bibehåll", "99%", "98%", "samre"), ("Öka/Bibehålla", "82", "83", "battre"),
    ("Minska/Bibehålla", "8,7%", "9,1%", "samre"), ("högst 8 %", "8%", "7%", "battre"), ("< 5%", "4%", "6%", "samre"),
    ("30%", "25%", "30%", "battre"), ("Samtliga", "3/5", "Tre av fem insatser", "oforandrad"),
    ("Samtliga", "Samtliga", "4/5", "samre"), ("JA", "NEJ", "JA", "battre"), ("JA", "JA", "Nej", "samre"),
    ("+/- 0,5 %", "+1,4%", "-0,8%", "battre"), ("+/- 0,5 %", "-0,2%", "+0,6%", "samre"),
    ("+/- 0,5 %", "+0,8%", "-0,8%", "oforandrad"),
    ("", "60%", "65%", "ej_jamforbar"), ("Öka", "65", "61%", "ej_jamforbar"), ("Öka", "JA", "61%", "ej_jamforbar"),
    ("Öka", "", "61%", "inget_tidigare"), ("Öka", "61%", "", "inget_utfall"),
])
def test_the_trend_is_decided_in_the_indicators_own_direction(riktvarde, before, now, trend):
    result = indicator_trend(riktvarde, before, now, period="Delår 2 2025", previous_period="Delår 1 2025")
    assert result.trend == trend
    assert result.rule.startswith("R12.") and result.explanation.endswith(f"(regel {result.rule})")
    assert result.shown.split(" ", 1)[1] == load_rulebook().data["trend"]["verdicts"][trend]["label"]


def test_values_in_different_units_are_not_compared_and_the_reason_is_said():
    result = indicator_trend("Öka", "65", "61%", period="Delår 2 2025", previous_period="Delår 1 2025")
    assert "65 (Delår 1 2025) och utfallet 61" in result.explanation and "vanligt tal" in result.explanation


# --- the period cell -----------------------------------------------------------------------------------
def test_refresh_of_a_workbook_without_a_period_needs_the_flag_and_changes_nothing(tmp_path, capsys):
    path = copy(EMPTY, tmp_path)
    before = hashlib.sha256(path.read_bytes()).digest()
    assert main(["refresh", str(path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"Fel: {L.OVERVIEW}!B{L.PERIOD_ROW} ({L.PERIOD_LABEL}) är tom")
    assert 'vp refresh FIL --period "Delår 1 2025"' in line
    assert hashlib.sha256(path.read_bytes()).digest() == before and not list(tmp_path.glob("*backup*"))

    assert main(["refresh", str(path), "--period", "Delår 1 2025"]) == 0
    assert period_cell(path) == (L.PERIOD_LABEL, "Delår 1 2025")
    rows = history(path)
    assert len(rows) == 6 + 6 + 24  # no prognosis in the empty workbook: no budget rows
    assert {row[0] for row in rows} == {"Delår 1 2025"}
    assert main(["refresh", str(path)]) == 0  # the cell now says it


def test_a_typed_period_is_never_overwritten_except_by_the_flag(tmp_path, capsys):
    path = copy(EXAMPLE, tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[L.OVERVIEW][f"B{L.PERIOD_ROW}"] = "delår 1 2025"  # typed in lower case: the same period
    wb.save(path)
    assert main(["refresh", str(path)]) == 0
    assert period_cell(path)[1] == "delår 1 2025"  # as the person typed it
    assert {row[0] for row in history(path)} == {"Delår 1 2025"}  # stored in the rulebook's spelling
    assert main(["refresh", str(path), "--period", "Delår 2 2025"]) == 0
    assert period_cell(path)[1] == "Delår 2 2025"
    assert "skriven i Översikt!B3" in capsys.readouterr().out


def test_a_period_typed_wrongly_is_a_finding_for_check_and_refused_by_refresh(tmp_path, capsys):
    path = copy(EXAMPLE, tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[L.OVERVIEW][f"B{L.PERIOD_ROW}"] = "Delår 3 2025"
    wb.save(path)
    assert main(["check", str(path)]) == 1
    assert "- [R12] Översikt!B3: 'Delår 3 2025' är ingen uppföljningsperiod." in capsys.readouterr().out
    assert main(["refresh", str(path)]) == 2
    assert one_error_line(capsys.readouterr().err).startswith("Fel: Översikt!B3: 'Delår 3 2025' är ingen")
    assert main(["refresh", str(path), "--period", "Årsredovisning 2025"]) == 0


# --- the history -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def periods(tmp_path_factory):
    """The example refreshed as Delår 1, then Delår 2 with changed outcomes: Historik after each step."""
    folder = tmp_path_factory.mktemp("historik")
    path = copy(EXAMPLE, folder)
    assert main(["refresh", str(path)]) == 0
    after_1 = history(path)
    set_outcomes(path, DELAR_2)
    assert main(["refresh", str(path), "--period", "Delår 2 2025"]) == 0
    return path, after_1, history(path)


def test_the_history_stores_every_item_of_the_period(periods):
    _, after_1, _ = periods
    assert len(after_1) == ROWS_PER_PERIOD
    key = {L.LEVEL_KF: 2, L.LEVEL_GOAL: 3, L.LEVEL_INDICATOR: 4, L.LEVEL_BUDGET: 5, L.LEVEL_BUDGET_TOTAL: 5}
    by = {(row[1], row[key[row[1]]]): row for row in after_1}
    assert len(by) == ROWS_PER_PERIOD
    i03 = by[(L.LEVEL_INDICATOR, "I03")]
    assert i03[:9] == ("Delår 1 2025", "Indikator", 1, "N1", "I03", "Följsamhet till basal hygien", "61%", "Öka", "65%")
    assert (i03[10], i03[12], i03[13]) == (1, "Grön", "R2.oka.met")  # 65 % > 61 %: improved, 1
    i16 = by[(L.LEVEL_INDICATOR, "I16")]
    assert (i16[8], i16[10], i16[12]) == ("+0,8%", 0.5, "Gul")  # 99,2 % adherence: yellow
    assert by[(L.LEVEL_GOAL, "N5")][12] == "Delvis uppfyllt"  # capped by the yellow dominant I16
    assert by[(L.LEVEL_KF, 4)][12:14] == ("Delvis uppfyllt", "R4.override")
    daily = by[(L.LEVEL_BUDGET, "Daglig verksamhet")]
    assert (daily[8], daily[9], daily[11], daily[12]) == (176, 170.3, 0.967, "Röd")  # 100 % - 5,7/170,3 = 96,7 %
    total = by[(L.LEVEL_BUDGET_TOTAL, L.BUDGET_TOTAL_NAME)]
    # 11 prognoses sum to 887,15 against 874,3: 100 % - 12,85/874,3 = 98,53 % -> 98,5 %, yellow
    assert total[8] == pytest.approx(887.15) and total[9] == pytest.approx(874.3)
    assert (total[11], total[12]) == (0.985, "Gul")


def test_a_later_period_keeps_the_earlier_rows_exactly(periods):
    _, after_1, after_2 = periods
    assert len(after_2) == 2 * ROWS_PER_PERIOD
    assert after_2[:ROWS_PER_PERIOD] == after_1  # every value, the timestamps too
    second = after_2[ROWS_PER_PERIOD:]
    assert {row[0] for row in second} == {"Delår 2 2025"}
    outcomes = {row[4]: row[8] for row in second if row[1] == L.LEVEL_INDICATOR}
    assert {ident: outcomes[ident] for ident in DELAR_2} == DELAR_2


def test_refreshing_a_period_again_replaces_only_its_rows(periods, tmp_path):
    source, _, after_2 = periods
    path = copy(source, tmp_path)
    set_outcomes(path, {"I17": "70"})
    assert main(["refresh", str(path)]) == 0  # the cell says Delår 2 2025 now
    again = history(path)
    assert len(again) == 2 * ROWS_PER_PERIOD
    assert again[:ROWS_PER_PERIOD] == after_2[:ROWS_PER_PERIOD]
    assert [row[4] for row in again[ROWS_PER_PERIOD:]] == [row[4] for row in after_2[ROWS_PER_PERIOD:]]
    assert [row[8] for row in again if row[4] == "I17"] == ["69", "70"]
    # a correction of Delår 1: its rows replaced where they stand, Delår 2's kept exactly
    set_outcomes(path, {"I17": "66"})
    assert main(["refresh", str(path), "--period", "Delår 1 2025"]) == 0
    corrected = history(path)
    assert [row[0] for row in corrected] == ["Delår 1 2025"] * ROWS_PER_PERIOD + ["Delår 2 2025"] * ROWS_PER_PERIOD
    assert corrected[ROWS_PER_PERIOD:] == again[ROWS_PER_PERIOD:]
    assert [row[8] for row in corrected if row[4] == "I17"] == ["66", "70"]


def test_the_refresh_of_the_second_period_reports_the_trends_worked_out_by_hand(periods, capsys):
    path, _, _ = periods
    from workbook.refresh import run_refresh

    result = run_refresh(XlsxBook(path, read_only=True), write=False)
    assert str(result.follow.period) == "Delår 2 2025" and str(result.follow.previous) == "Delår 1 2025"
    shown = {ident.upper(): trend.shown for ident, trend in result.follow.trends.items()}
    assert shown == TRENDS_DELAR_2


def test_an_older_workbook_without_the_period_cell_gets_it_from_the_flag(tmp_path, capsys):
    path = copy(EXAMPLE, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb[L.OVERVIEW]
    ws[f"A{L.PERIOD_ROW}"], ws[f"B{L.PERIOD_ROW}"] = None, None  # as the builder made it before periods
    wb.save(path)
    assert main(["refresh", str(path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"Fel: bladet {L.OVERVIEW} saknar cellen {L.PERIOD_LABEL}: ange perioden")
    assert main(["refresh", str(path), "--period", "Delår 1 2025"]) == 0
    assert period_cell(path) == (L.PERIOD_LABEL, "Delår 1 2025")
    # where the label would go is taken: nothing is overwritten, the message says what to do
    wb = openpyxl.load_workbook(path)
    wb[L.OVERVIEW][f"A{L.PERIOD_ROW}"] = "anteckning"
    wb.save(path)
    before = path.read_bytes()
    assert main(["refresh", str(path), "--period", "Delår 2 2025"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"Fel: {L.OVERVIEW}!A{L.PERIOD_ROW} används redan") and path.read_bytes() == before


def test_the_uppdatera_button_keeps_the_earlier_period_in_live_excel_too():
    """The same routine through the xlwings adapter (xlwings' remote engine): Delår 1, then a person
    types Delår 2 in the period cell and changes I03; Delår 1's rows are written back unchanged."""
    import xlwings as xw
    from openpyxl.utils import range_boundaries

    from tests.remote import applied, payload_after, remote_book, table_below_header
    from xl_addin import ribbon

    first = remote_book()
    assert "Uppdateringen är klar för Delår 1 2025" in ribbon.run("uppdatera", book=first)
    before = table_below_header(applied(first)[L.HISTORY])
    assert len(before) == ROWS_PER_PERIOD
    data = payload_after(first)
    sheets = {s["name"]: s for s in data["sheets"]}
    sheets[L.OVERVIEW]["values"][L.PERIOD_ROW - 1][1] = "Delår 2 2025"
    table = XlsxBook(EXAMPLE).read_table(L.INDICATORS, [L.ID, L.OUTCOME])
    column, row = range_boundaries(table.place(list(table.frame[L.ID]).index("I03"), L.OUTCOME).cell)[:2]
    sheets[L.INDICATORS]["values"][row - 1][column - 1] = "60%"
    second = xw.Book(json=data)
    assert "Uppdateringen är klar för Delår 2 2025" in ribbon.run("uppdatera", book=second)
    after = table_below_header(applied(second)[L.HISTORY])
    assert after[:ROWS_PER_PERIOD] == before and len(after) == 2 * ROWS_PER_PERIOD
    assert [r[8] for r in after if r[1] == L.LEVEL_INDICATOR and r[4] == "I03"] == ["65%", "60%"]
    # the period cell is never written by the button (a person typed it)
    assert all(not (a["start_row"] < L.HEADER_ROW and a["func"] == "setValues") for a in second.json()["actions"]
               if a["func"] != "alert")
