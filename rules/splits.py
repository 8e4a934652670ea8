"""R6 and R7: splitting an amount by shares so the rounded parts add up to the rounded whole."""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from . import values as v
from .errors import VPInputError
from .rulebook import load_rulebook


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


def _decimals(raw, where, book):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return book.data["splits"]["default_decimals"]
    x = v.parse_amount(raw, where, book)
    if x != int(x) or not 0 <= x <= 6:
        raise VPInputError(where, v.format_number(x), "ska vara ett heltal 0–6 (antal decimaler).")
    return int(x)


def split_lss_sol(belopp, hs_del=0, decimaler=None, book=None):
    """R6: common costs excluding HS, 80 % LSS and 20 % SoL (shares from the rulebook)."""
    book = book or load_rulebook()
    amount = v.parse_amount(belopp, "belopp", book)
    hs = v.parse_amount(hs_del, "hs_del", book, allow_missing=True) or 0.0
    if hs and (abs(hs) > abs(amount) or (hs < 0) != (amount < 0)):
        raise VPInputError("hs_del", v.format_number(hs), f"kan inte vara en del av beloppet {v.format_number(amount)}.",
                           "HS-delen ska ha samma tecken som beloppet och inte vara större.")
    decimals = _decimals(decimaler, "decimaler", book)
    shares = book.data["splits"]["lss_sol"]
    return dict(zip(shares, split_amount(amount - hs, list(shares.values()), decimals)))


def split_staff(belopp, decimaler=None, book=None):
    """R7: shared staff costs, 60 % Äldreomsorgsnämnden and 40 % Omsorgsnämnden."""
    book = book or load_rulebook()
    amount = v.parse_amount(belopp, "belopp", book)
    decimals = _decimals(decimaler, "decimaler", book)
    shares = book.data["splits"]["staff"]
    return dict(zip(shares, split_amount(amount, list(shares.values()), decimals)))
