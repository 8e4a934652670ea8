"""R3 and R4: indicators roll up to the board goal (nämndmål), board goals to the KF goal.

The average is exact (grades are halves), rounded half up to the rulebook's decimals as Excel's
ROUND does, then banded by the engine; a dominant indicator's colour may cap the status.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction

from . import values as v
from .engine import get_engine, scale_int
from .errors import CELL_ERROR_PREFIX, VPInputError
from .rulebook import load_rulebook


@dataclass(frozen=True)
class GoalResult:
    average: float | None     # rounded to the rulebook's decimals
    status: str
    explanation: str
    computed_status: str = ""  # for KF goals: the status before a manual judgement
    rule: str = "R3"
    parameters: dict = field(default_factory=dict)


def read_grades(grades, where="poäng", book=None, errors=None):
    """The assessed grades among cell values: numbers 0..1 count, 'Ej bedömd' and empty are left out.

    A cell showing a VP function's error (#VP-FEL: …) is left out too, as the batch leaves out a row
    with an error, and counted in `errors` (a list) so the explanation can say so.
    """
    book = book or load_rulebook()
    not_assessed = {book.data["indicator"]["labels"]["not_assessed"].casefold(),
                    book.data["goal"]["not_assessed"].casefold()}
    allowed = {Fraction(str(g)) for g in book.data["indicator"]["grades"].values()}
    fast = {float(g): g for g in allowed}
    out = []
    for index, raw in enumerate(_flatten(grades), start=1):
        if type(raw) in (int, float) and raw in fast:  # the usual case: a grade from VP_INDICATORSCORE
            out.append(fast[raw])
            continue
        place = f"{where} (värde {index})"
        if isinstance(raw, str) and raw.startswith(CELL_ERROR_PREFIX):
            if errors is not None:
                errors.append(raw)
            continue
        if raw is None or (isinstance(raw, str) and (not raw.strip() or raw.strip().casefold() in not_assessed)):
            continue
        value = v.parse_value(raw, place, book)
        if value.kind == v.MISSING:
            continue
        if value.kind != v.NUMBER:
            raise VPInputError(place, value.text, "är ingen poäng.",
                               "Poängen är 0, 0,5 eller 1 (eller Ej bedömd).")
        grade = Fraction(str(value.number))
        if grade not in allowed:
            shown = ", ".join(v.format_number(float(g)) for g in sorted(allowed))
            raise VPInputError(place, value.text, "är ingen giltig poäng.", f"Tillåtna poäng: {shown}.")
        out.append(grade)
    return out


def _flatten(values):
    if isinstance(values, (list, tuple)):
        for item in values:
            yield from _flatten(item)
    else:
        yield values


def goal_status(grades, dominant_colour=None, book=None, where="poäng", dominant_where="dominant_färg"):
    """R3: the goal's rounded average and status, capped by a dominant indicator's colour if given."""
    book = book or load_rulebook()
    engine = get_engine(book)
    colour = _read_colour(dominant_colour, dominant_where, book)
    errors = []
    assessed = read_grades(grades, where, book, errors)
    left_out = f" {len(errors)} indikator(er) med fel är inte medräknade." if errors else ""
    label = book.data["goal"]["not_assessed"]
    if not assessed:
        return GoalResult(None, label, f"{label}: ingen indikator är bedömd.{left_out}")
    decimals = book.data["goal"]["round_decimals"]
    denominator = math.lcm(*{g.denominator for g in assessed})  # exact sum in integers (fast)
    total_units = sum(g.numerator * (denominator // g.denominator) for g in assessed)
    exact = Fraction(total_units, denominator * len(assessed))
    units = scale_int(exact, decimals)
    average = units / 10 ** decimals
    band = engine.goal_band(units)
    cap = engine.goal_cap(colour) if colour else ""
    statuses = [entry["status"] for entry in book.data["goal"]["bands"]]
    status = band
    total = v.format_number(total_units / denominator)
    explanation = (f"Medel {total}/{len(assessed)} = {v.format_number(float(exact))}, avrundat "
                   f"{v.format_fixed(average, decimals)}: {band}.")
    if cap and statuses.index(cap) > statuses.index(band):
        status = cap
        explanation += f" Den dominerande indikatorn är {colour}, så målet är som bäst {cap}."
    explanation += left_out
    if isinstance(dominant_colour, str) and dominant_colour.startswith(CELL_ERROR_PREFIX):
        explanation += " Inget tak: den dominerande indikatorn har fel."
    return GoalResult(average, status, explanation,
                      parameters={"bedömda": len(assessed), "medel": average, "band": band,
                                  "dominant": colour or "", "tak": cap})


def _read_colour(raw, where, book):
    # No colour, or the dominant indicator's own cell shows an error: no cap (as the batch does);
    # goal_status says so in the explanation.
    if raw is None or (isinstance(raw, str) and (not raw.strip() or raw.startswith(CELL_ERROR_PREFIX))):
        return ""
    if isinstance(raw, (list, tuple)):
        raise VPInputError(where, None, "är ett område med flera celler; här behövs den dominerande "
                                        "indikatorns färg i en cell.")
    colours = book.data["goal"]["dominant_cap"]
    if isinstance(raw, str):
        for colour in colours:
            if raw.strip().casefold() == colour.casefold():
                return colour
        not_assessed = book.data["indicator"]["colours"]["not_assessed"]
        if raw.strip().casefold() == not_assessed.casefold():
            return ""
    raise VPInputError(where, raw, "är ingen färg.", f"Skriv {', '.join(colours)} eller lämna tomt.")


def _known(raw, allowed, where, problem):
    """A status word exactly as the rulebook spells it: the workbook's colours and formulas match the
    exact text, so "uppfyllt " would be shown uncoloured — it is an error with the right spelling."""
    if raw in allowed:
        return raw
    near = [word for word in allowed if v.fold(str(raw)) == v.fold(word)]
    hint = f"Skriv exakt {near[0]} (utan extra mellanslag)." if near else f"Skriv {', '.join(allowed)}."
    raise VPInputError(where, raw, problem, hint)


def kf_status(board_goal_status=None, office_grades=None, override_status=None, motivation=None,
              book=None, where=("nämndmålets status", "kontorets poäng", "manuell status", "motivering"),
              office_dominant=None):
    """R4: the KF goal takes its board goal's status; without one it is indicative from the office's
    indicators; a manual judgement with a motivation is shown next to the computed status and takes
    precedence."""
    book = book or load_rulebook()
    engine = get_engine(book)
    w_goal, w_grades, w_override, w_motivation = where
    statuses = [entry["status"] for entry in book.data["goal"]["bands"]] + [book.data["goal"]["not_assessed"]]
    has_goal = board_goal_status is not None and str(board_goal_status).strip() != ""
    if has_goal:
        board_goal_status = _known(board_goal_status, statuses, w_goal, "är ingen målstatus.")
    override = "" if override_status is None or str(override_status).strip() == "" else \
        _known(override_status, book.data["kf"]["override_statuses"], w_override,
               "är ingen status för manuell bedömning.")
    text = "" if motivation is None else str(motivation).strip()
    if override and not text:
        raise VPInputError(w_motivation, None, "saknas – en manuell bedömning kräver en skriven motivering.")
    if text and not override:
        raise VPInputError(w_override, None, "saknas – motiveringen hör till en manuell status.")
    source = engine.kf_source(has_goal, bool(override))
    if has_goal:
        computed = GoalResult(None, board_goal_status, f"Samma bedömning som nämndmålet: {board_goal_status}.",
                              rule="R4")
    else:
        inner = goal_status(office_grades, office_dominant, book=book, where=w_grades)
        label = book.data["kf"]["indicative_label"]
        computed = GoalResult(inner.average, inner.status,
                              f"Inget nämndmål; {label} status från kontorets indikatorer. {inner.explanation}",
                              rule="R4", parameters=inner.parameters)
    if source == "override":
        label = book.data["kf"]["override_label"]
        return GoalResult(computed.average, override,
                          f"{label.capitalize()}: {override} ({text}). Beräknad status: {computed.status}.",
                          computed_status=computed.status, rule="R4",
                          parameters={**computed.parameters, "källa": source})
    return GoalResult(computed.average, computed.status, computed.explanation, computed_status=computed.status,
                      rule="R4", parameters={**computed.parameters, "källa": source})
