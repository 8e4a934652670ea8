"""The one refresh routine: tables in (pandas), statuses, findings and the log row out.

It knows no file format; it works on the adapters' rows: an adapter (the file adapter in
`workbook/xlsx.py`, the xlwings adapter in `xl_addin/book_adapter.py`) reads the tables and writes
the output sheets. The same routine runs for `vp refresh`, `vp check` and the ribbon's Uppdatera and
Kontrollera.
"""

import getpass
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from rules import batch as b
from rules import values as v
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


def column_letter(number):
    """1 -> A, 27 -> AA (Excel's column names)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def find_table(sheet, rows, required, optional=(), resolve=None):
    """The table under the first header row (within the sheet's first rows) holding every required
    header; rows whose required cells are all empty are dropped.

    `rows` is the sheet as (row number, {column number: value}) in order — both adapters give it.
    `resolve(row, column, value)` may replace a value (the file adapter: a formula's saved result).
    """
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
    return Table(sheet, frame, numbers, {name: column_letter(columns[name]) for name in wanted})


@dataclass
class RefreshResult:
    overview: list                      # rows of layout.OVERVIEW_HEADERS values
    fills: list                         # fill label per overview row (status or colour), or ""
    findings: list                      # Finding
    statuses: dict                      # key -> status/colour now
    changes: list = field(default_factory=list)
    log_row: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # per overview row: a KF row's Underlag (not written)
    first: bool = False                 # no earlier refresh to compare with (the log says so)


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


UNKNOWN_GOAL = "Okänt nämndmål"


def compute(tables, book=None, previous=None, user=None, now=None, progress=None):
    """Grade, roll up, check, and lay out the overview; `previous` = statuses of the last refresh."""
    book = book or load_rulebook()
    progress = progress or (lambda message: None)
    ind, kf = tables["indicators"], tables["kf"]
    progress("Bedömer indikatorer …")
    graded = b.grade_indicators(ind.frame, book.year, book, where=ind.cell)
    indicators = pd.concat([ind.frame, graded], axis=1)
    progress("Väger samman nämndmål och KF-mål …")
    goals = b.rollup_goals(indicators, book, where=ind.cell, names=b.goal_names(kf.frame))
    kf_status = b.rollup_kf(kf.frame, goals, indicators, book, where=kf.cell)
    progress("Kontrollerar …")
    findings = findings_of(tables, indicators, goals, kf_status, book)

    goal_text = {}
    if "goals" in tables and L.GOAL_TEXT in tables["goals"].frame.columns:
        frame = tables["goals"].frame
        goal_text = {b.group_key(g, k): t for g, k, t in zip(frame[b.GOAL], frame[b.KF], frame[L.GOAL_TEXT])}
    kf_text = {}
    if L.KF_TEXT in kf.frame.columns:
        kf_text = {b.key(k): t for k, t in zip(kf.frame[b.KF], kf.frame[L.KF_TEXT])}

    out = _Overview()
    goal_rows = {row[b.GROUP]: row for row in goals.to_dict("records")}
    groups = pd.Series([b.group_key(g, k) for g, k in zip(indicators[b.GOAL], indicators[b.KF])],
                       index=indicators.index, dtype=object)
    placed = set()
    for kf_row, raw_goal, raw_kf in zip(kf_status.to_dict("records"), kf.frame[b.GOAL], kf.frame[b.KF]):
        kf_id = kf_row[b.KF]
        status = kf_row[b.STATUS] if not kf_row[b.ERROR] else "Fel"
        out.add(["KF-mål", kf_id, kf_row[b.GOAL], "", _text(kf_text.get(b.key(kf_id))), None, status,
                 kf_row[b.EXPLANATION] or kf_row[b.ERROR]], status, f"KF-mål {kf_id}" if b.key(kf_id) else None,
                kf_row[b.SOURCE])
        group = b.kf_group_key(raw_goal, raw_kf)
        goal_row = goal_rows.get(group)
        if goal_row is None:
            continue
        out.add(["Nämndmål", kf_id, goal_row[b.GOAL], "", _text(goal_text.get(group)), goal_row[b.AVERAGE],
                 goal_row[b.STATUS], goal_row[b.EXPLANATION]], goal_row[b.STATUS], f"Nämndmål {goal_row[b.GOAL]}")
        members = indicators[groups == group]
        out.indicators(members, kf_id)
        placed.update(members.index)
    unplaced = indicators[~indicators.index.isin(placed)]
    if len(unplaced):  # shown, not dropped: their Nämndmål is empty or on no KF goal (findings name the cells)
        advice = f"{len(unplaced)} indikator(er) räknas inte in i något mål; rätta Nämndmål (se {L.FINDINGS})."
        out.add(["Nämndmål", "", UNKNOWN_GOAL, "", "Indikatorer vars nämndmål inte finns på något KF-mål", None,
                 "Fel", advice], "Fel", f"Nämndmål {UNKNOWN_GOAL}")
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
    user = user or _user()
    event = "Uppdatering" + (f", {len(findings)} fynd" if findings else "")
    log_row = [now, user, event, "; ".join(changes) if changes else ("första uppdateringen" if previous is None
                                                                      else "inga ändringar")]
    return RefreshResult(out.rows, out.fills, findings, out.statuses, changes, log_row, out.sources,
                         first=previous is None)


class _Overview:
    """The overview's rows with their fills, the statuses by key and each row's source (KF rows)."""

    def __init__(self):
        self.rows, self.fills, self.sources, self.statuses = [], [], [], {}

    def add(self, row, fill, key, source=""):
        """`key` names the row's status in the log ("Indikator I05"); None: not followed (no Id)."""
        self.rows.append(row)
        self.fills.append(fill)
        self.sources.append(source)
        if key is not None:
            self.statuses[key] = row[6]

    def indicators(self, members, kf_id):
        for row in members.to_dict("records"):
            colour = row[b.COLOUR] or "Fel"
            score = b.cell_value(row[b.SCORE])
            ident = b.shown(row[b.ID])  # " I05" is I05, in the overview and the log
            self.add(["Indikator", kf_id, b.shown(row[b.GOAL]), ident, _text(row.get(b.NAME)),
                      score if score is not None else row[b.ASSESSMENT], colour,
                      row[b.EXPLANATION] or row[b.ERROR]], colour,
                     f"Indikator {ident}" if b.key(ident) else None)  # no Id: a finding, not followed


def _text(value):
    value = b.cell_value(value)
    return "" if value is None else str(value)


def _user():
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        return "okänd"


def findings_of(tables, indicators, goals, kf_status, book):
    """Everything a person should look at: bad values (sheet!cell and text), keys that do not fit
    together, and sums that differ."""
    ind, kf = tables["indicators"], tables["kf"]
    about_indicators, about_kf = b.key_problems(indicators, kf.frame, ind.cell, kf.cell)
    findings = [Finding(_where_of(message), message, rule="R1") for message in indicators[b.ERROR] if message]
    about_goals = ([m for problems in goals[b.PROBLEMS] for m in problems] if b.PROBLEMS in goals.columns
                   else [m for text in goals[b.ERROR] for m in text.splitlines()])
    findings += [Finding(_where_of(message), message, rule="R3") for message in [*about_indicators, *about_goals]]
    findings += [Finding(_where_of(message), message, rule="R4") for message in [*kf_status[b.ERROR], *about_kf]
                 if message]
    findings += budget_findings(tables["budget"], book)
    if "frame" in tables:
        findings += frame_findings(tables["frame"], book)
    return findings + unsaved_findings(tables, findings)


def unsaved_findings(tables, findings):
    """A formula without a saved result in a column no check reads (a name, a key) is a finding too."""
    named = {f.where for f in findings}
    out = []
    for table in tables.values():
        for column in table.frame.columns:
            for value in table.frame[column]:
                if isinstance(value, b.UnsavedFormula) and value.where not in named:
                    try:
                        b.check_saved(value)
                    except VPInputError as exc:
                        out.append(Finding(value.where, str(exc), rule="R1"))
                        named.add(value.where)
    return out


def _where_of(message):
    """The cell(s) a message is about: carried by a `Message`; otherwise its text up to the first ": "."""
    where = getattr(message, "where", None)
    if where:
        return where
    return message.split(": ", 1)[0] if ": " in message else ""


def _amount(table, index, column, book, findings, allow_missing=False):
    try:
        raw = b.check_saved(table.frame.at[index, column])
        return v.parse_amount(b.cell_value(raw), table.cell(index, column), book, allow_missing=allow_missing)
    except VPInputError as exc:
        findings.append(Finding(str(exc.where), str(exc), rule="R1"))
        return None


def _label(table, index, column, allowed, findings, rule="R10"):
    """A label column (Radtyp, Område) as typed, trimmed; a value not in `allowed` is a finding."""
    raw = b.cell_value(table.frame.at[index, column])
    text = "" if raw is None else str(raw).strip()
    if text not in allowed:
        words = [a for a in allowed if a] + (["lämna tomt"] if "" in allowed else [])
        shown = ", ".join(words[:-1]) + " eller " + words[-1]
        findings.append(Finding(table.cell(index, column), str(VPInputError(
            table.cell(index, column), text or None, f"är inget giltigt värde i {column}.",
            f"Skriv {shown}; raden räknas annars inte med i kontrollen av summorna.")), rule=rule))
    return text


def budget_findings(table, book):
    """R10 on every amount column (LSS and SoL subtotals, board total), the change per row, the
    labels the sums depend on, and R5 where utfall is typed. Every amount is read once."""
    findings = []
    frame = table.frame
    laws = ("", *book.data["splits"]["lss_sol"])
    kinds = {i: _label(table, i, L.ROW_KIND, (L.ROW, L.SUM), findings) for i in frame.index}
    areas = {i: _label(table, i, L.LAW, laws, findings) for i in frame.index}
    for index in frame.index:
        try:
            b.read_yes_no(frame.at[index, L.VOLUME_BASED], table.cell(index, L.VOLUME_BASED), book,
                          required=kinds[index] == L.ROW)
        except VPInputError as exc:
            findings.append(Finding(str(exc.where), str(exc), rule="R8"))
    amounts = {column: {index: _amount(table, index, column, book, findings) for index in frame.index}
               for column in L.BUDGET_AMOUNTS}
    rows = [i for i in frame.index if kinds[i] == L.ROW]
    for column in L.BUDGET_AMOUNTS:
        for index in frame.index:
            if kinds[index] != L.SUM or amounts[column][index] is None:
                continue
            law = areas[index]
            values = [amounts[column][i] for i in rows if (areas[i] == law if law else True)]
            if any(x is None for x in values):
                continue
            label = f"{b.cell_value(frame.at[index, L.AREA])} ({column})"
            finding = reconcile_sum(label, values, amounts[column][index], table.cell(index, column), book)
            if finding:
                findings.append(finding)
    # change = proposal - current budget, row by row (R10)
    for index in frame.index:
        current, proposal = amounts[L.BUDGET_NOV][index], amounts[L.PROPOSAL][index]
        change = amounts[L.CHANGE][index]
        if None in (current, proposal, change):
            continue  # unreadable figures are already findings above
        where = table.cell(index, L.CHANGE)
        differs = reconcile_sum(L.CHANGE, [proposal, -current], change, where, book)
        if differs:
            findings.append(Finding(where, f"{b.cell_value(frame.at[index, L.AREA])}: {L.CHANGE} "
                                           f"{v.format_number(change)} stämmer inte med förslag "
                                           f"{v.format_number(proposal)} − budget {v.format_number(current)} = "
                                           f"{v.format_number(differs.computed)}.",
                                    stated=change, computed=differs.computed))
    if L.ACTUAL in frame.columns:
        for index in rows:
            actual = frame.at[index, L.ACTUAL]
            if b.cell_value(actual) is None or amounts[L.PROPOSAL][index] is None:
                continue  # nothing typed, or the budget is unreadable (a finding above)
            try:
                budget_adherence(amounts[L.PROPOSAL][index], b.cell_value(b.check_saved(actual)), book,
                                 where=(table.cell(index, L.PROPOSAL), table.cell(index, L.ACTUAL)))
            except VPInputError as exc:
                findings.append(Finding(str(exc.where), str(exc), rule="R5"))
    return findings


def frame_findings(table, book):
    """R10 on the frame-adjustment chain: each Summa equals its Start plus the adjustments since."""
    findings, chain = [], None
    for index in table.frame.index:
        kind = _label(table, index, L.ROW_KIND, (L.START, L.ADJUSTMENT, L.SUM), findings)
        amount = _amount(table, index, L.AMOUNT, book, findings)
        if amount is None or kind not in (L.START, L.ADJUSTMENT, L.SUM):
            chain = None  # an unreadable step (already a finding) breaks the chain
            continue
        if kind == L.ADJUSTMENT:
            if chain is not None:
                chain.append(amount)
            continue
        if kind == L.SUM and chain is not None:
            text = b.cell_value(table.frame.at[index, L.TEXT])
            finding = reconcile_sum(str(text), chain, amount, table.cell(index, L.AMOUNT), book)
            if finding:
                findings.append(finding)
        chain = [amount]  # a Start, or a Summa, begins the next chain
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
        column = {"KF-mål": "KF-mål", "Nämndmål": "Nämndmål", "Indikator": "Id"}.get(level)
        name = b.shown(row.get(column)) if column else ""
        if not b.key(name):
            continue  # not a status row, or a row without a key (an indicator without Id)
        key = f"{level} {name}"
        statuses[key] = b.cell_value(row.get("Status/färg"))
    return statuses or None


def format_overview(result, book=None):
    """The overview as a text table for the terminal."""
    book = book or load_rulebook()
    marked = {book.data["kf"]["override_label"], book.data["kf"]["indicative_label"]}
    sources = result.sources or [""] * len(result.overview)
    lines = []
    for (level, kf, goal, ident, name, value, status, explanation), source in zip(result.overview, sources):
        if level == "KF-mål":
            shown = f" ({source})" if source in marked else ""
            lines.append(f"KF-mål {kf}: {status}{shown}  {name}")
        elif level == "Nämndmål":
            average = "" if value is None else f" (medel {value:.2f})".replace(".", ",")
            lines.append(f"  {goal}: {status}{average}  {name[:70]}")
        else:
            shown = value if isinstance(value, str) else str(value).replace(".", ",").removesuffix(",0")
            lines.append(f"    {ident} {status:<5} {shown:<9} {name[:60]}")
    return "\n".join(lines)


def format_findings(findings):
    """One line per finding: rule, and the message, led by the cell when the message does not name it."""
    if not findings:
        return "Inga fynd."
    return "\n".join(f"- [{f.rule}] " + (f.message if not f.where or f.message.startswith(f.where)
                                          else f"{f.where}: {f.message}") for f in findings)


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
