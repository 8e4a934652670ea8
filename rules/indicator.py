"""R2: grading one indicator (plan 1.3, "Bedömning av indikatorer").

Typed values are read (R1) into the facts of the rulebook's `indikator` decision; the engine fires
the first rule that holds; the rule's verdict gives grade and colour, and its sentence, filled with
the values as typed, is the explanation.
"""

from dataclasses import dataclass

from . import values as v
from .budget import deviation_adherence, tolerance_edge
from .engine import get_engine
from .errors import VPInputError
from .rulebook import condition_parts, load_rulebook
from .text import render, with_rule

DECISION = "indikator"
WHERE = ("ingående", "riktvärde", "utfall", "aktiviteter")


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """What the plan asks for one indicator: grade (None = not assessed), colour, words, explanation
    (the rule's sentence and its id) and the id of the rule that decided."""

    score: float | None
    colour: str
    status: str
    explanation: str
    rule: str
    verdict: str

    @property
    def assessed(self):
        return self.score is not None

    @property
    def score_or_label(self):
        return self.score if self.score is not None else self.status


_COMPARED = {}  # (rulebook, riktvärde kind) -> the facts its rules compare utfall with


def compared_with(book, kind):
    """Which facts the rules for this kind of riktvärde compare the outcome with (read from the
    rulebook): the reader checks exactly those values for units, and no others."""
    key = (book, kind)
    found = _COMPARED.get(key)
    if found is None:
        found = set()
        for rule in book.rules[DECISION]:
            riktvarde = rule.when.get("riktvarde")
            if riktvarde is not None and kind not in (riktvarde if isinstance(riktvarde, list) else [riktvarde]):
                continue
            for fact, op, operand in condition_parts(rule):
                if fact == "utfall" and op not in ("eq", "in"):
                    found.add(operand if isinstance(operand, str) else ("literal", operand))
        _COMPARED[key] = found
    return found


def _check_units(a, a_where, b, b_where, book):
    """Beslut R1: a percentage is never compared with a plain number by guessing.

    A number Excel stored at or below the limit next to a percentage is a percent-formatted cell
    (Excel stores 35 % as 0,35) and is read as that percentage. A plain number above the limit, or
    one a person typed as text ("65", "0,5"), is an error that says what to write.
    """
    limit = book.data["values"]["plain_vs_percent_limit"]
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


def _check_literals(compared, outcome, target, where, book):
    """Beslut R1 for a rule that compares the outcome with a number written in the rulebook: a number
    up to `plain_vs_percent_limit` (1,0 for Samtliga) is a share, so a plain outcome above the limit
    is an error; a number above it (a count such as 2) is a plain number, so a percentage or share as
    outcome is an error; 0 has no unit. Nothing is guessed either way."""
    limit = book.data["values"]["plain_vs_percent_limit"]
    literals = [operand for item in compared if isinstance(item, tuple) for operand in item[1:]]
    shares = [x for x in literals if 0 < abs(x) <= limit]
    counts = [x for x in literals if abs(x) > limit]
    if shares and outcome.kind == v.NUMBER and abs(outcome.number) > limit:
        raise VPInputError(where, outcome.text, f"är ett vanligt tal men riktvärdet är {target.text}.",
                           "Skriv en andel (5/5), 100 % eller Samtliga.")
    if counts and outcome.kind != v.NUMBER:
        raise VPInputError(where, outcome.text or outcome.shown(),
                           f"är en andel eller procentsats men riktvärdet {target.text} jämför med talet "
                           f"{v.format_number(counts[0])}.", "Skriv utfallet som ett tal (t.ex. 3).")


def _comparable(value, where, what):
    if value.kind in (v.NUMBER, v.PERCENT, v.SHARE, v.ALL):
        return value
    raise VPInputError(where, value.text or value.shown(), f"kan inte jämföras som {what}.",
                       "Skriv ett tal, en procentsats eller en andel.")


def _range_end(baseline, end):
    number = baseline.high if end == "high" else baseline.low
    return v.Value(v.PERCENT if baseline.percent else v.NUMBER, number=number, text=baseline.text,
                   typed=baseline.typed)


def read_indicator(ingaende, riktvarde, utfall, aktiviteter, book, where=WHERE):
    """R1 for one indicator: the facts of the `indikator` decision and the words its sentence uses.

    Values the rules will not compare (no outcome, no target) are not checked: an indicator that is
    not assessed is never an error because of them.
    """
    w_base, w_target, w_out, w_act = where
    target = v.parse_target(riktvarde, w_target, book)
    baseline = v.parse_value(ingaende, w_base, book)
    outcome = v.parse_value(utfall, w_out, book)
    activities = v.parse_activities(aktiviteter, w_act, book)
    words = {"riktvarde": v.typeset(target.text), "utfall_text": f" ('{outcome.text}')" if outcome.text else "",
             "ingaende_text": f" ('{baseline.text}')" if baseline.text else ""}
    fact = {"riktvarde": target.kind, "har_utfall": 0 if outcome.missing else 1,
            "har_ingaende": 0 if baseline.missing else 1, "aktiviteter": 1 if activities else 0,
            "utfall": 0, "ingaende_lag": 0, "ingaende_hog": 0, "troskel": 0, "foljsamhet": 0, "gron_grans": 0}
    if target.kind == v.SAKNAS or outcome.missing:
        return fact, words
    if outcome.kind == v.RANGE:
        raise VPInputError(w_out, outcome.text, "är ett intervall; ett utfall ska vara ett värde.")
    if target.kind == v.JA:
        if outcome.kind not in (v.YES, v.NO):
            raise VPInputError(w_out, outcome.text or outcome.shown(), "ska vara JA eller NEJ när riktvärdet är JA.")
    else:
        _comparable(outcome, w_out, "utfall")
    compared = compared_with(book, target.kind)
    if {"ingaende_lag", "ingaende_hog"} & compared and not baseline.missing:
        if baseline.kind == v.RANGE:
            low, high = _range_end(baseline, "low"), _range_end(baseline, "high")
            low, outcome = _check_units(low, w_base, outcome, w_out, book)
            high, outcome = _check_units(high, w_base, outcome, w_out, book)
            words["ingaende_lag"] = f"{low.shown()} (nedre gränsen av {baseline.shown()})"
            words["ingaende_hog"] = f"{high.shown()} (övre gränsen av {baseline.shown()})"
        else:
            reference, outcome = _check_units(_comparable(baseline, w_base, "ingående värde"), w_base, outcome, w_out,
                                              book)
            low = high = reference
            words["ingaende_lag"] = words["ingaende_hog"] = reference.shown()
        fact["ingaende_lag"], fact["ingaende_hog"] = v.to_micro(low.number), v.to_micro(high.number)
    if "troskel" in compared and target.value is not None:
        threshold, outcome = _check_units(target.value, w_target, outcome, w_out, book)
        fact["troskel"] = v.to_micro(threshold.number)
        words["troskel"] = threshold.shown()
    _check_literals(compared, outcome, target, w_out, book)
    if target.kind == v.TOLERANS:
        band, outcome = _check_units(target.value, w_target, outcome, w_out, book)
        fact["foljsamhet"], words["foljsamhet"] = deviation_adherence(outcome.number, book)
        fact["gron_grans"], words["gron_grans"] = tolerance_edge(band.number, book)
    fact["utfall"] = v.to_micro(outcome.number)
    words["utfall"] = outcome.shown()
    if target.kind == v.TOLERANS and outcome.kind == v.PERCENT:  # a deviation: its sign matters
        words["utfall"] = v.format_percent(outcome.number, signed=True)
    words["_kind"] = target.kind
    return fact, words


def grade_indicator(ingaende, riktvarde, utfall, aktiviteter=None, book=None, where=WHERE, engine=None):
    """Grade one indicator from the values as typed; `where` names the four cells for messages.

    `engine` decides (default: the durable-rules engine of `book`); the benchmark passes a
    plain-Python decider with the same `decide` to measure the engine's cost.
    """
    book = book or load_rulebook()
    fact, words = read_indicator(ingaende, riktvarde, utfall, aktiviteter, book, where)
    rule = (engine or get_engine(book)).decide(DECISION, fact)
    return result_of(book, rule, words)


def result_of(book, rule, words):
    """The result a fired rule gives, with its sentence."""
    verdict = rule.then["verdict"]
    params = book.data["indicator"]["verdicts"][verdict]
    grade = params.get("grade")
    filled = dict(words)
    filled["poang"] = v.format_number(grade) if grade is not None else params["label"]
    if "_kind" in words and "{villkor}" in rule.text:
        filled["villkor"] = render(book, _villkor(book, words["_kind"]), words)
    explanation = with_rule(render(book, rule.text, filled), rule.id)
    return IndicatorResult(None if grade is None else float(grade), params["colour"], params["label"], explanation,
                           rule.id, verdict)


_VILLKOR = {}


def _villkor(book, kind):
    """How the condition of this kind of riktvärde reads: its rule's `villkor` (the not-met rules say
    the same condition, negated)."""
    found = _VILLKOR.get(book)
    if found is None:
        found = {}
        for rule in book.rules[DECISION]:
            riktvarde = rule.when.get("riktvarde")
            if rule.villkor and isinstance(riktvarde, str):
                found[riktvarde] = rule.villkor
        _VILLKOR[book] = found
    return found.get(kind, "")
