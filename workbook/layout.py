"""The VP workbook's layout: sheet names, the header names its tables are found by, and which record
field each header fills.

The builder writes this layout, the refresh, the check and the table-reading VP functions read it.
Tables are found by their header row (the first row within the top rows of a sheet that holds all
required headers), so a person may add columns, move them or insert rows. Input columns are typed
by people and never written by a refresh; formula columns hold =VP_* formulas; the overview,
findings and log sheets are the only places a refresh writes.
"""

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
RULES = "Regler"
OVERVIEW = "Översikt"
FINDINGS = "Kontroll"
LOG = "Logg"
HISTORY = "Historik"
KOLADA = "Kolada"
KOLADA_VALUES = "Kolada-värden"
ANALYSIS = "Analys"
APPROVALS = "Fastställelser"

# What marks a file as a VP workbook: these sheets must exist.
REQUIRED_SHEETS = (INDICATORS, KF_GOALS, BUDGET)
# Sheets a refresh writes (everything else is people's input or formulas).
OUTPUT_SHEETS = (OVERVIEW, FINDINGS, LOG, HISTORY, APPROVALS, KOLADA_VALUES)

# --- the indicator table -----------------------------------------------------------------------------
ID = "Id"
KF = "KF-mål"
GOAL = "Nämndmål"
NAME = "Indikator"
BASELINE = "Ingående värde"
OUTCOME = "Utfall"
ACTIVITIES = "Aktiviteter"
DOMINANT = "Dominant"
SOURCE = "Källa"
SCORE = "Poäng"
COLOUR = "Färg"
EXPLANATION = "Förklaring"


def target_column(year):
    return f"Riktvärde {year}"


def indicator_columns(year):
    """Indicator table: header -> field of rules.records.IndicatorRow (required, optional)."""
    required = {ID: "id", KF: "kf", GOAL: "goal", NAME: "name", BASELINE: "baseline", target_column(year): "target",
                OUTCOME: "outcome", ACTIVITIES: "activities"}
    return required, {DOMINANT: "dominant"}


INDICATOR_FORMULAS = (SCORE, COLOUR, EXPLANATION)
# The defined name the goal and KF formulas read the indicator table by (header row included):
# =VP_GOALSTATUS(A5:B5;Indikatortabell). The builder lets it reach this many empty rows below the
# table, room for new indicators; every formula call sends the whole range to Python (and to the
# server), so it is kept close to the table. An indicator below the name's last row is a finding.
INDICATOR_TABLE_NAME = "Indikatortabell"
INDICATOR_TABLE_SPARE_ROWS = 100

# --- the KF goals ------------------------------------------------------------------------------------
KF_AREA = "Målområde"
KF_TEXT = "KF-mål text"
COMPUTED = "Beräknad status"
OVERRIDE = "Manuell status"
MOTIVATION = "Motivering"
STATUS = "Status"
KF_COLUMNS = ({KF: "kf", GOAL: "goal"}, {OVERRIDE: "override", MOTIVATION: "motivation"})

# --- the board goals sheet (formulas only; read for its texts) -----------------------------------------
GOAL_TEXT = "Nämndmål text"
AVERAGE = "Medel"
GOAL_COLUMNS = ({GOAL: "goal", KF: "kf"}, {GOAL_TEXT: "text"})
OFFICE_TEXT = "Kontorets indikatorer (KF-mål {kf} har inget nämndmål)"

# --- the internal budget --------------------------------------------------------------------------------
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
# Row kinds as the rules name them (rules `budgetrad`: radtyp).
ROW_KINDS = {ROW: "rad", SUM: "summa"}
BUDGET_COLUMNS = ({AREA: "area", LAW: "law", ROW_KIND: "kind", VOLUME_BASED: "volume_based",
                   **{name: name for name in BUDGET_AMOUNTS}}, {ACTUAL: "actual"})
BUDGET_TABLE_NAME = "Budgettabell"
BUDGET_TABLE_SPARE_ROWS = 40

# --- frame adjustment chain --------------------------------------------------------------------------
STEP = "Steg"
TEXT = "Text"
AMOUNT = "Belopp"
START = "Start"
ADJUSTMENT = "Justering"
FRAME_COLUMNS = ({STEP: "step", TEXT: "text", AMOUNT: "amount", ROW_KIND: "kind"}, {})
# Frame steps as the budget assessment names them.
FRAME_KINDS = {START: "start", ADJUSTMENT: "justering", SUM: "summa"}

# --- output sheets written by a refresh ------------------------------------------------------------------
OVERVIEW_HEADERS = ["Nivå", "KF-mål", "Nämndmål", "Id", "Namn", "Medel/poäng", "Status/färg", "Förklaring", "Regel"]
FINDINGS_HEADERS = ["Plats", "Regel", "Beskrivning"]
LOG_HEADERS = ["Tid", "Användare", "Händelse", "Ändrade statusar"]
LEVEL_KF, LEVEL_GOAL, LEVEL_INDICATOR = "KF-mål", "Nämndmål", "Indikator"
UNKNOWN_GOAL = "Okänt nämndmål"

# --- the follow-up period and the history (R12) -------------------------------------------------------
# The period a refresh is about is typed in the cell right of this label on the overview sheet, above
# its table (found by the label within the first HEADER_SEARCH_ROWS rows; the builder puts it in A3,
# the period in B3). A refresh reads it and never writes it; only `vp refresh FIL --period P` does.
PERIOD_LABEL = "Uppföljningsperiod"
PERIOD_ROW = 3
# The report's diary number and proposed decision, typed in row PERIOD_ROW right of the overview's
# table (labels in J3 and L3, the values right of them: K3 and M3), so they never meet the Fastställ
# inputs beside the period nor the table a refresh rewrites. Read like the period, never written.
DNR_LABEL, DNR_COLUMN = "Diarienummer", 10
PROPOSAL_LABEL, PROPOSAL_COLUMN = "Förslag till beslut", 12
# One row per item (KF goal, board goal, indicator, budget row, the budget in total) and period.
PERIOD = "Period"
LEVEL_BUDGET, LEVEL_BUDGET_TOTAL = "Budget", "Budget totalt"
BUDGET_TOTAL_NAME = "Nämnden totalt (rader med utfall/prognos)"
HISTORY_HEADERS = [PERIOD, "Nivå", "KF-mål", "Nämndmål", "Id", "Namn", BASELINE, "Riktvärde", OUTCOME, "Budget",
                   "Poäng/medel", ADHERENCE, "Status/färg", "Regel", "Uppdaterad", "Användare"]
# Columns holding values as people typed them ("4/5", "65%"): text, so Excel does not turn them into dates.
HISTORY_TYPED = (BASELINE, "Riktvärde", OUTCOME)

# --- the board's analysis per period (R13), typed by people: one row per period and KF goal, and
# optionally per board goal or indicator (Indikator: its Id, or its name as on the indicator sheet) ----
ANALYSIS_TEXT = "Samlad bedömning/Analys"
ANALYSIS_ACTION = "Åtgärd"
ANALYSIS_RESPONSIBLE = "Ansvarig"
ANALYSIS_DUE = "Klart senast"
ANALYSIS_HEADERS = [PERIOD, KF, GOAL, NAME, ANALYSIS_TEXT, ANALYSIS_ACTION, ANALYSIS_RESPONSIBLE, ANALYSIS_DUE]
# every column is required (a missing one is named); rows with all cells empty are skipped
ANALYSIS_COLUMNS = ({PERIOD: "period", KF: "kf", GOAL: "goal", NAME: "indicator", ANALYSIS_TEXT: "text",
                     ANALYSIS_ACTION: "action", ANALYSIS_RESPONSIBLE: "responsible", ANALYSIS_DUE: "due"}, {})

# --- fixing a period (R14): one row per fixing or reopening, appended by `vp approve` and Fastställ;
# the last row of a period is its state. The rulebook's SHA-256 and a checksum of the period's
# Historik rows at fixing time are kept, so a later hand edit of those rows is found. ------------------
APPROVAL_EVENT = "Händelse"
APPROVAL_BY = "Av"
APPROVAL_TIME = "Tid"
APPROVAL_DECISION = "Beslut"
APPROVAL_REASON = "Skäl"
APPROVAL_RULEBOOK = "Regelbok (SHA-256)"
APPROVAL_CHECKSUM = "Kontrollsumma Historik (SHA-256)"
APPROVAL_ROWS = "Rader i Historik"
# What the Fastställ button reads (it takes no arguments): labelled cells above the overview's table,
# typed by people like the period (`vp approve` takes --decision and --despite-findings instead).
DECISION_LABEL = "Beslut (dnr/paragraf)"
DESPITE_LABEL = "Fastställ trots fynd (skäl)"
APPROVAL_HEADERS = [PERIOD, APPROVAL_EVENT, APPROVAL_BY, APPROVAL_TIME, APPROVAL_DECISION, APPROVAL_REASON,
                    APPROVAL_RULEBOOK, APPROVAL_CHECKSUM, APPROVAL_ROWS]

# --- the builder -----------------------------------------------------------------------------------------
HEADER_ROW = 4       # the builder's header row (a refresh still searches HEADER_SEARCH_ROWS)
FIRST_DATA_ROW = 5

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

RULE_NAME = "Regel"
RULE_VALUE = "Värde"
RULE_CURRENT = "Gäller"
RULE_ID = "Regel-id"
RULE_DECISION = "Beslut"
RULE_ABOUT = "Vad regeln säger"
RULE_WHEN = "Villkor"
RULE_THEN = "Ger"

# Labels of the input blocks on the Fördelning and Besparing sheets (found by label, column A).
SPLIT_COMMON = "Gemensamma kostnader (mnkr)"
SPLIT_HS = "Därav HS (mnkr)"
SPLIT_STAFF = "Stabens gemensamma kostnader (mnkr)"
SAVING_BASE = "Ej volymbaserad budget 2025 (mnkr)"
SAVING_RESULT = "Besparing"
SAVING_STATED = "Planens angivna besparing (mnkr)"
SAVING_DIFFERENCE = "Skillnad (mnkr)"

# --- Kolada (R15): the mapping people fill in, and the figures `vp kolada` writes ----------------------
KOLADA_KPI = "KPI-id"
KOLADA_PLACE = "Kommun eller enhet"
KOLADA_YEAR = "År"
KOLADA_GENDER = "Kön"
KOLADA_COMPARE = "Jämför med"
KOLADA_RULE = "Regel"
KOLADA_COLUMNS = ({ID: "id", KOLADA_KPI: "kpi"}, {KOLADA_PLACE: "place", KOLADA_YEAR: "year",
                                                   KOLADA_GENDER: "gender", KOLADA_COMPARE: "compare",
                                                   KOLADA_RULE: "rule"})
KOLADA_VALUE = "Värde"
KOLADA_OUTCOME = "Utfall"
KOLADA_LATEST = "Senaste år med värde"
KOLADA_VALUES_HEADERS = [ID, KOLADA_KPI, "Titel", "Enhet", KOLADA_PLACE, KOLADA_YEAR, KOLADA_GENDER, KOLADA_VALUE,
                         "Jämförelsevärde", "Över jämförelsen", KOLADA_OUTCOME, KOLADA_LATEST, "Anmärkning",
                         "Hämtad", "URL", "Källa"]

def budget_layout():
    """What the budget assessment (rules.budget_assess) needs to know of these sheets' names."""
    from rules.budget_assess import BudgetLayout

    return BudgetLayout(amounts=BUDGET_AMOUNTS, current=BUDGET_NOV, proposal=PROPOSAL, change=CHANGE,
                        kinds=ROW_KINDS, kind_column=ROW_KIND, law_column=LAW, frame_kinds=FRAME_KINDS,
                        frame_kind_column=ROW_KIND, budget_table=BUDGET, volume_column=VOLUME_BASED,
                        saving_place=SAVING)
