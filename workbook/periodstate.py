"""The period's state (R13, R14): the board's written analysis per period, and the fixing of a period.

Both are tables in the workbook, like the inputs (DESIGN: "the period's state is data"): the input
sheet `Analys` (typed by people) and the output sheet `Fastställelser` (appended by `vp approve` and
the Fastställ button; the last row of a period is its state). What is missing in an analysis is
decided by the rulebook's `analys` rules (rules/analysis.py); the checks of the table as typed and of
a fixed period's Historik rows are declared in the rulebook's [[checks]]. The refresh reads the state
once (`read_state`): its findings join the check's, and a refresh of a fixed period is refused before
anything is written (`refuse_if_fixed`).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from rules import values as v
from rules.analysis import indicator_analysis, kf_analysis
from rules.checks import check_finding
from rules.errors import VPError, VPInputError, quote
from rules.periods import examples, parse_period
from rules.records import Finding, Place

from . import layout as L
from .tables import NotAVPWorkbook, analysis_records, approval_records, cell_value, column_letter


class PeriodFixed(VPError):
    """A write that would change a fixed period (a refresh of it), or a fixing that is not allowed."""


def _blank(value):
    value = cell_value(value)
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value):
    value = cell_value(value)
    return "" if value is None else str(value).strip()


def rulebook_digest(book):
    """The rulebook's version: SHA-256 of its file (the report's appendix shows the same digest)."""
    return hashlib.sha256(book.path.read_bytes()).hexdigest()


# --- the approvals table ----------------------------------------------------------------------------------
@dataclass
class Approvals:
    """The approvals table as read: every row in order, and the state of each period (its last row)."""

    rows: list = field(default_factory=list)     # (Period or None, ApprovalRow)
    last: dict = field(default_factory=dict)     # Period -> its last ApprovalRow
    fixed_word: str = ""                         # the rulebook's approval.event_fixed

    def fixed(self, period):
        """The row that fixed `period`, or None if it is a draft (never fixed, or reopened since)."""
        row = self.last.get(period)
        return row if row is not None and v.fold(_text(row.event)) == v.fold(self.fixed_word) else None


def read_approvals(source, book):
    """The approvals table; a row whose period cannot be read is kept in `rows` but states nothing."""
    out = Approvals(fixed_word=book.data["approval"]["event_fixed"])
    if L.APPROVALS not in source.sheet_names():
        return out
    try:
        table = source.read_table(L.APPROVALS, L.APPROVAL_HEADERS[:2], L.APPROVAL_HEADERS[2:])
    except NotAVPWorkbook:
        return out
    for row in approval_records(table):
        try:
            period = parse_period(cell_value(row.period), row.place("period"), book)
        except VPInputError:
            period = None
        out.rows.append((period, row))
        if period is not None:
            out.last[period] = row
    return out


def when_text(moment):
    """A time as the state line writes it: 2025-09-12 14:03."""
    moment = cell_value(moment)
    return moment.strftime("%Y-%m-%d %H:%M") if hasattr(moment, "strftime") else _text(moment)


def state_line(book, approvals, period):
    """"Utkast", or "Fastställd av … den … (beslut …)": what the report and the task pane show."""
    row = approvals.fixed(period)
    words = book.data["approval"]
    return words["draft"] if row is None else f"{words['fixed']} {fixed_by(row)}"


def fixed_by(row):
    """"av … den … (beslut …)" of the row that fixed a period."""
    decision = f" (beslut {_text(row.decision)})" if not _blank(row.decision) else ""
    return f"av {_text(row.by)} den {when_text(row.time)}{decision}"


def refuse_if_fixed(source, period, book):
    """A refresh of a fixed period is refused before anything is written: one line, the way out."""
    approvals = read_approvals(source, book)
    row = approvals.fixed(period)
    if row is not None:
        raise PeriodFixed(f"{period} är fastställd {fixed_by(row)}; dess rader i {L.HISTORY} ändras inte; ingenting "
                          f"ändrades. Uppdatera en senare period, eller öppna perioden igen med vp approve FIL --reopen "
                          f"\"{period}\" --reason \"...\".")
    return approvals


# --- the Historik checksum --------------------------------------------------------------------------------
def _canonical(value):
    """A Historik value as both adapters read it back (whole floats as ints, times to the second)."""
    value = cell_value(value)
    if isinstance(value, datetime):
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(round(value, 9))
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    return str(value)


def history_checksum(history, period):
    """(SHA-256 of the period's Historik rows in order, their count, their sheet rows)."""
    digest, count, numbers = hashlib.sha256(), 0, []
    for row, places, stored in zip(history.rows, history.places, history.periods):
        if stored == period:
            digest.update(json.dumps([_canonical(x) for x in row], ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
            cell = places.get(L.PERIOD)
            if cell is not None:
                numbers.append(int("".join(ch for ch in cell.cell if ch.isdigit())))
    return digest.hexdigest(), count, numbers


def _rows_place(numbers):
    end = column_letter(len(L.HISTORY_HEADERS))
    return Place(L.HISTORY, f"A{min(numbers)}:{end}{max(numbers)}") if numbers else Place(L.HISTORY, "")


def history_findings(approvals, history, book):
    """R14: a fixed period whose Historik rows no longer match the checksum recorded when it was fixed."""
    out = []
    for period, row in approvals.last.items():
        if approvals.fixed(period) is None:
            continue
        checksum, count, numbers = history_checksum(history, period)
        if checksum != _text(row.checksum):
            out.append(check_finding(book, "R14.historik.andrad", _rows_place(numbers), period=period,
                                av=_text(row.by), tid=when_text(row.time)))
    return out


# --- the analysis table ------------------------------------------------------------------------------------
@dataclass
class PeriodState:
    """What the period's state adds to a refresh: its analysis rows per KF goal, the approvals, the
    verdicts that something is missing, and the findings."""

    period: object = None
    approvals: Approvals = field(default_factory=Approvals)
    by_kf: dict = field(default_factory=dict)      # KF key -> the period's analysis rows (AnalysisRow)
    missing: list = field(default_factory=list)    # Findings of R13 decisions (something is missing)
    findings: list = field(default_factory=list)   # every finding of the state (table checks, R13, R14)
    has_sheet: bool = False

    def line(self, book):
        return state_line(book, self.approvals, self.period) if self.period is not None else book.data["approval"]["draft"]


def _read_analysis(source):
    if L.ANALYSIS not in source.sheet_names():
        return None
    required, optional = L.ANALYSIS_COLUMNS
    table = source.read_table(L.ANALYSIS, list(required), list(optional))
    return analysis_records(table)


def _indicator_of(outcome, typed):
    """The member of a KF goal's board goal that a typed Indikator names (its Id, or its name)."""
    wanted, folded = v.key(typed), v.fold(_text(typed))
    for member in outcome.goal.members:
        if v.key(member.row.id) == wanted or (folded and v.fold(_text(member.row.name)) == folded):
            return member
    return None


def _check_row(row, book, kfs, seen, findings):
    """The checks of one analysis row as typed; returns (period, KF outcome, member or None) or None."""
    limit = book.data["analysis"]["max_text_length"]
    for name in ("text", "action", "responsible"):
        value = cell_value(getattr(row, name))
        if isinstance(value, str) and len(value) >= limit:  # at the limit: Excel has cut it
            findings.append(check_finding(book, "R13.analys.for_lang", row.place(name), antal=v.format_number(len(value))))
    due = cell_value(row.due)
    if not _blank(due) and not isinstance(due, (date, datetime)):
        findings.append(check_finding(book, "R13.analys.datum_text", row.place("due"), varde=_quoted(due)))
    try:
        period = parse_period(cell_value(row.period), row.place("period"), book)
    except VPInputError:
        period = None
    if period is None:
        findings.append(check_finding(book, "R13.analys.okand_period", row.place("period"), varde=_quoted(row.period),
                                 kanda=examples(book)))
        return None
    outcome = kfs.get(v.key(row.kf))
    if outcome is None:
        findings.append(check_finding(book, "R13.analys.okant_kf", row.place("kf"), varde=_quoted(row.kf),
                                 kanda=", ".join(v.shown_key(k) for k in kfs)))
        return None
    member = None
    if not _blank(row.indicator):
        member = _indicator_of(outcome, row.indicator)
        if member is None:
            findings.append(check_finding(book, "R13.analys.okand_indikator", row.place("indicator"),
                                     varde=_quoted(row.indicator), kf=v.shown_key(row.kf)))
            return None
    if not _blank(row.goal) and v.key(row.goal) != v.key(outcome.goal.name):
        findings.append(check_finding(book, "R13.analys.okant_namndmal", row.place("goal"), varde=_quoted(row.goal),
                                 kf=v.shown_key(row.kf), kanda=outcome.goal.name))
    if not _blank(row.action):
        lacking = [label for label, value in ((L.ANALYSIS_RESPONSIBLE, row.responsible), (L.ANALYSIS_DUE, row.due))
                   if _blank(value)]
        if lacking:
            findings.append(check_finding(book, "R13.atgard.ofullstandig", row.place("action"), saknas=" och ".join(lacking)))
    key = (period, v.key(row.kf), v.key(row.goal) if not _blank(row.goal) else "",
           v.key(member.row.id) if member is not None else "")
    first = seen.get(key)
    if first is not None:
        findings.append(check_finding(book, "R13.analys.dubblett", row.place("period"), forsta=first))
        return None
    seen[key] = _row_number(row.place("period"))
    return period, outcome, member


def _row_number(place):
    return place.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if isinstance(place, Place) else ""


def _quoted(value):
    value = cell_value(value)
    return f"'{quote(value)}'" if value is not None else "(tomt)"


def read_state(source, result, follow, book, engine=None):
    """The period's state for a refresh: the analysis checked and decided for the refresh's period,
    the approvals, and a fixed period's Historik rows checked against their checksum."""
    state = PeriodState(period=follow.period, approvals=read_approvals(source, book))
    state.findings += history_findings(state.approvals, follow.history, book)
    rows = _read_analysis(source)
    state.has_sheet = rows is not None
    rows = rows or []  # no sheet (a workbook from before R13): nothing is written, so every analysis is missing
    kfs = {}
    for outcome in result.assessment.kf:
        kfs.setdefault(v.key(outcome.row.kf), outcome)
    seen, actions = {}, {}
    kf_texts = set()
    for row in rows:
        known = _check_row(row, book, kfs, seen, state.findings)
        if known is None or known[0] != follow.period:
            continue
        period, outcome, member = known
        state.by_kf.setdefault(v.key(row.kf), []).append(row)
        if member is None and not _blank(row.text):
            kf_texts.add(v.key(row.kf))
        if member is not None and not (_blank(row.action) and _blank(row.text)):
            actions[v.key(member.row.id)] = row
    if follow.period is None:
        return state
    period = follow.period.text
    for key, outcome in kfs.items():
        verdict = kf_analysis(v.shown_key(outcome.row.kf), period, "x" if key in kf_texts else "", book, engine)
        if not verdict.complete:
            state.missing.append(Finding(verdict.rule, L.ANALYSIS, "", _missing_message(verdict.sentence, outcome, period)))
    members = {id(m): m for outcome in kfs.values() for m in outcome.goal.members}  # placed under a KF goal
    for member in members.values():
        ident = v.key(member.row.id)
        if member.result is None or not ident:
            continue
        trend = follow.trends.get(ident)
        row = actions.get(ident)
        verdict = indicator_analysis(v.shown_key(member.row.kf), v.shown_key(member.row.id), _text(member.row.name),
                                     period, member.result.colour, trend.trend if trend else None,
                                     (row.action if not _blank(row.action) else row.text) if row else None,
                                     book, engine)
        if not verdict.complete:
            state.missing.append(Finding(verdict.rule, L.ANALYSIS, "", (
                f"{verdict.sentence} Skriv en rad på bladet {L.ANALYSIS}: {L.PERIOD} {period}, {L.KF} "
                f"{v.shown_key(member.row.kf)}, {L.NAME} {v.shown_key(member.row.id)}, med {L.ANALYSIS_ACTION}, "
                f"{L.ANALYSIS_RESPONSIBLE} och {L.ANALYSIS_DUE} (eller i {L.ANALYSIS_TEXT} varför ingen åtgärd behövs).")))
    if not state.has_sheet:  # say once per finding how to get the sheet, not only what to write in it
        hint = (f" Arbetsboken saknar bladet {L.ANALYSIS}: lägg till det med rubrikerna "
                f"{', '.join(L.ANALYSIS_HEADERS)} (en ny arbetsbok från vp new har det).")
        state.missing = [Finding(f.rule, f.sheet, f.cell, f.message + hint) for f in state.missing]
    state.findings += state.missing
    return state


def _missing_message(sentence, outcome, period):
    return (f"{sentence} Skriv en rad på bladet {L.ANALYSIS}: {L.PERIOD} {period}, {L.KF} {v.shown_key(outcome.row.kf)} och "
            f"{L.ANALYSIS_TEXT} (nämndens samlade bedömning).")
