"""R6 and R7: splitting an amount by shares so the rounded parts add up to the rounded whole.

Which split applies is the rulebook's `fordelning` decision; the arithmetic (largest-remainder
rounding) is plain Decimal arithmetic.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from . import values as v
from .engine import get_engine
from .errors import VPInputError
from .rulebook import load_rulebook
from .text import render, with_rule


def split_amount(amount, shares, decimals):
    """Largest-remainder rounding: floor every part, give the leftover units to the largest remainders.

    Works on the absolute amount so a negative amount splits as the mirror of the positive one.
    Ties go to the part listed first (the rulebook's order), so the result is deterministic.
    """
    exact = Decimal(repr(float(amount)))
    sign = -1 if exact < 0 else 1
    exact = abs(exact)
    unit = Decimal(1).scaleb(-decimals)
    whole_units = int((exact / unit).to_integral_value(rounding=ROUND_HALF_UP))
    raw = [exact * Decimal(repr(float(share))) / unit for share in shares]
    floors = [int(part.to_integral_value(rounding=ROUND_FLOOR)) for part in raw]
    leftover = whole_units - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: max(leftover, 0)]:
        floors[i] += 1
    return [float(sign * Decimal(units) * unit) + 0.0 for units in floors]


@dataclass(frozen=True, slots=True)
class SplitResult:
    parts: dict          # part name -> amount
    rule: str
    explanation: str


def _decimals(raw, where, book):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return book.data["splits"]["default_decimals"]
    return v.parse_whole(raw, where, 0, book.data["splits"]["max_decimals"], "antal decimaler", book)


def split(kind, belopp, hs_del=None, decimaler=None, book=None, engine=None,
          where=("belopp", "hs_del", "decimaler")):
    """R6 (`kind` "gemensam": common costs, HS part excluded) or R7 ("stab": shared staff costs)."""
    book = book or load_rulebook()
    w_amount, w_hs, w_decimals = where
    amount = v.parse_amount(belopp, w_amount, book)
    hs = v.parse_amount(hs_del, w_hs, book, allow_missing=True) or 0.0
    decimals = _decimals(decimaler, w_decimals, book)
    # the HS part in the amount's direction: the rules compare it with the amount's size
    direction = -1 if amount < 0 else 1
    fact = {"slag": kind, "belopp_abs": min(v.to_micro(abs(amount)), 2**61),
            "hs_riktad": max(min(v.to_micro(hs * direction), 2**61), -(2**61))}
    rule = (engine or get_engine(book)).decide("fordelning", fact)
    words = {"belopp": v.format_number(amount), "hs_del": v.format_number(hs),
             "fordelat": v.format_number(amount - hs)}
    if "error" in rule.then:
        raise VPInputError(w_hs, v.format_number(hs), render(book, rule.text, words), rule=rule.id)
    shares = book.data["splits"][rule.then["shares"]]
    whole = amount - hs if rule.then.get("excludes_hs") else amount
    parts = dict(zip(shares, split_amount(whole, list(shares.values()), decimals)))
    words["delar"] = ", ".join(f"{name} {v.format_number(part)}" for name, part in parts.items())
    return SplitResult(parts, rule.id, with_rule(render(book, rule.text, words), rule.id))


def split_lss_sol(belopp, hs_del=0, decimaler=None, book=None):
    """R6: common costs excluding HS, 80 % LSS and 20 % SoL (shares from the rulebook)."""
    return split("gemensam", belopp, hs_del, decimaler, book).parts


def split_staff(belopp, decimaler=None, book=None):
    """R7: shared staff costs, 60 % Äldreomsorgsnämnden and 40 % Omsorgsnämnden."""
    return split("stab", belopp, None, decimaler, book, where=("belopp", "hs_del", "decimaler")).parts
