"""An independent oracle: the rules of ../shared/RULES.md (R2, R3, R5) written again in plain Python,
from the spec, on structured inputs (numbers, not typed text). It shares no code with `rules/`; the
tests render the same inputs as an economist would type them and compare the engine with this.

The project's decisions where RULES.md is silent are written here as the spec's table reads them:
Bibehåll, Öka/Bibehålla compare with a range's lower end and Minska/Bibehålla with its upper end.
"""

from decimal import ROUND_HALF_UP, Decimal

GREEN, YELLOW, RED, GREY = "Grön", "Gul", "Röd", "Grå"


def half_up(x, places):
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def budget_colour(adherence_percent):
    """R5: >= 99,5 green, >= 98,0 yellow, otherwise red (after rounding to one decimal)."""
    rounded = half_up(adherence_percent, 1)
    if rounded >= Decimal("99.5"):
        return GREEN
    if rounded >= Decimal("98.0"):
        return YELLOW
    return RED


def indicator(target, baseline, outcome, activities):
    """R2. `target` is ("empty",), ("word", name), ("threshold", operator, value), ("all",), ("yes",) or
    ("tolerance", band); `baseline` is None, a Decimal or (low, high); `outcome` None, a Decimal (a
    fraction for percentages, k/n for shares) or a bool for JA targets. Returns (grade, colour)."""
    if target[0] == "empty" or outcome is None:
        return None, GREY
    if target[0] == "word" and baseline is None:
        return None, GREY
    if target[0] == "tolerance":
        colour = budget_colour(Decimal(100) - abs(outcome) * 100)
        return {GREEN: 1.0, YELLOW: 0.5, RED: 0.0}[colour], colour
    if target[0] == "word":
        low, high = baseline if isinstance(baseline, tuple) else (baseline, baseline)
        met = {"Öka": outcome > high, "Minska": outcome < low, "Bibehåll": outcome >= low, "Bibehålla": outcome >= low,
               "Öka/Bibehålla": outcome >= low, "Minska/Bibehålla": outcome <= high}[target[1]]
    elif target[0] == "threshold":
        value = target[2]
        met = {"minst": outcome >= value, "högst": outcome <= value, ">": outcome > value, "<": outcome < value,
               "": outcome >= value}[target[1]]
    elif target[0] == "all":
        met = outcome == 1
    elif target[0] == "yes":
        met = outcome is True
    else:  # pragma: no cover
        raise ValueError(target)
    if met:
        return 1.0, GREEN
    return (0.5, YELLOW) if activities else (0.0, RED)


GOAL_STATUSES = ("Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt")


def goal(grades, dominant=None):
    """R3: the average of the assessed grades, rounded half up to two decimals, banded; a dominant
    indicator's colour caps the status (red: at best Ej uppfyllt, yellow: at best Delvis uppfyllt)."""
    assessed = [Decimal(str(g)) for g in grades if g is not None]
    if not assessed:
        return None, "Ej bedömd"
    average = half_up(sum(assessed) / len(assessed), 2)
    status = "Uppfyllt" if average >= Decimal("0.70") else "Delvis uppfyllt" if average >= Decimal("0.50") \
        else "Ej uppfyllt"
    cap = {RED: "Ej uppfyllt", YELLOW: "Delvis uppfyllt"}.get(dominant)
    if cap and GOAL_STATUSES.index(cap) > GOAL_STATUSES.index(status):
        status = cap
    return float(average), status


def budget(amount, actual):
    """R5: (adherence as a fraction rounded to 0,1 %, colour)."""
    percent = Decimal(100) - abs(actual - amount) / abs(amount) * 100
    return float(half_up(percent, 1) / 100), budget_colour(percent)
