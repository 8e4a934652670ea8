"""R13: the board's written analysis per period — a samlad bedömning per KF goal, and an action (or a
written reason why none is needed) for every indicator that is red or whose trend is worse.

The plan: "Nämndens status för uppfyllelse av KF-målet tas fram i en samlad kvalitativ bedömning av hur
väl nämndmålen uppfylls tillsammans med andra faktorer", and units with a deficit make "åtgärdsplaner"
that are followed up. Whether something is missing is decided by the rulebook's `analys` rules; the
workbook layer reads the analysis table and turns an incomplete verdict into a finding naming the row.
"""

from dataclasses import dataclass

from .engine import get_engine
from .facts import COLOURS
from .rulebook import load_rulebook
from .text import render, with_rule

DECISION = "analys"


@dataclass(frozen=True, slots=True)
class AnalysisVerdict:
    """Whether the analysis is complete for one KF goal or indicator, the sentence, the rule."""

    complete: bool
    explanation: str
    rule: str
    sentence: str


def _written(text):
    return text is not None and bool(str(text).strip())


def _decide(fact, words, book, engine):
    book = book or load_rulebook()
    rule = (engine or get_engine(book)).decide(DECISION, fact)
    sentence = render(book, rule.text, words)
    return AnalysisVerdict(rule.then["complete"], with_rule(sentence, rule.id), rule.id, sentence)


def kf_analysis(kf, period, assessment, book=None, engine=None):
    """R13 for a KF goal: is its samlad bedömning for `period` written?"""
    fact = {"niva": "kf", "har_bedomning": int(_written(assessment)), "farg": "ingen", "trend": "ingen",
            "har_atgard": 0}
    return _decide(fact, {"kf": kf, "period": period}, book, engine)


def indicator_analysis(kf, indicator, name, period, colour, trend, action, book=None, engine=None):
    """R13 for an indicator: `colour` its colour this period, `trend` its trend key (None: none),
    `action` the Åtgärd or the written reason why none is needed (empty: none)."""
    fact = {"niva": "indikator", "har_bedomning": 0, "farg": colour if colour in COLOURS else "ingen",
            "trend": trend or "ingen", "har_atgard": int(_written(action))}
    words = {"kf": kf, "indikator": indicator, "namn": name, "period": period, "farg": colour or "", "trend": trend or ""}
    return _decide(fact, words, book, engine)
