"""R3 and R4: indicators roll up to the board goal (nämndmål), board goals to the KF goal.

The average is exact (grades are halves), rounded half up to the rulebook's decimals as Excel's
ROUND does; the rulebook's `mal` rules then decide the status (bands, the dominant indicator's cap,
not assessed) and its `kf` rules which status a KF goal takes.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from . import values as v
from .engine import get_engine, scale_int
from .errors import CELL_ERROR_PREFIX, VPInputError
from .rulebook import load_rulebook
from .text import render, with_rule


@dataclass(frozen=True, slots=True)
class GoalResult:
    average: float | None     # rounded to the rulebook's decimals; None when not assessed
    status: str
    explanation: str          # the rule's sentence, notes, and the rule id
    rule: str
    counted: int = 0          # assessed indicators in the average


@dataclass(frozen=True, slots=True)
class KFResult:
    status: str               # what counts: the manual judgement if there is one, else computed
    computed: str             # the status from the board goal / the office's indicators
    source: str               # override, board_goal or indicative (keys of [kf.sources])
    explanation: str
    rule: str


def _flatten(values):
    if isinstance(values, (list, tuple)):
        for item in values:
            yield from _flatten(item)
    else:
        yield values


def read_grades(grades, where="poäng", book=None):
    """The assessed grades among cell values (numbers from the rulebook's grades; 'Ej bedömd' and
    empty are left out) and how many cells show a VP function's error (#VP-FEL: ...), which are
    left out too and counted so the explanation can say so."""
    book = book or load_rulebook()
    verdicts = book.data["indicator"]["verdicts"].values()
    not_assessed = {v.fold(p["label"]) for p in verdicts if "grade" not in p} | {v.fold(book.data["goal"]["statuses"][-1])}
    allowed = {Fraction(str(p["grade"])) for p in verdicts if "grade" in p}
    fast = {float(g): g for g in allowed}
    out, errors = [], 0
    for index, raw in enumerate(_flatten(grades), start=1):
        if type(raw) in (int, float) and raw in fast:  # the usual case: a grade from VP_INDICATORSCORE
            out.append(fast[raw])
            continue
        place = f"{where} (värde {index})"
        if isinstance(raw, str) and raw.startswith(CELL_ERROR_PREFIX):
            errors += 1
            continue
        if raw is None or (isinstance(raw, str) and (not raw.strip() or v.fold(raw[:50]) in not_assessed)):
            continue
        value = v.parse_value(raw, place, book)
        if value.kind == v.MISSING:
            continue
        if value.kind != v.NUMBER:
            raise VPInputError(place, value.text, "är ingen poäng.", "Poängen är 0, 0,5 eller 1 (eller Ej bedömd).")
        grade = Fraction(str(value.number))
        if grade not in allowed:
            shown = ", ".join(v.format_number(float(g)) for g in sorted(allowed))
            raise VPInputError(place, value.text, "är ingen giltig poäng.", f"Tillåtna poäng: {shown}.")
        out.append(grade)
    return out, errors


def read_colour(raw, where, book=None):
    """A dominant indicator's colour as a cell shows it: (colour or "ingen", the cell shows an error)."""
    book = book or load_rulebook()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "ingen", False
    if isinstance(raw, str) and raw.startswith(CELL_ERROR_PREFIX):
        return "ingen", True
    if isinstance(raw, (list, tuple)):
        raise VPInputError(where, None, "är ett område med flera celler; här behövs den dominerande "
                                        "indikatorns färg i en cell.")
    colours = {p["colour"] for p in book.data["indicator"]["verdicts"].values()}
    if isinstance(raw, str):
        for colour in colours:
            if v.fold(raw[:50]) == v.fold(colour):
                return colour, False
    shown = ", ".join(sorted(colours))
    raise VPInputError(where, raw, "är ingen färg.", f"Skriv {shown} eller lämna tomt.")


def goal_status(grades, dominant_colour=None, book=None, where="poäng", dominant_where="dominant_färg",
                engine=None, dominants=None, dominant_error=False, has_indicators=None):
    """R3: the goal's rounded average and status from its indicators' grades.

    `dominant_colour` is the dominant indicator's colour (or what its cell shows); `dominants` how
    many indicators are marked dominant (default: one if a colour is given); `has_indicators` False
    when no indicator row names the goal at all (default: some grade was given).
    """
    book = book or load_rulebook()
    colour, shows_error = read_colour(dominant_colour, dominant_where, book)
    assessed, errors = read_grades(grades, where, book)
    if dominants is None:
        dominants = 1 if (colour != "ingen" or shows_error) else 0
    if has_indicators is None:
        has_indicators = bool(assessed or errors or any(True for _ in _flatten(grades)))
    decimals = book.data["goal"]["round_decimals"]
    units, exact, total = 0, None, 0
    if assessed:
        denominator = math.lcm(*{g.denominator for g in assessed})  # exact sum in integers (fast)
        total_units = sum(g.numerator * (denominator // g.denominator) for g in assessed)
        exact = Fraction(total_units, denominator * len(assessed))
        total = Fraction(total_units, denominator)
        units = scale_int(exact, decimals)
    fact = {"har_indikatorer": 1 if has_indicators else 0, "antal": len(assessed), "medel": units,
            "dominanta": dominants, "dominant_farg": colour, "dominant_fel": 1 if (dominant_error or shows_error) else 0}
    rule = (engine or get_engine(book)).decide("mal", fact)
    average = units / 10 ** decimals if assessed else None
    words = {"summa": v.format_number(float(total)), "antal": len(assessed), "status": rule.then["status"],
             "medel_exakt": v.format_number(float(exact)) if exact is not None else "",
             "medel": v.format_fixed(average, decimals) if average is not None else ""}
    sentence = render(book, rule.text, words)
    notes = book.data["goal"]["notes"]  # what the explanation adds: the rulebook's words, not code's
    if dominants > 1:
        sentence += " " + render(book, notes["several_dominants"])
    elif fact["dominant_fel"]:
        sentence += " " + render(book, notes["dominant_error"])
    if errors:
        sentence += " " + render(book, notes["errors_left_out"], {"antal": errors})
    return GoalResult(average if rule.then["status"] != book.data["goal"]["statuses"][-1] else None,
                      rule.then["status"], with_rule(sentence, rule.id), rule.id, len(assessed))


def _exact_status(raw, allowed, where, problem):
    """A status word exactly as the rulebook spells it: the workbook's colours match the exact text,
    so "uppfyllt " would be shown uncoloured — it is an error with the right spelling."""
    if raw in allowed:
        return raw
    near = [word for word in allowed if v.fold(str(raw)[:50]) == v.fold(word)]
    hint = f"Skriv exakt {near[0]} (utan extra mellanslag)." if near else f"Skriv {', '.join(allowed)}."
    raise VPInputError(where, raw, problem, hint)


def _text(raw):
    if raw is None:
        return ""
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    return str(raw).strip()


def kf_status(goal, has_board_goal, override=None, motivation=None, book=None, goal_name="",
              where=("nämndmål", "manuell status", "motivering"), engine=None):
    """R4: a KF goal takes its board goal's status (`goal`, a GoalResult); without a board goal the
    office's indicators give an indicative one (`goal` is then their GoalResult); a manual judgement
    with a written motivation takes precedence and is shown next to the computed status."""
    book = book or load_rulebook()
    _, w_override, w_motivation = where
    override_text = _text(override)
    if override_text:
        override_text = _exact_status(override if isinstance(override, str) else override_text,
                                      book.data["kf"]["override_statuses"], w_override,
                                      "är ingen status för manuell bedömning.")
    motivation_text = _text(motivation)
    fact = {"har_namndmal": 1 if has_board_goal else 0, "manuell": 1 if override_text else 0,
            "motivering": 1 if motivation_text else 0}
    rule = (engine or get_engine(book)).decide("kf", fact)
    shown = motivation_text if len(motivation_text) <= 200 else motivation_text[:199] + "…"
    words = {"manuell": override_text, "motivering": shown, "beraknad": goal.status,
             "namndmal": goal_name,
             "malets_forklaring": goal.explanation}
    sentence = render(book, rule.text, words)
    if "error" in rule.then:
        place = {"motivering": w_motivation, "manuell": w_override}.get(rule.then["error"], rule.then["error"])
        raise VPInputError(place, None, sentence, rule=rule.id)
    source = rule.then["source"]
    status = override_text if source == "override" else goal.status
    return KFResult(status, goal.status, source, with_rule(sentence, rule.id), rule.id)
