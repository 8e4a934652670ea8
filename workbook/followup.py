"""Follow-up periods and the Historik sheet (R12): which period a refresh is about, what it stores for
that period, and each indicator's trend against the previous period.

The period is typed by a person in the cell right of the label `layout.PERIOD_LABEL` on the overview
sheet. A refresh reads it and never writes it; `vp refresh FIL --period P` sets it (the one explicit
way). A refresh that writes stores the period's values and decisions in Historik, one row per item:
the rows of the same period are replaced where they stand, every other row is written back exactly as
it was read (values as typed, periods spelt as stored). The trend of an indicator compares its
outcome now with its outcome in the previous stored period (the rulebook's order of periods), decided
by the rulebook's `trend` rules (rules/trend.py).
"""

from dataclasses import dataclass, field

from rules import values as v
from rules.errors import VPError, VPInputError
from rules.periods import examples, parse_period, previous_period
from rules.records import Place, finding_of
from rules.trend import indicator_trend

from . import layout as L
from .tables import NotAVPWorkbook, cell_value, column_letter


class PeriodMissing(VPError):
    """A refresh that writes needs the follow-up period: the cell is empty and none was given."""

    def __init__(self, place, labelled, book, command="refresh"):
        self.place, self.labelled, self.command = place, labelled, command
        self.examples = examples(book)
        where = (f"{place} ({L.PERIOD_LABEL}) är tom" if labelled
                 else f"bladet {place.sheet} saknar cellen {L.PERIOD_LABEL} ovanför tabellen")
        super().__init__(f"{where}: uppdateringen sparar periodens värden på bladet {L.HISTORY} och behöver veta "
                         f"vilken period det är. Skriv perioden i {place}, t.ex. {self.examples}.")

    def for_command_line(self):
        """The same, as `vp refresh` says it: the flag that sets the cell."""
        where = (f"{self.place} ({L.PERIOD_LABEL}) är tom" if self.labelled
                 else f"bladet {self.place.sheet} saknar cellen {L.PERIOD_LABEL}")
        first = self.examples.split(",")[0].split(" eller ")[0]
        if self.command == "report":
            return (f"{where}: ange perioden, t.ex. vp report FIL --period \"{first}\" ({self.examples}), eller "
                    f"uppdatera först med vp refresh FIL --period \"{first}\".")
        return (f"{where}: ange perioden, t.ex. vp refresh FIL --period \"{first}\" ({self.examples}); den "
                f"skrivs då i {self.place} och periodens värden sparas på bladet {L.HISTORY}.")


@dataclass
class PeriodCell:
    """The period cell as read: where it is (or would be), whether its label exists, what it holds."""

    place: Place
    row: int
    column: int
    labelled: bool
    raw: object = None


def _is_label(value, label=L.PERIOD_LABEL):
    return isinstance(value, str) and v.fold(value).rstrip(":").strip() == v.fold(label)


def read_labelled_cell(source, label):
    """The cell right of `label` on the overview sheet (first match in the top rows), or None. The
    period, the Fastställ inputs, the dnr and the proposed decision are read this way; a refresh never
    writes them."""
    if L.OVERVIEW in source.sheet_names():
        for number, cells in source.read_rows(L.OVERVIEW, L.HEADER_SEARCH_ROWS):
            for column in sorted(cells):
                if _is_label(cells[column], label):
                    place = Place(L.OVERVIEW, f"{column_letter(column + 1)}{number}")
                    return PeriodCell(place, number, column + 1, True, cell_value(cells.get(column + 1)))
    return None


def read_period_cell(source):
    """The cell right of the period's label on the overview sheet (first match in the top rows)."""
    return (read_labelled_cell(source, L.PERIOD_LABEL)
            or PeriodCell(Place(L.OVERVIEW, f"B{L.PERIOD_ROW}"), L.PERIOD_ROW, 2, False))


@dataclass
class History:
    """The Historik table as read: rows of values (layout.HISTORY_HEADERS order), each row's cells."""

    rows: list = field(default_factory=list)
    places: list = field(default_factory=list)   # per row: header -> Place
    periods: list = field(default_factory=list)  # per row: its Period, or None (not a period of this plan)


def read_history(source, book):
    """The stored periods; no sheet (or no table) is an empty history."""
    if L.HISTORY not in source.sheet_names():
        return History()
    try:
        table = source.read_table(L.HISTORY, L.HISTORY_HEADERS[:1], L.HISTORY_HEADERS[1:])
    except NotAVPWorkbook:
        return History()
    history = History()
    frame = table.frame
    for position in range(len(frame)):
        history.rows.append([cell_value(frame.iloc[position][h]) if h in frame.columns else None
                             for h in L.HISTORY_HEADERS])
        history.places.append({h: table.place(position, h) for h in L.HISTORY_HEADERS if h in table.columns})
        try:
            period = parse_period(history.rows[-1][0], history.places[-1][L.PERIOD], book)
        except VPInputError:
            period = None  # a row someone typed: kept as it is, never a previous period
        history.periods.append(period)
    return history


@dataclass
class FollowUp:
    """What a refresh knows about its period: the cell, the period, where it came from, the previous
    stored period, the trends (indicator key -> TrendResult, None when the indicator has an error)."""

    cell: PeriodCell
    period: object = None        # rules.periods.Period
    explicit: bool = False       # given on the command line (then written to the cell)
    error: VPInputError | None = None
    history: History = field(default_factory=History)
    previous: object = None      # the previous stored Period
    trends: dict = field(default_factory=dict)

    def previous_values(self, level):
        """key -> (row values, places) of the previous period's rows of one level."""
        out = {}
        if self.previous is None:
            return out
        key_column = {L.LEVEL_INDICATOR: 4, L.LEVEL_GOAL: 3, L.LEVEL_KF: 2}.get(level, 5)
        for row, places, period in zip(self.history.rows, self.history.places, self.history.periods):
            if period == self.previous and row[1] == level and v.key(row[key_column]):
                out.setdefault(v.key(row[key_column]), (row, places))
        return out


def resolve_period(cell, given, book):
    """(period, explicit, error): the period given on the command line wins over the cell's."""
    if given is not None and str(given).strip():
        return parse_period(str(given), "--period", book), True, None
    try:
        return parse_period(cell.raw, cell.place, book), False, None
    except VPInputError as exc:
        return None, False, exc


def follow_up(source, result, book, given=None, engine=None):
    """Read the period and the history, and decide every indicator's trend (R12)."""
    cell = read_period_cell(source)
    period, explicit, error = resolve_period(cell, given, book)
    follow = FollowUp(cell, period, explicit, error, read_history(source, book))
    if period is None:
        return follow
    follow.previous = previous_period([p for p in follow.history.periods if p is not None], period)
    if period.is_month:  # the economy's month: no indicator is followed up, so no trend
        return follow
    before = follow.previous_values(L.LEVEL_INDICATOR)
    for member in result.assessment.indicators:
        key = v.key(member.row.id)
        if not key or member.result is None:
            continue
        row, places = before.get(key, (None, {}))
        where = (member.row.place("target"), places.get(L.OUTCOME, f"{L.HISTORY} ({follow.previous})"),
                 member.row.place("outcome"))
        try:
            follow.trends[key] = indicator_trend(member.row.target, row[8] if row else None, member.row.outcome, book,
                                                 where=where, engine=engine, period=period.text,
                                                 previous_period=follow.previous.text if follow.previous else "")
        except VPInputError:
            follow.trends[key] = None  # the indicator's own error, already a finding
    return follow


def period_findings(follow):
    """A period typed that is not one (a check lists it; a refresh that writes refuses it)."""
    return [finding_of(follow.error)] if follow.error is not None and not follow.explicit else []


# --- what a refresh stores -----------------------------------------------------------------------------
def _typed(value):
    """A value as typed, for the history (numbers stay numbers, text stays text)."""
    value = cell_value(value)
    return str(value) if isinstance(value, str) else value


def history_rows(result, period, stamp, user, book):
    """This period's rows: every KF goal, board goal and indicator in the overview's order, every
    budget row with an utfall/prognos and the budget in total (adherence as the fraction R5 rounded:
    0,967 for 96,7 %)."""
    digits = book.data["budget"]["round_decimals"] + 2

    def adherence(r):
        return float(round(r.adherence, digits)) if r is not None else None

    def number(x):  # an exact amount (Decimal) as the number a cell holds
        return None if x is None else float(x)

    rows = []
    tail = [stamp, user]
    for line, item in zip([] if period.is_month else result.overview, result.items):  # a month: the budget only
        level, kf, goal, ident, name, value, status, _, rule = line
        if level == L.LEVEL_INDICATOR and item is not None:
            r = item.row
            rows.append([period.text, level, kf, goal, ident, name, _typed(r.baseline), _typed(r.target),
                         _typed(r.outcome), None, value, None, status, rule, *tail])
        else:
            rows.append([period.text, level, kf, goal, ident, name, None, None, None, None, value, None, status, rule,
                         *tail])
    summary = result.budget
    if summary is not None:
        for outcome in summary.lines:
            r = outcome.result
            rows.append([period.text, L.LEVEL_BUDGET, None, None, None, _typed(outcome.area), None, None,
                         number(outcome.actual), number(outcome.budget), None, adherence(r), r.colour if r else "Fel",
                         r.rule if r else outcome.error.rule, *tail])
        if summary.total is not None:
            t = summary.total
            rows.append([period.text, L.LEVEL_BUDGET_TOTAL, None, None, None, L.BUDGET_TOTAL_NAME, None, None,
                         number(summary.total_actual), number(summary.total_budget), None, adherence(t), t.colour,
                         t.rule, *tail])
    return rows


@dataclass
class Month:
    """One month of the economy's follow-up as Historik keeps it: the budget in total and per row
    (name -> (budget, utfall/prognos, adherence, colour)), as that month's refresh stored them."""

    period: object
    budget: object = None
    actual: object = None
    adherence: object = None
    colour: object = None
    rows: dict = field(default_factory=dict)


def months_recorded(history, year):
    """The months of `year` stored in Historik, in the year's order, each with its budget rows."""
    found = {}
    for row, period in zip(history.rows, history.periods):
        if period is None or not period.is_month or period.year != year or row[1] not in (L.LEVEL_BUDGET,
                                                                                           L.LEVEL_BUDGET_TOTAL):
            continue
        month = found.setdefault(period, Month(period))
        if row[1] == L.LEVEL_BUDGET_TOTAL:
            month.budget, month.actual, month.adherence, month.colour = row[9], row[8], row[11], row[12]
        else:
            month.rows[str(row[5])] = (row[9], row[8], row[11], row[12])
    return [found[p] for p in sorted(found, key=lambda p: p.order)]


def merged_history(history, period, rows):
    """The whole table after storing `rows` for `period`: its old rows replaced where the first of them
    stood (appended when the period is new); every other row exactly as read."""
    out, placed = [], False
    for row, stored in zip(history.rows, history.periods):
        if stored == period:
            if not placed:
                out.extend(rows)
                placed = True
            continue
        out.append(list(row))
    if not placed:
        out.extend(rows)
    return out


def write_follow_up(target, follow, result, stamp, user, book):
    """Store the period in Historik and, when it was given on the command line, in its cell."""
    period = follow.period
    target.write_table(L.HISTORY, L.HISTORY_HEADERS,
                       merged_history(follow.history, period, history_rows(result, period, stamp, user, book)))
    cell = follow.cell
    if follow.explicit and (cell.raw is None or str(cell.raw).strip() != period.text):
        if not cell.labelled:
            _check_free(target, cell)
            target.write_cell(L.OVERVIEW, L.OVERVIEW_HEADERS, cell.row, cell.column - 1, L.PERIOD_LABEL)
        target.write_cell(L.OVERVIEW, L.OVERVIEW_HEADERS, cell.row, cell.column, period.text)


def _check_free(target, cell):
    """The label goes where the builder puts it, only if nothing is there."""
    if L.OVERVIEW not in target.sheet_names():
        return
    for number, cells in target.read_rows(L.OVERVIEW, cell.row):
        if number == cell.row and (cells.get(cell.column - 1) not in (None, "") or cells.get(cell.column) not in (None, "")):
            raise VPError(f"{L.OVERVIEW}!{column_letter(cell.column - 1)}{cell.row} används redan, och bladet saknar "
                          f"cellen {L.PERIOD_LABEL}. Skriv {L.PERIOD_LABEL} i en tom cell ovanför översiktens tabell "
                          "(perioden skrivs i cellen till höger) och försök igen.")


def format_follow_up(result, book):
    """The period and its trends in a few lines for the terminal."""
    follow = result.follow
    if follow is None or follow.period is None:
        return f"Period: ingen ({follow.cell.place if follow else L.OVERVIEW} är tom)."
    lines = [f"Period: {follow.period} (sparad på bladet {L.HISTORY})"
             + (f", skriven i {follow.cell.place}" if follow.explicit and str(follow.cell.raw or "").strip()
                != follow.period.text else "") + "."]
    counts = {}
    for trend in follow.trends.values():
        if trend is not None:
            counts[trend.trend] = counts.get(trend.trend, 0) + 1
    verdicts = book.data["trend"]["verdicts"]
    said = ", ".join(f"{p['arrow']} {p['label']} {counts[k]}" for k, p in verdicts.items() if counts.get(k))
    if follow.previous is None:
        lines.append("Trend: ingen tidigare period är sparad, så det finns inget att jämföra med.")
    else:
        lines.append(f"Trend mot {follow.previous}: {said or 'inga indikatorer'}.")
    return "\n".join(lines)
