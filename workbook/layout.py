"""The VP workbook's layout: sheet names and the header names its tables are found by.

The builder writes this layout, the refresh and check read it. Tables are found by their header row
(the first row within the top rows of a sheet that holds all required headers), so a person may add
columns, move them or insert rows. Input columns are typed by people and never written by a
refresh; formula columns hold =VP_* formulas; the overview, findings and log sheets are the only
places a refresh writes.
"""

from rules import batch as b

HEADER_SEARCH_ROWS = 15  # a table's header row must be within the sheet's first rows

INDICATORS = "Indikatorer"
GOALS = "Nämndmål"
KF_GOALS = "KF-mål"
BUDGET = "Internbudget"
FRAME = "Ramjusteringar"
SPLITS = "Fördelning"
SAVING = "Besparing"
PRICES = "Prisuppräkningar"
VOLUMES = "Volymer"
REINVEST = "Reinvesteringar"
RULEBOOK = "Regelbok"
OVERVIEW = "Översikt"
FINDINGS = "Kontroll"
LOG = "Logg"

# What marks a file as a VP workbook: these sheets must exist.
REQUIRED_SHEETS = (INDICATORS, KF_GOALS, BUDGET)
# Sheets a refresh writes (everything else is people's input or formulas).
OUTPUT_SHEETS = (OVERVIEW, FINDINGS, LOG)


def indicator_columns(year):
    """Indicator table: inputs, then the formula outputs."""
    return {
        "required": [b.ID, b.KF, b.GOAL, b.NAME, b.BASELINE, b.target_column(year), b.OUTCOME, b.ACTIVITIES],
        "optional": [b.DOMINANT],
        "formulas": [b.SCORE, b.COLOUR, b.EXPLANATION],
    }


KF_COLUMNS = {
    "required": [b.KF, b.GOAL],
    "optional": [b.OVERRIDE, b.MOTIVATION],
}

GOAL_COLUMNS = {"required": [b.GOAL, b.KF]}

# Internal budget table.
AREA = "Verksamhetsområde"
LAW = "Område"
ROW_KIND = "Radtyp"
VOLUME_BASED = "Volymbaserad"
BUDGET_VP2024 = "Fördelad budget enligt VP 2024"
BUDGET_NOV = "Budget per november 2024"
PROPOSAL = "Förslag till budget 2025"
CHANGE = "Förändring"
ACTUAL = "Utfall/prognos"
DEVIATION = "Avvikelse"
ADHERENCE = "Följsamhet"
ROW = "Rad"
SUM = "Summa"
BUDGET_AMOUNTS = (BUDGET_VP2024, BUDGET_NOV, PROPOSAL, CHANGE)
BUDGET_COLUMNS = {
    "required": [AREA, LAW, ROW_KIND, VOLUME_BASED, *BUDGET_AMOUNTS],
    "optional": [ACTUAL],
}

# Frame adjustment chain.
STEP = "Steg"
TEXT = "Text"
AMOUNT = "Belopp"
START = "Start"
ADJUSTMENT = "Justering"
FRAME_COLUMNS = {"required": [STEP, TEXT, AMOUNT, ROW_KIND]}

# Overview written by a refresh.
OVERVIEW_HEADERS = ["Nivå", "KF-mål", "Nämndmål", "Id", "Namn", "Medel/poäng", "Status/färg", "Förklaring"]
FINDINGS_HEADERS = ["Plats", "Regel", "Beskrivning"]
LOG_HEADERS = ["Tid", "Användare", "Händelse", "Ändrade statusar"]

# ---------------------------------------------------------------------------------------------
# Added with workbook/build.py: the remaining header names the builder writes.
TITLE_ROW = 1        # sheet title
INSTRUCTION_ROW = 2  # what people type, what computes
HEADER_ROW = 4       # the builder's header row (a refresh still searches HEADER_SEARCH_ROWS)
FIRST_DATA_ROW = 5

SOURCE = "Källa"
GOAL_TEXT = "Nämndmål text"
INDICATOR_COUNT = "Antal indikatorer"
KF_AREA = "Målområde"
KF_TEXT = "KF-mål text"

PRICE_NAME = "Prisuppräkning"
PRICE_RATE = "Sats"
PRICE_MONTH = "Från månad"
PRICE_FULL_YEAR = "Helårseffekt"
PRICE_BASE = "Bas (mnkr)"
PRICE_EFFECT = "Kostnadseffekt"
PRICE_SOURCE = "Källa i planen"

VOLUME_INSATS = "Insats"
VOLUME_BUDGET_2024 = "MoB budget 2024"
VOLUME_READING = "Avläsning okt 2024"
VOLUME_BUDGET = "Budget 2025"
VOLUME_NEW = "Ny volym"
VOLUME_COST = "Standardkostnad (mnkr)"
VOLUME_ADJUSTMENT = "Justering"

REINVESTMENT = "Reinvestering"

RULE_NAME = "Regel"
RULE_VALUE = "Värde"
RULE_CURRENT = "Gäller"

# Labels of the input blocks on the Fördelning and Besparing sheets (found by label, column A).
SPLIT_COMMON = "Gemensamma kostnader (mnkr)"
SPLIT_HS = "Därav HS (mnkr)"
SPLIT_STAFF = "Stabens gemensamma kostnader (mnkr)"
SAVING_BASE = "Ej volymbaserad budget 2025 (mnkr)"
SAVING_RESULT = "Besparing"
SAVING_STATED = "Planens angivna besparing (mnkr)"

# The Nämndmål sheet's formulas read the indicator table's rows down to this row (array formulas that
# select a goal's rows by Nämndmål and KF-mål, so rows may be added anywhere above it).
INDICATOR_FORMULA_LAST_ROW = 500
