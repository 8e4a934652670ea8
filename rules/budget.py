"""R5 budget adherence, R8 the saving and its base, R9 full-year price effect, R10 reconciliation,
R11 volumes.

Decisions (the adherence colour, whether a row belongs to the saving's base, whether a stated sum
differs) are the rulebook's rules; the arithmetic around them is plain Decimal arithmetic.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from . import values as v
from .engine import get_engine, scale_int
from .errors import VPInputError
from .facts import MICRO
from .records import finding_at, read_or_find
from .rulebook import load_rulebook
from .text import render, with_rule

_FLOOR = -(10**12)  # adherence facts below this are red whatever they are: kept small for the engine


def exact(x):
    """A number as an exact Decimal: a Decimal or a whole number as it is; a float (what Excel stores)
    by its shortest representation, the digits Excel shows. This is the one place a float becomes a
    Decimal: amounts are Decimals from here on, so sums and differences are exact."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Decimal(x)
    return Decimal(repr(float(x)))


_TYPED = __import__("re").compile(r"[+-]?\d+(?:[.,]\d+)?")


def amount(raw, where, book=None, allow_missing=False, hint=None):
    """R1 for an amount, exact: read (and refused) as `values.parse_amount` reads it, then the exact
    Decimal of what was typed (a text "46,2" is 46,2, not the float nearest to it)."""
    book = book or load_rulebook()
    kwargs = {"hint": hint} if hint else {}
    number = v.parse_amount(raw, where, book, allow_missing=allow_missing, **kwargs)
    if number is None:
        return None
    if isinstance(raw, (Decimal, int)) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, str):
        typed = raw.strip().replace("\u00a0", "").replace(" ", "")
        if _TYPED.fullmatch(typed) and float(Decimal(typed.replace(",", "."))) == number:
            return Decimal(typed.replace(",", "."))
    return exact(number)


def adherence_units(percent, book):
    """An adherence in percent as the rules compare it (R5): whole 10**-round_decimals units, rounded
    half up (and floored far below every band, to keep the number small for the engine), and how a
    sentence writes it."""
    decimals = book.data["budget"]["round_decimals"]
    units = max(scale_int(percent, decimals), _FLOOR)
    return units, f"{v.format_fixed(units / 10 ** decimals, decimals)}\u00a0%"


def deviation_adherence(deviation, book):
    """100 % - |deviation|, as adherence (the ± tolerance indicator, R2 and R12)."""
    return adherence_units(Decimal(100) - abs(exact(deviation)) * 100, book)


def tolerance_edge(band, book):
    """RULES R2 (2026-12-04): the green edge of a `+/- x %` band, 100 % - x, in the units adherence is
    compared in; rounded up, so "adherence >= edge" holds exactly when adherence >= 100 % - x."""
    decimals = book.data["budget"]["round_decimals"]
    edge = (Decimal(100) - abs(exact(band)) * 100) * (Decimal(10) ** decimals)
    units = max(int(edge.to_integral_value(rounding=ROUND_CEILING)), _FLOOR)
    return units, f"{v.format_fixed(units / 10 ** decimals, decimals)}\u00a0%"


@dataclass(frozen=True, slots=True)
class BudgetResult:
    adherence: Decimal        # fraction, rounded as compared (0,986 for 98,6 %)
    deviation: Decimal        # budget - utfall (mnkr): + överskott, - underskott
    colour: str
    explanation: str
    rule: str
    side: str = ""            # överskott or underskott, as the rules decided (R5.sida.*)


def budget_adherence(budget, utfall, book=None, where=("budget", "utfall"), engine=None):
    """R5: adherence = 100 % - |utfall - budget| / |budget|, rounded half up; the rules colour it."""
    book = book or load_rulebook()
    w_budget, w_out = where
    b = amount(budget, w_budget, book)
    u = amount(utfall, w_out, book)
    decimals = book.data["budget"]["round_decimals"]
    units, shown = 0, ""
    if b:
        units, shown = adherence_units(Decimal(100) - abs(u - b) / abs(b) * 100, book)
    engine = engine or get_engine(book)
    rule = engine.decide("budget", {"budget_noll": 0 if b else 1, "foljsamhet": units})
    deviation = b - u
    side = deviation_side(deviation, book, engine)
    words = {"budget": v.format_number(b), "utfall": v.format_number(u), "avvikelse": v.format_number(deviation),
             "sida": side, "foljsamhet": shown}
    sentence = render(book, rule.text, words)
    if "error" in rule.then:
        raise VPInputError(w_budget, v.format_number(b), sentence, rule=rule.id)
    return BudgetResult(Decimal(units).scaleb(-decimals - 2), deviation, rule.then["colour"],
                        with_rule(sentence, rule.id), rule.id, side)


def deviation_side(deviation, book, engine=None):
    """R5: which side of the budget a deviation (budget - utfall, mnkr) is on, as the rules decide:
    the rulebook's word for överskott or underskott."""
    units = max(min(scale_int(deviation, MICRO), 2**61), -(2**61))
    rule = (engine or get_engine(book)).decide("budgetsida", {"avvikelse": units})
    return book.data["budget"][rule.then["side"]]


# --- R8 the saving ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BaseDecision:
    in_base: bool
    rule: str
    explanation: str


def saving_base_row(kind, volume_based, book=None, where="volymbaserad", engine=None):
    """R8: does a budget row belong to the saving's base? `kind` is "rad" or "summa", `volume_based`
    True, False or None (not stated)."""
    book = book or load_rulebook()
    word = "tom" if volume_based is None else ("ja" if volume_based else "nej")
    rule = (engine or get_engine(book)).decide("budgetrad", {"radtyp": kind, "volymbaserad": word})
    sentence = render(book, rule.text)
    if "error" in rule.then:
        raise VPInputError(where, None, sentence, rule=rule.id)
    return BaseDecision(rule.then["in_base"], rule.id, with_rule(sentence, rule.id))


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One budget row as read: its kind as the rules name it ("rad", "summa" or None if unreadable),
    its area (LSS, SoL, "" or None), whether it belongs to the saving's base (None: unknown), its
    amounts by column (None: unreadable) and its utfall as typed."""

    row: object
    kind: str | None
    law: str | None
    in_base: bool | None
    amounts: dict


def read_budget(rows, columns, kinds, column_names, book=None, engine=None):
    """Read budget rows (rules.records.BudgetRow) for R5, R8 and R10: labels, amounts and the R8
    decision per row. `kinds` maps a Radtyp label to the rules' word ({"Rad": "rad", "Summa":
    "summa"}), `column_names` names the label columns in messages. Returns (lines, findings)."""
    book = book or load_rulebook()
    findings = []

    def read(reader, *args, **kwargs):
        return read_or_find(findings, reader, *args, **kwargs)

    laws = ("", *book.data["splits"]["lss_sol"])
    lines = []
    for row in rows:
        label = read(v.read_label, row.kind, row.place("kind"), tuple(kinds), column_names["kind"])
        kind = kinds.get(label) if label is not None else None
        law = read(v.read_label, row.law, row.place("law"), laws, column_names["law"])
        volume = read(v.read_yes_no, row.volume_based, row.place("volume_based"), book)
        in_base = None
        if kind is not None and (volume is not None or row.volume_based is None
                                 or (isinstance(row.volume_based, str) and not row.volume_based.strip())):
            decision = read(saving_base_row, kind, volume, book, where=row.place("volume_based"), engine=engine)
            in_base = decision.in_base if decision else None
        amounts = {column: read(amount, row.amounts.get(column), row.place(column), book) for column in columns}
        lines.append(BudgetLine(row, kind, law, in_base, amounts))
    return lines, findings


def saving_base(lines, column):
    """R8: the sum of `column` over the rows the rules put in the saving's base; None when a row's
    membership or amount could not be read (its finding says why)."""
    total = Decimal(0)
    for line in lines:
        if line.kind is None or line.in_base is None:
            return None
        if line.in_base:
            if line.amounts.get(column) is None:
                return None
            total += line.amounts[column]
    return total


def saving(bas, book=None, where="bas"):
    """R8: the saving on the not volume-based activity, a negative budget effect (-1,7 for 56,7)."""
    book = book or load_rulebook()
    base = amount(bas, where, book)
    effect = -(base * exact(book.data["saving"]["rate"]))
    decimals = book.data["saving"]["decimals"]
    return effect.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


# --- R9, R11 ------------------------------------------------------------------------------------------
def full_year_effect(sats, startmanad, book=None, where=("sats", "startmånad")):
    """R9: rate x months in force / 12, months in force = 13 - start month (start on the 1st)."""
    book = book or load_rulebook()
    w_rate, w_month = where
    rate = v.parse_rate(sats, w_rate, book)
    months = book.data["price"]["months_in_year"]
    month = v.parse_whole(startmanad, w_month, 1, months, "en månad (juni = 6)", book)
    return float(exact(rate) * (months + 1 - month) / months)


def volume_adjustment(budgeterad_volym, ny_volym, standardkostnad, book=None,
                      where=("budgeterad_volym", "ny_volym", "standardkostnad")):
    """R11: (new volume - budgeted volume) x standard cost per volume unit."""
    book = book or load_rulebook()
    old = v.parse_amount(budgeterad_volym, where[0], book, hint="Skriv en volym, t.ex. 390.")
    new = v.parse_amount(ny_volym, where[1], book, hint="Skriv en volym, t.ex. 390.")
    cost = v.parse_amount(standardkostnad, where[2], book)
    return float((exact(new) - exact(old)) * exact(cost))


# --- R10 reconciliation ----------------------------------------------------------------------------
def decide_reconciliation(rows, stated, book=None, engine=None):
    """R10: (the rule that decided, the rows' sum, stated - sum) for a stated sum and its rows."""
    book = book or load_rulebook()
    computed = sum((exact(x) for x in rows), Decimal(0))
    difference = exact(stated) - computed
    units = min(scale_int(abs(difference), MICRO), 2**61)
    return (engine or get_engine(book)).decide("avstamning", {"skillnad": units}), computed, difference


def reconcile_sum(label, rows, stated, where, book=None, engine=None):
    """R10: a stated sum against the sum of its rows; a finding when the rules say it differs."""
    book = book or load_rulebook()
    rule, computed, difference = decide_reconciliation(rows, stated, book, engine)
    if not rule.then["differs"]:
        return None
    words = {"summa": label, "angiven": v.format_number(stated), "beraknad": v.format_number(computed),
             "skillnad_tecken": v.format_number(difference)}
    return finding_at(rule.id, where, with_rule(render(book, rule.text, words), rule.id),
                      stated=exact(stated), computed=computed)
