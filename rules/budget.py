"""R5 budget adherence, R8 saving, R9 full-year price effect, R10 reconciliation, R11 volumes."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from . import values as v
from .engine import get_engine, scale_int
from .errors import VPInputError
from .rulebook import load_rulebook


def _dec(x):
    return Decimal(repr(float(x)))


@dataclass(frozen=True)
class BudgetResult:
    adherence: float        # fraction, rounded as banded (0.986 for 98,6 %)
    deviation: float        # budget - utfall: + överskott, - underskott
    colour: str
    explanation: str
    rule: str = "R5"
    parameters: dict = field(default_factory=dict)


def budget_adherence(budget, utfall, book=None, where=("budget", "utfall")):
    """R5: adherence = 100 % - |utfall - budget| / |budget|, rounded half up, banded by the engine."""
    book = book or load_rulebook()
    w_budget, w_out = where
    b = v.parse_amount(budget, w_budget, book)
    u = v.parse_amount(utfall, w_out, book)
    if b == 0:
        raise VPInputError(w_budget, "0", "är noll; följsamhet mot en budget på 0 går inte att räkna.")
    decimals = book.data["budget"]["round_decimals"]
    percent = Decimal(100) - abs(_dec(u) - _dec(b)) / abs(_dec(b)) * 100
    units = scale_int(percent, decimals)
    colour = get_engine(book).budget_colour(units)
    adherence_pct = units / 10 ** decimals
    deviation = float(_dec(b) - _dec(u))
    side = book.data["budget"]["surplus_label"] if deviation >= 0 else book.data["budget"]["deficit_label"]
    explanation = (f"Budget {v.format_number(b)}, utfall {v.format_number(u)}: avvikelse "
                   f"{v.format_number(deviation)} ({side}), följsamhet {v.format_fixed(adherence_pct, decimals)} %"
                   f" → {colour}.")
    return BudgetResult(adherence_pct / 100, deviation, colour, explanation,
                        parameters={"följsamhet_procent": adherence_pct, "färg": colour})


def saving(bas, book=None, where="bas"):
    """R8: the saving on the not volume-based activity, a negative budget effect (-1,7 for 56,7)."""
    book = book or load_rulebook()
    base = v.parse_amount(bas, where, book)
    rate = _dec(book.data["saving"]["rate"])
    effect = -(_dec(base) * rate)
    decimals = book.data["saving"]["decimals"]
    return float(effect.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def full_year_effect(sats, startmanad, book=None, where=("sats", "startmånad")):
    """R9: rate x months in force / 12, months in force = 13 - start month (start on the 1st)."""
    book = book or load_rulebook()
    w_rate, w_month = where
    rate = v.parse_rate(sats, w_rate, book)
    months = book.data["price"]["months_in_year"]
    month_value = v.parse_value(startmanad, w_month, book)
    if month_value.kind != v.NUMBER:
        raise VPInputError(w_month, month_value.text or None, "ska vara ett månadsnummer 1–12.")
    month = month_value.number
    if month != int(month) or not 1 <= month <= months:
        raise VPInputError(w_month, month_value.text, f"är ingen månad (1–{months}).", "Juni = 6.")
    return float(_dec(rate) * (months + 1 - int(month)) / months)


def volume_adjustment(budgeterad_volym, ny_volym, standardkostnad, book=None,
                      where=("budgeterad_volym", "ny_volym", "standardkostnad")):
    """R11: (new volume - budgeted volume) x standard cost per volume unit."""
    book = book or load_rulebook()
    old = v.parse_amount(budgeterad_volym, where[0], book)
    new = v.parse_amount(ny_volym, where[1], book)
    cost = v.parse_amount(standardkostnad, where[2], book)
    return float((_dec(new) - _dec(old)) * _dec(cost))


@dataclass(frozen=True)
class Finding:
    """Something a person should look at: where, what, and both figures."""

    where: str
    message: str
    stated: float | None = None
    computed: float | None = None
    rule: str = "R10"


def reconcile_sum(label, rows, stated, where, book=None):
    """R10: a stated sum that differs from its rows by more than the tolerance is a finding."""
    book = book or load_rulebook()
    tolerance = _dec(book.data["reconciliation"]["tolerance"])
    computed = sum((_dec(x) for x in rows), Decimal(0))
    if abs(computed - _dec(stated)) > tolerance:
        return Finding(where, f"{label}: angiven summa {v.format_number(stated)} men raderna summerar till "
                              f"{v.format_number(float(computed))} (skillnad "
                              f"{v.format_number(float(_dec(stated) - computed))}).",
                       stated=float(stated), computed=float(computed))
    return None
