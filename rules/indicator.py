"""R2: grading one indicator (plan 1.3, "Bedömning av indikatorer").

Typed values are read (R1), the target says what "improved" means, the comparison is reduced to
fixed-point numbers, and the engine decides met / not met and the grade and colour. The result
carries a Swedish sentence an economist can read aloud.
"""

from dataclasses import dataclass, field

from . import values as v
from .engine import get_engine
from .errors import VPInputError
from .rulebook import load_rulebook

SYMBOLS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}

# Target kinds
AGAINST_BASELINE = "baseline"   # Öka, Minska, Bibehåll ...
THRESHOLD = "threshold"         # 30%, >= 30%, minst 4
ALL_OF_THEM = "all"             # Samtliga
YES_TARGET = "yes"              # JA
TOLERANCE = "tolerance"         # +/- 0,5 %
NO_TARGET = "none"              # empty


@dataclass(frozen=True)
class Target:
    kind: str
    text: str
    comparison: str = "ge"
    value: v.Value | None = None


@dataclass(frozen=True)
class IndicatorResult:
    """What the plan asks for one indicator: grade (None = not assessed), colour, explanation."""

    score: float | None
    colour: str
    status: str
    explanation: str
    rule: str = "R2"
    parameters: dict = field(default_factory=dict)

    @property
    def assessed(self):
        return self.score is not None

    @property
    def score_or_label(self):
        return self.score if self.score is not None else self.status


def _fold(text):
    return v.fold(text).replace(" / ", "/")


_TARGETS = {}  # (rulebook, text) -> Target; errors are not cached


def parse_target(raw, where, book=None):
    """Read a riktvärde: a direction word, a threshold (with operator), Samtliga, JA or a ± band."""
    book = book or load_rulebook()
    if isinstance(raw, str):
        key = (book, raw)
        target = _TARGETS.get(key)
        if target is None:
            target = _read_target(raw, where, book)
            if len(_TARGETS) < 10_000:
                _TARGETS[key] = target
        return target
    return _read_target(raw, where, book)


def _read_target(raw, where, book):
    ind = book.data["indicator"]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Target(NO_TARGET, "")
    if isinstance(raw, bool):
        if raw:
            return Target(YES_TARGET, "JA")
        raise VPInputError(where, "FALSKT", "kan inte vara ett riktvärde.", "Skriv JA, ett tal eller ett riktvärdesord.")
    if not isinstance(raw, str):
        value = v.parse_value(raw, where, book)
        return Target(THRESHOLD, value.shown(), ind["target_numeric"]["default_operator"], value)
    text = " ".join(raw.replace("\u00a0", " ").split())
    folded = _fold(text)
    for word, comparison in ind["target_words"].items():
        if folded == _fold(word):
            return Target(AGAINST_BASELINE, text, comparison)
    for prefix in ind["tolerance"]["prefixes"]:
        if folded.startswith(_fold(prefix)):
            band = v.parse_value(text[len(prefix):].strip(), where, book)
            if band.kind not in (v.NUMBER, v.PERCENT) or band.number < 0:
                raise VPInputError(where, raw, "har inget giltigt toleransband.", "Skriv t.ex. +/- 0,5 %.")
            return Target(TOLERANCE, text, "le", band)
    operator = None
    for word in sorted(ind["target_operators"], key=len, reverse=True):
        if folded.startswith(_fold(word)):
            operator = ind["target_operators"][word]
            text_value = text[len(word):].strip()
            break
    try:
        value = v.parse_value(text_value if operator else text, where, book)
    except VPInputError:
        value = None
    if value is not None and value.kind == v.ALL and not operator:
        return Target(ALL_OF_THEM, text)
    if value is not None and value.kind == v.YES and not operator:
        return Target(YES_TARGET, text)
    if value is not None and value.kind in (v.NUMBER, v.PERCENT, v.SHARE):
        return Target(THRESHOLD, text, operator or ind["target_numeric"]["default_operator"], value)
    known = ", ".join(list(ind["target_words"]) + ["Samtliga", "JA", "ett tal eller en procentsats",
                                                   "+/- 0,5 %"])
    raise VPInputError(where, raw, "är inget känt riktvärde.", f"Använd något av: {known}.")


def _check_units(a, a_where, b, b_where, book):
    """Beslut R1: a percentage is never compared with a plain number by guessing.

    A number Excel stored at or below the limit next to a percentage is a percent-formatted cell
    (Excel stores 35 % as 0,35) and is read as that percentage. A plain number above the limit, or
    one a person typed as text ("65", "0,5"), is an error that says what to write.
    """
    limit = book.get("values.plain_vs_percent_limit")
    for frac, plain, plain_where, frac_where in ((a, b, b_where, a_where), (b, a, a_where, b_where)):
        if frac.is_fraction and plain.kind == v.NUMBER and (abs(plain.number) > limit or plain.typed):
            hint = f"Skriv {plain.text} % om det är procent."
            if abs(plain.number) <= limit:  # "0,65" typed: a share written as a decimal
                hint = (f"Skriv {plain.text} % om det är procent, eller "
                        f"{v.format_number(plain.number * 100)} % om {plain.text} är en andel.")
            raise VPInputError(
                plain_where, plain.text,
                f"är ett vanligt tal men {frac_where} är {frac.shown()} (en andel eller procentsats).", hint)
    if a.is_fraction and b.kind == v.NUMBER:
        b = v.Value(v.PERCENT, number=b.number, text=b.text)
    if b.is_fraction and a.kind == v.NUMBER:
        a = v.Value(v.PERCENT, number=a.number, text=a.text)
    return a, b


def _numeric(value, where, what):
    if value.kind in (v.NUMBER, v.PERCENT, v.SHARE, v.ALL):
        return value.number
    raise VPInputError(where, value.text or value.shown(), f"kan inte jämföras som {what}.",
                       "Skriv ett tal, en procentsats eller en andel.")


@dataclass(frozen=True)
class Comparison:
    """What the engine compares (op, outcome side, reference side) and how to say it in Swedish."""

    op: str
    left: float
    right: float
    describe: object  # met (bool) -> the sentence before the verdict


def _against_baseline(target, baseline, outcome, where, book):
    w_base, _, w_out, _ = where
    note = ""
    if baseline.kind == v.RANGE:
        end = book.data["indicator"]["range_baseline_end"][target.comparison]
        reference = v.Value(v.PERCENT if baseline.percent else v.NUMBER,
                            number=baseline.high if end == "high" else baseline.low,
                            text=baseline.text, typed=baseline.typed)
        note = f"{'övre' if end == 'high' else 'nedre'} gränsen av {baseline.shown()}; "
    else:
        _numeric(baseline, w_base, "ingående värde")
        reference = baseline
    reference, outcome = _check_units(reference, w_base, outcome, w_out, book)
    left = _numeric(outcome, w_out, "utfall")
    symbol = SYMBOLS[target.comparison]
    return Comparison(target.comparison, left, reference.number, lambda met: (
        f"Utfall {outcome.shown()} {symbol if met else 'är inte ' + symbol} ingående värde "
        f"{reference.shown()} ({note}riktvärde {target.text})"))


def _threshold(target, baseline, outcome, where, book):
    _, w_target, w_out, _ = where
    threshold, outcome = _check_units(target.value, w_target, outcome, w_out, book)
    left = _numeric(outcome, w_out, "utfall")
    symbol = SYMBOLS[target.comparison]
    return Comparison(target.comparison, left, threshold.number, lambda met: (
        f"Utfall {outcome.shown()} {symbol if met else 'är inte ' + symbol} riktvärdet {threshold.shown()}"))


def _all_of_them(target, baseline, outcome, where, book):
    w_out = where[2]
    if outcome.kind == v.NUMBER and abs(outcome.number) > book.get("values.plain_vs_percent_limit"):
        raise VPInputError(w_out, outcome.text, "är ett vanligt tal men riktvärdet är Samtliga.",
                           "Skriv en andel (5/5), 100 % eller Samtliga.")
    left = _numeric(outcome, w_out, "andel")
    return Comparison("ge", left, 1.0, lambda met: (
        f"Utfall {outcome.shown()} {'är samtliga' if met else 'är inte samtliga'} (riktvärde {target.text})"))


def _yes(target, baseline, outcome, where, book):
    if outcome.kind not in (v.YES, v.NO):
        raise VPInputError(where[2], outcome.text or outcome.shown(), "ska vara JA eller NEJ när riktvärdet är JA.")
    return Comparison("ge", outcome.number, 1.0, lambda met: (
        f"Utfall {outcome.shown()} (riktvärde {target.text}) {'är JA' if met else 'är inte JA'}"))


def _tolerance(target, baseline, outcome, where, book):
    _, w_target, w_out, _ = where
    _, outcome = _check_units(target.value, w_target, outcome, w_out, book)
    left = abs(_numeric(outcome, w_out, "avvikelse"))
    band = target.value.number
    shown = v.format_percent(band) if target.value.kind == v.PERCENT else v.format_number(band)
    return Comparison("le", left, band, lambda met: (
        f"Utfall {outcome.shown()} {'ligger inom' if met else 'ligger utanför'} ±{shown} (riktvärde {target.text})"))


_COMPARISONS = {AGAINST_BASELINE: _against_baseline, THRESHOLD: _threshold, ALL_OF_THEM: _all_of_them,
                YES_TARGET: _yes, TOLERANCE: _tolerance}


def grade_indicator(ingaende, riktvarde, utfall, aktiviteter=None, book=None,
                    where=("ingående", "riktvärde", "utfall", "aktiviteter"), engine=None):
    """Grade one indicator from the values as typed; `where` names the four cells for messages.

    `engine` decides met/not met (default: the durable-rules engine of `book`); the benchmark passes
    a plain-Python decider with the same interface to measure the engine's cost.
    """
    book = book or load_rulebook()
    w_base, w_target, w_out, w_act = where
    target = parse_target(riktvarde, w_target, book)
    baseline = v.parse_value(ingaende, w_base, book)
    outcome = v.parse_value(utfall, w_out, book)
    activities = v.parse_activities(aktiviteter, w_act, book)
    labels = book.data["indicator"]["labels"]

    def not_assessed(reason):
        return IndicatorResult(None, book.data["indicator"]["colours"]["not_assessed"], labels["not_assessed"],
                               f"{labels['not_assessed']}: {reason}.", parameters={"riktvärde": target.text})

    if target.kind == NO_TARGET:
        return not_assessed("riktvärde saknas")
    if outcome.missing:
        return not_assessed("utfall saknas" + (f" ('{outcome.text}')" if outcome.text else ""))
    if outcome.kind == v.RANGE:
        raise VPInputError(w_out, outcome.text, "är ett intervall; ett utfall ska vara ett värde.")

    if target.kind == AGAINST_BASELINE and baseline.missing:
        shown = f" ('{baseline.text}')" if baseline.text else ""
        return not_assessed(f"ingående värde saknas{shown}, och riktvärdet {target.text} jämför med det")

    comparison = _COMPARISONS[target.kind](target, baseline, outcome, where, book)
    decision = (engine or get_engine(book)).grade(comparison.op, v.to_micro(comparison.left),
                                                  v.to_micro(comparison.right), activities)
    key = decision["utfall_nyckel"]
    sentence = comparison.describe(key == "met")
    if key != "met":
        sentence += ", aktiviteter finns" if activities else ", inga aktiviteter"
    grade = decision["poang"]
    explanation = f"{sentence}: {labels[key]}, {v.format_number(grade)}."
    return IndicatorResult(
        score=grade, colour=decision["farg"], status=labels[key], explanation=explanation,
        parameters={"riktvärde": target.text, "jämförelse": comparison.op, "aktiviteter": activities,
                    "poäng": grade, "färg": decision["farg"]},
    )


