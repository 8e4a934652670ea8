"""Benchmark of the rules engine: prints figures and ratios measured in this run.

1. Decisions per second: the durable-rules engine vs plain Python deciding the same declared rules
   (the rulebook's conditions as Python comparisons, first hit), both for the bare decision and for
   a full indicator decision from typed values (read, decide, explain) — the cost a user's cell pays.
   Distinct inputs, no decision memo: every engine decision is a durable-rules post.
2. 10,000 indicators graded and rolled up to goals (rules.assess), cold (new engine, empty caches)
   and warm.
3. RSS before/after 1,000,000 decisions through durable-rules (memory must stay flat).

Run: python bench/engine.py  [--decisions N]
"""

import argparse
import operator
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules import clear_caches  # noqa: E402
from rules.assess import assess  # noqa: E402
from rules.engine import Engine, _exact_units  # noqa: E402
from rules.facts import DECISIONS, NUMBER  # noqa: E402
from rules.indicator import grade_indicator  # noqa: E402
from rules.records import IndicatorRow  # noqa: E402
from rules.rulebook import condition_parts, load_rulebook, parameter_number  # noqa: E402

_OPS = {"eq": operator.eq, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


class PlainRules:
    """The rulebook's declared rules decided by plain Python: each condition a list of comparisons,
    the first rule whose comparisons all hold decides (what durable-rules does with `pri`)."""

    def __init__(self, book):
        self.book = book
        self.tables = {decision: [(rule, self._condition(decision, rule)) for rule in rules]
                       for decision, rules in book.rules.items()}

    def _condition(self, decision, rule):
        checks = []
        for fact, op, operand in condition_parts(rule):
            kind = DECISIONS[decision].facts[fact]
            if op == "in":
                checks.append((fact, lambda a, b: a in b, set(operand), False))
                continue
            if isinstance(operand, str) and operand.startswith("@"):
                operand = _exact_units(self.book, parameter_number(self.book, operand, rule.id),
                                       kind.decimals_in(self.book) or 0, rule.id, operand)
            elif isinstance(operand, str) and op != "eq":
                checks.append((fact, _OPS[op], operand, True))
                continue
            elif kind.kind == NUMBER:
                operand = _exact_units(self.book, operand, kind.decimals_in(self.book), rule.id, fact)
            checks.append((fact, _OPS[op], operand, False))
        return checks

    def decide(self, decision, fact):
        for rule, checks in self.tables[decision]:
            for name, compare, operand, is_fact in checks:
                if not compare(fact[name], fact[operand] if is_fact else operand):
                    break
            else:
                return rule
        raise LookupError(decision)


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def rate(func, n):
    start = time.perf_counter()
    func(n)
    return n / (time.perf_counter() - start)


KINDS = [
    ("61%", "Öka", lambda rng: f"{rng.uniform(50, 70):.3f}%"),
    ("71,9 (2023)", "Öka", lambda rng: f"{rng.uniform(65, 80):.3f}"),
    ("3/5", "Öka", lambda rng: f"{rng.randint(0, 5)}/5"),
    ("Nytt värde", "Samtliga", lambda rng: f"{rng.randint(0, 5)}/5"),
    ("10-15%", "Öka", lambda rng: f"{rng.uniform(5, 20):.3f}%"),
    ("99 %", "Bibehåll", lambda rng: f"{rng.uniform(95, 100):.3f} %"),
    ("8,7% (augusti 2024)", "Minska/Bibehålla", lambda rng: f"{rng.uniform(5, 12):.3f}%"),
    ("+1,4%*", "+/- 0,5 %", lambda rng: f"{rng.uniform(-2, 2):.3f}%"),
    ("", "minst 30%", lambda rng: f"{rng.uniform(20, 40):.3f}%"),
]


def typed_indicators(n, seed=1):
    """Indicators as economists type them: the plan's baselines/targets, outcomes with three decimals
    (so the facts are distinct: no memo, no cache can answer them)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        baseline, target, outcome = KINDS[i % len(KINDS)]
        rows.append((baseline, target, outcome(rng).replace(".", ","), rng.choice(["JA", "NEJ", None])))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=1_000_000)
    args = parser.parse_args()
    book = load_rulebook()
    engine = Engine(book, memo_size=0)
    plain = PlainRules(book)

    rng = random.Random(7)
    kinds = sorted(DECISIONS["indikator"].facts["riktvarde"].words_in(book) - {"saknas"})
    facts = [{"riktvarde": rng.choice(kinds), "har_utfall": 1, "har_ingaende": 1, "aktiviteter": rng.randint(0, 1),
              "utfall": rng.randint(0, 10**6), "ingaende_lag": (lo := rng.randint(0, 10**6)),
              "ingaende_hog": lo + rng.randint(0, 10**5), "troskel": rng.randint(0, 10**6),
              "foljsamhet": rng.randint(950, 1000)} for _ in range(20_000)]

    def bare(decider):
        def run(n):
            for i in range(n):
                decider.decide("indikator", facts[i % len(facts)])
        return run

    for fact in facts[:2000]:  # the two agree (else the comparison would be meaningless)
        assert engine.decide("indikator", fact) is plain.decide("indikator", fact)
    engine_bare = rate(bare(engine), 20_000)
    plain_bare = rate(bare(plain), 200_000)
    print(f"Bart beslut (indikator), durable-rules utan minne: {engine_bare:,.0f} beslut/s")
    print(f"Bart beslut (indikator), ren Python:               {plain_bare:,.0f} beslut/s")
    print(f"  kvot motor/ren Python (bart beslut):             {plain_bare / engine_bare:.1f}x")

    cells = typed_indicators(40_000, seed=3)

    def full(decider, offset):
        def run(n):
            for i in range(n):
                grade_indicator(*cells[(offset + i) % len(cells)], book=book, engine=decider)
        return run

    full(plain, 0)(2_000)  # warm the parse caches for both
    engine_full = rate(full(engine, 0), 20_000)
    plain_full = rate(full(plain, 20_000), 20_000)
    print(f"Helt indikatorbeslut (läsa, besluta, förklara), motor utan minne: {engine_full:,.0f} beslut/s")
    print(f"Helt indikatorbeslut, ren Python:                                {plain_full:,.0f} beslut/s")
    print(f"  kvot motor/ren Python (helt beslut, olika indata):            {plain_full / engine_full:.1f}x")

    rows = [IndicatorRow(id=f"I{i}", kf=1 + i // 1000, goal=f"N{i // 25}", name="x", baseline=b, target=t, outcome=o,
                         activities=a) for i, (b, t, o, a) in enumerate(typed_indicators(10_000))]
    for label in ("kall (ny motor, tomma cacher)", "varm"):
        if label.startswith("kall"):
            clear_caches()
        start = time.perf_counter()
        assessment = assess(rows, book=book)
        elapsed = time.perf_counter() - start
        print(f"10 000 indikatorer bedömda och sammanvägda till {len(assessment.goals)} mål, {label}: {elapsed:.3f} s")

    n = args.decisions
    fact = dict(facts[0], riktvarde="oka")
    for i in range(50_000):  # warm-up
        fact["utfall"] = i
        engine.decide("indikator", fact)
    before = rss_mb()
    start = time.perf_counter()
    for i in range(n):
        fact["utfall"] = i % 1_000_003
        engine.decide("indikator", fact)
    elapsed = time.perf_counter() - start
    after = rss_mb()
    print(f"RSS före/efter {n:,} beslut genom durable-rules: {before:.1f} MB / {after:.1f} MB "
          f"(ökning {after - before:+.1f} MB, {n / elapsed:,.0f} beslut/s)")


if __name__ == "__main__":
    main()
