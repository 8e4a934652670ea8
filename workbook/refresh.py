"""The one refresh routine: tables in (pandas), statuses, findings and the log row out.

It knows nothing of openpyxl or Excel: an adapter (the file adapter in `workbook/xlsx.py`, the
xlwings adapter in `xl_addin/book_adapter.py`) reads the tables and writes the output sheets. The
same routine runs for `vp refresh`, `vp check` and the ribbon's Uppdatera and Kontrollera.
"""

import getpass
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from rules import batch as b
from rules.budget import Finding, budget_adherence, reconcile_sum
from rules.errors import VPError, VPInputError
from rules.rulebook import load_rulebook

from . import layout as L


class NotAVPWorkbook(VPError):
    """The file lacks a sheet or a column the VP workbook must have."""


@dataclass
class Table:
    """A table read from a sheet: values as typed, and the cell address of every value."""

    sheet: str
    frame: pd.DataFrame
    rows: list          # the sheet row number of each frame row
    columns: dict       # header -> column letter

    def cell(self, index, column):
        position = self.frame.index.get_loc(index)
        return f"{self.sheet}!{self.columns[column]}{self.rows[position]}"


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def find_table(sheet, rows, required, optional=(), resolve=None):
    """The table under the first header row (within the sheet's first rows) holding every required
    header; rows whose required cells are all empty are dropped.

    `rows` is the sheet as (row number, {column number: value}) in order — both adapters give it.
    `resolve(row, column, value)` may replace a value (the file adapter: a formula's saved result).
    """
    from openpyxl.utils import get_column_letter

    header, columns, best = None, {}, set()
    for number, cells in rows:
        if number > L.HEADER_SEARCH_ROWS:
            break
        names = {str(value).strip(): column for column, value in sorted(cells.items()) if isinstance(value, str)}
        if all(name in names for name in required):
            header, columns = number, names
            break
        if len(names.keys() & set(required)) > len(best):
            best = names.keys() & set(required)
    if header is None:
        missing = [name for name in required if name not in best] or list(required)
        raise NotAVPWorkbook(f"Bladet {sheet} saknar kolumnen {', '.join(missing)} (rubrikraden ska ligga "
                             f"bland de {L.HEADER_SEARCH_ROWS} första raderna).")
    wanted = list(required) + [name for name in optional if name in columns]
    records, numbers = [], []
    for number, cells in rows:
        if number <= header:
            continue
        values = {name: cells.get(columns[name]) for name in wanted}
        if resolve:
            values = {name: resolve(number, columns[name], value) for name, value in values.items()}
        if all(_blank(values[name]) for name in required):
            continue
        records.append(values)
        numbers.append(number)
    frame = pd.DataFrame(records, columns=wanted, dtype=object)
    return Table(sheet, frame, numbers, {name: get_column_letter(columns[name]) for name in wanted})


@dataclass
class RefreshResult:
    overview: list                      # rows of layout.OVERVIEW_HEADERS values
    fills: list                         # fill label per overview row (status or colour), or ""
    findings: list                      # Finding
    statuses: dict                      # key -> status/colour now
    changes: list = field(default_factory=list)
    log_row: list = field(default_factory=list)


def read_tables(source, book):
    """Read the input tables through an adapter; a missing sheet or column is refused clearly."""
    missing = [name for name in L.REQUIRED_SHEETS if name not in source.sheet_names()]
    if missing:
        raise NotAVPWorkbook(f"Filen är inte en VP-arbetsbok: bladet {', '.join(missing)} saknas.")
    columns = L.indicator_columns(book.year)
    tables = {
        "indicators": source.read_table(L.INDICATORS, columns["required"], columns["optional"]),
        "kf": source.read_table(L.KF_GOALS, L.KF_COLUMNS["required"], L.KF_COLUMNS["optional"] + [L.KF_TEXT]),
        "budget": source.read_table(L.BUDGET, L.BUDGET_COLUMNS["required"], L.BUDGET_COLUMNS["optional"]),
    }
    if L.GOALS in source.sheet_names():
        tables["goals"] = source.read_table(L.GOALS, L.GOAL_COLUMNS["required"], [L.GOAL_TEXT])
    if L.FRAME in source.sheet_names():
        tables["frame"] = source.read_table(L.FRAME, L.FRAME_COLUMNS["required"], [])
    return tables


def compute(tables, book=None, previous=None, user=None, now=None, progress=None):
    """Grade, roll up, check, and lay out the overview; `previous` = statuses of the last refresh."""
    book = book or load_rulebook()
    progress = progress or (lambda message: None)
    ind = tables["indicators"]
    progress("Bedömer indikatorer …")
    graded = b.grade_indicators(ind.frame, book.year, book, where=ind.cell)
    indicators = pd.concat([ind.frame, graded], axis=1)
    progress("Väger samman nämndmål och KF-mål …")
    goals = b.rollup_goals(indicators, book)
    kf = tables["kf"]
    kf_status = b.rollup_kf(kf.frame, goals, indicators, book, where=kf.cell)
    progress("Kontrollerar …")
    findings = findings_of(tables, indicators, kf_status, book)

    goal_text = {}
    if "goals" in tables and L.GOAL_TEXT in tables["goals"].frame.columns:
        goal_text = dict(zip(tables["goals"].frame[b.GOAL].astype(str), tables["goals"].frame[L.GOAL_TEXT]))
    kf_text = {}
    if L.KF_TEXT in kf.frame.columns:
        kf_text = dict(zip(kf.frame[b.KF].astype(str), kf.frame[L.KF_TEXT]))

    overview, fills, statuses = [], [], {}
    goals_by_name = {str(g): row for g, row in zip(goals[b.GOAL], goals.to_dict("records"))}
    for kf_row in kf_status.to_dict("records"):
        kf_id = kf_row[b.KF]
        goal = b.cell_value(kf_row[b.GOAL])
        status = kf_row[b.STATUS] if not kf_row[b.ERROR] else "Fel"
        explanation = kf_row[b.EXPLANATION] or kf_row[b.ERROR]
        overview.append(["KF-mål", kf_id, goal or "", "", _text(kf_text.get(str(kf_id))), None, status, explanation])
        fills.append(status)
        statuses[f"KF-mål {kf_id}"] = status
        group = str(goal) if goal else None
        if group is None:  # KF goal without a board goal: the office's indicators of this KF goal
            members = indicators[indicators[b.KF].astype(str) == str(kf_id)] if b.KF in indicators else indicators[:0]
            group = str(members[b.GOAL].iloc[0]) if len(members) else None
        goal_row = goals_by_name.get(group) if group else None
        if goal_row is not None:
            overview.append(["Nämndmål", kf_id, goal_row[b.GOAL], "", _text(goal_text.get(group)),
                             goal_row[b.AVERAGE], goal_row[b.STATUS], goal_row[b.EXPLANATION]])
            fills.append(goal_row[b.STATUS])
            statuses[f"Nämndmål {goal_row[b.GOAL]}"] = goal_row[b.STATUS]
            for row in indicators[indicators[b.GOAL].astype(str) == group].to_dict("records"):
                colour = row[b.COLOUR] or "Fel"
                score = b.cell_value(row[b.SCORE])
                overview.append(["Indikator", kf_id, row[b.GOAL], row[b.ID], _text(row.get(b.NAME)),
                                 score if score is not None else row[b.ASSESSMENT], colour,
                                 row[b.EXPLANATION] or row[b.ERROR]])
                fills.append(colour)
                statuses[f"Indikator {row[b.ID]}"] = colour

    changes = []
    for key, status in statuses.items():
        before = (previous or {}).get(key)
        if previous is not None and before != status:
            changes.append(f"{key}: {before or 'ny'} → {status}")
    now = now or datetime.now().replace(microsecond=0)
    user = user or _user()
    event = "Uppdatering" + (f", {len(findings)} fynd" if findings else "")
    log_row = [now, user, event, "; ".join(changes) if changes else ("första uppdateringen" if previous is None
                                                                      else "inga ändringar")]
    return RefreshResult(overview, fills, findings, statuses, changes, log_row)


def _text(value):
    value = b.cell_value(value)
    return "" if value is None else str(value)


def _user():
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        return "okänd"


def findings_of(tables, indicators, kf_status, book):
    """Everything a person should look at: bad values (sheet!cell and text) and sums that differ."""
    findings = [Finding(_where_of(message), message, rule="R1") for message in indicators[b.ERROR] if message]
    findings += [Finding(_where_of(message), message, rule="R4") for message in kf_status[b.ERROR] if message]
    findings += budget_findings(tables["budget"], book)
    if "frame" in tables:
        findings += frame_findings(tables["frame"], book)
    return findings


def _where_of(message):
    return message.split(": ", 1)[0] if ": " in message else ""


def _amount(table, index, column, book, findings, allow_missing=False):
    from rules.values import parse_amount

    try:
        return parse_amount(b.cell_value(table.frame.at[index, column]), table.cell(index, column), book,
                            allow_missing=allow_missing)
    except VPInputError as exc:
        findings.append(Finding(str(exc.where), str(exc), rule="R1"))
        return None


def budget_findings(table, book):
    """R10 on every amount column (LSS and SoL subtotals, board total) and R5 where utfall is typed."""
    findings = []
    frame = table.frame
    kinds = frame[L.ROW_KIND].map(lambda x: str(b.cell_value(x) or "").strip())
    laws = frame[L.LAW].map(lambda x: str(b.cell_value(x) or "").strip())
    for column in L.BUDGET_AMOUNTS:
        amounts = {index: _amount(table, index, column, book, findings) for index in frame.index}
        rows = [i for i in frame.index if kinds[i] == L.ROW]
        for index in frame.index:
            if kinds[index] != L.SUM or amounts[index] is None:
                continue
            law = laws[index]
            members = [i for i in rows if (laws[i] == law if law else True)]
            values = [amounts[i] for i in members]
            if any(x is None for x in values):
                continue
            label = f"{b.cell_value(frame.at[index, L.AREA])} ({column})"
            finding = reconcile_sum(label, values, amounts[index], table.cell(index, column), book)
            if finding:
                findings.append(finding)
    # change = proposal - current budget, row by row (R10)
    for index in frame.index:
        current = _amount(table, index, L.BUDGET_NOV, book, [])
        proposal = _amount(table, index, L.PROPOSAL, book, [])
        change = _amount(table, index, L.CHANGE, book, [])
        if None in (current, proposal, change):
            continue  # unreadable figures are already findings above
        finding = reconcile_sum(f"{b.cell_value(frame.at[index, L.AREA])} ({L.CHANGE})", [proposal, -current],
                                change, table.cell(index, L.CHANGE), book)
        if finding:
            findings.append(finding)
    if L.ACTUAL in frame.columns:
        for index in frame.index:
            actual = b.cell_value(frame.at[index, L.ACTUAL])
            if actual is None or kinds[index] != L.ROW:
                continue
            try:
                budget_adherence(b.cell_value(frame.at[index, L.PROPOSAL]), actual, book,
                                 where=(table.cell(index, L.PROPOSAL), table.cell(index, L.ACTUAL)))
            except VPInputError as exc:
                findings.append(Finding(str(exc.where), str(exc), rule="R5"))
    return findings


def frame_findings(table, book):
    """R10 on the frame-adjustment chain: each Summa equals its Start plus the adjustments since."""
    findings, chain = [], None
    for index in table.frame.index:
        kind = str(b.cell_value(table.frame.at[index, L.ROW_KIND]) or "").strip()
        amount = _amount(table, index, L.AMOUNT, book, findings)
        if amount is None:
            chain = None if kind == L.START else chain
            continue
        if kind == L.START:
            chain = [amount]
        elif kind == L.ADJUSTMENT and chain is not None:
            chain.append(amount)
        elif kind == L.SUM and chain is not None:
            text = b.cell_value(table.frame.at[index, L.TEXT])
            finding = reconcile_sum(str(text), chain, amount, table.cell(index, L.AMOUNT), book)
            if finding:
                findings.append(finding)
            chain = [amount]
    return findings


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
        level = b.cell_value(row.get("Nivå"))
        if level == "KF-mål":
            key = f"KF-mål {b.cell_value(row.get('KF-mål'))}"
        elif level == "Nämndmål":
            key = f"Nämndmål {b.cell_value(row.get('Nämndmål'))}"
        elif level == "Indikator":
            key = f"Indikator {b.cell_value(row.get('Id'))}"
        else:
            continue
        statuses[key] = b.cell_value(row.get("Status/färg"))
    return statuses or None


def format_overview(result, book=None):
    """The overview as a text table for the terminal."""
    book = book or load_rulebook()
    marks = {book.data["kf"]["override_label"].casefold(): book.data["kf"]["override_label"],
             book.data["kf"]["indicative_label"].casefold(): book.data["kf"]["indicative_label"]}
    lines = []
    for level, kf, goal, ident, name, value, status, explanation in result.overview:
        if level == "KF-mål":
            shown = next((f" ({label})" for word, label in marks.items() if word in explanation.casefold()), "")
            lines.append(f"KF-mål {kf}: {status}{shown}  {name}")
        elif level == "Nämndmål":
            average = "" if value is None else f" (medel {value:.2f})".replace(".", ",")
            lines.append(f"  {goal}: {status}{average}  {name[:70]}")
        else:
            shown = value if isinstance(value, str) else str(value).replace(".", ",").removesuffix(",0")
            lines.append(f"    {ident} {status:<5} {shown:<9} {name[:60]}")
    return "\n".join(lines)


def format_findings(findings):
    if not findings:
        return "Inga fynd."
    return "\n".join(f"- [{f.rule}] {f.message}" for f in findings)


def write_outputs(target, result, book=None):
    """Write the overview, the findings and a log row through an adapter (file or live Excel)."""
    book = book or load_rulebook()
    fills = book.data["fills"]
    target.write_table(L.OVERVIEW, L.OVERVIEW_HEADERS, result.overview, result.fills, fills)
    findings = [[f.where, f.rule, f.message] for f in result.findings]
    target.write_table(L.FINDINGS, L.FINDINGS_HEADERS, findings)
    target.append_row(L.LOG, L.LOG_HEADERS, result.log_row)


def run_refresh(source, book=None, user=None, now=None, progress=None, write=True):
    """Read, compute and (unless write=False, for a check) write through one adapter."""
    book = book or load_rulebook()
    progress = progress or (lambda message: None)
    progress("Läser tabellerna …")
    tables = read_tables(source, book)
    previous = previous_statuses(read_output(source, L.OVERVIEW, L.OVERVIEW_HEADERS))
    result = compute(tables, book, previous, user, now, progress)
    if write:
        progress("Skriver översikt, kontroll och logg …")
        write_outputs(source, result, book)
    return result
