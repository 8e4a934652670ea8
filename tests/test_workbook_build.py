"""The VP workbook builder: deterministic bytes, the plan's data, thin formulas, and an independent
Excel engine.

The last group evaluates the example workbook with the `formulas` package (an Excel formula engine
in Python), with the =VP_* catalogue registered as custom functions the way xlwings calls them, and
compares what the sheets compute with figures worked out by hand from the plan and RULES.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula

from rules.rulebook import load_rulebook
from workbook import build
from workbook import layout as L

BOOK = load_rulebook()
TARGET = L.target_column(BOOK.year)
COMMITTED_PLAIN, COMMITTED_EXAMPLE = build.default_paths()


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_csv(name):
    with open(build.DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("vp")
    return {"plain": build.build_workbook(out / "VP2025.xlsx"),
            "example": build.build_workbook(out / "VP2025-exempel.xlsx", example=True)}


@pytest.fixture(scope="module")
def books(built):
    return {kind: load_workbook(path) for kind, path in built.items()}


def header_map(ws):
    return {ws.cell(row=L.HEADER_ROW, column=c).value: get_column_letter(c)
            for c in range(1, ws.max_column + 1) if ws.cell(row=L.HEADER_ROW, column=c).value is not None}


def data_rows(ws, key_col="A"):
    row = L.FIRST_DATA_ROW
    while ws[f"{key_col}{row}"].value not in (None, ""):
        yield row
        row += 1


# --------------------------------------------------------------------------- (a), (b) determinism

def test_two_builds_are_byte_identical(tmp_path):
    for example in (False, True):
        first = build.build_workbook(tmp_path / "a.xlsx", example=example)
        second = build.build_workbook(tmp_path / "b.xlsx", example=example)
        assert sha256(first) == sha256(second)


def zip_parts(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, info.date_time, archive.read(info)) for info in archive.infolist()]


@pytest.mark.parametrize("kind,committed", [("plain", COMMITTED_PLAIN), ("example", COMMITTED_EXAMPLE)])
def test_committed_workbooks_are_fresh(built, kind, committed):
    """The committed workbooks are a fresh build: same parts, same order, same bytes in every part.

    The parts are compared after decompression, so another zlib (e.g. zlib-ng) compressing the same
    XML differently is not a false alarm. With the same zlib, equal parts in the same order with the
    same fixed timestamps are equal bytes (the build is deterministic, see the test above)."""
    assert committed.exists(), f"{committed.name} saknas: kör python -m workbook.build"
    fresh, stored = zip_parts(built[kind]), zip_parts(committed)
    assert [p[0] for p in stored] == [p[0] for p in fresh], \
        f"{committed.name} är inte byggd från nuvarande data/kod: kör python -m workbook.build"
    stale = [name for (name, _, a), (_, _, b_) in zip(stored, fresh) if a != b_]
    assert not stale, f"{committed.name} är inte aktuell ({', '.join(stale)}): kör python -m workbook.build"
    assert all(p[1] == build.ZIP_TIME for p in stored)


# --------------------------------------------------------------------------- structure

def test_sheet_order_and_titles(books):
    for wb in books.values():
        names = wb.sheetnames
        assert names[0] == L.OVERVIEW and names[-2:] == [L.FINDINGS, L.LOG]
        assert names[1:6] == [L.INDICATORS, L.GOALS, L.KF_GOALS, L.ANALYSIS, L.BUDGET]
        assert names[-7:-5] == [L.RULES, L.RULEBOOK]  # output sheets last
        assert names[-5:-2] == [L.HISTORY, L.KOLADA_VALUES, L.APPROVALS]
        assert names[-8] == L.KOLADA  # the Kolada mapping (input) just before the rules
        for ws in wb.worksheets:
            assert ws["A1"].value and ws["A1"].font.b, ws.title
            assert ws["A2"].value, ws.title
            assert not ws.protection.sheet, ws.title  # people type in the workbook: nothing is locked


def test_headers_unique_bold_frozen(books):
    table_sheets = [n for n in books["plain"].sheetnames if n not in (L.SPLITS, L.SAVING)]
    for name in table_sheets:
        ws = books["plain"][name]
        headers = [ws.cell(row=L.HEADER_ROW, column=c).value for c in range(1, ws.max_column + 1)]
        headers = [h for h in headers if h is not None]
        assert len(headers) == len(set(headers)), name
        assert all(ws.cell(row=L.HEADER_ROW, column=c).font.b for c in range(1, len(headers) + 1))
        assert ws.freeze_panes == f"A{L.FIRST_DATA_ROW}"
        for row in range(1, L.HEADER_ROW):  # no header name above the header row
            for c in range(1, ws.max_column + 1):
                assert ws.cell(row=row, column=c).value not in headers or row == 1
    assert [books["plain"][L.OVERVIEW].cell(row=L.HEADER_ROW, column=c).value
            for c in range(1, len(L.OVERVIEW_HEADERS) + 1)] == L.OVERVIEW_HEADERS
    required, optional = L.indicator_columns(BOOK.year)
    assert {*required, *optional, *L.INDICATOR_FORMULAS} <= set(header_map(books["plain"][L.INDICATORS]))
    for sheet, (required, optional) in ((L.BUDGET, L.BUDGET_COLUMNS), (L.KF_GOALS, L.KF_COLUMNS),
                                        (L.GOALS, L.GOAL_COLUMNS), (L.FRAME, L.FRAME_COLUMNS)):
        assert {*required, *optional} <= set(header_map(books["plain"][sheet])), sheet


# --------------------------------------------------------------------------- (c) the plan's data

def _text(value):
    return "" if value is None else str(value)


def test_indicator_rows_match_csv(books):
    rows = read_csv("indikatorer.csv")
    for kind, wb in books.items():
        ws = wb[L.INDICATORS]
        cols = header_map(ws)
        assert list(data_rows(ws)) == list(range(L.FIRST_DATA_ROW, L.FIRST_DATA_ROW + 24))
        for offset, rec in enumerate(rows):
            row = L.FIRST_DATA_ROW + offset
            for name, text in rec.items():
                if name in cols:
                    assert _text(ws[f"{cols[name]}{row}"].value) == text, (kind, rec[L.ID], name)
            assert isinstance(ws[f"{cols[L.KF]}{row}"].value, int)
            assert ws[f"{cols[L.OUTCOME]}{row}"].number_format == "@"  # 4/5 must not become a date
            if kind == "plain":
                assert ws[f"{cols[L.OUTCOME]}{row}"].value is None
                assert ws[f"{cols[L.ACTIVITIES]}{row}"].value is None


def test_budget_and_tables_are_numbers(books):
    ws = books["plain"][L.BUDGET]
    cols = header_map(ws)
    rows = read_csv("internbudget.csv")
    for offset, rec in enumerate(rows):
        row = L.FIRST_DATA_ROW + offset
        for name in L.BUDGET_AMOUNTS:
            cell = ws[f"{cols[name]}{row}"]
            assert cell.value == float(rec[name].replace(",", ".")) and cell.number_format == "0.0"
        if rec[L.ROW_KIND] == L.SUM:
            assert ws[f"A{row}"].font.b  # stated sums: numbers, not =SUM
    volumes = books["plain"][L.VOLUMES]
    vcols = header_map(volumes)
    for offset, rec in enumerate(read_csv("volymer.csv")):
        assert volumes[f"{vcols[L.VOLUME_BUDGET]}{L.FIRST_DATA_ROW + offset}"].value == int(rec[L.VOLUME_BUDGET])
    frame = books["plain"][L.FRAME]
    fcols = header_map(frame)
    assert [frame[f"{fcols[L.AMOUNT]}{r}"].value for r in data_rows(frame)] == \
        [float(r[L.AMOUNT].replace(",", ".")) for r in read_csv("ramjusteringar.csv")]


def test_rulebook_sheet_lists_every_parameter(books):
    ws = books["plain"][L.RULEBOOK]
    cols = header_map(ws)
    paths = [p for p, _ in BOOK.paths()]
    rows = list(data_rows(ws))
    assert [ws[f"{cols[L.RULE_NAME]}{r}"].value for r in rows] == paths
    assert "goal.thresholds.uppfyllt" in paths and not any(p.startswith("rules") for p in paths)


def test_rules_sheet_lists_every_rule_in_order(books):
    ws = books["plain"][L.RULES]
    cols = header_map(ws)
    ids = [ws[f"{cols[L.RULE_ID]}{r}"].value for r in data_rows(ws)]
    with open(build.HERE.parent / "rules" / "rulebook" / "vp2025.toml", encoding="utf-8") as handle:
        declared = re.findall(r'^id = "([^"]+)"', handle.read(), re.MULTILINE)  # the file, read as text
    assert ids == declared and len(ids) >= 40
    row = L.FIRST_DATA_ROW + ids.index("R2.oka.met")
    assert ws[f"{cols[L.RULE_WHEN]}{row}"].value == "riktvarde = oka och utfall > ingaende_hog"
    assert ws[f"{cols[L.RULE_THEN]}{row}"].value == "verdict = met"


def test_conditional_formats_use_rulebook_fills(books):
    fills = BOOK.data["fills"]
    seen = set()
    for name in (L.INDICATORS, L.GOALS, L.KF_GOALS, L.BUDGET):
        ws = books["plain"][name]
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                label = rule.formula[0]
                assert label.startswith('"') and label.endswith('"')
                label = label[1:-1]
                assert rule.dxf.fill.fgColor.rgb[-6:] == fills[label]
                seen.add((name, label))
    assert {(L.INDICATORS, "Grön"), (L.INDICATORS, "Ej bedömd"), (L.GOALS, "Uppfyllt"), (L.KF_GOALS, "Ej uppfyllt"),
            (L.BUDGET, "Röd")} <= seen


def test_manual_status_has_a_list(books):
    ws = books["plain"][L.KF_GOALS]
    col = header_map(ws)[L.OVERRIDE]
    dvs = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{col}{L.FIRST_DATA_ROW}")]
    assert len(dvs) == 1 and dvs[0].type == "list"
    assert dvs[0].formula1 == '"' + ",".join(BOOK.data["kf"]["override_statuses"]) + '"'


# --------------------------------------------------------------------------- (d) formulas

FUNCTIONS = re.compile(r"([A-Z][A-Z0-9_.]*)\(")
EXCEL_FUNCTIONS = {"IF", "OR", "INDEX", "ISNUMBER", "ROUND"}  # all an economist needs besides the VP functions


def formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula) or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    yield ws.title, cell.coordinate, cell.value


def test_every_formula_is_thin(books):
    """Typed by hand: no legacy array formula, at most 100 characters, no error text built in the
    formula, only the VP functions and a few plain Excel functions (Excel 2016, no dynamic arrays)."""
    from xl_addin.udfs import CATALOGUE

    allowed = {f.__name__ for f in CATALOGUE} | EXCEL_FUNCTIONS
    for kind, wb in books.items():
        seen = 0
        for sheet, coordinate, value in formulas(wb):
            seen += 1
            assert not isinstance(value, ArrayFormula), (kind, sheet, coordinate)
            assert len(value) <= 100, (kind, sheet, coordinate, value)
            assert "#VP-FEL" not in value and "ADDRESS(" not in value, (sheet, coordinate)
            assert set(FUNCTIONS.findall(value)) <= allowed, (sheet, coordinate, value)
        assert seen > 100


CELL = re.compile(r"(?<![A-Za-z0-9_!:'])(\$?[A-Z]{1,3})(\$?\d+)(?![\d(A-Za-z_])")
ROW_FORMULAS = {
    L.INDICATORS: {L.SCORE: "=VP_INDICATORSCORE(", L.COLOUR: "=VP_INDICATORCOLOR(", L.EXPLANATION: "=VP_EXPLAIN("},
    L.GOALS: {L.AVERAGE: "=VP_GOALSCORE(", L.STATUS: "=VP_GOALSTATUS(", L.EXPLANATION: "=VP_GOALEXPLAIN("},
    L.KF_GOALS: {L.COMPUTED: "=VP_KFSTATUS(", L.STATUS: "=VP_KFSTATUS("},
    L.BUDGET: {L.DEVIATION: "=IF(", L.ADHERENCE: "=IF(", L.COLOUR: "=IF("},
    L.PRICES: {L.PRICE_FULL_YEAR: "=VP_FULLYEAR(", L.PRICE_EFFECT: "=IF("},
    L.VOLUMES: {L.VOLUME_ADJUSTMENT: "=IF("},
    L.RULEBOOK: {L.RULE_VALUE: "=VP_RULE("},
    L.RULES: {L.RULE_ABOUT: "=VP_RULE("},
}


def local_refs(formula):
    """Row numbers of the same-sheet cell references (not quoted text, not Sheet!refs, not names)."""
    stripped = re.sub(r'"[^"]*"', '""', formula)
    sheet_ref = r"('[^']+'|[A-Za-zÅÄÖåäö_][\w.]*)!\$?[A-Z]{1,3}\$?\d+(:\$?[A-Z]{1,3}\$?\d+)?"
    stripped = re.sub(sheet_ref, "X", stripped)
    return [int(m.group(2).lstrip("$")) for m in CELL.finditer(stripped)]


def test_row_formulas_refer_to_their_own_row(books):
    for kind, wb in books.items():
        for sheet, columns in ROW_FORMULAS.items():
            ws = wb[sheet]
            cols = header_map(ws)
            rows = list(data_rows(ws))
            assert rows, sheet
            for name, prefix in columns.items():
                for row in rows:
                    value = ws[f"{cols[name]}{row}"].value
                    assert isinstance(value, str) and value.startswith(prefix), (kind, sheet, name, row, value)
                    refs = local_refs(value)
                    assert refs and set(refs) == {row}, (sheet, name, row, value)


def test_indicator_formulas_read_the_plan_year_columns(books):
    ws = books["plain"][L.INDICATORS]
    cols = header_map(ws)
    assert ws[f"{cols[L.SCORE]}5"].value == "=VP_INDICATORSCORE(E5,F5,K5,L5)"
    assert (cols[L.BASELINE], cols[TARGET], cols[L.OUTCOME], cols[L.ACTIVITIES]) == ("E", "F", "K", "L")


def test_the_goal_and_kf_formulas_read_the_table_by_its_name(books):
    wb = books["plain"]
    ind = wb[L.INDICATORS]
    last = get_column_letter(len(header_map(ind)))
    # the 24 indicators on rows 5-28 and 100 empty rows for new ones
    assert wb.defined_names[L.INDICATOR_TABLE_NAME].attr_text == f"{L.INDICATORS}!$A${L.HEADER_ROW}:${last}$128"
    budget = wb[L.BUDGET]
    assert wb.defined_names[L.BUDGET_TABLE_NAME].attr_text.startswith(f"{L.BUDGET}!$A${L.HEADER_ROW}:$")
    goals = wb[L.GOALS]
    assert goals["E5"].value == f"=VP_GOALSTATUS(A5:B5,{L.INDICATOR_TABLE_NAME})"
    assert [goals[f"A{r}"].value for r in data_rows(goals)] == ["N1", "N2", "N3", "N4", "N5", "Kontoret"]
    kf = wb[L.KF_GOALS]
    assert kf["H10"].value == f"=VP_KFSTATUS(A10,D10,{L.INDICATOR_TABLE_NAME},F10,G10)"
    assert kf["D10"].value is None  # KF-mål 6 has no board goal
    assert "indikativ" in kf["E10"].comment.text.casefold()
    del budget


def test_no_formulas_in_input_columns(books):
    for wb in books.values():
        for sheet, inputs in ((L.INDICATORS, (L.OUTCOME, L.ACTIVITIES)), (L.KF_GOALS, (L.OVERRIDE, L.MOTIVATION)),
                              (L.BUDGET, (L.ACTUAL, *L.BUDGET_AMOUNTS))):
            ws = wb[sheet]
            cols = header_map(ws)
            for name in inputs:
                for row in data_rows(ws):
                    value = ws[f"{cols[name]}{row}"].value
                    assert not (isinstance(value, str) and value.startswith("=")), (sheet, name, row)


# --------------------------------------------------------------------------- (e) an independent Excel engine

def evaluate(path):
    """Calculate a workbook with `formulas`; returns value(sheet, "A1") -> the computed cell value."""
    pytest.importorskip("formulas")
    from workbook.evaluate import calculate

    cells = calculate(path)

    def value(sheet, ref):
        return cells.get((sheet.upper(), ref))

    value.cells = cells
    return value


@pytest.fixture(scope="module")
def evaluated(built):
    return evaluate(built["example"]), load_workbook(built["example"])


def _errors(value):
    return {k: v for k, v in value.cells.items()
            if type(v).__name__ == "XlError" or (isinstance(v, str) and v.startswith("#"))}


def test_engine_plain_workbook_computes_without_errors(built):
    value = evaluate(built["plain"])
    assert not _errors(value)
    ws = load_workbook(built["plain"])[L.GOALS]
    status = header_map(ws)[L.STATUS]
    assert {value(L.GOALS, f"{status}{r}") for r in data_rows(ws)} == {"Ej bedömd"}


def test_engine_example_computes_without_errors(evaluated):
    assert not _errors(evaluated[0])


# Worked out by hand from the plan's baselines and targets and the example's typed outcomes
# (build.EXAMPLE_INDICATORS), with RULES.md R2: Id -> (Poäng, Färg, the rule that decides).
EXAMPLE_GRADES = {
    "I01": (1, "Grön", "R2.samtliga.met"), "I02": (1, "Grön", "R2.oka.met"), "I03": (1, "Grön", "R2.oka.met"),
    "I04": ("Ej bedömd", "Grå", "R2.ej_bedomd.riktvarde_saknas"), "I05": (0.5, "Gul", "R2.not_met.aktiviteter"),
    "I06": (1, "Grön", "R2.minst.met"), "I07": (0.5, "Gul", "R2.not_met.aktiviteter"),
    "I08": (1, "Grön", "R2.oka.met"), "I09": (0, "Röd", "R2.not_met.inga_aktiviteter"),
    "I10": (0.5, "Gul", "R2.not_met.aktiviteter"), "I11": (1, "Grön", "R2.oka.met"), "I12": (1, "Grön", "R2.ja.met"),
    "I13": (0, "Röd", "R2.not_met.inga_aktiviteter"), "I14": ("Ej bedömd", "Grå", "R2.ej_bedomd.riktvarde_saknas"),
    "I15": ("Ej bedömd", "Grå", "R2.ej_bedomd.riktvarde_saknas"),
    "I16": (0.5, "Gul", "R2.budget.gul"),  # +0,8 % -> 99,2 %: yellow whatever the activities
    "I17": (1, "Grön", "R2.oka.met"), "I18": (1, "Grön", "R2.minst.met"),
    "I19": (0.5, "Gul", "R2.not_met.aktiviteter"),  # 14 % is not above the range's upper end 15 %
    "I20": (1, "Grön", "R2.minst.met"), "I21": (0, "Röd", "R2.not_met.inga_aktiviteter"),
    "I22": (0.5, "Gul", "R2.not_met.aktiviteter"), "I23": (1, "Grön", "R2.oka_bibehalla.met"),
    "I24": (0, "Röd", "R2.not_met.inga_aktiviteter"),
}
# Nämndmål -> (Medel, Status, rule): N5's 0,80 is capped by its dominant yellow I16.
EXAMPLE_GOALS = {"N1": (0.9, "Uppfyllt", "R3.band.uppfyllt"), "N2": (0.5, "Delvis uppfyllt", "R3.band.delvis"),
                 "N3": (1.0, "Uppfyllt", "R3.band.uppfyllt"), "N4": (0.0, "Ej uppfyllt", "R3.band.ej_uppfyllt"),
                 "N5": (0.8, "Delvis uppfyllt", "R3.cap.gul"), "Kontoret": (0.38, "Ej uppfyllt", "R3.band.ej_uppfyllt")}
# KF-mål -> (Beräknad status, Status): KF 4 has a manual judgement, KF 6 is indicative.
EXAMPLE_KF = {1: ("Uppfyllt", "Uppfyllt"), 2: ("Delvis uppfyllt", "Delvis uppfyllt"), 3: ("Uppfyllt", "Uppfyllt"),
              4: ("Ej uppfyllt", "Delvis uppfyllt"), 5: ("Delvis uppfyllt", "Delvis uppfyllt"),
              6: ("Ej uppfyllt", "Ej uppfyllt")}
# Verksamhetsområde -> (Avvikelse, Följsamhet, Färg) for the example's prognoses, by hand.
EXAMPLE_BUDGET = {
    "Personlig assistans": (-0.3, 0.997, "Grön"), "Korta insatser": (-0.15, 0.985, "Gul"),
    "Korttidsverksamhet": (0.0, 1.0, "Grön"), "Bostad med särskild service": (-7.1, 0.985, "Gul"),
    "Daglig verksamhet": (-5.7, 0.967, "Röd"), "Gemensamma kostnader SoL": (0.1, 0.987, "Gul"),
    "Ordinärt boende": (-0.1, 0.998, "Grön"), "Särskilt boende": (0.0, 1.0, "Grön"),
    "Turbundna resor och riksfärdtjänst": (0.3, 0.984, "Gul"), "Staben": (0.1, 0.994, "Gul"),
    "Nämnd och övrigt": (0.0, 1.0, "Grön"),
}


def test_engine_indicators_are_the_hand_worked_grades(evaluated):
    value, wb = evaluated
    ws = wb[L.INDICATORS]
    cols = header_map(ws)
    for row in data_rows(ws):
        ident = ws[f"{cols[L.ID]}{row}"].value
        score, colour, rule = EXAMPLE_GRADES[ident]
        assert value(L.INDICATORS, f"{cols[L.SCORE]}{row}") == score, ident
        assert value(L.INDICATORS, f"{cols[L.COLOUR]}{row}") == colour, ident
        assert value(L.INDICATORS, f"{cols[L.EXPLANATION]}{row}").endswith(f"(regel {rule})"), ident


def test_engine_goals_and_kf_are_the_hand_worked_statuses(evaluated):
    value, wb = evaluated
    ws = wb[L.GOALS]
    cols = header_map(ws)
    for row in data_rows(ws):
        average, status, rule = EXAMPLE_GOALS[ws[f"{cols[L.GOAL]}{row}"].value]
        assert value(L.GOALS, f"{cols[L.AVERAGE]}{row}") == average
        assert value(L.GOALS, f"{cols[L.STATUS]}{row}") == status
        assert value(L.GOALS, f"{cols[L.EXPLANATION]}{row}").endswith(f"(regel {rule})")
    ws = wb[L.KF_GOALS]
    cols = header_map(ws)
    for row in data_rows(ws):
        computed, status = EXAMPLE_KF[ws[f"{cols[L.KF]}{row}"].value]
        assert value(L.KF_GOALS, f"{cols[L.COMPUTED]}{row}") == computed
        assert value(L.KF_GOALS, f"{cols[L.STATUS]}{row}") == status


def test_engine_budget_and_other_sheets_are_the_hand_worked_figures(evaluated):
    value, wb = evaluated
    ws = wb[L.BUDGET]
    cols = header_map(ws)
    seen = 0
    for row in data_rows(ws):
        area = ws[f"{cols[L.AREA]}{row}"].value
        got = [value(L.BUDGET, f"{cols[n]}{row}") for n in (L.DEVIATION, L.ADHERENCE, L.COLOUR)]
        if area not in EXAMPLE_BUDGET:
            assert got == [None, None, None], area
            continue
        deviation, adherence, colour = EXAMPLE_BUDGET[area]
        assert got[0] == pytest.approx(deviation) and got[1] == pytest.approx(adherence) and got[2] == colour, area
        seen += 1
    assert seen == len(EXAMPLE_BUDGET)
    # R6: (46,2 - 2,6) x 80/20 = 34,88 / 8,72 -> 34,9 / 8,7; R7: 17,6 x 60/40 = 10,56 / 7,04 -> 10,6 / 7,0
    assert [value(L.SPLITS, c) for c in ("B7", "C7", "B11", "C11")] == [34.9, 8.7, 10.6, 7.0]
    # R8: the NEJ rows' proposals 0,0 + 7,7 + 40,1 + 4,8 + 18,9 + 17,6 + 1,3 = 90,4; 3 % -> -2,7; the plan says -1,7
    assert value(L.SAVING, "B4") == pytest.approx(90.4)
    assert [value(L.SAVING, c) for c in ("B5", "B6", "B7")] == [-2.7, -1.7, 1.0]
    # R9: 2 % from June = 2 % x 7/12 on a base of 165 mnkr; the other uplifts run all year
    prices = wb[L.PRICES]
    pcols = header_map(prices)
    rows = list(data_rows(prices))
    assert [value(L.PRICES, f"{pcols[L.PRICE_FULL_YEAR]}{r}") for r in rows] == \
        [pytest.approx(0.02 * 7 / 12), 0.02, 0.03, 0]
    assert value(L.PRICES, f"{pcols[L.PRICE_EFFECT]}{rows[0]}") == pytest.approx(165 * 0.02 * 7 / 12)
    # R11: (390 - 387) x 1,2 = 3,6 and (640 - 630) x 0,27 = 2,7
    volumes = wb[L.VOLUMES]
    vcols = header_map(volumes)
    adjusted = [value(L.VOLUMES, f"{vcols[L.VOLUME_ADJUSTMENT]}{r}") for r in data_rows(volumes)]
    assert [x for x in adjusted if x is not None] == [pytest.approx(3.6), pytest.approx(2.7)]


def test_engine_rulebook_values(evaluated):
    value, wb = evaluated
    ws = wb[L.RULEBOOK]
    cols = header_map(ws)
    shown = {ws[f"{cols[L.RULE_NAME]}{r}"].value: value(L.RULEBOOK, f"{cols[L.RULE_VALUE]}{r}") for r in data_rows(ws)}
    assert shown["goal.thresholds.uppfyllt"] == 0.7 and shown["budget.thresholds.gron"] == 99.5
    assert shown["splits.staff.Omsorgsnämnden"] == 0.4 and shown["values.all_words"] == "Samtliga"
    rules = wb[L.RULES]
    rcols = header_map(rules)
    texts = {rules[f"{rcols[L.RULE_ID]}{r}"].value: value(L.RULES, f"{rcols[L.RULE_ABOUT]}{r}") for r in data_rows(rules)}
    assert texts["R3.band.uppfyllt"].startswith("R3.band.uppfyllt: Medel (avrundat till två decimaler) från 0,70")
