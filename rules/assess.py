"""The whole assessment over plain records: every indicator graded (R2), rolled up to its board goal
(R3), every KF goal given its status (R4), and the findings about keys that do not fit together.

This is the one implementation of the roll-up: `vp refresh`, the ribbon, the server and the
workbook's own formulas (=VP_GOALSTATUS(A5:B5;Indikatortabell), =VP_KFSTATUS(...)) all call it, so
they cannot disagree. A bad cell does not stop the assessment: its row carries the error (naming the
cell) and is left out of its goal's average, so one typo shows up where it is.

Keys (Id, KF-mål, Nämndmål) are compared as `values.key` reads them (trimmed, case-insensitive, 1 =
1,0 = " 1 "). An indicator counts towards the goal its Nämndmål names, wherever it stands; the
office's indicators (Nämndmål = the rulebook's `goal.office`) count per KF goal.
"""

from dataclasses import dataclass

from . import values as v
from .checks import check_error, check_finding
from .engine import get_engine
from .errors import CELL_ERROR_PREFIX, VPInputError
from .goals import GoalResult, KFResult, goal_status, kf_status
from .indicator import IndicatorResult, grade_indicator
from .records import Finding, IndicatorRow, KFRow, finding_at, finding_of, places_text
from .rulebook import load_rulebook

INDICATOR_FIELDS = ("baseline", "target", "outcome", "activities")


def office_key(book):
    return v.key(book.data["goal"]["office"])


def group_key(goal, kf, book):
    """The group an indicator counts towards: its Nämndmål (as a key); the office's per KF goal."""
    goal = v.key(goal)
    return f"{goal}|{v.key(kf)}" if goal == office_key(book) else goal


def kf_group_key(goal, kf, book):
    """The group of a KF goal: its board goal's, or (no board goal) the office's indicators of it."""
    return group_key(goal if v.key(goal) else book.data["goal"]["office"], kf, book)


@dataclass(frozen=True, slots=True)
class GradedIndicator:
    row: IndicatorRow
    result: IndicatorResult | None
    error: VPInputError | None
    group: str


@dataclass(frozen=True, slots=True)
class GoalOutcome:
    group: str
    name: object                 # the goal as shown (Nämndmål as typed, trimmed)
    kf: object                   # the KF goal of its first indicator, as shown
    members: tuple               # GradedIndicator
    result: GoalResult
    findings: tuple              # Finding: dominant marks that do not work


@dataclass(frozen=True, slots=True)
class KFOutcome:
    row: KFRow
    group: str
    goal: GoalOutcome
    result: KFResult | None
    error: VPInputError | None


@dataclass(frozen=True, slots=True)
class Assessment:
    indicators: tuple            # GradedIndicator, in the order of the rows
    goals: dict                  # group -> GoalOutcome
    kf: tuple                    # KFOutcome, in the order of the rows
    findings: tuple              # Finding


def grade_rows(rows, book=None, engine=None):
    """R2 for every row; a row that cannot be read carries its error (naming its cell)."""
    book = book or load_rulebook()
    engine = engine or get_engine(book)
    out = []
    for row in rows:
        try:
            result = grade_indicator(row.baseline, row.target, row.outcome, row.activities, book,
                                     where=tuple(row.place(name) for name in INDICATOR_FIELDS), engine=engine)
            out.append(GradedIndicator(row, result, None, group_key(row.goal, row.kf, book)))
        except VPInputError as exc:
            out.append(GradedIndicator(row, None, exc, group_key(row.goal, row.kf, book)))
    return out


def _goal(group, name, kf, members, book, engine):
    """R3 for one goal's members: the dominant mark read, the rules decide the status."""
    findings, marked = [], []
    for member in members:
        try:
            if v.read_yes_no(member.row.dominant, member.row.place("dominant"), book):
                marked.append(member)
        except VPInputError as exc:
            findings.append(finding_of(exc))
    colour, broken = None, False
    if len(marked) > 1:
        cells = [m.row.place("dominant") for m in marked]
        findings.append(check_finding(book, "R3.dominant.flera", cells, mal=name, antal=len(marked)))
    elif marked:
        dominant = marked[0]
        if dominant.result is None:
            broken = True
        else:
            colour = dominant.result.colour
    grades = [m.result.score_or_label if m.result else CELL_ERROR_PREFIX for m in members]
    result = goal_status(grades, colour, book, where=f"poäng för {name}", engine=engine, dominants=len(marked),
                         dominant_error=broken, has_indicators=bool(members))
    if broken:
        place = marked[0].error.where if marked[0].error else marked[0].row.place("dominant")
        findings.append(check_finding(book, "R3.dominant.fel", place, mal=name, status=result.status))
    return GoalOutcome(group, name, kf, tuple(members), result, tuple(findings))


def rollup(graded, book=None, engine=None, names=None):
    """R3 per goal group, in the order the groups first appear. `names` maps a group to the goal's
    name as shown (the KF-mål sheet's spelling); without it the first indicator's, trimmed."""
    book = book or load_rulebook()
    engine = engine or get_engine(book)
    names = names or {}
    groups = {}
    for member in graded:
        groups.setdefault(member.group, []).append(member)
    return {group: _goal(group, names.get(group) or v.shown_key(members[0].row.goal), v.shown_key(members[0].row.kf),
                         members, book, engine)
            for group, members in groups.items()}


def goal_for(goals, goal, kf, book=None, engine=None):
    """The goal outcome of a KF goal's board goal (or its office indicators); a goal that no
    indicator names is assessed too: R3 makes it Ej bedömd."""
    book = book or load_rulebook()
    group = kf_group_key(goal, kf, book)
    found = goals.get(group)
    if found is not None:
        return found
    name = v.shown_key(goal) or book.data["goal"]["office"]
    return _goal(group, name, v.shown_key(kf), [], book, engine or get_engine(book))


def assess_kf(kf_rows, goals, book=None, engine=None):
    """R4 per KF goal row; a row that cannot be decided carries its error (naming the cell)."""
    book = book or load_rulebook()
    engine = engine or get_engine(book)
    out = []
    for row in kf_rows:
        goal = goal_for(goals, row.goal, row.kf, book, engine)
        try:
            if not v.key(row.kf):
                raise check_error(book, "R4.nyckel.kf_saknas", row.place("kf"))
            result = kf_status(goal.result, bool(v.key(row.goal)), row.override, row.motivation, book,
                               goal_name=goal.name, engine=engine,
                               where=(row.place("goal"), row.place("override"), row.place("motivation")))
            out.append(KFOutcome(row, goal.group, goal, result, None))
        except VPInputError as exc:
            out.append(KFOutcome(row, goal.group, goal, None, exc))
    return out


def _duplicates(rows, field, place, check, word, book):
    seen = {}
    for row in rows:
        value = getattr(row, field)
        if v.key(value):
            seen.setdefault(v.key(value), []).append(row)
    out = []
    for same in seen.values():
        if len(same) > 1:
            cells = [r.place(place) for r in same]
            out.append(check_finding(book, check, cells, **{word: v.shown_key(getattr(same[0], field))}))
    return out


def key_findings(indicator_rows, kf_rows, book=None):
    """Keys that do not fit together: an indicator whose Nämndmål is empty or belongs to no KF goal
    (it then counts towards no KF goal), an indicator whose KF-mål is not its Nämndmål's KF goal (it
    counts towards its Nämndmål), an empty or repeated Id, a KF goal on two rows, a Nämndmål under
    two KF goals, a KF goal whose Nämndmål no indicator has (Ej bedömd)."""
    book = book or load_rulebook()
    office = office_key(book)
    kf_groups = {kf_group_key(r.goal, r.kf, book) for r in kf_rows}
    known = [str(v.shown_key(r.goal)) for r in kf_rows if v.key(r.goal)]
    officeless = [str(v.shown_key(r.kf)) for r in kf_rows if v.key(r.kf) and not v.key(r.goal)]
    if officeless:
        known.append(f"{book.data['goal']['office']} (KF-mål utan nämndmål: {', '.join(officeless)})")
    known = ", ".join(known) or "inga"
    owners = {}
    for r in kf_rows:
        if v.key(r.goal) and v.key(r.goal) != office:
            owners.setdefault(v.key(r.goal), []).append(r)
    findings = []
    for row in indicator_rows:
        goal, kf = v.key(row.goal), v.key(row.kf)
        if group_key(row.goal, row.kf, book) not in kf_groups:
            check = ("R3.nyckel.namndmal_saknas" if not goal else
                     "R3.nyckel.kontoret_kf" if goal == office else "R3.nyckel.okant_namndmal")
            words = {"kanda": known}
            if goal:
                words["namndmal"] = v.shown_key(row.goal)
            if goal == office:
                words["kf"] = v.shown_key(row.kf)
            findings.append(check_finding(book, check, row.place("goal"), **words))
            continue
        owner = owners.get(goal)
        if owner and len(owner) == 1 and kf != v.key(owner[0].kf):
            words = {"namndmal": v.shown_key(row.goal), "agare_kf": v.shown_key(owner[0].kf),
                     "agare_plats": owner[0].place("kf")}
            if kf:
                findings.append(check_finding(book, "R3.nyckel.kf_stammer_inte", row.place("kf"),
                                              kf=v.shown_key(row.kf), **words))
            else:
                findings.append(check_finding(book, "R3.nyckel.kf_saknas", row.place("kf"), **words))
    for row in indicator_rows:
        if not v.key(row.id):
            findings.append(check_finding(book, "R3.nyckel.id_saknas", row.place("id")))
    findings += _duplicates(indicator_rows, "id", "id", "R3.nyckel.id_dubbel", "id", book)
    findings += _duplicates(kf_rows, "kf", "kf", "R4.nyckel.kf_dubbel", "kf", book)
    findings += _duplicates(kf_rows, "goal", "goal", "R4.nyckel.namndmal_dubbel", "namndmal", book)
    return findings


def goal_names(kf_rows, book=None):
    """Each KF row's goal group with the goal's name as typed there (trimmed); no board goal: the office."""
    book = book or load_rulebook()
    names = {}
    for row in kf_rows:
        names.setdefault(kf_group_key(row.goal, row.kf, book), v.shown_key(row.goal) or book.data["goal"]["office"])
    return names


def assess(indicator_rows, kf_rows=(), book=None, engine=None):
    """Grade, roll up and decide every KF goal; every finding about values, dominants and keys."""
    book = book or load_rulebook()
    engine = engine or get_engine(book)
    graded = grade_rows(indicator_rows, book, engine)
    goals = rollup(graded, book, engine, names=goal_names(kf_rows, book))
    kf = assess_kf(kf_rows, goals, book, engine)
    findings = [finding_of(g.error) for g in graded if g.error]
    for goal in goals.values():
        findings += goal.findings
    for outcome in kf:
        if outcome.error:
            findings.append(finding_of(outcome.error))
        elif not outcome.goal.members:
            where = outcome.row.place("goal") if v.key(outcome.row.goal) else outcome.row.place("kf")
            findings.append(finding_at(outcome.goal.result.rule, where, (
                f"{where}: nämndmål {outcome.goal.name} har inga indikatorer, så KF-mål {v.shown_key(outcome.row.kf)} "
                "är Ej bedömd. Rätta Nämndmål här eller på indikatorerna.")))
    findings += key_findings(indicator_rows, kf_rows, book)
    return Assessment(tuple(graded), goals, tuple(kf), tuple(findings))


__all__ = ["Assessment", "Finding", "GoalOutcome", "GradedIndicator", "KFOutcome", "assess", "assess_kf",
           "goal_for", "grade_rows", "group_key", "kf_group_key", "key_findings", "rollup"]
