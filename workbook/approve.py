"""Fixing a period (fastställa, R14) and reopening it: `vp approve`, the ribbon's Fastställ and the
server's faststall script all call `approve_period` / `reopen_period` through an adapter.

Fixing records who fixed which period when, the decision (dnr/paragraf), the rulebook's SHA-256 and a
checksum of the period's Historik rows in the approvals table and in Logg. It refuses, with one
Swedish text naming what to do: a period that is not the workbook's current one (Översikt), one with
no Historik rows, one whose overview is older than its inputs, one fixed already, one whose earlier
periods are not fixed (periods are fixed in order), and one whose findings remain (listed) unless a
reason to fix it despite them is given (logged). Reopening needs a reason and is refused for any
but the latest fixed period.
"""

from dataclasses import dataclass
from datetime import datetime

from rules.periods import parse_period
from rules.records import ApprovalRow
from rules.rulebook import load_rulebook

from . import layout as L
from .followup import read_history
from .periodstate import PeriodFixed, fixed_by, history_checksum, read_approvals, rulebook_digest, state_line
from .refresh import _user, previous_statuses, read_output, run_refresh


@dataclass
class Approved:
    """What a fixing or a reopening wrote: the period, its new state line, the findings fixed despite."""

    period: object
    line: str
    findings: list
    log_row: list


def _required(value, flag):
    text = str(value or "").strip()
    if not text:
        raise PeriodFixed(f"{flag} saknas eller är tomt: ange {'vem som fastställer' if flag == '--by' else 'skälet'}.")
    return text


def _in_order(approvals, period, book):
    """Every earlier period of the year must be fixed first (a month: every earlier month; months and the
    plan's periods are ordered apart, rules.periods)."""
    followup = book.data["followup"]
    names = followup["months"][:period.month - 1] if period.is_month else followup["periods"][:period.rank]
    for name in names:
        candidate = parse_period(f"{name} {period.year}", "--period", book)
        if approvals.fixed(candidate) is None:
            raise PeriodFixed(f"{candidate} är inte fastställd: perioderna fastställs i ordning. Fastställ "
                              f"{candidate} först (vp approve FIL --period \"{candidate}\" --by NAMN).")


def approve_period(source, period_text, by, decision=None, despite=None, book=None, now=None, user=None, engine=None,
                   progress=None):
    """Fix a period through an adapter (writes the approvals table and Logg; the caller saves)."""
    book = book or load_rulebook()
    by = _required(by, "--by")
    if despite is not None:
        despite = _required(despite, "--despite-findings")
    period = parse_period(str(period_text or ""), "--period", book)
    if period is None:
        raise PeriodFixed("--period saknas: ange perioden som ska fastställas, t.ex. \"Delår 1 2025\".")
    result = run_refresh(source, book, write=False, engine=engine, progress=progress)
    follow, state = result.follow, result.state
    if follow.period != period:
        shown = follow.cell.raw if follow.cell.raw not in (None, "") else "ingen period"
        raise PeriodFixed(f"{follow.cell.place} ({L.PERIOD_LABEL}) säger {shown}, inte {period}: arbetsbokens "
                          f"värden gäller den perioden. Fastställ den period som står där, eller uppdatera {period} "
                          f"först (vp refresh FIL --period \"{period}\").")
    approvals = state.approvals
    row = approvals.fixed(period)
    if row is not None:
        raise PeriodFixed(f"{period} är redan fastställd ({fixed_by(row)}). Ska den fastställas igen: öppna den "
                          f"först med vp approve FIL --reopen \"{period}\" --reason \"...\".")
    _in_order(approvals, period, book)
    history = read_history(source, book)
    checksum, count, _ = history_checksum(history, period)
    if count == 0:
        raise PeriodFixed(f"{L.HISTORY} har inga rader för {period}: uppdatera perioden först "
                          f"(vp refresh FIL --period \"{period}\" eller knappen Uppdatera).")
    if previous_statuses(read_output(source, L.OVERVIEW, L.OVERVIEW_HEADERS)) != result.statuses:
        raise PeriodFixed(f"Statusarna i {L.OVERVIEW} och {L.HISTORY} är äldre än arbetsbokens värden: uppdatera "
                          f"{period} först (vp refresh FIL eller knappen Uppdatera) och fastställ sedan.")
    findings = result.findings
    if findings and despite is None:
        listed = "\n".join(f"- {f.message if not f.where or f.message.startswith(f.where) else f'{f.where}: {f.message}'}"
                           for f in findings)
        raise PeriodFixed(f"{period} kan inte fastställas: {_count(len(findings))} återstår (bladet {L.FINDINGS}):\n"
                          f"{listed}\nRätta dem och uppdatera, eller fastställ ändå med ett skäl: --despite-findings \"skäl\" "
                          f"(vp approve) eller cellen {L.DESPITE_LABEL} på {L.OVERVIEW} (knappen Fastställ).")
    now = now or datetime.now().replace(microsecond=0)
    user = user or _user()
    words = book.data["approval"]
    reason = f"trots {_count(len(findings))}: {despite}" if findings and despite else (despite or None)
    source.append_row(L.APPROVALS, L.APPROVAL_HEADERS, [
        period.text, words["event_fixed"], by, now, decision or None, reason,
        rulebook_digest(book), checksum, count])
    event = f"Fastställd {period} av {by}" + (f" (beslut {decision})" if decision else "")
    log_row = [now, user, event, reason or "inga fynd"]
    source.append_row(L.LOG, L.LOG_HEADERS, log_row)
    written = ApprovalRow(period.text, words["event_fixed"], by, now, decision or None)
    return Approved(period, f"{words['fixed']} {fixed_by(written)}", list(findings), log_row)


def reopen_period(source, period_text, reason, by=None, book=None, now=None, user=None):
    """Reopen the latest fixed period (logged with its reason); the caller saves."""
    reason = _required(reason, "--reason")
    period = parse_period(str(period_text or ""), "--reopen", book)
    if period is None:
        raise PeriodFixed("--reopen saknar period: ange perioden som ska öppnas, t.ex. \"Delår 1 2025\".")
    book = book or load_rulebook()
    approvals = read_approvals(source, book)
    if approvals.fixed(period) is None:
        raise PeriodFixed(f"{period} är inte fastställd ({state_line(book, approvals, period)}), så det finns "
                          "inget att öppna.")
    later = sorted((p for p in approvals.last if p.is_month == period.is_month and p.order > period.order
                    and approvals.fixed(p)), key=lambda p: p.order)
    if later:
        raise PeriodFixed(f"{later[-1]} är fastställd efter {period}: öppna {later[-1]} först (perioderna öppnas i "
                          "omvänd ordning).")
    now = now or datetime.now().replace(microsecond=0)
    user = user or _user()
    by = str(by or "").strip() or user
    history = read_history(source, book)
    checksum, count, _ = history_checksum(history, period)
    source.append_row(L.APPROVALS, L.APPROVAL_HEADERS, [
        period.text, book.data["approval"]["event_reopened"], by, now, None, reason, rulebook_digest(book), checksum,
        count])
    log_row = [now, user, f"Återöppnad {period} av {by}", reason]
    source.append_row(L.LOG, L.LOG_HEADERS, log_row)
    return Approved(period, book.data["approval"]["draft"], [], log_row)


def _count(n):
    return "1 fynd" if n == 1 else f"{n} fynd"


__all__ = ["Approved", "approve_period", "reopen_period"]
