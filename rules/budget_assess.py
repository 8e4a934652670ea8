"""The budget assessed once, over records: R8 (which rows are in the saving's base), R10 (every stated
sum, the change column and the frame-adjustment chain against their rows), R5 per row with an
utfall/prognos and on the board's total, R8's saving beside the plan's stated one, and the one budget
truth (RULES R2, 2026-12-04): the budget-adherence indicator's typed outcome against the board's total.

This is the one implementation: `vp refresh`, `vp check`, `vp report`, the ribbon, the server and the
table-taking VP functions (=VP_SAVINGBASE(Budgettabell), =VP_BUDGETSTATUS(Budgettabell)) call
`assess_budget`, so they cannot disagree. It names no sheet or header: the caller says what its
columns are called (`BudgetLayout`). Amounts are exact Decimals from the reading on.
"""

from dataclasses import dataclass
from decimal import Decimal

from . import values as v
from .budget import BudgetResult, amount, budget_adherence, exact, read_budget, reconcile_sum, saving, saving_base
from .checks import check_finding
from .engine import get_engine, scale_int
from .errors import VPInputError
from .facts import MICRO
from .records import finding_at, finding_of, read_or_find
from .rulebook import load_rulebook
from .text import render, with_rule


@dataclass(frozen=True, slots=True)
class BudgetLayout:
    """What the caller's tables call things (the rules name no header): the amount columns of the
    budget (`amounts`; R10 reconciles each), which of them is the current budget, the proposal and
    the change; the Radtyp labels and their words ("rad", "summa"); the frame's labels ("start",
    "justering", "summa"); and the names the saving's finding uses (its place, the budget table, the
    Volymbaserad column)."""

    amounts: tuple
    current: str
    proposal: str
    change: str
    kinds: dict
    kind_column: str
    law_column: str
    frame_kinds: dict
    frame_kind_column: str
    budget_table: str
    volume_column: str
    saving_place: object


@dataclass(frozen=True, slots=True)
class BudgetOutcome:
    """R5 for one budget row with an utfall/prognos: the result, or the error that stopped it."""

    area: object                        # Verksamhetsområde as typed
    law: object                         # LSS, SoL or "" (None: unreadable)
    budget: Decimal | None              # the proposal (mnkr)
    actual: Decimal | None              # utfall/prognos (mnkr), read
    result: BudgetResult | None
    error: VPInputError | None
    place: object                       # the utfall/prognos cell


@dataclass(frozen=True, slots=True)
class BudgetAssessment:
    """The budget as the board sees it: every row's adherence, the adherence of those rows together
    (R5 on their sums), the rows without utfall/prognos, the saving (R8) beside the plan's, and every
    finding about the budget and the frame adjustments."""

    lines: tuple                        # BudgetOutcome per activity row with utfall/prognos
    total: BudgetResult | None          # R5 on the sums (None: no row has a result)
    total_budget: Decimal | None
    total_actual: Decimal | None
    without_actual: tuple               # areas of activity rows without utfall/prognos
    saving_base: Decimal | None
    saving: Decimal | None
    saving_stated: Decimal
    findings: tuple

    @property
    def saving_difference(self):
        """The plan's stated saving minus the computed one (None: not computable)."""
        return None if self.saving is None else self.saving_stated - self.saving

    @property
    def total_deviation(self):
        """The board's total deviation as a share of its budget ((budget - utfall) / |budget|: + is
        överskott), the budget-adherence indicator's outcome (RULES R2, one budget truth)."""
        if self.total is None or not self.total_budget:
            return None
        return self.total.deviation / abs(self.total_budget)


def _label(value):
    return "" if value is None else str(value)


def _reconciliations(lines, layout, book, engine):
    """R10 on every Summa row of every amount column (LSS and SoL subtotals, the board total) and on
    the change per row (change = proposal - current budget)."""
    findings = []
    for column in layout.amounts:
        for line in lines:
            if line.kind != "summa" or line.amounts[column] is None or line.law is None:
                continue
            members = [other.amounts[column] for other in lines
                       if other.kind == "rad" and (other.law == line.law if line.law else True)]
            if any(x is None for x in members):
                continue
            finding = reconcile_sum(f"{_label(line.row.area)} ({column})", members, line.amounts[column],
                                    line.row.place(column), book, engine)
            if finding:
                findings.append(finding)
    for line in lines:
        current, proposal, change = (line.amounts.get(c) for c in (layout.current, layout.proposal, layout.change))
        if None in (current, proposal, change):
            continue
        finding = reconcile_sum(f"{_label(line.row.area)}: {layout.change}", [proposal, -current], change,
                                line.row.place(layout.change), book, engine)
        if finding:
            findings.append(finding)
    return findings


def _adherence(findings, line, layout, book, engine):
    """R5 for one budget row; an error is a finding and the row's outcome carries it."""
    where = (line.row.place(layout.proposal), line.row.place("actual"))
    proposal = line.amounts[layout.proposal]
    try:
        actual = amount(line.row.actual, where[1], book)
        result = budget_adherence(proposal, actual, book, where=where, engine=engine)
        return BudgetOutcome(line.row.area, line.law, proposal, actual, result, None, where[1])
    except VPInputError as exc:
        findings.append(finding_of(exc))
        return BudgetOutcome(line.row.area, line.law, proposal, None, None, exc, where[1])


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def frame_findings(frame_rows, layout, book=None, engine=None):
    """R10 on the frame-adjustment chain: each Summa equals its Start plus the adjustments since."""
    book = book or load_rulebook()
    findings, chain = [], None
    for row in frame_rows:
        label = read_or_find(findings, v.read_label, row.kind, row.place("kind"), tuple(layout.frame_kinds),
                             layout.frame_kind_column)
        value = read_or_find(findings, amount, row.amount, row.place("amount"), book)
        if value is None or label is None:
            chain = None  # an unreadable step (already a finding) breaks the chain
            continue
        kind = layout.frame_kinds[label]
        if kind == "justering":
            if chain is not None:
                chain.append(value)
            continue
        if kind == "summa" and chain is not None:
            finding = reconcile_sum(_label(row.text), chain, value, row.place("amount"), book, engine)
            if finding:
                findings.append(finding)
        chain = [value]  # a Start, or a Summa, begins the next chain
    return findings


def _saving_finding(base, computed, stated, layout, book):
    """Beslut R8: the plan's stated saving beside the computed one; a difference is a finding."""
    if computed == stated:
        return []
    return [check_finding(book, "R8.besparing.skillnad", layout.saving_place, stated=stated, computed=computed,
                          angiven=v.format_number(stated), beraknad=v.format_number(computed),
                          bas=v.format_number(base), skillnad=v.format_number(stated - computed),
                          kolumn=layout.volume_column, blad=layout.budget_table)]


def assess_budget(budget_rows, frame_rows=None, layout=None, book=None, engine=None):
    """The whole budget over records (rules.records.BudgetRow, FrameRow): per-row outcomes, the total,
    the saving beside the stated one, and every finding. `frame_rows` None: no frame table."""
    book = book or load_rulebook()
    engine = engine or get_engine(book)
    lines, findings = read_budget(budget_rows, layout.amounts, layout.kinds,
                                  {"kind": layout.kind_column, "law": layout.law_column}, book, engine)
    findings += _reconciliations(lines, layout, book, engine)
    outcomes, missing = [], []
    for line in lines:
        if line.kind != "rad":
            continue
        if _blank(line.row.actual):
            missing.append(line.row.area)
        elif line.amounts.get(layout.proposal) is not None:
            outcomes.append(_adherence(findings, line, layout, book, engine))
    counted = [o for o in outcomes if o.result is not None]
    total = total_budget = total_actual = None
    if counted:
        total_budget = sum((o.budget for o in counted), Decimal(0))
        total_actual = sum((o.actual for o in counted), Decimal(0))
        try:
            total = budget_adherence(total_budget, total_actual, book, where=("budget totalt", "utfall totalt"),
                                     engine=engine)
        except VPInputError:
            total = None  # a total budget of 0: no adherence (each row's error is already a finding)
    base = saving_base(lines, layout.proposal)
    stated = exact(book.data["saving"]["stated"])
    computed = saving(base, book) if base is not None else None
    if computed is not None:
        findings += _saving_finding(base, computed, stated, layout, book)
    if frame_rows is not None:
        findings += frame_findings(frame_rows, layout, book, engine)
    return BudgetAssessment(tuple(outcomes), total, total_budget, total_actual, tuple(missing), base, computed,
                            stated, tuple(findings))


# --- one budget truth (RULES R2, 2026-12-04) ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BudgetTruth:
    """A budget-adherence indicator's typed outcome against the board's total deviation."""

    rule: str
    differs: bool
    typed: Decimal                      # the indicator's outcome, as a share (0,008 for +0,8 %)
    board: Decimal                      # the board's total deviation, as a share
    explanation: str


def decide_budget_truth(typed, board, book=None, engine=None, typed_place="utfall", board_place="internbudgeten"):
    """R5 budgetsanning: does a typed outcome (a share) differ from the board's total deviation (a
    share) by more than the rulebook's tolerance (percentage points)?"""
    book = book or load_rulebook()
    typed, board = exact(typed), exact(board)
    points = abs(typed - board) * 100
    rule = (engine or get_engine(book)).decide("budgetsanning", {"skillnad": min(scale_int(points, MICRO), 2**61)})
    words = {"angiven": v.format_percent(typed, signed=True), "beraknad": v.format_percent(board, signed=True),
             "skillnad": v.format_number(points, 2), "angiven_plats": str(typed_place),
             "beraknad_plats": str(board_place)}
    return BudgetTruth(rule.id, rule.then["differs"], typed, board, with_rule(render(book, rule.text, words), rule.id))


def budget_truth_findings(graded, budget, board_place, book=None, engine=None):
    """Every budget-adherence indicator (riktvärde +/- x %) whose typed outcome differs from the
    board's total deviation (`budget`, a BudgetAssessment) by more than the tolerance: a finding naming
    both figures and both cells. `graded` are rules.assess.GradedIndicator; `board_place` names where
    the board's total is (the budget table's utfall/prognos cells)."""
    book = book or load_rulebook()
    board = budget.total_deviation if budget is not None else None
    if board is None:
        return []
    findings = []
    for member in graded:
        if member.result is None or not member.result.assessed:
            continue  # an error is already a finding; without an outcome there is nothing to compare
        row = member.row
        if v.parse_target(row.target, row.place("target"), book).kind != v.TOLERANS:
            continue
        outcome = v.parse_value(row.outcome, row.place("outcome"), book)
        truth = decide_budget_truth(outcome.number, board, book, engine, row.place("outcome"), board_place)
        if truth.differs:
            findings.append(finding_at(truth.rule, row.place("outcome"), truth.explanation,
                                       stated=truth.typed, computed=truth.board))
    return findings
