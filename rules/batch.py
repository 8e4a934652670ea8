"""Batch entry points over pandas tables: grade many indicators, roll them up to goals.

Used by `vp refresh`, the ribbon and the benchmarks. A bad cell does not stop the batch: its row
gets the Swedish message in the `Fel` column (naming the cell), and the indicator is left out of
its goal's average, so one typo shows up where it is instead of hiding every status.
"""

import math

import pandas as pd

from .errors import VPInputError
from .goals import goal_status, kf_status
from .indicator import grade_indicator
from .rulebook import load_rulebook

# Column names, as in the workbook's header rows.
ID = "Id"
KF = "KF-mål"
GOAL = "Nämndmål"
NAME = "Indikator"
BASELINE = "Ingående värde"
OUTCOME = "Utfall"
ACTIVITIES = "Aktiviteter"
DOMINANT = "Dominant"
SCORE = "Poäng"
COLOUR = "Färg"
ASSESSMENT = "Bedömning"
EXPLANATION = "Förklaring"
ERROR = "Fel"
AVERAGE = "Medel"
STATUS = "Status"
COUNT = "Antal bedömda"
COMPUTED = "Beräknad status"
OVERRIDE = "Manuell status"
MOTIVATION = "Motivering"
SOURCE = "Underlag"
OFFICE = "Kontoret"


def target_column(year):
    return f"Riktvärde {year}"


def cell_value(x):
    """pandas' empty (NaN/NA/NaT) is an empty cell; everything else is passed on as typed."""
    if x is None:
        return None
    try:
        if x is pd.NA or x is pd.NaT:
            return None
    except TypeError:  # pragma: no cover
        pass
    if isinstance(x, float) and math.isnan(x):
        return None
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        return x.item()  # numpy scalars -> Python
    return x


def _default_where(index, column):
    return f"rad {index}, {column}"


def grade_indicators(table, year=None, book=None, where=_default_where):
    """R2 for every row: returns Poäng, Färg, Bedömning, Förklaring, Fel (same index as `table`).

    `where(index, column)` names a cell for messages (the file adapter gives "Indikatorer!F7").
    """
    book = book or load_rulebook()
    year = year or book.year
    target = target_column(year)
    missing = [c for c in (BASELINE, target, OUTCOME) if c not in table.columns]
    if missing:
        raise VPInputError("indikatortabellen", None, f"saknar kolumnen {', '.join(missing)}.")
    rows = []
    cells = (BASELINE, target, OUTCOME, ACTIVITIES)
    activities = table[ACTIVITIES] if ACTIVITIES in table.columns else [None] * len(table)
    for index, base, goal, outcome, acts in zip(table.index, table[BASELINE], table[target], table[OUTCOME],
                                                activities):
        try:
            result = grade_indicator(cell_value(base), cell_value(goal), cell_value(outcome), cell_value(acts),
                                     book=book, where=tuple(where(index, c) for c in cells))
            rows.append((result.score, result.colour, result.status, result.explanation, ""))
        except VPInputError as exc:
            rows.append((None, "", "Fel", "", str(exc)))
    return pd.DataFrame(rows, index=table.index, columns=[SCORE, COLOUR, ASSESSMENT, EXPLANATION, ERROR])


def _is_yes(x):
    x = cell_value(x)
    return x is True or (isinstance(x, str) and x.strip().casefold() == "ja")


def rollup_goals(indicators, book=None):
    """R3 per board goal (and the office's indicators): average, status, explanation.

    `indicators` needs Nämndmål, Poäng, Färg and optionally Dominant (JA marks the goal's dominant
    indicator) and Fel (rows with an error are left out and counted).
    """
    book = book or load_rulebook()
    groups = {}
    columns = [c for c in (GOAL, KF, SCORE, COLOUR, DOMINANT, ERROR) if c in indicators.columns]
    for row in zip(*(indicators[c] for c in columns)):
        record = dict(zip(columns, row))
        groups.setdefault(record[GOAL], []).append(record)
    caps = book.data["goal"]["dominant_cap"]
    rows = []
    for goal, members in groups.items():
        marked = [m for m in members if _is_yes(m.get(DOMINANT))]
        if len(marked) > 1:
            raise VPInputError(f"nämndmål {goal}", None, "har mer än en dominerande indikator.")
        dominant = cell_value(marked[0][COLOUR]) if marked else None
        result = goal_status([cell_value(m[SCORE]) for m in members], dominant if dominant in caps else None,
                             book=book, where=f"poäng för {goal}")
        errors = sum(1 for m in members if cell_value(m.get(ERROR)))
        explanation = result.explanation
        if errors:
            explanation += f" {errors} indikator(er) med fel är inte medräknade."
        rows.append({GOAL: goal, KF: cell_value(members[0].get(KF)), COUNT: result.parameters.get("bedömda", 0),
                     AVERAGE: result.average, STATUS: result.status, EXPLANATION: explanation})
    return pd.DataFrame(rows, columns=[GOAL, KF, COUNT, AVERAGE, STATUS, EXPLANATION])


def rollup_kf(kf_goals, goals, indicators, book=None, where=_default_where):
    """R4 per KF goal. `kf_goals` has KF-mål, Nämndmål (empty = none) and optionally Manuell status
    and Motivering; `goals` is rollup_goals' result; the office's indicators (Nämndmål = Kontoret)
    give the indicative status of a KF goal without a board goal."""
    book = book or load_rulebook()
    by_goal = {str(g): s for g, s in zip(goals[GOAL], goals[STATUS])}
    rows = []
    for index, row in kf_goals.iterrows():
        kf = cell_value(row[KF])
        goal = cell_value(row[GOAL])
        override = cell_value(row[OVERRIDE]) if OVERRIDE in kf_goals.columns else None
        motivation = cell_value(row[MOTIVATION]) if MOTIVATION in kf_goals.columns else None
        office = indicators[(indicators[KF].astype(str) == str(kf))] if KF in indicators.columns else indicators
        grades = [cell_value(x) for x in office[SCORE]] if goal in (None, "") else None
        try:
            result = kf_status(by_goal.get(str(goal)) if goal not in (None, "") else None, grades, override,
                               motivation, book=book,
                               where=(where(index, GOAL), f"kontorets poäng för KF-mål {kf}",
                                      where(index, OVERRIDE), where(index, MOTIVATION)))
            source = result.parameters.get("källa", "")
            rows.append({KF: kf, GOAL: goal, COMPUTED: result.computed_status, STATUS: result.status,
                         SOURCE: {"board_goal": "nämndmål", "indicative": book.data["kf"]["indicative_label"],
                                  "override": book.data["kf"]["override_label"]}.get(source, source),
                         EXPLANATION: result.explanation, ERROR: ""})
        except VPInputError as exc:
            rows.append({KF: kf, GOAL: goal, COMPUTED: "", STATUS: "Fel", SOURCE: "", EXPLANATION: "",
                         ERROR: str(exc)})
    return pd.DataFrame(rows, columns=[KF, GOAL, COMPUTED, STATUS, SOURCE, EXPLANATION, ERROR])
