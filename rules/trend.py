"""R12: an indicator's trend — its outcome against its value in the previous follow-up period, in the
indicator's own direction (the riktvärde says which way is better: higher for Öka, lower for Minska…).

Both values are read by R1 (the one reader) with R2's unit rule (a percentage is never compared with
a plain number by guessing: such a pair is "ej jämförbar", with the reason); the engine fires the
first `trend` rule of the rulebook that holds; the rule's trend gives the arrow and the word
([trend.verdicts]) and its sentence, with the rule id, is the explanation.
"""

from dataclasses import dataclass

from . import values as v
from .budget import deviation_adherence
from .engine import get_engine
from .errors import VPInputError, quote
from .indicator import _check_units
from .rulebook import load_rulebook
from .text import render, with_rule

DECISION = "trend"
WHERE = ("riktvärde", "föregående", "utfall")
_NUMBERS = (v.NUMBER, v.PERCENT, v.SHARE, v.ALL)


@dataclass(frozen=True, slots=True)
class TrendResult:
    """The trend (a key of [trend.verdicts]), its arrow and word, the explanation and the rule id."""

    trend: str
    arrow: str
    label: str
    explanation: str
    rule: str

    @property
    def shown(self):
        """Arrow and word together: the arrow alone would say nothing to a screen reader."""
        return f"{self.arrow} {self.label}"


def _problem(target, previous, outcome):
    """Why two values cannot be compared for this riktvärde, or None."""
    if target.kind == v.JA:
        if previous.kind not in (v.YES, v.NO) or outcome.kind not in (v.YES, v.NO):
            return "riktvärdet är JA, så båda värdena ska vara JA eller NEJ"
        return None
    for value in (previous, outcome):
        if value.kind not in _NUMBERS:
            return f"{value.shown()} är inget tal, ingen procentsats och ingen andel"
    return None


def _adherence(value, book):
    """100 % - |value| in percent, rounded as budget adherence (R5): (fixed-point units, words)."""
    return deviation_adherence(value.number, book)


def read_trend(riktvarde, foregaende, utfall, book, where=WHERE):
    """R1 for a trend: the facts of the `trend` decision and the words its sentence uses.

    The outcome and the riktvärde are read as the indicator reads them (an error there is the
    indicator's own error, raised); the previous value never raises: one that cannot be read or
    compared makes the pair "ej jämförbar" with the reason.
    """
    w_target, w_prev, w_out = where
    target = v.parse_target(riktvarde, w_target, book)
    outcome = v.parse_value(utfall, w_out, book)
    fact = {"riktvarde": target.kind, "har_utfall": 0 if outcome.missing else 1, "har_foregaende": 1,
            "jamforbar": 1, "utfall": 0, "foregaende": 0, "foljsamhet": 0, "foregaende_foljsamhet": 0}
    words = {"riktvarde": v.typeset(target.text), "utfall": outcome.shown(), "foregaende": "", "orsak": ""}
    if outcome.missing:
        return fact, words
    try:
        previous = v.parse_value(foregaende, w_prev, book)
    except VPInputError as exc:
        fact["jamforbar"], words["foregaende"], words["orsak"] = 0, quote(foregaende), exc.problem.rstrip(".")
        return fact, words
    if previous.missing:
        fact["har_foregaende"] = 0
        return fact, words
    words["foregaende"] = previous.shown()
    problem = _problem(target, previous, outcome)
    if problem is None:
        try:
            previous, outcome = _check_units(previous, w_prev, outcome, w_out, book)
            if target.kind == v.TOLERANS:
                _, previous = _check_units(target.value, w_target, previous, w_prev, book)
                _, outcome = _check_units(target.value, w_target, outcome, w_out, book)
        except VPInputError as exc:
            problem = exc.problem
    if problem:
        fact["jamforbar"], words["orsak"] = 0, problem.rstrip(".")
        return fact, words
    fact["utfall"], fact["foregaende"] = v.to_micro(outcome.number), v.to_micro(previous.number)
    words["utfall"], words["foregaende"] = outcome.shown(), previous.shown()
    if target.kind == v.TOLERANS:
        fact["foljsamhet"], words["foljsamhet"] = _adherence(outcome, book)
        fact["foregaende_foljsamhet"], words["foregaende_foljsamhet"] = _adherence(previous, book)
        for name, value in (("utfall", outcome), ("foregaende", previous)):
            if value.kind == v.PERCENT:  # a deviation: its sign matters
                words[name] = v.format_percent(value.number, signed=True)
    return fact, words


def indicator_trend(riktvarde, foregaende, utfall, book=None, where=WHERE, engine=None, period="",
                    previous_period=""):
    """The trend of one indicator from the values as typed: `utfall` in `period`, `foregaende` its
    value in `previous_period` ("" when no earlier period is stored)."""
    book = book or load_rulebook()
    fact, words = read_trend(riktvarde, foregaende, utfall, book, where)
    rule = (engine or get_engine(book)).decide(DECISION, fact)
    words.update(period=str(period), foregaende_period=str(previous_period) or "föregående period",
                 tidigare=f"inget värde i {previous_period}" if previous_period else "ingen tidigare period är sparad")
    verdict = rule.then["trend"]
    params = book.data["trend"]["verdicts"][verdict]
    return TrendResult(verdict, params["arrow"], params["label"], with_rule(render(book, rule.text, words), rule.id),
                       rule.id)


__all__ = ["TrendResult", "indicator_trend", "read_trend"]
