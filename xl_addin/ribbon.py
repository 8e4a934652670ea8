"""Ribbon actions of the VP tab: one tag per button, dispatched from the add-in's single VBA callback.

The tags are the contract between customUI.xml (control tag="...") and Python. VBA calls
`run(tag)`; the action gets the calling workbook from `xw.Book.caller()` (tests pass `book=`),
does its work through the xlwings adapter and shows a Swedish message box. Every action returns
the text it showed. A `VPError` (not a VP workbook, a broken rulebook, ...) becomes a message box
with its Swedish text and is returned, not raised: Excel shows no traceback for a user's mistake.
Anything else is a fault in the code and is raised (xlwings shows it).
"""

import os
import sys
from pathlib import Path

from rules.errors import VPError, VPInputError
from rules.indicator import grade_indicator
from rules.text import parameter_text
from rules.values import format_number, key
from workbook import layout as L
from workbook.refresh import findings_rows, run_refresh
from workbook.rulebook_record import rulebook_for
from workbook.tables import indicator_records

from . import udfs
from .book_adapter import XlwingsBook

TITLE = "VP"
SHOWN_FINDINGS = 5


def show(book, message, error=False):
    """A message box in Excel (xlwings' alert); an engine without one shows nothing. Returns the text."""
    try:
        book.app.alert(message, title=TITLE, mode="critical" if error else "info")
    except Exception:  # no message box on this engine (or Excel refused it): the text is still returned
        pass
    return message


def _findings_text(findings):
    lines = [f"- {f.message}" for f in findings[:SHOWN_FINDINGS]]
    if len(findings) > SHOWN_FINDINGS:
        lines.append(f"… och {len(findings) - SHOWN_FINDINGS} till.")
    return "\n".join(lines)


def _with_progress(book, work):
    source = XlwingsBook(book)
    try:
        return source, work(source)
    finally:
        source.reset_progress()


# --- the actions -----------------------------------------------------------------------------------
def uppdatera(book, user=None):
    """Uppdatera: statuses, findings and a log row written to Översikt, Kontroll and Logg. `user`
    names who pressed the button in the log (the server's signed-in economist); default: this
    process's user, the one at the PC."""
    _, result = _with_progress(book, lambda source: run_refresh(source, user=user, progress=source.progress))
    changes = result.changes
    if changes:
        count = "1 ändrad status" if len(changes) == 1 else f"{len(changes)} ändrade statusar"
        moved = f"{count}:\n" + "\n".join(f"- {c}" for c in changes[:SHOWN_FINDINGS])
        if len(changes) > SHOWN_FINDINGS:
            moved += f"\n… och {len(changes) - SHOWN_FINDINGS} till (se bladet {L.LOG})."
    else:
        moved = f"0 ändrade statusar ({result.log_row[3]})."
    found = (f"{len(result.findings)} fynd att titta på (bladet {L.FINDINGS}):\n{_findings_text(result.findings)}"
             if result.findings else "0 fynd i kontrollen.")
    written = (f"Uppdateringen är klar för {result.period}: bladen {L.OVERVIEW}, {L.FINDINGS}, {L.LOG} och "
               f"{L.HISTORY} är skrivna.")
    message = f"{written}\n\n{found}\n\n{moved}"
    return show(book, message)


def kontrollera(book):
    """Kontrollera: the checks only; writes the findings table (Kontroll) and nothing else."""
    def work(source):
        result = run_refresh(source, progress=source.progress, write=False)
        source.write_table(L.FINDINGS, L.FINDINGS_HEADERS, findings_rows(result.findings))
        return result

    _, result = _with_progress(book, work)
    if not result.findings:
        return show(book, f"Kontrollen är klar: 0 fynd. Bladet {L.FINDINGS} är tömt.")
    return show(book, f"Kontrollen är klar: {len(result.findings)} fynd, se bladet {L.FINDINGS}.\n\n"
                      f"{_findings_text(result.findings)}")


HOW_TO_EXPLAIN = (f"Markera en cell i en indikatorrad på bladet {L.INDICATORS}, eller i en rad på bladet "
                  f"{L.GOALS} eller {L.KF_GOALS}, och tryck på Förklara igen.")


def _selected(book):
    """(sheet name, row) of the selection's top-left cell, or None when no cell is selected."""
    try:
        selection = book.selection
    except Exception:  # no selection on this engine / a shape is selected
        return None
    if selection is None or getattr(selection, "row", None) is None:
        return None
    return selection.sheet.name, selection.row


def _row_index(table, row):
    """The position of a sheet row among a table's data rows, or None if it is not one of them."""
    return table.rows.index(row) if row in table.rows else None


def forklara(book):
    """Förklara: why the selected row has its result (an indicator, a board goal or a KF goal)."""
    selected = _selected(book)
    if selected is None:
        return show(book, HOW_TO_EXPLAIN)
    sheet, row = selected
    source = XlwingsBook(book)
    rulebook = rulebook_for(source)
    if sheet == L.INDICATORS:
        return show(book, _explain_indicator(source, row, rulebook))
    if sheet in (L.GOALS, L.KF_GOALS):
        return show(book, _explain_goal(book, source, sheet, row, rulebook))
    return show(book, f"Förklara gäller bladen {L.INDICATORS}, {L.GOALS} och {L.KF_GOALS}. {HOW_TO_EXPLAIN}")


def _explain_indicator(source, row, rulebook):
    required, optional = L.indicator_columns(rulebook.year)
    table = source.read_table(L.INDICATORS, list(required), list(optional))
    position = _row_index(table, row)
    if position is None:
        return f"Rad {row} på bladet {L.INDICATORS} är ingen indikatorrad. {HOW_TO_EXPLAIN}"
    record = indicator_records(table, rulebook.year)[position]
    heading = f"Indikator {record.id} (bladet {L.INDICATORS}, rad {row})" + (f": {record.name}" if record.name else "")
    try:
        result = grade_indicator(record.baseline, record.target, record.outcome, record.activities, rulebook,
                                 where=tuple(record.place(f) for f in ("baseline", "target", "outcome", "activities")))
    except VPInputError as exc:
        return f"{heading}\n\nKan inte bedömas: {exc}"
    return f"{heading}\n\n{result.explanation}"


def _explain_goal(book, source, sheet, row, rulebook):
    result = run_refresh(source, rulebook, write=False)
    if sheet == L.KF_GOALS:
        table = source.read_table(L.KF_GOALS, list(L.KF_COLUMNS[0]), [])
        level, key_column, position = L.LEVEL_KF, L.KF, 1
    else:
        table = source.read_table(L.GOALS, list(L.GOAL_COLUMNS[0]), [])
        level, key_column, position = L.LEVEL_GOAL, L.GOAL, 2
    index = _row_index(table, row)
    if index is None:
        return f"Rad {row} på bladet {sheet} är ingen målrad. {HOW_TO_EXPLAIN}"
    wanted = table.frame[key_column].iloc[index]
    for line in result.overview:
        if line[0] == level and key(line[position]) == key(wanted):
            return f"{level} {line[position]}: {line[6]}\n\n{line[7]}"
    return f"{level} {wanted} har ingen status: det har inga indikatorer i tabellen på bladet {L.INDICATORS}."


def rakna_om(book):
    """Räkna om VP-formler: forget the rulebook and the parse caches, then recalculate every formula.

    The formulas' own process (xlwings' UDF server) rereads an edited rulebook by itself: the
    rulebook is cached by the file's modification time.
    """
    import rules

    rules.clear_caches()
    udfs.clear_caches()
    # the workbook's rulebook, read and checked again: a broken edit is reported here, not in 500 cells
    rulebook = rulebook_for(XlwingsBook(book))
    full = None
    try:
        full = book.app.api.CalculateFull  # Windows (COM): every formula, not only the dirty ones
    except Exception:
        full = None
    if callable(full):
        full()
    else:
        book.app.calculate()
    return show(book, f"VP-formlerna är omräknade med regelboken {rulebook.path.name} "
                      f"(planår {rulebook.year}).")


def regelbok(book):
    """Regelbok: the rulebook the workbook follows (file, plan year, the key parameters); shows the Regelbok sheet."""
    rulebook = rulebook_for(XlwingsBook(book))
    if L.RULEBOOK in [sheet.name for sheet in book.sheets]:
        book.sheets[L.RULEBOOK].activate()
    return show(book, rulebook_summary(rulebook))


def rulebook_summary(rulebook):
    """The rulebook in force in a few lines: its file, its decisions and how many rules each has."""
    data = rulebook.data
    counts = ", ".join(f"{decision} {len(rules)}" for decision, rules in rulebook.rules.items())
    goal = data["goal"]["thresholds"]
    budget = data["budget"]["thresholds"]
    lines = [
        f"Regelbok: {rulebook.path.name} – {data['plan'].get('name', '')}, planår {rulebook.year}.",
        "",
        f"Regler per beslut: {counts}. Den första regeln vars villkor gäller avgör.",
        f"Nämndmål: Uppfyllt från {parameter_text(goal['uppfyllt'], '2')}, Delvis uppfyllt från "
        f"{parameter_text(goal['delvis'], '2')}.",
        f"Budgetföljsamhet: Grön från {parameter_text(budget['gron'], '1')} %, Gul från {parameter_text(budget['gul'], '1')} %.",
        "Fördelning LSS/SoL: " + ", ".join(f"{k} {parameter_text(v, '%')}" for k, v in data["splits"]["lss_sol"].items())
        + ". Staben: " + ", ".join(f"{k} {parameter_text(v, '%')}" for k, v in data["splits"]["staff"].items()) + ".",
        f"Besparing: {parameter_text(data['saving']['rate'], '%')}. Avstämning: tolerans "
        f"{format_number(data['reconciliation']['tolerance'])} mnkr.",
        "",
        f"Alla regler står på bladet {L.RULES} och alla parametrar på bladet {L.RULEBOOK}. Ändras regelboken: tryck "
        "Räkna om VP-formler.",
    ]
    return "\n".join(lines)


def rapport(book, out=None):
    """Rapport: the board's follow-up report (Word) for the period on Översikt, beside the workbook.

    Read only: the same refresh routine without writing, the trends against Historik; the workbook
    is not changed. On Windows the document is opened in Word. `out` (tests) names the file.
    """
    from workbook.report import build_report, default_path, missing_inputs, write_report

    _, (data, document) = _with_progress(
        book, lambda source: build_report(source, workbook=book.name, progress=source.progress))
    target = Path(out) if out else default_path(_saved_path(book), data.period)
    written = write_report(target, document)
    _open(written)
    result = data.result
    return show(book, f"Rapporten för {data.period} är skriven:\n{written}\n\n{len(result.assessment.kf)} KF-mål, "
                      f"{len(result.assessment.indicators)} indikatorer, trend mot "
                      f"{data.previous or 'ingen tidigare period'}, {len(result.findings)} fynd i bilaga A. "
                      "Arbetsboken är inte ändrad." + "".join(f"\n\nObs: {line}" for line in missing_inputs(data)))


def faststall(book, user=None):
    """Fastställ: fix the period on Översikt (vp approve): who (`user`, the signed-in economist on the
    server; default this process's user), the decision and a reason to fix despite findings from the
    labelled cells beside the period. Refused with the same words as `vp approve`."""
    from workbook.approve import approve_period
    from workbook.followup import read_labelled_cell, read_period_cell
    from workbook.refresh import _user

    def work(source):
        cells = [read_labelled_cell(source, label) for label in (L.DECISION_LABEL, L.DESPITE_LABEL)]
        decision, despite = (str(c.raw).strip() if c is not None and c.raw not in (None, "") else None for c in cells)
        period = read_period_cell(source).raw
        return approve_period(source, period, user or _user(), decision, despite, user=user,
                              progress=source.progress)

    _, done = _with_progress(book, work)
    despite = f"\n\nFastställd trots {len(done.findings)} fynd; skälet står i {L.APPROVALS} och {L.LOG}." \
        if done.findings else ""
    return show(book, f"{done.period}: {done.line}.{despite}\n\nPeriodens rader i {L.HISTORY} ändras inte längre; "
                      f"en uppdatering av perioden vägras tills den öppnas igen (vp approve --reopen).")


def _saved_path(book):
    """The workbook's file: the report goes beside it. An unsaved (or remote) workbook has none."""
    path = Path(str(getattr(book, "fullname", "") or ""))
    if not path.is_absolute() or not path.parent.is_dir():
        raise VPError("Arbetsboken är inte sparad i en mapp på den här datorn, så rapporten har ingen plats bredvid "
                      "den. Spara arbetsboken och tryck Rapport igen.")
    return path


def _open(path):
    """Open the report in Word (Windows); elsewhere the message says where it is."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        try:
            os.startfile(path)  # noqa: S606 - the file this action just wrote
        except OSError:
            pass


def kolada(book, user=None):
    """Hämta från Kolada: the figures of the sheet Kolada to Kolada-värden and a log row, by the same
    routine as `vp kolada` (on the server the fetch runs there: the PC needs no access to Kolada).
    Everything is fetched before anything is written."""
    from workbook.kolada import KoladaClient, run_kolada

    def work(source):
        rulebook = rulebook_for(source)  # the workbook's own, as every action
        client = KoladaClient(rulebook)
        try:
            return rulebook, run_kolada(source, rulebook, client, user=user, progress=source.progress)
        finally:
            client.close()

    _, (rulebook, result) = _with_progress(book, work)
    written = (f"Kolada: {result.fetched_rows} av {len(result.rows)} värden hämtade till bladet "
               f"{L.KOLADA_VALUES} ({rulebook.data['kolada']['source']}).")
    found = (f"{len(result.findings)} fynd:\n{_findings_text(result.findings)}" if result.findings else "0 fynd.")
    return show(book, f"{written}\n\n{found}")


ACTIONS = {
    "uppdatera": uppdatera,      # Uppdatera: refresh overview, findings, log
    "kontrollera": kontrollera,  # Kontrollera: findings only
    "forklara": forklara,        # Förklara: explanation of the selected cell
    "rakna_om": rakna_om,        # Räkna om VP-formler: full recalculation
    "regelbok": regelbok,        # Regelbok: show the rulebook in force
    "rapport": rapport,          # Rapport: the board's follow-up report (Word) for the period
    "kolada": kolada,            # Hämta från Kolada: the mapping's figures to Kolada-värden
    "faststall": faststall,      # Fastställ: fix the period (who, when, decision), as vp approve
}


_NAMES_THE_USER = {"uppdatera", "faststall", "kolada"}  # the actions that write who ran them in the log


def run(tag, book=None, user=None):
    """Entry point called from VBA: RunPython "import xl_addin.ribbon as r; r.run('<tag>')".

    Returns the message shown; a VPError is shown (and returned) as a Swedish message, not raised.
    `user` is who pressed the button, for the log (the server passes the signed-in user).
    """
    action = ACTIONS.get(tag)
    if action is None:
        raise KeyError(f"Okänd knapp i VP-fliken: {tag!r}")
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    try:
        return action(book, user=user) if tag in _NAMES_THE_USER else action(book)
    except VPError as exc:
        return show(book, f"VP kunde inte {VERBS.get(tag, 'köras')}:\n\n{exc}", error=True)


VERBS = {
    "uppdatera": "uppdatera arbetsboken",
    "kontrollera": "kontrollera arbetsboken",
    "forklara": "förklara markeringen",
    "rakna_om": "räkna om VP-formlerna",
    "regelbok": "visa regelboken",
    "rapport": "skriva rapporten",
    "kolada": "hämta från Kolada",
    "faststall": "fastställa perioden",
}
