"""R15: Kolada figures against the plan. Whether a KPI's value is above its comparison (the nation's
result, a group's) is a decision of the rulebook; counting them gives the plan's "3/5" for I09/I10."""

from dataclasses import dataclass
from decimal import Decimal

from . import values as v
from .engine import get_engine, scale_int
from .facts import MICRO
from .rulebook import load_rulebook
from .text import render


@dataclass(frozen=True)
class Comparison:
    above: bool
    rule: str
    explanation: str


def above_comparison(value, comparison, book=None, kpi="", engine=None):
    """R15: is `value` above `comparison` (both numbers in the KPI's unit)?"""
    book = book or load_rulebook()
    difference = Decimal(repr(float(value))) - Decimal(repr(float(comparison)))
    units = max(min(scale_int(difference, MICRO), 2**61), -(2**61))
    rule = (engine or get_engine(book)).decide("kolada", {"skillnad": units})
    words = {"kpi": kpi, "varde": v.format_number(float(value)), "jamforelse": v.format_number(float(comparison))}
    return Comparison(rule.then["above"], rule.id, render(book, rule.text, words))


def count_above(pairs, book=None, engine=None):
    """How many of (kpi, value, comparison) are above their comparison: (count, of, comparisons)."""
    book = book or load_rulebook()
    results = [above_comparison(value, comparison, book, kpi, engine) for kpi, value, comparison in pairs]
    return sum(1 for r in results if r.above), len(results), results


def unit_is_percent(unit, book=None):
    """A KPI unit (the last parenthesis of its title) that the rulebook counts as percent."""
    book = book or load_rulebook()
    return v.fold(unit or "") in {v.fold(u) for u in book.data["kolada"]["percent_units"]}
