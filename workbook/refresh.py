"""The one refresh routine: tables in, statuses, findings and the log row out.

It knows no file format; it works through an adapter (the file adapter in `workbook/xlsx.py`, the
xlwings adapter in `xl_addin/book_adapter.py`, the server's book) that reads the tables and writes
the output sheets. The same routine runs for `vp refresh`, `vp check`, the ribbon's Uppdatera and
Kontrollera, and the server's scripts. The assessment itself is `rules.assess`, the same code the
workbook's goal and KF formulas call.
"""

import getpass
from dataclasses import dataclass, field
from datetime import datetime

from rules import values as v
from rules.assess import assess, kf_group_key
from rules.budget_assess import assess_budget, budget_truth_findings
from rules.checks import check_finding
from rules.errors import VPInputError
from rules.records import Finding, finding_of
from rules.rulebook import load_rulebook

from . import layout as L
from .followup import (PeriodMissing, follow_up, format_follow_up, period_findings, read_period_cell, resolve_period,
                       write_follow_up)
from .kolada import check_findings as kolada_check_findings
from .periodstate import read_state, refuse_if_fixed
from .rulebook_record import record_findings, rulebook_for
from .tables import (NotAVPWorkbook, UnsavedFormula, budget_records, cell_value, frame_records, indicator_records,
                     kf_records)


@dataclass
class RefreshResult:
    overview: list                      # rows of layout.OVERVIEW_HEADERS values
    fills: list                         # fill label per overview row (status or colour), or ""
    findings: list                      # rules.records.Finding
    statuses: dict                      # "Indikator I05" -> status/colour now
    changes: list = field(default_factory=list)
    log_row: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # per overview row: a KF row's source (not written)
    first: bool = False                 # no earlier refresh to compare with (the log says so)
    assessment: object = None           # rules.assess.Assessment
    items: list = field(default_factory=list)  # per overview row: its KFOutcome, GoalOutcome or GradedIndicator
    budget: object = None               # rules.budget_assess.BudgetAssessment: R5 per row and in total, R8, R10
    period: object = None               # rules.periods.Period the refresh is about (None: not known)
    follow: object = None               # followup.FollowUp: the period cell, the previous period, the trends
    state: object = None                # periodstate.PeriodState: the analysis, the approvals (R13, R14)


def read_tables(source, book):
    """Read the input tables through an adapter; a missing sheet or column is refused clearly."""
    names = source.sheet_names()
    missing = [name for name in L.REQUIRED_SHEETS if name not in names]
    if missing:
        raise NotAVPWorkbook(f"Filen är inte en VP-arbetsbok: bladet {', '.join(missing)} saknas.")

    def read(sheet, columns):
        required, optional = columns
        return source.read_table(sheet, list(required), list(optional))

    kf_columns = (L.KF_COLUMNS[0], {**L.KF_COLUMNS[1], L.KF_TEXT: "text"})  # the text is shown, not assessed
    tables = {"indicators": read(L.INDICATORS, L.indicator_columns(book.year)), "kf": read(L.KF_GOALS, kf_columns),
              "budget": read(L.BUDGET, L.BUDGET_COLUMNS)}
    if L.GOALS in names:
        tables["goals"] = read(L.GOALS, L.GOAL_COLUMNS)
    if L.FRAME in names:
        tables["frame"] = read(L.FRAME, L.FRAME_COLUMNS)
    return tables


def _text(value):
    value = cell_value(value)
    return "" if value is None else str(value)


class _Overview:
    """The overview's rows with their fills, the statuses by key and each row's source (KF rows)."""

    def __init__(self):
        self.rows, self.fills, self.sources, self.statuses, self.items = [], [], [], {}, []

    def add(self, row, fill, key, source="", item=None):
        """`key` names the row's status in the log ("Indikator I05"); None: not followed (no key).
        `item` is what the row shows (a KF outcome, a goal outcome, a graded indicator)."""
        self.rows.append(row)
        self.fills.append(fill)
        self.sources.append(source)
        self.items.append(item)
        if key is not None:
            self.statuses[key] = row[6]

    def goal(self, goal, kf_id, text):
        result = goal.result
        self.add([L.LEVEL_GOAL, kf_id, goal.name, "", text, result.average, result.status, result.explanation,
                  result.rule], result.status, f"{L.LEVEL_GOAL} {goal.name}", item=goal)

    def indicators(self, members, kf_id):
        for member in members:
            row, result = member.row, member.result
            ident = v.shown_key(row.id)
            if result is not None:
                values = (result.score_or_label, result.colour, result.explanation, result.rule)
            else:
                values = ("Fel", "Fel", str(member.error), member.error.rule)
            self.add([L.LEVEL_INDICATOR, kf_id, v.shown_key(row.goal), ident, _text(row.name), *values],
                     values[1], f"{L.LEVEL_INDICATOR} {ident}" if v.key(ident) else None, item=member)


def _goal_texts(tables, book):
    texts = {}
    if "goals" in tables:
        table = tables["goals"]
        if L.GOAL_TEXT in table.frame.columns:
            for goal, kf, text in zip(table.frame[L.GOAL], table.frame[L.KF], table.frame[L.GOAL_TEXT]):
                texts[kf_group_key(goal, kf, book)] = _text(text)
    return texts


def compute(tables, book=None, previous=None, user=None, now=None, progress=None, engine=None, period=None,
            extent=None):
    """Grade, roll up, check, and lay out the overview; `previous` = statuses of the last refresh,
    `period` the follow-up period (named in the log)."""
    book = book or load_rulebook()
    progress = progress or (lambda message: None)
    ind, kf = tables["indicators"], tables["kf"]
    progress("Bedömer indikatorer, nämndmål och KF-mål …")
    indicator_rows, kf_rows = indicator_records(ind, book.year), kf_records(kf)
    assessment = assess(indicator_rows, kf_rows, book, engine)
    progress("Kontrollerar …")
    budget = assess_budget_tables(tables, book, engine)
    findings = list(assessment.findings) + range_findings(ind, extent, book) + list(budget.findings)
    findings += budget_truth_findings(assessment.indicators, budget, board_total_place(tables["budget"]), book, engine)
    findings += unsaved_findings(tables, findings)

    kf_text = {}
    if L.KF_TEXT in kf.frame.columns:
        kf_text = {v.key(k): t for k, t in zip(kf.frame[L.KF], kf.frame[L.KF_TEXT])}
    goal_text = _goal_texts(tables, book)
    sources = book.data["kf"]["sources"]
    out, placed = _Overview(), set()
    for outcome in assessment.kf:
        kf_id = v.shown_key(outcome.row.kf)
        if outcome.result is not None:
            status, explanation, rule = outcome.result.status, outcome.result.explanation, outcome.result.rule
            source = sources[outcome.result.source]
        else:
            status, explanation, rule, source = "Fel", str(outcome.error), outcome.error.rule, ""
        out.add([L.LEVEL_KF, kf_id, v.shown_key(outcome.row.goal), "", _text(kf_text.get(v.key(kf_id))), None, status,
                 explanation, rule], status, f"{L.LEVEL_KF} {kf_id}" if v.key(kf_id) else None, source, item=outcome)
        if outcome.group in placed:
            continue
        out.goal(outcome.goal, kf_id, goal_text.get(outcome.group, ""))
        out.indicators(outcome.goal.members, kf_id)
        placed.add(outcome.group)
    unplaced = [g for g in assessment.indicators if g.group not in placed]
    if unplaced:  # shown, not dropped: their Nämndmål is on no KF goal (findings name the cells)
        advice = f"{len(unplaced)} indikator(er) räknas inte in i något KF-mål; rätta Nämndmål (se {L.FINDINGS})."
        out.add([L.LEVEL_GOAL, "", L.UNKNOWN_GOAL, "", "Indikatorer vars nämndmål inte finns på något KF-mål", None,
                 "Fel", advice, "R3.nyckel.okant_namndmal"], "Fel", f"{L.LEVEL_GOAL} {L.UNKNOWN_GOAL}")
        out.indicators(unplaced, "")

    changes = []
    if previous is not None:
        for key, status in out.statuses.items():
            before = previous.get(key)
            if before != status:
                changes.append(f"{key}: {before or 'ny'} → {status}")
        changes += [f"{key}: {before or 'tom'} → borttagen" for key, before in previous.items()
                    if key not in out.statuses]
    now = now or datetime.now().replace(microsecond=0)
    event = "Uppdatering" + (f" {period}" if period else "") + (f", {len(findings)} fynd" if findings else "")
    log_row = [now, user or _user(), event, "; ".join(changes) if changes else (
        "första uppdateringen" if previous is None else "inga ändringar")]
    return RefreshResult(out.rows, out.fills, findings, out.statuses, changes, log_row, out.sources,
                         first=previous is None, assessment=assessment, items=out.items,
                         budget=budget, period=period)


def _user():
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        return "okänd"


def range_findings(table, extent, book):
    """An indicator outside the rows the workbook's formulas read (the defined name Indikatortabell,
    `extent` = (sheet, first row, last row) as the workbook defines it; None: not known here)."""
    if extent is None:
        return []
    sheet, first, last = extent
    out = []
    for position, row in enumerate(table.rows):
        if sheet != table.sheet or not first < row <= last:
            place = table.place(position, L.ID)
            out.append(check_finding(book, "R3.formelomrade", place, forsta=first, sista=last,
                                     namn=L.INDICATOR_TABLE_NAME, mal_blad=L.GOALS, kf_blad=L.KF_GOALS))
    return out


def defined_range(source, name):
    """(sheet, first row, last row) of a defined name, if the adapter can tell."""
    reader = getattr(source, "defined_range", None)
    return reader(name) if reader else None


def unsaved_findings(tables, findings):
    """A formula without a saved result in a column no rule reads (a name, a key) is a finding too."""
    named = {f.where for f in findings}
    out = []
    for table in tables.values():
        for column in table.frame.columns:
            for value in table.frame[column]:
                if isinstance(value, UnsavedFormula) and value.where not in named:
                    out.append(finding_of(VPInputError(value.where, None, value.problem + f" ({value!s})", value.hint)))
                    named.add(value.where)
    return out


def assess_budget_tables(tables, book, engine=None):
    """The budget and frame tables as records, assessed once by rules.budget_assess."""
    frame = frame_records(tables["frame"]) if "frame" in tables else None
    return assess_budget(budget_records(tables["budget"]), frame, L.budget_layout(), book, engine)


def board_total_place(table):
    """Where the board's total comes from, as a finding names it: the budget table's utfall/prognos cells."""
    if L.ACTUAL not in table.columns or not table.rows:
        return L.BUDGET
    column = table.columns[L.ACTUAL]
    return f"{table.sheet}!{column}{table.rows[0]}:{column}{table.rows[-1]}"


def read_output(source, sheet, headers):
    """An output sheet's table (e.g. the last overview) through an adapter, or None if there is none."""
    if sheet not in source.sheet_names():
        return None
    try:
        return source.read_table(sheet, headers[:1], headers[1:]).frame
    except NotAVPWorkbook:
        return None


def previous_statuses(overview_frame):
    """Statuses written by the last refresh (from the overview sheet), or None if there was none."""
    if overview_frame is None or overview_frame.empty:
        return None
    statuses = {}
    for row in overview_frame.to_dict("records"):
        level = cell_value(row.get("Nivå"))
        column = {L.LEVEL_KF: "KF-mål", L.LEVEL_GOAL: "Nämndmål", L.LEVEL_INDICATOR: "Id"}.get(level)
        name = v.shown_key(cell_value(row.get(column))) if column else ""
        if not v.key(name):
            continue  # not a status row, or a row without a key (an indicator without Id)
        statuses[f"{level} {name}"] = cell_value(row.get("Status/färg"))
    return statuses or None


def format_overview(result, book=None):
    """The overview as a text table for the terminal."""
    book = book or load_rulebook()
    sources = book.data["kf"]["sources"]
    marked = {sources["override"], sources["indicative"]}
    lines = []
    for row, source in zip(result.overview, result.sources or [""] * len(result.overview)):
        level, kf, goal, ident, name, value, status, _, rule = row[:9]
        if level == L.LEVEL_KF:
            shown = f" ({source})" if source in marked else ""
            lines.append(f"KF-mål {kf}: {status}{shown}  [{rule}]  {name}")
        elif level == L.LEVEL_GOAL:
            average = "" if value is None else f" (medel {value:.2f})".replace(".", ",")
            lines.append(f"  {goal}: {status}{average}  [{rule}]  {name[:60]}")
        else:
            shown = value if isinstance(value, str) else str(value).replace(".", ",").removesuffix(",0")
            lines.append(f"    {ident} {status:<5} {shown:<9} {rule:<30} {name[:50]}")
    return "\n".join(lines)


def format_findings(findings):
    """One line per finding: rule, and the message, led by the cell when the message does not name it."""
    if not findings:
        return "Inga fynd."
    return "\n".join(f"- [{f.rule}] " + (f.message if not f.where or f.message.startswith(f.where)
                                          else f"{f.where}: {f.message}") for f in findings)


def findings_rows(findings):
    return [[f.where, f.rule, f.message] for f in findings]


def write_outputs(target, result, book=None):
    """Write the overview, the findings and a log row through an adapter (file or live Excel); with a
    follow-up period, the period's rows in Historik (and the period cell when it was given)."""
    book = book or load_rulebook()
    target.write_table(L.OVERVIEW, L.OVERVIEW_HEADERS, result.overview, result.fills, book.data["fills"])
    target.write_table(L.FINDINGS, L.FINDINGS_HEADERS, findings_rows(result.findings))
    target.append_row(L.LOG, L.LOG_HEADERS, result.log_row)
    if result.follow is not None and result.follow.period is not None:
        write_follow_up(target, result.follow, result, result.log_row[0], result.log_row[1], book)


def run_refresh(source, book=None, user=None, now=None, progress=None, write=True, engine=None, period=None):
    """Read, compute and (unless write=False, for a check or a report) write through one adapter.

    `period` is the follow-up period given on the command line (it wins over, and is written to, the
    period cell); otherwise the cell's. A refresh that writes needs one (PeriodMissing names the
    cell); one that does not write lists a period typed wrongly among the findings. Without `book`, the
    rulebook the workbook records (the ribbon, the server).
    """
    book = book or rulebook_for(source)
    progress = progress or (lambda message: None)
    progress("Läser tabellerna …")
    tables = read_tables(source, book)
    previous = previous_statuses(read_output(source, L.OVERVIEW, L.OVERVIEW_HEADERS))
    cell = read_period_cell(source)
    known, _, error = resolve_period(cell, period, book)
    if write and known is None:
        if error is not None:
            raise error
        raise PeriodMissing(cell.place, cell.labelled, book)
    if write:
        refuse_if_fixed(source, known, book)  # a fixed period's Historik rows never change
    result = compute(tables, book, previous, user, now, progress, engine, period=known,
                     extent=defined_range(source, L.INDICATOR_TABLE_NAME))
    progress("Läser historiken och jämför med föregående period …")
    result.follow = follow_up(source, result, book, period, engine)
    result.findings.extend(period_findings(result.follow))
    result.findings.extend(kolada_check_findings(source, book, tables["indicators"]))  # R15: fetches nothing
    result.state = read_state(source, result, result.follow, book, engine)
    result.findings.extend(result.state.findings)
    result.findings.extend(record_findings(source, book))  # the workbook follows another rulebook
    if write:
        progress(f"Skriver översikt, kontroll, logg och {L.HISTORY.lower()} …")
        write_outputs(source, result, book)
    return result


__all__ = ["Finding", "NotAVPWorkbook", "PeriodMissing", "RefreshResult", "compute", "format_findings",
           "format_follow_up", "format_overview", "read_tables", "run_refresh", "write_outputs"]
