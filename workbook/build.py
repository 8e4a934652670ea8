"""Build the VP workbook (VP2025.xlsx) from the plan's tables in workbook/data, with openpyxl.

The workbook is Swedish, holds the plan's values as the plan writes them ("61%", "71,9 (2023)"),
budget amounts and volumes as numbers, and =VP_* formulas (the add-in's catalogue, xl_addin/udfs.py)
in its output columns. Every sheet has a title (row 1), a short instruction (row 2) and, for tables,
its header row on row 4 (layout.HEADER_ROW) with the data below. Conditional formatting colours the
status cells with the rulebook's [fills].

The build is deterministic: the same inputs give the same bytes (fixed document dates and zip entry
timestamps), so the committed workbooks can be compared with a fresh build.

    python -m workbook.build      # writes workbook/VP2025.xlsx and workbook/VP2025-exempel.xlsx

`example=True` fills plausible outcomes, prognoses and inputs so every status shows up.
"""

import csv
import datetime
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.writer.excel import ExcelWriter

from rules import batch as b
from rules.errors import CELL_ERROR_PREFIX
from rules.rulebook import load_rulebook
from rules.values import format_number

from . import layout as L

HERE = Path(__file__).parent
DATA_DIR = HERE / "data"
FIXED_TIME = datetime.datetime(2025, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CREATOR = "VP-regelmotorn"

HEADER_FILL = PatternFill(fill_type="solid", start_color="D9D9D9", end_color="D9D9D9")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
AMOUNT_FORMAT = "0.0"

# ----------------------------------------------------------------------------- example inputs
# Typed the way economists type them; chosen so the example shows every status (see the tests).
# Id -> (Utfall, Aktiviteter)
EXAMPLE_INDICATORS = {
    "I01": ("Samtliga", None),
    "I02": ("4/5", None),
    "I03": ("65%", None),
    "I04": (None, None),         # no target in the plan: Ej bedömd
    "I05": ("25%", "JA"),
    "I06": ("4", None),
    "I07": ("81%", "JA"),
    "I08": ("90%", None),
    "I09": ("4/5", "NEJ"),
    "I10": ("4/5", "JA"),
    "I11": ("72,4", None),
    "I12": ("JA", None),
    "I13": ("98%", "NEJ"),
    "I14": ("60%", "JA"),        # no target: Ej bedömd even with an outcome
    "I15": (None, None),         # no target: Ej bedömd
    "I16": ("+0,8%", "JA"),      # the dominant indicator: Gul caps N5 at Delvis uppfyllt
    "I17": ("69", None),
    "I18": ("100%", None),
    "I19": ("14%", "JA"),
    "I20": ("100%", None),
    "I21": ("80", "NEJ"),
    "I22": ("11%", "JA"),
    "I23": ("84,5%", None),
    "I24": ("9,1%", "NEJ"),
}
# KF-mål -> (Manuell status, Motivering)
EXAMPLE_OVERRIDES = {
    4: ("Delvis uppfyllt", "Arbetet med källsortering har kommit igång men indikatorerna saknar riktvärde."),
}
# Verksamhetsområde (Rad rows) -> Utfall/prognos, mnkr. Gemensamma kostnader LSS (budget 0,0) stays empty.
EXAMPLE_PROGNOSES = {
    "Personlig assistans": 112.3,                   # 99,7 % Grön
    "Korta insatser": 10.15,                        # 98,5 % Gul
    "Korttidsverksamhet": 19.8,                     # 100 % Grön
    "Bostad med särskild service": 478.9,           # 98,5 % Gul
    "Daglig verksamhet": 176.0,                     # 96,7 % Röd
    "Gemensamma kostnader SoL": 7.6,                # 98,7 % Gul
    "Ordinärt boende": 40.2,                        # 99,8 % Grön
    "Särskilt boende": 4.8,                         # 100 % Grön
    "Turbundna resor och riksfärdtjänst": 18.6,     # 98,4 % Gul
    "Staben": 17.5,                                 # 99,4 % Gul
    "Nämnd och övrigt": 1.3,                        # 100 % Grön
}
# Prisuppräkning -> Bas (mnkr)
EXAMPLE_PRICE_BASES = {"Bostad med särskild service (extern regi, enligt avtal)": 165.0}
# (Verksamhetsområde, Insats) -> (Ny volym, Standardkostnad mnkr)
EXAMPLE_VOLUMES = {
    ("Bostad med särskild service", "Vuxna i bostad med särskild service"): (390, 1.2),
    ("Daglig verksamhet", "Antal personer med insats daglig verksamhet"): (640, 0.27),
}
# Placeholder inputs on the Fördelning sheet (examples to overwrite, in both workbooks).
SPLIT_INPUTS = {L.SPLIT_COMMON: 46.2, L.SPLIT_HS: 2.6, L.SPLIT_STAFF: 17.6}
STATED_SAVING = -1.7


# ----------------------------------------------------------------------------- reading the data

def read_csv(name):
    """A plan table as a list of dicts, values as text exactly as in the file."""
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def amount(text):
    """A plan amount such as "21,9" or "-46,2" as a number; empty stays empty."""
    text = (text or "").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    return float(text.replace(",", "."))


def integer(text):
    text = (text or "").strip()
    return int(text) if text else None


def text_or_none(text):
    return text if text not in (None, "") else None


def sheet_ref(name):
    """A sheet name as Excel writes it in a formula: quoted unless it is a plain ASCII name."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


# ----------------------------------------------------------------------------- sheet helpers

class Table:
    """A header row on layout.HEADER_ROW and data rows below; columns looked up by header name."""

    def __init__(self, ws, headers):
        if len(set(headers)) != len(headers):
            raise ValueError(f"{ws.title}: a header name appears twice: {headers}")
        self.ws = ws
        self.headers = list(headers)
        self.next_row = L.FIRST_DATA_ROW
        for i, name in enumerate(headers, start=1):
            cell = ws.cell(row=L.HEADER_ROW, column=i, value=name)
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = WRAP
        ws.freeze_panes = f"A{L.FIRST_DATA_ROW}"

    def col(self, name):
        return get_column_letter(self.headers.index(name) + 1)

    def add(self, values):
        """Write one row (dict header -> value, or a callable row -> value); returns the row number."""
        row = self.next_row
        for name, value in values.items():
            if callable(value):
                value = value(row)
            cell = self.ws[f"{self.col(name)}{row}"]
            cell.value = value
            cell.alignment = TOP
        self.next_row += 1
        return row

    @property
    def last_row(self):
        return self.next_row - 1

    def column_range(self, name):
        c = self.col(name)
        return f"{c}{L.FIRST_DATA_ROW}:{c}{self.last_row}"

    def style_column(self, name, number_format=None, wrap=False):
        for row in range(L.FIRST_DATA_ROW, self.next_row):
            cell = self.ws[f"{self.col(name)}{row}"]
            if number_format:
                cell.number_format = number_format
            if wrap:
                cell.alignment = WRAP

    def widths(self, widths, default=14):
        for name in self.headers:
            self.ws.column_dimensions[self.col(name)].width = widths.get(name, default)


def start_sheet(wb, name, title, instruction):
    ws = wb.create_sheet(name)
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    ws["A2"] = instruction
    ws["A2"].alignment = Alignment(wrap_text=False, vertical="top")
    return ws


def colour_rules(ws, cell_range, labels, fills):
    """Excel-native conditional formatting: a cell whose text equals a label gets its fill."""
    for label in labels:
        colour = fills.get(label)
        if not colour:
            continue
        fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        quoted = '"' + label.replace('"', '""') + '"'
        ws.conditional_formatting.add(cell_range, CellIsRule(operator="equal", formula=[quoted], fill=fill))


# ----------------------------------------------------------------------------- the sheets

def _indicators(wb, book, example, title):
    year = book.year
    target = b.target_column(year)
    rows = read_csv("indikatorer.csv")
    targets = [b.target_column(y) for y in book.data["plan"].get("target_years", [year])]
    headers = [b.ID, b.KF, b.GOAL, b.NAME, b.BASELINE, *targets, L.SOURCE, b.DOMINANT, b.OUTCOME,
               b.ACTIVITIES, b.SCORE, b.COLOUR, b.EXPLANATION]
    ws = start_sheet(wb, L.INDICATORS, f"Indikatorer – {title}",
                     f"Skriv årets utfall i {b.OUTCOME} (t.ex. 65%, 72,4, 4/5, Samtliga, JA – i samma enhet som "
                     f"{b.BASELINE}) och JA/NEJ i {b.ACTIVITIES}. {b.SCORE}, {b.COLOUR} och {b.EXPLANATION} "
                     f"räknas av VP-funktionerna (tillägget VP) från {b.BASELINE}, {target}, {b.OUTCOME} och "
                     f"{b.ACTIVITIES} – skriv inte i dem.")
    t = Table(ws, headers)
    args = ",".join(f"{t.col(name)}{{r}}" for name in (b.BASELINE, target, b.OUTCOME, b.ACTIVITIES))
    for rec in rows:
        outcome, activities = EXAMPLE_INDICATORS.get(rec[b.ID], (None, None)) if example else (None, None)
        values = {b.ID: rec[b.ID], b.KF: integer(rec[b.KF]), b.GOAL: rec[b.GOAL], b.NAME: rec[b.NAME],
                  b.BASELINE: text_or_none(rec[b.BASELINE])}
        values.update({y: text_or_none(rec[y]) for y in targets})
        values.update({
            L.SOURCE: text_or_none(rec[L.SOURCE]), b.DOMINANT: text_or_none(rec[b.DOMINANT]),
            b.OUTCOME: outcome, b.ACTIVITIES: activities,
            b.SCORE: lambda r: f"=VP_INDICATORSCORE({args.format(r=r)})",
            b.COLOUR: lambda r: f"=VP_INDICATORCOLOR({args.format(r=r)})",
            b.EXPLANATION: lambda r: f"=VP_EXPLAIN({args.format(r=r)})",
        })
        row = t.add(values)
        if rec.get("Fotnot"):
            ws[f"{t.col(b.NAME)}{row}"].comment = Comment(f"Fotnot i planen: {rec['Fotnot']}", CREATOR,
                                                          height=120, width=300)
    # Text format on the typed columns: Excel would otherwise turn 4/5 into a date (4 maj) and the rules
    # would read its serial number; the rules read text as typed (65%, 72,4, 4/5, JA).
    t.style_column(b.OUTCOME, number_format="@")
    t.style_column(b.ACTIVITIES, number_format="@")
    t.style_column(b.NAME, wrap=True)
    t.style_column(b.EXPLANATION, wrap=True)
    t.style_column(L.SOURCE, wrap=True)
    t.widths({b.ID: 6, b.KF: 8, b.GOAL: 10, b.NAME: 50, b.BASELINE: 18, L.SOURCE: 20, b.DOMINANT: 10,
              b.OUTCOME: 12, b.ACTIVITIES: 12, b.SCORE: 10, b.COLOUR: 8, b.EXPLANATION: 60}, default=14)
    fills = book.data["fills"]
    colour_rules(ws, t.column_range(b.COLOUR), book.data["indicator"]["colours"].values(), fills)
    colour_rules(ws, t.column_range(b.SCORE), [book.data["indicator"]["labels"]["not_assessed"]], fills)
    return t, rows


def _goal_spans(rows):
    """Board goal (and Kontoret) -> (first, last) data row of its indicators, which must be contiguous."""
    spans = {}
    for offset, rec in enumerate(rows):
        row = L.FIRST_DATA_ROW + offset
        goal = rec[b.GOAL]
        if goal in spans:
            first, last = spans[goal]
            if last != row - 1:
                raise ValueError(f"Indikatorerna för {goal} ligger inte i följd (rad {row}).")
            spans[goal] = (first, row)
        else:
            spans[goal] = (row, row)
    return spans


def _goals(wb, book, title, ind, ind_rows):
    kf_rows = read_csv("kf_mal.csv")
    goal_text = {r[b.GOAL]: r[L.GOAL_TEXT] for r in kf_rows if r[b.GOAL]}
    spans = _goal_spans(ind_rows)
    kf_of = {}
    for rec in ind_rows:
        kf_of.setdefault(rec[b.GOAL], integer(rec[b.KF]))
    yes = book.data["values"]["yes_words"][0].upper()
    headers = [b.GOAL, b.KF, L.GOAL_TEXT, L.INDICATOR_COUNT, b.AVERAGE, b.STATUS]
    ws = start_sheet(wb, L.GOALS, f"Nämndmål – {title}",
                     f"Allt på bladet räknas från {b.SCORE} i {L.INDICATORS} (VP_GOALSCORE, VP_GOALSTATUS). "
                     f"Raden {b.OFFICE} är kontorets indikatorer (KF-mål utan nämndmål). Ett mål med en indikator "
                     f"markerad {b.DOMINANT} = {yes} begränsas av dess färg (markeras två gäller inget tak). Målets "
                     f"indikatorer är raderna med samma {b.GOAL} och {b.KF}, var de än står (till rad "
                     f"{L.INDICATOR_FORMULA_LAST_ROW}).")
    t = Table(ws, headers)
    ref = sheet_ref(L.INDICATORS)

    def column(name):  # the whole indicator column the goal formulas read, fixed rows
        c = ind.col(name)
        return f"{ref}!${c}${L.FIRST_DATA_ROW}:${c}${L.INDICATOR_FORMULA_LAST_ROW}"

    goal_rows = {}
    for goal in spans:
        text = goal_text.get(goal) or (f"Kontorets indikatorer (KF-mål {kf_of[goal]} har inget nämndmål)"
                                       if goal == b.OFFICE else None)
        row = t.add({b.GOAL: goal, b.KF: kf_of[goal], L.GOAL_TEXT: text})
        # The goal's indicators are the rows whose Nämndmål and KF-mål are this row's (spaces and case
        # do not matter, as in the refresh), wherever they stand in the table; array formulas.
        members = (f"(TRIM({column(b.GOAL)})=TRIM(${t.col(b.GOAL)}{row}))"
                   f"*(TRIM({column(b.KF)}&\"\")=TRIM(${t.col(b.KF)}{row}&\"\"))")
        grades = f'IF({members},{column(b.SCORE)},"")'
        # The dominant indicator's colour caps the goal; two marks give no cap, as the refresh does.
        flags = f'{members}*(TRIM({column(b.DOMINANT)})="{yes}")'
        dominant = f'IF(SUM({flags})=1,INDEX({column(b.COLOUR)},MATCH(1,{flags},0)),"")'
        for name, formula in ((L.INDICATOR_COUNT, f"=SUM({members})"),
                              (b.AVERAGE, f"=VP_GOALSCORE({grades})"),
                              (b.STATUS, f"=VP_GOALSTATUS({grades},{dominant})")):
            cell = f"{t.col(name)}{row}"
            ws[cell] = ArrayFormula(cell, formula)
        goal_rows[goal] = row
    t.style_column(L.GOAL_TEXT, wrap=True)
    t.style_column(b.AVERAGE, number_format="0.00")
    t.widths({b.GOAL: 10, b.KF: 8, L.GOAL_TEXT: 60, L.INDICATOR_COUNT: 12, b.AVERAGE: 10, b.STATUS: 16})
    statuses = [band["status"] for band in book.data["goal"]["bands"]] + [book.data["goal"]["not_assessed"]]
    colour_rules(ws, t.column_range(b.STATUS), statuses, book.data["fills"])
    return t, goal_rows, statuses


def _kf_goals(wb, book, example, title, goals, goal_rows, statuses):
    rows = read_csv("kf_mal.csv")
    headers = [b.KF, L.KF_AREA, L.KF_TEXT, b.GOAL, b.COMPUTED, b.OVERRIDE, b.MOTIVATION, b.STATUS]
    label = book.data["kf"]["indicative_label"]
    ws = start_sheet(wb, L.KF_GOALS, f"KF-mål – {title}",
                     f"{b.COMPUTED} hämtas från nämndmålet; ett KF-mål utan nämndmål får en {label} status "
                     f"från kontorets indikatorer. En egen bedömning: välj {b.OVERRIDE} och skriv en {b.MOTIVATION} "
                     f"(båda krävs); {b.STATUS} visar då den manuella bedömningen.")
    t = Table(ws, headers)
    ref = sheet_ref(L.GOALS)
    status_col = goals.col(b.STATUS)
    override, computed, motivation_col = t.col(b.OVERRIDE), t.col(b.COMPUTED), t.col(b.MOTIVATION)

    def status(r):
        """A manual status counts only with a written motivation (R4), as in the refresh; the message
        names the motivation cell (ADDRESS follows it when rows are inserted)."""
        cell = f"{motivation_col}{r}"
        missing = (f'"{CELL_ERROR_PREFIX}{L.KF_GOALS}!"&ADDRESS(ROW({cell}),COLUMN({cell}),4)&": motivering saknas '
                   f'– en manuell bedömning kräver en skriven motivering."')
        status_cell = f"{override}{r}"
        orphan = (f'"{CELL_ERROR_PREFIX}{L.KF_GOALS}!"&ADDRESS(ROW({status_cell}),COLUMN({status_cell}),4)&": saknas '
                  f'– motiveringen hör till en manuell status."')
        return (f'=IF({override}{r}="",IF(TRIM({cell})="",{computed}{r},{orphan}),'
                f'IF(TRIM({cell})="",{missing},{override}{r}))')

    for rec in rows:
        kf = integer(rec[b.KF])
        goal = rec[b.GOAL] or b.OFFICE
        manual, motivation = EXAMPLE_OVERRIDES.get(kf, (None, None)) if example else (None, None)
        row = t.add({b.KF: kf, L.KF_AREA: rec[L.KF_AREA], L.KF_TEXT: rec[L.KF_TEXT],
                     b.GOAL: text_or_none(rec[b.GOAL]),
                     b.COMPUTED: f"={ref}!{status_col}{goal_rows[goal]}",
                     b.OVERRIDE: manual, b.MOTIVATION: motivation,
                     b.STATUS: status})
        if not rec[b.GOAL]:
            ws[f"{computed}{row}"].comment = Comment(
                f"{label.capitalize()}: KF-mål {kf} har inget nämndmål, så statusen räknas från kontorets "
                f"indikatorer (raden {b.OFFICE} i {L.GOALS}).", CREATOR, height=100, width=300)
    t.style_column(L.KF_TEXT, wrap=True)
    t.style_column(L.KF_AREA, wrap=True)
    t.style_column(b.MOTIVATION, wrap=True)
    t.widths({b.KF: 8, L.KF_AREA: 22, L.KF_TEXT: 50, b.GOAL: 10, b.COMPUTED: 16, b.OVERRIDE: 16,
              b.MOTIVATION: 45, b.STATUS: 16})
    choices = book.data["kf"]["override_statuses"]
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=b.OVERRIDE,
                        error=f"Välj {', '.join(choices)} eller lämna tomt.")
    dv.add(t.column_range(b.OVERRIDE))
    ws.add_data_validation(dv)
    colour_rules(ws, t.column_range(b.COMPUTED), statuses, book.data["fills"])
    colour_rules(ws, t.column_range(b.STATUS), statuses, book.data["fills"])
    return t


def _budget(wb, book, example, title):
    rows = read_csv("internbudget.csv")
    headers = [L.AREA, L.LAW, L.ROW_KIND, L.VOLUME_BASED, *L.BUDGET_AMOUNTS, L.ACTUAL, L.DEVIATION,
               L.ADHERENCE, b.COLOUR]
    ws = start_sheet(wb, L.BUDGET, f"Internbudget (mnkr) – {title}",
                     f"Skriv utfall eller prognos (mnkr) i {L.ACTUAL} för raderna med {L.ROW_KIND} {L.ROW}; "
                     f"{L.DEVIATION}, {L.ADHERENCE} och {b.COLOUR} räknas fram. Summaraderna är planens angivna "
                     f"summor (inga formler), så kontrollen kan jämföra dem med raderna. En budget på 0 ger "
                     f"ingen följsamhet.")
    t = Table(ws, headers)
    g, i = t.col(L.PROPOSAL), t.col(L.ACTUAL)
    for rec in rows:
        values = {L.AREA: rec[L.AREA], L.LAW: text_or_none(rec[L.LAW]), L.ROW_KIND: rec[L.ROW_KIND],
                  L.VOLUME_BASED: text_or_none(rec[L.VOLUME_BASED])}
        values.update({name: amount(rec[name]) for name in L.BUDGET_AMOUNTS})
        actual = EXAMPLE_PROGNOSES.get(rec[L.AREA]) if example and rec[L.ROW_KIND] == L.ROW else None
        values.update({
            L.ACTUAL: actual,
            L.DEVIATION: lambda r: f'=IF({i}{r}="","",{g}{r}-{i}{r})',
            L.ADHERENCE: lambda r: f'=IF({i}{r}="","",VP_BUDGETADHERENCE({g}{r},{i}{r}))',
            b.COLOUR: lambda r: f'=IF({i}{r}="","",VP_BUDGETSTATUS({g}{r},{i}{r}))',
        })
        row = t.add(values)
        if rec[L.ROW_KIND] == L.SUM:
            for c in range(1, len(headers) + 1):
                ws.cell(row=row, column=c).font = BOLD
    for name in (*L.BUDGET_AMOUNTS, L.ACTUAL, L.DEVIATION):
        t.style_column(name, number_format=AMOUNT_FORMAT)
    t.style_column(L.ADHERENCE, number_format="0.0%")
    t.widths({L.AREA: 34, L.LAW: 8, L.ROW_KIND: 8, L.VOLUME_BASED: 12, L.BUDGET_VP2024: 14, L.BUDGET_NOV: 14,
              L.PROPOSAL: 14, L.CHANGE: 11, L.ACTUAL: 12, L.DEVIATION: 11, L.ADHERENCE: 11, b.COLOUR: 8})
    colours = [band["colour"] for band in book.data["budget"]["bands"]]
    colour_rules(ws, t.column_range(b.COLOUR), colours, book.data["fills"])
    return t, rows


def _frame(wb, title):
    headers = [L.STEP, L.TEXT, L.AMOUNT, L.ROW_KIND]
    ws = start_sheet(wb, L.FRAME, f"Ramjusteringar (mnkr) – {title}",
                     f"Planens budgetjusteringar. {L.ROW_KIND}: {L.START}, {L.ADJUSTMENT} eller {L.SUM}; "
                     f"kontrollen jämför varje {L.SUM} med {L.START} plus justeringarna.")
    t = Table(ws, headers)
    for rec in read_csv("ramjusteringar.csv"):
        t.add({L.STEP: integer(rec[L.STEP]), L.TEXT: rec[L.TEXT], L.AMOUNT: amount(rec[L.AMOUNT]),
               L.ROW_KIND: rec[L.ROW_KIND]})
    t.style_column(L.AMOUNT, number_format=AMOUNT_FORMAT)
    t.widths({L.STEP: 6, L.TEXT: 55, L.AMOUNT: 10, L.ROW_KIND: 10})


def _splits(wb, book, title):
    lss_sol = book.data["splits"]["lss_sol"]
    staff = book.data["splits"]["staff"]

    def shares(d):
        return "/".join(format_number(s * 100) for s in d.values())

    ws = start_sheet(wb, L.SPLITS, f"Fördelning av gemensamma kostnader (mnkr) – {title}",
                     "Beloppen i kolumn B är exempel: skriv över dem med årets belopp. Resultatet (två celler "
                     "bredvid varandra) är en matrisformel över båda cellerna, så den fungerar även i äldre "
                     "Excel.")
    ws["A4"], ws["B4"] = L.SPLIT_COMMON, SPLIT_INPUTS[L.SPLIT_COMMON]
    ws["A5"], ws["B5"] = L.SPLIT_HS, SPLIT_INPUTS[L.SPLIT_HS]
    for col, part in zip("BC", lss_sol):
        ws[f"{col}6"] = part
        ws[f"{col}6"].font = BOLD
    ws["A7"] = f"Exklusive HS, {shares(lss_sol)} ({', '.join(lss_sol)})"
    ws["B7"] = ArrayFormula("B7:C7", "=VP_SPLIT_LSS_SOL(B4,B5)")

    ws["A9"], ws["B9"] = L.SPLIT_STAFF, SPLIT_INPUTS[L.SPLIT_STAFF]
    for col, part in zip("BC", staff):
        ws[f"{col}10"] = part
        ws[f"{col}10"].font = BOLD
    ws["A11"] = f"Fördelning {shares(staff)}"
    ws["B11"] = ArrayFormula("B11:C11", "=VP_SPLIT_STAFF(B9)")
    for ref in ("B4", "B5", "B7", "C7", "B9", "B11", "C11"):
        ws[ref].number_format = AMOUNT_FORMAT
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 20


def _saving(wb, book, title, budget, budget_rows):
    rate = format_number(book.data["saving"]["rate"] * 100)
    nej = sum(amount(r[L.PROPOSAL]) or 0 for r in budget_rows
              if r[L.ROW_KIND] == L.ROW and r[L.VOLUME_BASED].strip().casefold() == "nej")
    base_stated = -STATED_SAVING / book.data["saving"]["rate"]
    ws = start_sheet(wb, L.SAVING, f"Besparing – {title}",
                     f"Basen är summan av {L.PROPOSAL} för raderna med {L.VOLUME_BASED} = NEJ i {L.BUDGET}; "
                     f"ändra markeringen där. Besparingen räknas med VP_SAVING ({rate} %).")
    ref = sheet_ref(L.BUDGET)
    vb, prop = budget.col(L.VOLUME_BASED), budget.col(L.PROPOSAL)
    ws["A4"] = L.SAVING_BASE
    ws["B4"] = f'=SUMIF({ref}!{vb}:{vb},"NEJ",{ref}!{prop}:{prop})'
    ws["A5"] = f"{L.SAVING_RESULT} ({rate} %)"
    ws["B5"] = "=VP_SAVING(B4)"
    ws["A6"], ws["B6"] = L.SAVING_STATED, STATED_SAVING
    for ref_ in ("B4", "B5", "B6"):
        ws[ref_].number_format = AMOUNT_FORMAT
    ws["A8"] = (f"Obs: planens besparing {format_number(STATED_SAVING)} mnkr motsvarar en bas på cirka "
                f"{format_number(round(base_stated, 1))} mnkr. De NEJ-markerade raderna ger inte den basen (de "
                f"summerar till {format_number(round(nej, 1))} mnkr i {L.PROPOSAL}); se workbook/data/README.md.")
    ws["A8"].alignment = WRAP
    ws.merge_cells("A8:D8")
    ws.row_dimensions[8].height = 48
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 20
    ws.column_dimensions["D"].width = 40


def _prices(wb, example, title):
    headers = [L.PRICE_NAME, L.PRICE_RATE, L.PRICE_MONTH, L.PRICE_FULL_YEAR, L.PRICE_BASE, L.PRICE_EFFECT,
               L.PRICE_SOURCE]
    ws = start_sheet(wb, L.PRICES, f"Prisuppräkningar – {title}",
                     f"{L.PRICE_RATE} och {L.PRICE_MONTH} enligt planen. {L.PRICE_FULL_YEAR} räknas med VP_FULLYEAR. "
                     f"Skriv en {L.PRICE_BASE} för att få {L.PRICE_EFFECT} (mnkr).")
    t = Table(ws, headers)
    rate, month, full, base = (t.col(n) for n in (L.PRICE_RATE, L.PRICE_MONTH, L.PRICE_FULL_YEAR, L.PRICE_BASE))
    for rec in read_csv("prisuppräkningar.csv"):
        t.add({L.PRICE_NAME: rec[L.PRICE_NAME], L.PRICE_RATE: rec[L.PRICE_RATE],
               L.PRICE_MONTH: integer(rec[L.PRICE_MONTH]),
               L.PRICE_FULL_YEAR: lambda r: f"=VP_FULLYEAR({rate}{r},{month}{r})",
               L.PRICE_BASE: EXAMPLE_PRICE_BASES.get(rec[L.PRICE_NAME]) if example else None,
               L.PRICE_EFFECT: lambda r: f'=IF({base}{r}="","",{full}{r}*{base}{r})',
               L.PRICE_SOURCE: rec[L.PRICE_SOURCE]})
    t.style_column(L.PRICE_NAME, wrap=True)
    t.style_column(L.PRICE_SOURCE, wrap=True)
    t.style_column(L.PRICE_FULL_YEAR, number_format="0.00%")
    t.style_column(L.PRICE_BASE, number_format=AMOUNT_FORMAT)
    t.style_column(L.PRICE_EFFECT, number_format="0.00")
    t.widths({L.PRICE_NAME: 36, L.PRICE_RATE: 8, L.PRICE_MONTH: 11, L.PRICE_FULL_YEAR: 12, L.PRICE_BASE: 11,
              L.PRICE_EFFECT: 14, L.PRICE_SOURCE: 70})


def _volumes(wb, example, title):
    headers = [L.AREA, L.VOLUME_INSATS, L.VOLUME_BUDGET_2024, L.VOLUME_READING, L.VOLUME_BUDGET, L.VOLUME_NEW,
               L.VOLUME_COST, L.VOLUME_ADJUSTMENT]
    ws = start_sheet(wb, L.VOLUMES, f"Volymer – {title}",
                     f"Antal personer eller ärenden enligt planen. Skriv {L.VOLUME_NEW} vid avläsningen och "
                     f"{L.VOLUME_COST} per person; {L.VOLUME_ADJUSTMENT} (mnkr) = ({L.VOLUME_NEW} − "
                     f"{L.VOLUME_BUDGET}) × standardkostnad, med VP_VOLUMEADJ.")
    t = Table(ws, headers)
    old, new, cost = (t.col(n) for n in (L.VOLUME_BUDGET, L.VOLUME_NEW, L.VOLUME_COST))
    for rec in read_csv("volymer.csv"):
        new_volume, std = (EXAMPLE_VOLUMES.get((rec[L.AREA], rec[L.VOLUME_INSATS]), (None, None)) if example
                           else (None, None))
        t.add({L.AREA: rec[L.AREA], L.VOLUME_INSATS: rec[L.VOLUME_INSATS],
               L.VOLUME_BUDGET_2024: integer(rec[L.VOLUME_BUDGET_2024]),
               L.VOLUME_READING: integer(rec[L.VOLUME_READING]), L.VOLUME_BUDGET: integer(rec[L.VOLUME_BUDGET]),
               L.VOLUME_NEW: new_volume, L.VOLUME_COST: std,
               L.VOLUME_ADJUSTMENT: lambda r: (f'=IF(OR({new}{r}="",{cost}{r}=""),"",'
                                               f'VP_VOLUMEADJ({old}{r},{new}{r},{cost}{r}))')})
    t.style_column(L.VOLUME_INSATS, wrap=True)
    t.style_column(L.VOLUME_COST, number_format="0.00")
    t.style_column(L.VOLUME_ADJUSTMENT, number_format="0.00")
    t.widths({L.AREA: 28, L.VOLUME_INSATS: 40, L.VOLUME_COST: 14, L.VOLUME_ADJUSTMENT: 12}, default=12)


def _reinvestments(wb, title):
    rows = read_csv("reinvesteringar.csv")
    headers = list(rows[0].keys())
    ws = start_sheet(wb, L.REINVEST, f"Reinvesteringar (tkr) – {title}",
                     "Beloppen är i tkr: planens tabellhuvud säger mnkr, men 500 och 1 000 är tkr (texten talar om "
                     "1,0 mnkr i reinvesteringsmedel). Siffrorna är planens.")
    t = Table(ws, headers)
    for rec in rows:
        t.add({h: (rec[h] if h == headers[0] else integer(rec[h])) for h in headers})
        if rec[headers[0]].strip().casefold() == "totalt":
            for c in range(1, len(headers) + 1):
                ws.cell(row=t.last_row, column=c).font = BOLD
    t.style_column(headers[0], wrap=True)
    for h in headers[1:]:
        t.style_column(h, number_format="#,##0")
    t.widths({headers[0]: 70}, default=10)


def _rule_text(value):
    """A rulebook value as the Gäller column shows it (Swedish numbers, lists joined as VP_RULE does)."""
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, list):
        return "; ".join(_rule_text(x) for x in value)
    return str(value)


def _rulebook(wb, book):
    ws = start_sheet(wb, L.RULEBOOK, f"Regelbok {book.path.name} – planår {book.year}",
                     f"{L.RULE_NAME} är namnet i regelboken; {L.RULE_VALUE} hämtas med VP_RULE (kräver tillägget), "
                     f"{L.RULE_CURRENT} är värdet när arbetsboken byggdes. Ändra regler i regelboken, inte här.")
    t = Table(ws, [L.RULE_NAME, L.RULE_VALUE, L.RULE_CURRENT])
    name = t.col(L.RULE_NAME)
    for path, value in book.paths():
        t.add({L.RULE_NAME: path, L.RULE_VALUE: lambda r: f"=VP_RULE({name}{r})",
               L.RULE_CURRENT: _rule_text(value) or None})
    t.widths({L.RULE_NAME: 45, L.RULE_VALUE: 20, L.RULE_CURRENT: 40})


def _output_sheet(wb, name, title, note, headers, widths):
    ws = start_sheet(wb, name, title, note)
    t = Table(ws, headers)
    t.widths(widths, default=14)
    # Printed for a board meeting: landscape, every column on one page width.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


# ----------------------------------------------------------------------------- the workbook

def make_workbook(example=False, book=None):
    """The workbook as an openpyxl Workbook (not saved)."""
    book = book or load_rulebook()
    title = book.data["plan"]["name"]
    wb = Workbook()
    wb.remove(wb.active)
    _output_sheet(wb, L.OVERVIEW, f"Översikt – {title}",
                  "Tryck Uppdatera i fliken VP eller kör `vp refresh`; översikten skrivs då här.",
                  L.OVERVIEW_HEADERS, {"Namn": 50, "Förklaring": 70, "Status/färg": 16})
    ind, ind_rows = _indicators(wb, book, example, title)
    goals, goal_rows, statuses = _goals(wb, book, title, ind, ind_rows)
    _kf_goals(wb, book, example, title, goals, goal_rows, statuses)
    budget, budget_rows = _budget(wb, book, example, title)
    _frame(wb, title)
    _splits(wb, book, title)
    _saving(wb, book, title, budget, budget_rows)
    _prices(wb, example, title)
    _volumes(wb, example, title)
    _reinvestments(wb, title)
    _rulebook(wb, book)
    _output_sheet(wb, L.FINDINGS, f"Kontroll – {title}",
                  "Kontrollens fynd skrivs här av Kontrollera eller Uppdatera (fliken VP) och `vp refresh`.",
                  L.FINDINGS_HEADERS, {"Plats": 24, "Regel": 10, "Beskrivning": 90})
    _output_sheet(wb, L.LOG, f"Logg – {title}",
                  "Varje uppdatering loggas här: när, av vem och vilka statusar som ändrades.",
                  L.LOG_HEADERS, {"Tid": 20, "Användare": 16, "Händelse": 40, "Ändrade statusar": 70})
    wb.active = 0
    wb.security = None  # nothing is protected: people type in the input columns
    props = wb.properties
    props.creator = CREATOR
    props.lastModifiedBy = CREATOR
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.title = title + (" (exempel)" if example else "")
    props.language = "sv-SE"
    return wb


def workbook_bytes(wb):
    """Serialise without openpyxl's 'modified = now', then fix every zip entry's timestamp."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            fixed.create_system = 0
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_workbook(path, example=False, book=None):
    """Write the VP workbook to `path` (deterministically); returns the path."""
    path = Path(path)
    data = workbook_bytes(make_workbook(example=example, book=book))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the workbook from colleagues
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def default_paths(book=None):
    year = (book or load_rulebook()).year
    return HERE / f"VP{year}.xlsx", HERE / f"VP{year}-exempel.xlsx"


def main(argv=None):
    plain, example = default_paths()
    for target, is_example in ((plain, False), (example, True)):
        build_workbook(target, example=is_example)
        print(f"Skrev {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
