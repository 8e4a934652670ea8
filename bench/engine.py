"""Benchmark of the rules engine: prints figures and ratios measured in this run.

1. Decisions per second: the durable-rules engine vs a plain-Python implementation of the same
   rules (if/elif over the same rulebook), both for the raw classification and for a full indicator
   decision from typed values (parse, classify, explain) — the cost a user's cell pays.
2. 10,000 indicators graded and rolled up to goals through the batch entry points, cold (new engine,
   empty caches) and warm.
3. RSS before/after 1,000,000 decisions (memory must stay flat).

Run: python bench/engine.py  [--decisions N]
"""

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from rules import engine as engine_module  # noqa: E402
from rules import clear_caches  # noqa: E402
from rules.batch import grade_indicators, rollup_goals  # noqa: E402
from rules.engine import Engine, expected_met  # noqa: E402
from rules.indicator import grade_indicator  # noqa: E402
from rules.rulebook import load_rulebook  # noqa: E402


class PlainRules:
    """The same R2 classification as plain Python if/elif, reading the same rulebook."""

    def __init__(self, book):
        self.grades = book.data["indicator"]["grades"]
        self.colours = book.data["indicator"]["colours"]

    def grade(self, villkor, utfall, referens, aktiviteter):
        if expected_met(villkor, utfall, referens):
            key = "met"
        elif aktiviteter:
            key = "not_met_with_activities"
        else:
            key = "not_met_without_activities"
        return {"utfall_nyckel": key, "poang": self.grades[key], "farg": self.colours[key]}


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def rate(func, n):
    start = time.perf_counter()
    func(n)
    return n / (time.perf_counter() - start)


def typed_indicators(n, seed=1):
    """Indicators as economists type them: the plan's baselines/targets, outcomes at one decimal."""
    rng = random.Random(seed)
    kinds = [
        ("61%", "Öka", lambda: f"{rng.uniform(50, 70):.1f}%"),
        ("71,9 (2023)", "Öka", lambda: f"{rng.uniform(65, 80):.1f}"),
        ("3/5", "Öka", lambda: f"{rng.randint(0, 5)}/5"),
        ("Nytt värde", "Samtliga", lambda: f"{rng.randint(0, 5)}/5"),
        ("10-15%", "Öka", lambda: f"{rng.uniform(5, 20):.1f}%"),
        ("99 %", "Bibehåll", lambda: f"{rng.uniform(95, 100):.1f} %"),
        ("8,7% (augusti 2024)", "Minska/Bibehålla", lambda: f"{rng.uniform(5, 12):.1f}%"),
        ("+1,4%*", "+/- 0,5 %", lambda: f"{rng.uniform(-2, 2):.1f}%"),
    ]
    rows = []
    for i in range(n):
        baseline, target, outcome = kinds[i % len(kinds)]
        rows.append({"Nämndmål": f"N{i // 25}", "Ingående värde": baseline, "Riktvärde 2025": target,
                     "Utfall": outcome().replace(".", ","), "Aktiviteter": rng.choice(["JA", "NEJ", None])})
    return pd.DataFrame(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=1_000_000)
    args = parser.parse_args()
    book = load_rulebook()
    uncached = Engine(book, memo_size=0)
    plain = PlainRules(book)
    rng = random.Random(7)
    facts = [(rng.choice(("gt", "ge", "lt", "le")), rng.randint(0, 10**6), rng.randint(0, 10**6),
              rng.random() < 0.5) for _ in range(20_000)]

    def raw(decider):
        def run(n):
            for i in range(n):
                decider.grade(*facts[i % len(facts)])
        return run

    engine_raw = rate(raw(uncached), 20_000)
    plain_raw = rate(raw(plain), 200_000)
    print(f"Rå klassning (R2), durable-rules utan minne: {engine_raw:,.0f} beslut/s")
    print(f"Rå klassning (R2), ren Python if/elif:       {plain_raw:,.0f} beslut/s")
    print(f"  kvot motor/ren Python (rå):                {plain_raw / engine_raw:.1f}x")

    table = typed_indicators(20_000, seed=3)
    cells = [tuple(None if pd.isna(x) else x for x in row) for row in
             zip(table["Ingående värde"], table["Riktvärde 2025"], table["Utfall"], table["Aktiviteter"])]

    def full(decider):
        def run(n):
            for i in range(n):
                grade_indicator(*cells[i % len(cells)], book=book, engine=decider)
        return run

    rate(full(plain), 2_000)  # warm the parse caches for both
    engine_full = rate(full(uncached), 20_000)
    plain_full = rate(full(plain), 20_000)
    memo = Engine(book)
    rate(full(memo), 20_000)  # the memo fills with the distinct facts of these indicators
    memo_full = rate(full(memo), 20_000)
    print(f"Helt indikatorbeslut (läsa, klassa, förklara), motor utan minne: {engine_full:,.0f} beslut/s")
    print(f"Helt indikatorbeslut, ren Python:                            {plain_full:,.0f} beslut/s")
    print(f"  kvot motor/ren Python (helt beslut):                       {plain_full / engine_full:.1f}x")
    print(f"Helt indikatorbeslut, motor med beslutsminne ({memo.posts} olika fakta): {memo_full:,.0f} beslut/s, "
          f"kvot {plain_full / memo_full:.1f}x")

    big = typed_indicators(10_000)
    for label in ("kall (ny motor, tomma cacher)", "varm"):
        if label.startswith("kall"):
            clear_caches()
        start = time.perf_counter()
        graded = grade_indicators(big, book=book)
        goals = rollup_goals(pd.concat([big, graded], axis=1), book=book)
        elapsed = time.perf_counter() - start
        posts = engine_module.get_engine(book).posts
        print(f"10 000 indikatorer bedömda och sammanvägda till {len(goals)} mål, {label}: {elapsed:.3f} s "
              f"({posts} beslut gick genom durable-rules totalt)")

    memo_engine = engine_module.get_engine(book)
    n = args.decisions
    warm = 50_000
    for i in range(warm):
        memo_engine.grade(*facts[i % len(facts)])
        uncached.grade(*facts[i % len(facts)])
    before = rss_mb()
    start = time.perf_counter()
    for i in range(n):
        uncached.grade("gt", i % 1_000_003, 500_000, i & 1)
    elapsed = time.perf_counter() - start
    after = rss_mb()
    print(f"RSS före/efter {n:,} beslut genom durable-rules: {before:.1f} MB / {after:.1f} MB "
          f"(ökning {after - before:+.1f} MB, {n / elapsed:,.0f} beslut/s)")


if __name__ == "__main__":
    main()
