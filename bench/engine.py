"""Benchmark of the rules engine: prints figures and ratios measured in this run.

The baseline is the same rule written by hand: the `indikator` decision as an if/elif in Python
(`hand_written_indicator`), not an interpreter of the declared rules. Times are CPU time of this
process (time.process_time: durable-rules runs in it), so other work on a shared machine counts less.
Distinct inputs, no decision memo: every engine decision reaches durable-rules.

1. One cell: a full indicator decision from typed values (read, decide, explain), one post each,
   vs the same with the hand-written decision. Target: <= 10x.
2. A table: the same decisions for 10,000 distinct rows at once (rules.assess.grade_rows: posted in
   batches) vs hand-written. And the bare decision, one post vs hand-written.
3. 10,000 indicators graded and rolled up to goals (rules.assess), cold (new engine, empty caches)
   and warm. Target: <= 1 s cold.
4. RSS before/after 1,000,000 decisions through durable-rules (memory must stay flat).

Run: python bench/engine.py  [--decisions N]  [--repeat R]
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
from rules.assess import assess, grade_rows  # noqa: E402
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


class HandWritten:
    """The `indikator` decision as a programmer would write it: if/elif on the facts, constants in
    the facts' units. Returns the same rule object as the engine (checked below)."""

    def __init__(self, book):
        self.rule = book.rule
        self.yellow = _exact_units(book, book.get("budget.thresholds.gul"), 1, "", "gul")

    def decide(self, decision, f):
        return self.rule(hand_written_indicator(f, self.yellow))

    def decide_many(self, decision, facts):
        return [self.decide(decision, f) for f in facts]


def hand_written_indicator(f, yellow, one=10**6):
    kind, out = f["riktvarde"], f["utfall"]
    if kind == "saknas":
        return "R2.ej_bedomd.riktvarde_saknas"
    elif f["har_utfall"] == 0:
        return "R2.ej_bedomd.utfall_saknas"
    elif kind in ("oka", "minska", "bibehall", "oka_bibehalla", "minska_bibehalla") and f["har_ingaende"] == 0:
        return "R2.ej_bedomd.ingaende_saknas"
    elif kind == "tolerans":
        if f["foljsamhet"] >= f["gron_grans"]:  # the typed tolerance's green edge
            return "R2.budget.gron"
        elif f["foljsamhet"] >= yellow:
            return "R2.budget.gul"
        return "R2.budget.rod"
    elif kind == "oka" and out > f["ingaende_hog"]:
        return "R2.oka.met"
    elif kind == "minska" and out < f["ingaende_lag"]:
        return "R2.minska.met"
    elif kind == "bibehall" and out >= f["ingaende_lag"]:
        return "R2.bibehall.met"
    elif kind == "oka_bibehalla" and out >= f["ingaende_lag"]:
        return "R2.oka_bibehalla.met"
    elif kind == "minska_bibehalla" and out <= f["ingaende_hog"]:
        return "R2.minska_bibehalla.met"
    elif kind == "minst" and out >= f["troskel"]:
        return "R2.minst.met"
    elif kind == "hogst" and out <= f["troskel"]:
        return "R2.hogst.met"
    elif kind == "over" and out > f["troskel"]:
        return "R2.over.met"
    elif kind == "under" and out < f["troskel"]:
        return "R2.under.met"
    elif kind == "samtliga" and out >= one:
        return "R2.samtliga.met"
    elif kind == "ja" and out >= one:
        return "R2.ja.met"
    elif f["aktiviteter"] == 1:
        return "R2.not_met.aktiviteter"
    return "R2.not_met.inga_aktiviteter"


def cpu_seconds(func, *args):
    start = time.process_time()
    result = func(*args)
    return time.process_time() - start, result


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
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the timings (the best is shown)")
    args = parser.parse_args()
    book = load_rulebook()
    engine = Engine(book, memo_size=0)
    hand = HandWritten(book)
    plain = PlainRules(book)

    rng = random.Random(7)
    kinds = sorted(DECISIONS["indikator"].facts["riktvarde"].words_in(book))
    facts = [{"riktvarde": rng.choice(kinds), "har_utfall": rng.randint(0, 1) or 1, "har_ingaende": 1,
              "aktiviteter": rng.randint(0, 1), "utfall": rng.randint(0, 10**6),
              "ingaende_lag": (lo := rng.randint(0, 10**6)), "ingaende_hog": lo + rng.randint(0, 10**5),
              "troskel": rng.randint(0, 10**6), "foljsamhet": rng.randint(950, 1000),
              "gron_grans": rng.choice([970, 990, 995])} for _ in range(20_000)]
    for fact in facts[:3000]:  # all three agree (else the comparison would be meaningless)
        assert engine.decide("indikator", fact) is hand.decide("indikator", fact) is plain.decide("indikator", fact)

    cells = typed_indicators(60_000, seed=3)
    rows = [IndicatorRow(id=f"I{i}", kf=1 + i // 1000, goal=f"N{i // 25}", name="x", baseline=b, target=t, outcome=o,
                         activities=a) for i, (b, t, o, a) in enumerate(cells)]

    def one_by_one(decider, part):
        for cell in part:
            grade_indicator(*cell, book=book, engine=decider)

    def bare(decider, part):
        for fact in part:
            decider.decide("indikator", fact)

    grade_rows(rows[:2000], book, hand)  # warm the parse caches
    best = {}
    for round_ in range(args.repeat):
        fresh = Engine(book, memo_size=0)  # no memo: every row is posted
        base = 20_000 * (round_ % 3)
        timings = {
            "cell_engine": cpu_seconds(one_by_one, fresh, cells[base:base + 4000])[0] / 4000,
            "cell_hand": cpu_seconds(one_by_one, hand, cells[base:base + 4000])[0] / 4000,
            "table_engine": cpu_seconds(grade_rows, rows[base + 4000:base + 14000], book, fresh)[0] / 10_000,
            "table_hand": cpu_seconds(grade_rows, rows[base + 4000:base + 14000], book, hand)[0] / 10_000,
            "bare_engine": cpu_seconds(bare, fresh, facts[:5000])[0] / 5000,
            "bare_batch": cpu_seconds(Engine(book, memo_size=0).decide_many, "indikator", facts)[0] / len(facts),
            "bare_hand": cpu_seconds(bare, hand, facts * 5)[0] / (5 * len(facts)),
        }
        for name, seconds in timings.items():
            best[name] = min(best.get(name, seconds), seconds)
    us = {name: seconds * 1e6 for name, seconds in best.items()}
    print(f"(CPU-tid, bästa av {args.repeat} omgångar; olika indata, inget beslutsminne)")
    print(f"En cell: helt indikatorbeslut (läsa, besluta, förklara), en post per beslut: {us['cell_engine']:.1f} µs")
    print(f"         samma med handskriven if/elif:                                      {us['cell_hand']:.1f} µs")
    print(f"  kvot motor/handskriven, ett beslut:   {us['cell_engine'] / us['cell_hand']:.1f}x  (mål <= 10x)")
    print(f"En tabell: 10 000 hela indikatorbeslut i satser (post_batch): {us['table_engine']:.1f} µs per beslut")
    print(f"           samma med handskriven if/elif:                     {us['table_hand']:.1f} µs per beslut")
    print(f"  kvot motor/handskriven, i satser:     {us['table_engine'] / us['table_hand']:.1f}x")
    print(f"Bart beslut (bara regeln): en post {us['bare_engine']:.1f} µs, i satser {us['bare_batch']:.1f} µs; "
          f"handskriven {us['bare_hand']:.2f} µs")

    rows = [IndicatorRow(id=f"I{i}", kf=1 + i // 1000, goal=f"N{i // 25}", name="x", baseline=b, target=t, outcome=o,
                         activities=a) for i, (b, t, o, a) in enumerate(typed_indicators(10_000))]
    for label in ("kall (ny motor, tomma cacher; mål <= 1 s)", "varm"):
        if label.startswith("kall"):
            clear_caches()
        start, cpu = time.perf_counter(), time.process_time()
        assessment = assess(rows, book=book)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"10 000 indikatorer bedömda och sammanvägda till {len(assessment.goals)} mål, {label}: "
              f"{cpu:.3f} s CPU ({elapsed:.3f} s väggklocka)")

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
