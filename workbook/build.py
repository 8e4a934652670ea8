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
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from rules.rulebook import load_rulebook
from rules.text import condition_text, outcome_text
from rules.values import format_number

from . import layout as L
from .layout import (ACTIVITIES, AVERAGE, BASELINE, COLOUR, COMPUTED, DOMINANT, EXPLANATION, GOAL, ID, KF,
                     MOTIVATION, NAME, OUTCOME, OVERRIDE, SCORE, STATUS, target_column)

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
# The follow-up period the example's outcomes are for (the empty workbook has none: the first
# `vp refresh` names it with --period, or a person types it).
EXAMPLE_PERIOD = "Delår 1 2025"
MAX_ROWS = 1048576  # Excel's last row
EXAMPLE_DNR = "ON 2025/0123"  # an example's diary number and proposal (the empty workbook leaves them empty)
EXAMPLE_PROPOSAL = ("Omsorgsnämnden godkänner uppföljningen av verksamhetsplanen.\n"
                    "Omsorgsnämnden överlämnar uppföljningen till kommunstyrelsen.")
PERIOD_FILL = PatternFill(fill_type="solid", start_color="FFF2CC", end_color="FFF2CC")  # an input cell
# Placeholder inputs on the Fördelning sheet (examples to overwrite, in both workbooks).
SPLIT_INPUTS = {L.SPLIT_COMMON: 46.2, L.SPLIT_HS: 2.6, L.SPLIT_STAFF: 17.6}


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

def define_table_name(wb, name, sheet, headers, last_row):
    """A defined name over a table, header row included, down to `last_row`: the formulas read the
    table by this name (=VP_GOALSTATUS(A5:B5;Indikatortabell)); one place to widen it."""
    last = get_column_letter(len(headers))
    wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet_ref(sheet)}!$A${L.HEADER_ROW}:${last}${last_row}")


def _indicators(wb, book, example, title):
    year = book.year
    target = target_column(year)
    rows = read_csv("indikatorer.csv")
    targets = [target_column(y) for y in book.data["plan"].get("target_years", [year])]
    headers = [ID, KF, GOAL, NAME, BASELINE, *targets, L.SOURCE, DOMINANT, OUTCOME, ACTIVITIES, SCORE, COLOUR,
               EXPLANATION]
    ws = start_sheet(wb, L.INDICATORS, f"Indikatorer – {title}",
                     f"Skriv årets utfall i {OUTCOME} (t.ex. 65%, 72,4, 4/5, Samtliga, JA – i samma enhet som "
                     f"{BASELINE}) och JA/NEJ i {ACTIVITIES}. {SCORE}, {COLOUR} och {EXPLANATION} räknas av "
                     f"VP-funktionerna (tillägget VP) – skriv inte i dem. Nya indikatorer kan läggas var som helst i "
                     f"tabellen till rad {{last}} (namnet {L.INDICATOR_TABLE_NAME}; längre ner: utöka namnet i Formler > "
                     "Namnhanteraren).")
    t = Table(ws, headers)
    args = ",".join(f"{t.col(name)}{{r}}" for name in (BASELINE, target, OUTCOME, ACTIVITIES))
    for rec in rows:
        outcome, activities = EXAMPLE_INDICATORS.get(rec[ID], (None, None)) if example else (None, None)
        values = {ID: rec[ID], KF: integer(rec[KF]), GOAL: rec[GOAL], NAME: rec[NAME],
                  BASELINE: text_or_none(rec[BASELINE])}
        values.update({y: text_or_none(rec[y]) for y in targets})
        values.update({
            L.SOURCE: text_or_none(rec[L.SOURCE]), DOMINANT: text_or_none(rec[DOMINANT]),
            OUTCOME: outcome, ACTIVITIES: activities,
            SCORE: lambda r: f"=VP_INDICATORSCORE({args.format(r=r)})",
            COLOUR: lambda r: f"=VP_INDICATORCOLOR({args.format(r=r)})",
            EXPLANATION: lambda r: f"=VP_EXPLAIN({args.format(r=r)})",
        })
        row = t.add(values)
        if rec.get("Fotnot"):
            ws[f"{t.col(NAME)}{row}"].comment = Comment(f"Fotnot i planen: {rec['Fotnot']}", CREATOR,
                                                        height=120, width=300)
    # Text format on the typed columns: Excel would otherwise turn 4/5 into a date (4 maj) and the rules
    # would read its serial number; the rules read text as typed (65%, 72,4, 4/5, JA).
    t.style_column(OUTCOME, number_format="@")
    t.style_column(ACTIVITIES, number_format="@")
    t.style_column(NAME, wrap=True)
    t.style_column(EXPLANATION, wrap=True)
    t.style_column(L.SOURCE, wrap=True)
    t.widths({ID: 6, KF: 8, GOAL: 10, NAME: 50, BASELINE: 18, L.SOURCE: 20, DOMINANT: 10,
              OUTCOME: 12, ACTIVITIES: 12, SCORE: 10, COLOUR: 8, EXPLANATION: 60}, default=14)
    fills = book.data["fills"]
    verdicts = book.data["indicator"]["verdicts"].values()
    colour_rules(ws, t.column_range(COLOUR), sorted({p["colour"] for p in verdicts}), fills)
    colour_rules(ws, t.column_range(SCORE), sorted({p["label"] for p in verdicts if "grade" not in p}), fills)
    last = t.last_row + L.INDICATOR_TABLE_SPARE_ROWS
    ws["A2"] = ws["A2"].value.replace("{last}", str(last))
    define_table_name(wb, L.INDICATOR_TABLE_NAME, L.INDICATORS, headers, last)
    return t, rows


def _goal_rows():
    """The board goals of the KF goals (and the office's indicators of a KF goal without one)."""
    out = []
    for rec in read_csv("kf_mal.csv"):
        out.append((rec[GOAL] or None, integer(rec[KF]), rec[L.GOAL_TEXT] or None))
    return out


def _goals(wb, book, title):
    office = book.data["goal"]["office"]
    yes = book.data["values"]["yes_words"][0].upper()
    headers = [GOAL, KF, L.GOAL_TEXT, AVERAGE, STATUS, EXPLANATION]
    ws = start_sheet(wb, L.GOALS, f"Nämndmål – {title}",
                     f"Medel, status och förklaring räknas från indikatorerna i {L.INDICATORS} med samma {GOAL} "
                     f"(var de än står i tabellen), med =VP_GOALSTATUS(A5:B5;{L.INDICATOR_TABLE_NAME}). Raden {office} "
                     f"är kontorets indikatorer för ett KF-mål utan nämndmål. En indikator markerad {DOMINANT} = {yes} "
                     f"begränsar målet med sin färg. Ett nytt mål: kopiera en rad.")
    t = Table(ws, headers)
    name = L.INDICATOR_TABLE_NAME
    for goal, kf, text in _goal_rows():
        t.add({GOAL: goal or office, KF: kf, L.GOAL_TEXT: text or L.OFFICE_TEXT.format(kf=kf),
               AVERAGE: lambda r: f"=VP_GOALSCORE(A{r}:B{r},{name})",
               STATUS: lambda r: f"=VP_GOALSTATUS(A{r}:B{r},{name})",
               EXPLANATION: lambda r: f"=VP_GOALEXPLAIN(A{r}:B{r},{name})"})
    t.style_column(L.GOAL_TEXT, wrap=True)
    t.style_column(EXPLANATION, wrap=True)
    t.style_column(AVERAGE, number_format="0.00")
    t.widths({GOAL: 10, KF: 8, L.GOAL_TEXT: 50, AVERAGE: 10, STATUS: 16, EXPLANATION: 70})
    statuses = book.data["goal"]["statuses"]
    colour_rules(ws, t.column_range(STATUS), statuses, book.data["fills"])
    return t, statuses


def _kf_goals(wb, book, example, title, statuses):
    rows = read_csv("kf_mal.csv")
    headers = [KF, L.KF_AREA, L.KF_TEXT, GOAL, COMPUTED, OVERRIDE, MOTIVATION, STATUS]
    label = book.data["kf"]["sources"]["indicative"]
    ws = start_sheet(wb, L.KF_GOALS, f"KF-mål – {title}",
                     f"{COMPUTED} är nämndmålets status; ett KF-mål utan nämndmål får en {label} status från kontorets "
                     f"indikatorer. En egen bedömning: välj {OVERRIDE} och skriv en {MOTIVATION} (båda krävs); "
                     f"{STATUS} visar då den manuella bedömningen.")
    t = Table(ws, headers)
    name = L.INDICATOR_TABLE_NAME
    kf, goal = t.col(KF), t.col(GOAL)
    override, motivation = t.col(OVERRIDE), t.col(MOTIVATION)
    for rec in rows:
        number = integer(rec[KF])
        manual, text = EXAMPLE_OVERRIDES.get(number, (None, None)) if example else (None, None)
        row = t.add({KF: number, L.KF_AREA: rec[L.KF_AREA], L.KF_TEXT: rec[L.KF_TEXT], GOAL: text_or_none(rec[GOAL]),
                     COMPUTED: lambda r: f"=VP_KFSTATUS({kf}{r},{goal}{r},{name})",
                     OVERRIDE: manual, MOTIVATION: text,
                     STATUS: lambda r: f"=VP_KFSTATUS({kf}{r},{goal}{r},{name},{override}{r},{motivation}{r})"})
        if not rec[GOAL]:
            ws[f"{t.col(COMPUTED)}{row}"].comment = Comment(
                f"{label.capitalize()}: KF-mål {number} har inget nämndmål, så statusen räknas från kontorets "
                f"indikatorer (raden {book.data['goal']['office']} i {L.GOALS}).", CREATOR, height=100, width=300)
    t.style_column(L.KF_TEXT, wrap=True)
    t.style_column(L.KF_AREA, wrap=True)
    t.style_column(MOTIVATION, wrap=True)
    t.widths({KF: 8, L.KF_AREA: 22, L.KF_TEXT: 50, GOAL: 10, COMPUTED: 16, OVERRIDE: 16, MOTIVATION: 45, STATUS: 16})
    choices = book.data["kf"]["override_statuses"]
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=OVERRIDE,
                        error=f"Välj {', '.join(choices)} eller lämna tomt.")
    dv.add(t.column_range(OVERRIDE))
    ws.add_data_validation(dv)
    colour_rules(ws, t.column_range(COMPUTED), statuses, book.data["fills"])
    colour_rules(ws, t.column_range(STATUS), statuses, book.data["fills"])
    return t


def _analysis(wb, book, example, title):
    """The board's analysis per period (R13): typed by people; the example has Delår 1 2025's rows."""
    headers = L.ANALYSIS_HEADERS
    ws = start_sheet(wb, L.ANALYSIS, f"Analys – {title}",
                     f"En rad per period och KF-mål med nämndens samlade bedömning; en rad per indikator som är röd "
                     f"eller har trenden sämre, med {L.ANALYSIS_ACTION}, {L.ANALYSIS_RESPONSIBLE} och "
                     f"{L.ANALYSIS_DUE} (eller i {L.ANALYSIS_TEXT} varför ingen åtgärd behövs). {L.NAME}: indikatorns "
                     f"Id. Krävs innan perioden fastställs (Fastställ i fliken VP, vp approve).")
    t = Table(ws, headers)
    for rec in read_csv("analys_exempel.csv") if example else []:
        due = rec[L.ANALYSIS_DUE]
        t.add({L.PERIOD: rec[L.PERIOD], L.KF: integer(rec[L.KF]), L.GOAL: text_or_none(rec[L.GOAL]),
               L.NAME: text_or_none(rec[L.NAME]), L.ANALYSIS_TEXT: text_or_none(rec[L.ANALYSIS_TEXT]),
               L.ANALYSIS_ACTION: text_or_none(rec[L.ANALYSIS_ACTION]),
               L.ANALYSIS_RESPONSIBLE: text_or_none(rec[L.ANALYSIS_RESPONSIBLE]),
               L.ANALYSIS_DUE: datetime.date.fromisoformat(due) if due else None})
    last = max(t.last_row, L.FIRST_DATA_ROW) + 200  # room to type: formats and validation reach this far
    for row in range(L.FIRST_DATA_ROW, last + 1):
        for name in (L.ANALYSIS_TEXT, L.ANALYSIS_ACTION):
            ws[f"{t.col(name)}{row}"].alignment = WRAP
        ws[f"{t.col(L.ANALYSIS_DUE)}{row}"].number_format = "yyyy-mm-dd"
    names = [f"{name} {book.year}" for name in book.data["followup"]["periods"]]
    periods = DataValidation(type="list", formula1='"' + ",".join(names) + '"', allow_blank=True,
                             showErrorMessage=True, errorTitle=L.PERIOD, error=f"Skriv {', '.join(names)}.")
    periods.add(f"{t.col(L.PERIOD)}{L.FIRST_DATA_ROW}:{t.col(L.PERIOD)}{last}")
    ws.add_data_validation(periods)
    due = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True, showErrorMessage=True,
                         errorTitle=L.ANALYSIS_DUE, error="Skriv ett datum, t.ex. 2025-09-30.")
    due.add(f"{t.col(L.ANALYSIS_DUE)}{L.FIRST_DATA_ROW}:{t.col(L.ANALYSIS_DUE)}{last}")
    ws.add_data_validation(due)
    t.widths({L.PERIOD: 16, L.KF: 8, L.GOAL: 10, L.NAME: 10, L.ANALYSIS_TEXT: 70, L.ANALYSIS_ACTION: 50,
              L.ANALYSIS_RESPONSIBLE: 20, L.ANALYSIS_DUE: 13})
    return t


def _budget(wb, book, example, title):
    rows = read_csv("internbudget.csv")
    headers = [L.AREA, L.LAW, L.ROW_KIND, L.VOLUME_BASED, *L.BUDGET_AMOUNTS, L.ACTUAL, L.DEVIATION,
               L.ADHERENCE, COLOUR]
    ws = start_sheet(wb, L.BUDGET, f"Internbudget (mnkr) – {title}",
                     f"Skriv utfall eller prognos (mnkr) i {L.ACTUAL} för raderna med {L.ROW_KIND} {L.ROW}; "
                     f"{L.DEVIATION}, {L.ADHERENCE} och {COLOUR} räknas fram. Summaraderna är planens angivna "
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
            COLOUR: lambda r: f'=IF({i}{r}="","",VP_BUDGETSTATUS({g}{r},{i}{r}))',
        })
        row = t.add(values)
        if rec[L.ROW_KIND] == L.SUM:
            for c in range(1, len(headers) + 1):
                ws.cell(row=row, column=c).font = BOLD
    for name in (*L.BUDGET_AMOUNTS, L.ACTUAL, L.DEVIATION):
        t.style_column(name, number_format=AMOUNT_FORMAT)
    t.style_column(L.ADHERENCE, number_format="0.0%")
    t.widths({L.AREA: 34, L.LAW: 8, L.ROW_KIND: 8, L.VOLUME_BASED: 12, L.BUDGET_VP2024: 14, L.BUDGET_NOV: 14,
              L.PROPOSAL: 14, L.CHANGE: 11, L.ACTUAL: 12, L.DEVIATION: 11, L.ADHERENCE: 11, COLOUR: 8})
    colours = sorted({p["colour"] for p in book.data["indicator"]["verdicts"].values() if "grade" in p})
    colour_rules(ws, t.column_range(COLOUR), colours, book.data["fills"])
    define_table_name(wb, L.BUDGET_TABLE_NAME, L.BUDGET, headers, t.last_row + L.BUDGET_TABLE_SPARE_ROWS)
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
                     "Beloppen i kolumn B är exempel: skriv över dem med årets belopp. Delarna räknas med "
                     "VP_SPLIT_LSS_SOL och VP_SPLIT_STAFF (INDEX väljer delen) och summerar till det avrundade beloppet.")
    ws["A4"], ws["B4"] = L.SPLIT_COMMON, SPLIT_INPUTS[L.SPLIT_COMMON]
    ws["A5"], ws["B5"] = L.SPLIT_HS, SPLIT_INPUTS[L.SPLIT_HS]
    for col, part in zip("BC", lss_sol):
        ws[f"{col}6"] = part
        ws[f"{col}6"].font = BOLD
    ws["A7"] = f"Exklusive HS, {shares(lss_sol)} ({', '.join(lss_sol)})"
    ws["B7"], ws["C7"] = "=INDEX(VP_SPLIT_LSS_SOL(B4,B5),1)", "=INDEX(VP_SPLIT_LSS_SOL(B4,B5),2)"

    ws["A9"], ws["B9"] = L.SPLIT_STAFF, SPLIT_INPUTS[L.SPLIT_STAFF]
    for col, part in zip("BC", staff):
        ws[f"{col}10"] = part
        ws[f"{col}10"].font = BOLD
    ws["A11"] = f"Fördelning {shares(staff)}"
    ws["B11"], ws["C11"] = "=INDEX(VP_SPLIT_STAFF(B9),1)", "=INDEX(VP_SPLIT_STAFF(B9),2)"
    for ref in ("B4", "B5", "B7", "C7", "B9", "B11", "C11"):
        ws[ref].number_format = AMOUNT_FORMAT
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 20


def _saving(wb, book, title):
    rate = format_number(book.data["saving"]["rate"] * 100)
    stated = book.data["saving"]["stated"]
    ws = start_sheet(wb, L.SAVING, f"Besparing – {title}",
                     f"Basen är summan av {L.PROPOSAL} för raderna med {L.VOLUME_BASED} = NEJ i {L.BUDGET} "
                     f"(VP_SAVINGBASE); ändra markeringen där. Besparingen räknas med VP_SAVING ({rate} %).")
    ws["A4"], ws["B4"] = L.SAVING_BASE, f"=VP_SAVINGBASE({L.BUDGET_TABLE_NAME})"
    ws["A5"], ws["B5"] = f"{L.SAVING_RESULT} ({rate} %)", "=VP_SAVING(B4)"
    ws["A6"], ws["B6"] = L.SAVING_STATED, '=VP_RULE("saving.stated")'
    ws["A7"], ws["B7"] = L.SAVING_DIFFERENCE, '=IF(ISNUMBER(B5),ROUND(B6-B5,1),"")'
    for ref in ("B4", "B5", "B6", "B7"):
        ws[ref].number_format = AMOUNT_FORMAT
    ws["A9"] = (f"Obs: planens besparing {format_number(stated)} mnkr (nämndens beslut, i regelboken) motsvarar en bas på "
                f"cirka {format_number(round(-stated / book.data['saving']['rate'], 1))} mnkr. Raderna med "
                f"{L.VOLUME_BASED} = NEJ ger basen i B4; skillnaden är ett fynd på bladet {L.FINDINGS}. Se "
                "workbook/data/README.md.")
    ws["A9"].alignment = WRAP
    ws.merge_cells("A9:D9")
    ws.row_dimensions[9].height = 48
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


CHECK_DECISION = "kontroll"
CHECK_WHEN = "när värdena inte går att läsa eller inte passar ihop (se Beskrivning)"
CHECK_THEN = "fynd i Kontroll"


def _rules(wb, book):
    ws = start_sheet(wb, L.RULES, f"Regler {book.path.name} – planår {book.year}",
                     f"Varje beslut prövar sina regler uppifrån; den första vars villkor gäller avgör. Kontrollerna sist "
                     f"(beslut {CHECK_DECISION}) ger fynd i Kontroll. {L.RULE_ABOUT} hämtas med VP_RULE från "
                     f"regelboken som gäller nu. Ändra regler i regelboken, inte här.")
    t = Table(ws, [L.RULE_ID, L.RULE_DECISION, L.RULE_WHEN, L.RULE_THEN, L.RULE_ABOUT])
    ident = t.col(L.RULE_ID)
    for decision, rules in book.rules.items():
        for rule in rules:
            t.add({L.RULE_ID: rule.id, L.RULE_DECISION: decision, L.RULE_WHEN: condition_text(rule),
                   L.RULE_THEN: outcome_text(rule), L.RULE_ABOUT: lambda r: f"=VP_RULE({ident}{r})"})
    for check in book.checks.values():  # declared checks: what they look for, found as a finding
        t.add({L.RULE_ID: check.id, L.RULE_DECISION: CHECK_DECISION, L.RULE_WHEN: CHECK_WHEN,
               L.RULE_THEN: CHECK_THEN, L.RULE_ABOUT: lambda r: f"=VP_RULE({ident}{r})"})
    t.style_column(L.RULE_WHEN, wrap=True)
    t.style_column(L.RULE_ABOUT, wrap=True)
    t.widths({L.RULE_ID: 30, L.RULE_DECISION: 12, L.RULE_WHEN: 45, L.RULE_THEN: 30, L.RULE_ABOUT: 80})


def _kolada(wb, book, example, title):
    """The Kolada mapping (R15): input columns people fill in; the example has the plan's
    Kolada-backed indicators (I09 and I10 counted against the nation, I11, I17)."""
    settings = book.data["kolada"]
    required, optional = L.KOLADA_COLUMNS
    headers = [*required, *optional]
    ws = start_sheet(wb, L.KOLADA, f"Kolada – {title}",
                     f"En rad per indikator: KPI-id (flera med komma för \"{settings['rule_count_above']}\"), kommun "
                     f"eller enhet (tom = {settings['municipality']}), år (tomt = planåret), kön (tomt = "
                     f"{settings['gender']}), jämför med (t.ex. {settings['nation']} = riket). Hämta med knappen "
                     f"Hämta från Kolada eller `vp kolada`; värdena skrivs på bladet {L.KOLADA_VALUES}.")
    t = Table(ws, headers)
    if example:
        for record in read_csv("kolada_exempel.csv"):
            t.add({h: (integer(record[h]) if h == L.KOLADA_YEAR and record[h] else text_or_none(record[h]))
                   for h in headers})
    last = max(t.last_row, L.FIRST_DATA_ROW) + 200
    for header in (L.KOLADA_KPI, L.KOLADA_PLACE, L.KOLADA_COMPARE):  # 0181 stays text, not 181
        letter = t.col(header)
        for row in range(L.FIRST_DATA_ROW, last + 1):
            ws[f"{letter}{row}"].number_format = "@"
    for header, choices in ((L.KOLADA_GENDER, settings["genders"]),
                            (L.KOLADA_RULE, [settings["rule_value"], settings["rule_count_above"]])):
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=header, error=f"Skriv {', '.join(choices)}.")
        dv.add(f"{t.col(header)}{L.FIRST_DATA_ROW}:{t.col(header)}{last}")
        ws.add_data_validation(dv)
    t.widths({L.KOLADA_KPI: 60, L.KOLADA_PLACE: 20, L.KOLADA_COMPARE: 14, L.KOLADA_RULE: 24}, default=8)


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


def _period_cell(ws, book, example):
    """The follow-up period above the overview's table: a label, and the cell a person types in."""
    label = ws.cell(row=L.PERIOD_ROW, column=1, value=L.PERIOD_LABEL)
    label.font = BOLD
    cell = ws.cell(row=L.PERIOD_ROW, column=2, value=EXAMPLE_PERIOD if example else None)
    cell.fill = PERIOD_FILL
    cell.font = BOLD
    cell.number_format = "@"
    names = [f"{name} {book.year}" for name in book.data["followup"]["periods"] + book.data["followup"].get("months", [])]
    dv = DataValidation(type="list", formula1='"' + ",".join(names) + '"', allow_blank=True, showErrorMessage=True,
                        errorTitle=L.PERIOD_LABEL, error=f"Skriv {', '.join(names)}.",
                        promptTitle=L.PERIOD_LABEL, showInputMessage=True,
                        prompt="Perioden som uppdateringen och rapporten gäller; dess värden sparas på bladet "
                               f"{L.HISTORY}.")
    dv.add(cell.coordinate)
    ws.add_data_validation(dv)
    for column, label, value, prompt in (
            (L.DNR_COLUMN, L.DNR_LABEL, EXAMPLE_DNR if example else None,
             "Ärendets diarienummer; rapporten skriver det på första sidan och i sidfoten."),
            (L.PROPOSAL_COLUMN, L.PROPOSAL_LABEL, EXAMPLE_PROPOSAL if example else None,
             "Förslaget till beslut som rapporten avslutas med; en punkt per rad (Alt+Retur).")):
        ws.cell(row=L.PERIOD_ROW, column=column, value=label).font = BOLD
        cell = ws.cell(row=L.PERIOD_ROW, column=column + 1, value=value)
        cell.fill = PERIOD_FILL
        cell.number_format = "@"
        cell.alignment = WRAP
        note = DataValidation(allow_blank=True, promptTitle=label, prompt=prompt, showInputMessage=True)
        note.add(cell.coordinate)
        ws.add_data_validation(note)
        ws.column_dimensions[get_column_letter(column)].width = 20
        ws.column_dimensions[get_column_letter(column + 1)].width = 60 if column == L.PROPOSAL_COLUMN else 18
    # printed for the board: the overview's table, not the report's inputs beside it (whole columns)
    ws.print_area = f"A1:{get_column_letter(len(L.OVERVIEW_HEADERS))}{MAX_ROWS}"


def _approval_cells(ws):
    """The Fastställ button's inputs beside the period: the board's decision and a reason to fix the
    period despite findings (labels in row PERIOD_ROW, the cell to type in right of each)."""
    for column, label, prompt in ((4, L.DECISION_LABEL, "Nämndens beslut, t.ex. ON 2025/123 § 45 (valfritt)."),
                                  (7, L.DESPITE_LABEL, "Bara om perioden ska fastställas trots kontrollens fynd: "
                                                       "varför. Skälet loggas.")):
        ws.cell(row=L.PERIOD_ROW, column=column, value=label).font = BOLD
        cell = ws.cell(row=L.PERIOD_ROW, column=column + 1)
        cell.fill = PERIOD_FILL
        cell.number_format = "@"
        dv = DataValidation(allow_blank=True, showInputMessage=True, promptTitle=label[:32], prompt=prompt)
        dv.add(cell.coordinate)
        ws.add_data_validation(dv)


def _history(wb, title):
    ws = _output_sheet(wb, L.HISTORY, f"Historik – {title}",
                       "Varje uppdatering sparar periodens värden här, en rad per mål, indikator och budgetrad; en ny "
                       "uppdatering av samma period ersätter periodens rader. Trenden i rapporten jämför med "
                       "föregående period. Skriv inte i tabellen.",
                       L.HISTORY_HEADERS, {"Namn": 40, L.PERIOD: 18, "Regel": 22, "Uppdaterad": 17})
    for header in L.HISTORY_TYPED:  # values as typed stay text (4/5 is not a date)
        letter = get_column_letter(L.HISTORY_HEADERS.index(header) + 1)
        ws.column_dimensions[letter].number_format = "@"
    return ws


# ----------------------------------------------------------------------------- the workbook

def make_workbook(example=False, book=None):
    """The workbook as an openpyxl Workbook (not saved)."""
    book = book or load_rulebook()
    title = book.data["plan"]["name"]
    wb = Workbook()
    wb.remove(wb.active)
    overview = _output_sheet(wb, L.OVERVIEW, f"Översikt – {title}",
                             f"Skriv perioden i B{L.PERIOD_ROW} och tryck Uppdatera i fliken VP (eller kör `vp refresh`); "
                             "översikten skrivs då här.",
                             L.OVERVIEW_HEADERS, {"Nivå": 21, "Namn": 50, "Förklaring": 90, "Status/färg": 16,
                                                  "Regel": 28})
    _period_cell(overview, book, example)
    _approval_cells(overview)
    _indicators(wb, book, example, title)
    _, statuses = _goals(wb, book, title)
    _kf_goals(wb, book, example, title, statuses)
    _analysis(wb, book, example, title)
    _budget(wb, book, example, title)
    _frame(wb, title)
    _splits(wb, book, title)
    _saving(wb, book, title)
    _prices(wb, example, title)
    _volumes(wb, example, title)
    _reinvestments(wb, title)
    _kolada(wb, book, example, title)
    _rules(wb, book)
    _rulebook(wb, book)
    _history(wb, title)
    _output_sheet(wb, L.KOLADA_VALUES, f"Kolada-värden – {title}",
                  f"Skrivs av Hämta från Kolada (fliken VP) och `vp kolada` från bladet {L.KOLADA}; skriv inte här. "
                  f"Ett Utfall kan hämta värdet: =INDEX('{L.KOLADA_VALUES}'!K:K;PASSA(\"I09\";'{L.KOLADA_VALUES}'!A:A;0)). "
                  + book.data["kolada"]["source"] + ".",
                  L.KOLADA_VALUES_HEADERS, {"Titel": 50, "URL": 50, "Källa": 30, "Anmärkning": 40, "Hämtad": 17,
                                              L.KOLADA_PLACE: 20, "Jämförelsevärde": 16, "Över jämförelsen": 17,
                                              L.KOLADA_LATEST: 21, L.ID: 8, L.KOLADA_YEAR: 8, L.KOLADA_GENDER: 8})
    _output_sheet(wb, L.APPROVALS, f"Fastställelser – {title}",
                  "Varje fastställelse och återöppning av en period skrivs här av Fastställ (fliken VP) och "
                  "`vp approve`: vem, när, beslut, regelbokens och Historik-radernas kontrollsummor. Skriv inte här.",
                  L.APPROVAL_HEADERS, {L.PERIOD: 16, L.APPROVAL_BY: 20, L.APPROVAL_TIME: 17, L.APPROVAL_DECISION: 24,
                                       L.APPROVAL_REASON: 40, L.APPROVAL_RULEBOOK: 30, L.APPROVAL_CHECKSUM: 30})
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


def build_workbook(path, example=False, book=None, server=False):
    """Write the VP workbook to `path` (deterministically); returns the path. `server`: with the VP
    server's functions (the classic workbook converted by `workbook.convert`, nothing else differs)."""
    path = Path(path)
    data = workbook_bytes(make_workbook(example=example, book=book))
    if server:
        from .convert import SERVER, convert_bytes

        data = convert_bytes(data, path.name, SERVER)
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
