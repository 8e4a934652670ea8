"""Ribbon actions of the VP tab: one tag per button, dispatched from the add-in's single VBA callback.

The tags are the contract between customUI.xml (control tag="...") and Python. VBA calls
`run(tag)`; the action gets the calling workbook from `xw.Book.caller()` (tests pass `book=`),
does its work through the xlwings adapter and shows a Swedish message box. Every action returns
the text it showed. A `VPError` (not a VP workbook, a broken rulebook, ...) becomes a message box
with its Swedish text and is returned, not raised: Excel shows no traceback for a user's mistake.
Anything else is a fault in the code and is raised (xlwings shows it).
"""

from rules import batch as b
from rules.errors import VPError, VPInputError
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook
from rules.values import format_fixed, format_number
from workbook import layout as L
from workbook.refresh import run_refresh

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
def uppdatera(book):
    """Uppdatera: statuses, findings and a log row written to Översikt, Kontroll and Logg."""
    _, result = _with_progress(book, lambda source: run_refresh(source, progress=source.progress))
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
    written = f"Uppdateringen är klar: bladen {L.OVERVIEW}, {L.FINDINGS} och {L.LOG} är skrivna."
    message = f"{written}\n\n{found}\n\n{moved}"
    return show(book, message)


def kontrollera(book):
    """Kontrollera: the checks only; writes the findings table (Kontroll) and nothing else."""
    def work(source):
        result = run_refresh(source, progress=source.progress, write=False)
        source.write_table(L.FINDINGS, L.FINDINGS_HEADERS, [[f.where, f.rule, f.message] for f in result.findings])
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
    """The frame index of a sheet row in a table, or None if the row is not one of its data rows."""
    if row not in table.rows:
        return None
    return table.frame.index[table.rows.index(row)]


def forklara(book):
    """Förklara: why the selected row has its result (an indicator, a board goal or a KF goal)."""
    selected = _selected(book)
    if selected is None:
        return show(book, HOW_TO_EXPLAIN)
    sheet, row = selected
    rulebook = load_rulebook()
    source = XlwingsBook(book)
    if sheet == L.INDICATORS:
        return show(book, _explain_indicator(source, row, rulebook))
    if sheet in (L.GOALS, L.KF_GOALS):
        return show(book, _explain_goal(book, source, sheet, row, rulebook))
    return show(book, f"Förklara gäller bladen {L.INDICATORS}, {L.GOALS} och {L.KF_GOALS}. {HOW_TO_EXPLAIN}")


def _explain_indicator(source, row, rulebook):
    columns = L.indicator_columns(rulebook.year)
    table = source.read_table(L.INDICATORS, columns["required"], columns["optional"])
    index = _row_index(table, row)
    if index is None:
        return f"Rad {row} på bladet {L.INDICATORS} är ingen indikatorrad. {HOW_TO_EXPLAIN}"
    frame = table.frame
    ident, name = b.cell_value(frame.at[index, b.ID]), b.cell_value(frame.at[index, b.NAME])
    cells = (b.BASELINE, b.target_column(rulebook.year), b.OUTCOME, b.ACTIVITIES)
    heading = f"Indikator {ident} (bladet {L.INDICATORS}, rad {row})" + (f": {name}" if name else "")
    try:
        result = grade_indicator(*(b.cell_value(frame.at[index, c]) for c in cells), book=rulebook,
                                 where=tuple(table.cell(index, c) for c in cells))
    except VPInputError as exc:
        return f"{heading}\n\nKan inte bedömas: {exc}"
    return f"{heading}\n\n{result.explanation}"


def _explain_goal(book, source, sheet, row, rulebook):
    result = run_refresh(source, rulebook, write=False)
    if sheet == L.KF_GOALS:
        table = source.read_table(L.KF_GOALS, L.KF_COLUMNS["required"], [])
        level, key_column, position = "KF-mål", b.KF, 1
    else:
        table = source.read_table(L.GOALS, L.GOAL_COLUMNS["required"], [])
        level, key_column, position = "Nämndmål", b.GOAL, 2
    index = _row_index(table, row)
    if index is None:
        return f"Rad {row} på bladet {sheet} är ingen målrad. {HOW_TO_EXPLAIN}"
    key = b.cell_value(table.frame.at[index, key_column])
    for line in result.overview:
        if line[0] == level and str(line[position]) == str(key):
            status, explanation = line[6], line[7]
            return f"{level} {key}: {status}\n\n{explanation}"
    return f"{level} {key} har ingen status: det har inga indikatorer i tabellen på bladet {L.INDICATORS}."


def rakna_om(book):
    """Räkna om VP-formler: forget the rulebook and the parse caches, then recalculate every formula.

    The formulas' own process (xlwings' UDF server) rereads an edited rulebook by itself: the
    rulebook is cached by the file's modification time.
    """
    import rules

    rules.clear_caches()
    rulebook = load_rulebook()  # read and checked again: a broken edit is reported here, not in 500 cells
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
    """Regelbok: the rulebook in force (file, plan year, the key parameters); shows the Regelbok sheet."""
    rulebook = load_rulebook()
    if L.RULEBOOK in [sheet.name for sheet in book.sheets]:
        book.sheets[L.RULEBOOK].activate()
    return show(book, rulebook_summary(rulebook))


def _share(x):
    return f"{format_number(x * 100, 2)} %"


def rulebook_summary(rulebook):
    data = rulebook.data
    goal = data["goal"]
    decimals = goal["round_decimals"]
    goal_bands = ", ".join(f"{band['status']} från {format_fixed(band['min'], decimals)}" for band in goal["bands"])
    budget = data["budget"]["bands"]
    budget_bands = [f"{band['colour']} från {format_number(band['min'], 2)} %" for band in budget[:-1]]
    budget_bands.append(f"{budget[-1]['colour']} under {format_number(budget[-2]['min'], 2)} %"
                        if len(budget) > 1 else budget[-1]["colour"])
    grades = data["indicator"]["grades"]
    labels = data["indicator"]["labels"]
    splits = data["splits"]
    lines = [
        f"Regelbok: {rulebook.path.name} – {data['plan'].get('name', '')}, planår {rulebook.year}.",
        "",
        f"Indikator: {', '.join(f'{labels[k]} {format_number(v)}' for k, v in grades.items())}.",
        f"Nämndmål (medel avrundat till {decimals} decimaler): {goal_bands}.",
        f"Budgetföljsamhet: {', '.join(budget_bands)}.",
        "Fördelning LSS/SoL: " + ", ".join(f"{k} {_share(v)}" for k, v in splits["lss_sol"].items()) + ".",
        "Stabens gemensamma kostnader: " + ", ".join(f"{k} {_share(v)}" for k, v in splits["staff"].items()) + ".",
        f"Besparing: {_share(data['saving']['rate'])}. "
        f"Avstämning: tolerans {format_number(data['reconciliation']['tolerance'])} mnkr.",
        "",
        f"Alla parametrar står på bladet {L.RULEBOOK}. Ändras regelboken: tryck Räkna om VP-formler.",
    ]
    return "\n".join(lines)


ACTIONS = {
    "uppdatera": uppdatera,      # Uppdatera: refresh overview, findings, log
    "kontrollera": kontrollera,  # Kontrollera: findings only
    "forklara": forklara,        # Förklara: explanation of the selected cell
    "rakna_om": rakna_om,        # Räkna om VP-formler: full recalculation
    "regelbok": regelbok,        # Regelbok: show the rulebook in force
}


def run(tag, book=None):
    """Entry point called from VBA: RunPython "import xl_addin.ribbon as r; r.run('<tag>')".

    Returns the message shown; a VPError is shown (and returned) as a Swedish message, not raised.
    """
    action = ACTIONS.get(tag)
    if action is None:
        raise KeyError(f"Okänd knapp i VP-fliken: {tag!r}")
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    try:
        return action(book)
    except VPError as exc:
        return show(book, f"VP kunde inte {VERBS.get(tag, 'köras')}:\n\n{exc}", error=True)


VERBS = {
    "uppdatera": "uppdatera arbetsboken",
    "kontrollera": "kontrollera arbetsboken",
    "forklara": "förklara markeringen",
    "rakna_om": "räkna om VP-formlerna",
    "regelbok": "visa regelboken",
}
