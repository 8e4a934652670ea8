"""Batch entry points over pandas tables: grade many indicators, roll them up to goals.

Used by `vp refresh`, the ribbon and the benchmarks. A bad cell does not stop the batch: its row
gets the Swedish message in the `Fel` column (naming the cell), and the indicator is left out of
its goal's average, so one typo shows up where it is instead of hiding every status. Keys (Id,
KF-mål, Nämndmål) are compared as trimmed text without case (`key`); keys that do not fit together
are messages too (`key_problems`), never a silently dropped row.
"""

import math

import pandas as pd

from . import values as v
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
GROUP = "Grupp"  # rollup_goals: the key the indicators were grouped by (see group_key)
CAP = "Takfärg"  # the dominant indicator's colour that capped a goal (internal column)
PROBLEMS = "Problem"  # rollup_goals: the goal's problems as a list of Message (internal column)


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


class Message(str):
    """A message for a person (Swedish, led by the place it is about) that carries that place as
    `where` (a cell such as "Indikatorer!K20", or a short list of cells), so a finding need not
    recover it from the text."""

    def __new__(cls, text, where=""):
        message = super().__new__(cls, text)
        message.where = "" if where is None else str(where)
        return message


def message_of(exc):
    """A VPInputError as a Message carrying its place."""
    return Message(str(exc), getattr(exc, "where", ""))


class UnsavedFormula(str):
    """An input cell holding a formula whose result was never saved (the file was last written by a
    program other than Excel): the text is the formula, `where` the cell. Reading it is an error."""

    def __new__(cls, formula, where):
        text = super().__new__(cls, formula)
        text.where = where
        return text


def check_saved(x):
    """`x` as read, or the error for a formula without a saved result (naming the cell and the formula)."""
    if isinstance(x, UnsavedFormula):
        raise VPInputError(x.where, None, f"innehåller formeln {x!s} men inget sparat värde;",
                           "öppna och spara filen i Excel eller skriv in värdet.")
    return x


def _input(x):
    return cell_value(check_saved(x))


def key(x):
    """A key cell (Id, KF-mål, Nämndmål) as keys are compared: trimmed text without case, an integral
    number as its digits (1, 1.0, "1" and "1,0" are the same KF goal); empty is ""."""
    x = cell_value(x)
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    text = v.fold(str(x))
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def shown(x):
    """A key cell as messages and the overview show it: trimmed, 1.0 as 1, empty as ""."""
    x = cell_value(x)
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return x.strip() if isinstance(x, str) else x if x is not None else ""


OFFICE_KEY = key(OFFICE)


def group_key(goal, kf):
    """The group an indicator counts towards: its Nämndmål (see `key`); the office's indicators
    (Nämndmål = Kontoret) per KF goal. A KF row's group is group_key(its Nämndmål or Kontoret, its id)."""
    goal = key(goal)
    return f"{goal}|{key(kf)}" if goal == OFFICE_KEY else goal


def kf_group_key(goal, kf):
    return group_key(goal if key(goal) else OFFICE, kf)


def read_yes_no(raw, where, book=None, required=False):
    """A JA/NEJ column read as the workbook's formulas read it (COUNTIF/SUMIF with "JA"/"NEJ"): the
    rulebook's first yes or no word, any case, nothing around it; empty is None. Anything else, an
    Excel TRUE/FALSE too (the formulas would not count it), is an error naming the cell."""
    book = book or load_rulebook()
    words = book.data["values"]
    yes, no = words["yes_words"][0].upper(), words["no_words"][0].upper()
    raw = cell_value(check_saved(raw))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise VPInputError(where, None, f"är tomt men ska vara {yes} eller {no}.")
        return None
    if isinstance(raw, str) and raw == raw.strip() and v.fold(raw) in (v.fold(yes), v.fold(no)):
        return v.fold(raw) == v.fold(yes)
    text = ("SANT" if raw else "FALSKT") if isinstance(raw, bool) else str(raw)
    hint = f"Skriv {yes} eller {no}" + (" som text" if isinstance(raw, bool) else "") + \
        (" utan mellanslag före eller efter" if isinstance(raw, str) and raw != raw.strip() else "") + \
        ("." if required else " eller lämna tomt.")
    raise VPInputError(where, text, f"ska vara {yes} eller {no}.", hint)


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
            result = grade_indicator(_input(base), _input(goal), _input(outcome), _input(acts),
                                     book=book, where=tuple(where(index, c) for c in cells))
            rows.append((result.score, result.colour, result.status, result.explanation, ""))
        except VPInputError as exc:
            rows.append((None, "", "Fel", "", message_of(exc)))
    frame = pd.DataFrame(rows, index=table.index, columns=[SCORE, COLOUR, ASSESSMENT, EXPLANATION, ERROR])
    frame[ERROR] = pd.Series([row[-1] for row in rows], index=table.index, dtype=object)  # keeps Message.where
    return frame


def rollup_goals(indicators, book=None, where=_default_where, names=None):
    """R3 per board goal (and the office's indicators per KF goal): average, status, explanation.

    `indicators` needs Nämndmål, Poäng, Färg and optionally KF-mål, Dominant (JA marks the goal's
    dominant indicator) and Fel (rows with an error are left out and counted). Nämndmål are compared
    as `key` does, so " n1" counts towards N1. `names` maps a group (see `group_key`) to the goal's
    name as shown (the spelling on the KF-mål sheet); without it the first indicator's, trimmed.
    Fel of a goal row lists its problems, one a line (Problem: the same as a list of Message): a
    Dominant that is not JA/NEJ, two dominant indicators, or a dominant indicator with an error (then
    no cap applies, as the explanation says).
    """
    book = book or load_rulebook()
    names = names or {}
    groups = {}
    columns = [c for c in (GOAL, KF, SCORE, COLOUR, DOMINANT, ERROR) if c in indicators.columns]
    for index, row in zip(indicators.index, zip(*(indicators[c] for c in columns))):
        record = dict(zip(columns, row))
        groups.setdefault(group_key(record[GOAL], record.get(KF)), []).append((index, record))
    caps = book.data["goal"]["dominant_cap"]
    rows = []
    for group, members in groups.items():
        name = names.get(group) or shown(members[0][1][GOAL])
        problems, marked = [], []
        for index, m in members:
            if DOMINANT not in m:
                continue
            try:
                if read_yes_no(m[DOMINANT], where(index, DOMINANT), book):
                    marked.append(index)
            except VPInputError as exc:
                problems.append(message_of(exc))
        dominant, note, broken = None, "", None
        if len(marked) > 1:
            cells = " och ".join(where(i, DOMINANT) for i in marked)
            problems.append(Message(f"{cells}: nämndmål {name} har {len(marked)} indikatorer markerade som "
                                    f"dominerande; ett mål kan ha en. Inget tak gäller för {name} förrän bara "
                                    "en är markerad.", cells))
            note = " Inget tak: flera indikatorer är markerade som dominerande."
        elif marked:
            error = cell_value(dict(members)[marked[0]].get(ERROR))
            if error:  # no colour, so no cap (R3) – but said, not silent
                broken = getattr(error, "where", "") or where(marked[0], DOMINANT)
                note = f" Inget tak: den dominerande indikatorn ({broken}) har fel."
            else:
                dominant = cell_value(dict(members)[marked[0]][COLOUR])
        result = goal_status([cell_value(m[SCORE]) for _, m in members], dominant if dominant in caps else None,
                             book=book, where=f"poäng för {name}")
        if broken:
            problems.append(Message(
                f"{broken}: den dominerande indikatorn för nämndmål {name} har fel, så inget tak gäller och "
                f"målet bedöms utan den ({result.status}). Rätta värdet; då begränsar indikatorns färg "
                "målet igen.", broken))
        errors = sum(1 for _, m in members if cell_value(m.get(ERROR)))
        explanation = result.explanation + note
        if errors:
            explanation += f" {errors} indikator(er) med fel är inte medräknade."
        rows.append({GOAL: name, KF: shown(members[0][1].get(KF)), COUNT: result.parameters.get("bedömda", 0),
                     AVERAGE: result.average, STATUS: result.status, EXPLANATION: explanation,
                     ERROR: "\n".join(problems), GROUP: group, CAP: dominant if dominant in caps else None,
                     PROBLEMS: problems})
    return pd.DataFrame(rows, columns=[GOAL, KF, COUNT, AVERAGE, STATUS, EXPLANATION, ERROR, GROUP, CAP, PROBLEMS],
                        dtype=object)


def rollup_kf(kf_goals, goals, indicators, book=None, where=_default_where):
    """R4 per KF goal. `kf_goals` has KF-mål, Nämndmål (empty = none) and optionally Manuell status
    and Motivering; `goals` is rollup_goals' result; the office's indicators of a KF goal without a
    board goal (Nämndmål = Kontoret, same KF-mål) give its indicative status.

    A row with no id, or with a Nämndmål that no indicator has, gets the message in Fel (naming the
    cell) and no status; the other rows are not affected. Manuell status and Motivering may be
    missing from the table (then there is no override).
    """
    book = book or load_rulebook()
    by_group = dict(zip(goals[GROUP], goals[STATUS])) if GROUP in goals.columns else {}
    caps = dict(zip(goals[GROUP], goals[CAP])) if CAP in goals.columns else {}
    groups = pd.Series([group_key(g, k) for g, k in zip(indicators[GOAL], _column(indicators, KF))],
                       index=indicators.index, dtype=object)
    labels = {"board_goal": "nämndmål", "indicative": book.data["kf"]["indicative_label"],
              "override": book.data["kf"]["override_label"]}
    rows = []
    optional = {c: c in kf_goals.columns for c in (OVERRIDE, MOTIVATION)}
    for index, row in kf_goals.iterrows():
        kf, goal = shown(row[KF]), shown(row[GOAL])  # 1.0 as 1: the overview and the log key on it
        try:
            override = _input(row[OVERRIDE]) if optional[OVERRIDE] else None
            motivation = _input(row[MOTIVATION]) if optional[MOTIVATION] else None
            if not key(row[KF]):
                raise VPInputError(where(index, KF), None, "saknas – raden behöver KF-målets nummer.",
                                   "Skriv numret (1, 2, …); raden bedöms inte förrän det finns.")
            group = kf_group_key(row[GOAL], row[KF])
            if key(goal) and group not in by_group:
                raise VPInputError(where(index, GOAL), goal, "finns inte som Nämndmål på någon indikator.",
                                   "Rätta nämndmålet här eller på indikatorerna; KF-målet bedöms inte förrän "
                                   "de stämmer.")
            grades = None if key(goal) else [cell_value(x) for x in indicators.loc[groups == group, SCORE]]
            result = kf_status(by_group.get(group) if key(goal) else None, grades, override, motivation,
                               book=book, where=(where(index, GOAL), f"kontorets poäng för KF-mål {kf}",
                                                 *(where(index, c) if present else f"{c} för KF-mål {kf}"
                                                   for c, present in optional.items())),
                               office_dominant=None if key(goal) else caps.get(group))
            source = result.parameters.get("källa", "")
            rows.append({KF: kf, GOAL: goal, COMPUTED: result.computed_status, STATUS: result.status,
                         SOURCE: labels.get(source, source), EXPLANATION: result.explanation, ERROR: ""})
        except VPInputError as exc:
            rows.append({KF: kf, GOAL: goal, COMPUTED: "", STATUS: "Fel", SOURCE: "", EXPLANATION: "",
                         ERROR: message_of(exc)})
    return pd.DataFrame(rows, columns=[KF, GOAL, COMPUTED, STATUS, SOURCE, EXPLANATION, ERROR], dtype=object)


def _column(table, name):
    return table[name] if name in table.columns else [None] * len(table)


def _duplicates(values, where, index, column, problem):
    """One message per key that appears on more than one row, naming every cell."""
    seen = {}
    for i, value in zip(index, values):
        if key(value):
            seen.setdefault(key(value), []).append((i, value))
    out = []
    for rows in seen.values():
        if len(rows) > 1:
            cells = " och ".join(where(i, column) for i, _ in rows)
            out.append(Message(f"{cells}: '{shown(rows[0][1])}' {problem}", cells))
    return out


def goal_names(kf_goals):
    """Each goal group of the KF-mål sheet (see `kf_group_key`) with the goal's name as typed there
    (trimmed); a KF goal without a board goal: Kontoret."""
    names = {}
    for goal, kf in zip(kf_goals[GOAL], kf_goals[KF]):
        names.setdefault(kf_group_key(goal, kf), shown(goal) or OFFICE)
    return names


def _kf_mismatches(indicators, kf_goals, where_indicator, where_kf, kf_groups):
    """An indicator whose KF-mål is not the KF goal that owns its Nämndmål (on the KF-mål sheet)."""
    owners = {}
    for index, goal, kf in zip(kf_goals.index, kf_goals[GOAL], kf_goals[KF]):
        if key(goal) and key(goal) != OFFICE_KEY:
            owners.setdefault(key(goal), []).append((index, kf))
    out = []
    for index, goal, kf in zip(indicators.index, indicators[GOAL], indicators[KF]):
        owner = owners.get(key(goal))
        if group_key(goal, kf) not in kf_groups or not owner or len(owner) > 1:
            continue  # unknown goal, or a goal under two KF goals: findings of their own
        owner_index, owner_kf = owner[0]
        if key(kf) == key(owner_kf):
            continue
        owner_cell = where_kf(owner_index, KF)
        problem = (f"stämmer inte med nämndmål {shown(goal)}, som hör till KF-mål {shown(owner_kf)} ({owner_cell})."
                   if key(kf) else
                   f"{KF} saknas; nämndmål {shown(goal)} hör till KF-mål {shown(owner_kf)} ({owner_cell}).")
        hint = (f"Indikatorn räknas till KF-mål {shown(owner_kf)}. Skriv {shown(owner_kf)}, eller byt Nämndmål "
                "om indikatorn hör till ett annat KF-mål.")
        out.append(message_of(VPInputError(where_indicator(index, KF), shown(kf) if key(kf) else None,
                                           problem, hint)))
    return out


def key_problems(indicators, kf_goals, where_indicator=_default_where, where_kf=_default_where):
    """Keys that do not fit together, as messages naming the cells: an indicator whose Nämndmål is
    empty or belongs to no KF goal (it then counts towards no goal), an indicator whose KF-mål is not
    its Nämndmål's KF goal, an empty Id, an Id or a KF-mål on two rows, a Nämndmål under two KF goals.
    (Where an indicator stands does not matter: the Nämndmål sheet's formulas select a goal's rows by
    Nämndmål and KF-mål too.) Returns (messages about indicators, messages
    about KF goals), each a Message carrying its cell(s) as `where`."""
    kf_groups = {kf_group_key(g, k) for g, k in zip(kf_goals[GOAL], kf_goals[KF])}
    known = [shown(g) for g in kf_goals[GOAL] if key(g)]
    officeless = [shown(k) for g, k in zip(kf_goals[GOAL], kf_goals[KF]) if key(k) and not key(g)]
    if officeless:
        known.append(f"{OFFICE} (KF-mål utan nämndmål: {', '.join(map(str, officeless))})")
    hint = f"Nämndmål på KF-målen: {', '.join(map(str, known)) or 'inga'}. Indikatorn räknas inte in i något mål."
    indicator_messages = []
    for index, goal, kf in zip(indicators.index, indicators[GOAL], _column(indicators, KF)):
        if group_key(goal, kf) in kf_groups:
            continue
        place = where_indicator(index, GOAL)
        if not key(goal):
            problem = f"{GOAL} saknas."
        elif key(goal) == OFFICE_KEY:
            problem = f"gäller bara ett KF-mål utan nämndmål, men indikatorns KF-mål är '{shown(kf)}'."
        else:
            problem = "finns inte som Nämndmål på något KF-mål."
        indicator_messages.append(message_of(VPInputError(place, shown(goal) or None, problem, hint)))
    if KF in indicators.columns:
        indicator_messages += _kf_mismatches(indicators, kf_goals, where_indicator, where_kf, kf_groups)
    if ID in indicators.columns:
        indicator_messages += [
            message_of(VPInputError(where_indicator(index, ID), None, f"{ID} saknas.",
                                    "Varje indikator behöver ett eget Id (t.ex. I25), så att översikten och "
                                    "loggen kan följa den."))
            for index, ident in zip(indicators.index, indicators[ID]) if not key(ident)]
        indicator_messages += _duplicates(indicators[ID], where_indicator, indicators.index, ID,
                                          "finns på flera indikatorer; varje indikator behöver ett eget Id.")
    kf_messages = _duplicates(kf_goals[KF], where_kf, kf_goals.index, KF,
                              "finns på flera rader; varje KF-mål ska stå en gång.")
    kf_messages += _duplicates(kf_goals[GOAL], where_kf, kf_goals.index, GOAL,
                               "står under flera KF-mål; ett nämndmål hör till ett KF-mål.")
    return indicator_messages, kf_messages
