"""Time per call of the whole catalogue on hostile and careless input: the red team's reproducers
and random calls (random unicode, Swedish number forms, number types, NaN/inf, dates, ragged ranges,
Excel error texts, long texts). Prints the slowest calls and the time distribution; exit status 1 if
any call took longer than the bound (2 s).

Run: python bench/fuzz.py [--calls N] [--seed S]
"""

import argparse
import datetime
import inspect
import random
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xl_addin import udfs  # noqa: E402

BOUND = 2.0
SWEDISH = ["61%", "+1,4%", "71,9 (2023)", "1 000,5", "Medel 83% (samtliga insatser)", "3/5", "Tre av fem insatser",
           "Samtliga", "JA", "10-15%", "Nytt värde", "Öka", "+/- 0,5 %", "minst 30%", "1.000", "\u22125,5", "N1",
           "Grön", "R2.oka.met", "#N/A", "#VALUE!", "=WEBSERVICE(A1)", "juni"]
REPRODUCERS = [
    ("VP_SAVING", ([[1, 2], [3]],)), ("VP_SAVING", (10**400,)), ("VP_BUDGETSTATUS", (5e-324, 1)),
    ("VP_GOALSCORE", ("1/" + "1" * 5000,)), ("VP_INDICATORSCORE", ("² av 5", "Öka", "3 av 5")),
    ("VP_RULE", ("goal.bands.²",)), ("VP_INDICATORSCORE", ("61%", "Öka", "(a)" * 10900)),
    ("VP_SAVING", ("1" * 400,)), ("VP_INDICATORSCORE", ("x" * 1_000_000, "Öka", "1")),
    ("VP_INDICATORSCORE", ([["61%"]] * 5000, "Öka", [["(a)" * 300]] * 5000)),
    ("VP_GOALSTATUS", ([["N1", 1]], [["Id", "KF-mål", "Nämndmål"]] + [["I", 1, "N1"]] * 20000)),
]


def scalar(rng):
    pick = rng.randrange(12)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False, 10**400, -(2**63), 5e-324, float("nan"), float("inf")])
    if pick == 2:
        return rng.uniform(-1e16, 1e16)
    if pick == 3:
        return rng.choice([Decimal("NaN"), Decimal("1e500"), Fraction(10**400, 7), Decimal("0.5")])
    if pick == 4:
        return rng.choice([datetime.date(2025, 5, 4), datetime.datetime(2025, 1, 1, 8), datetime.time(9)])
    if pick in (5, 6, 7):
        return rng.choice(SWEDISH)
    if pick == 8:
        return "".join(chr(rng.randrange(32, 0x2FFFF)) for _ in range(rng.randrange(0, 3000)))
    if pick == 9:
        return rng.choice(["(a)", "*", "1", " av ", "%"]) * rng.randrange(0, 12000)
    return str(rng.randrange(-100, 100)) + rng.choice(["", "%", " %", ",5", "/5"])


def argument(rng):
    if rng.random() < 0.25:
        return [[scalar(rng) for _ in range(rng.randrange(0, 4))] for _ in range(rng.randrange(0, 40))]
    return scalar(rng)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    timings = []
    for name, call_args in REPRODUCERS:
        start = time.perf_counter()
        getattr(udfs, name)(*call_args)
        timings.append((time.perf_counter() - start, name, "reproducer"))
    for _ in range(args.calls):
        function = rng.choice(udfs.CATALOGUE)
        parameters = inspect.signature(function).parameters
        required = sum(1 for p in parameters.values() if p.default is inspect.Parameter.empty)
        call_args = [argument(rng) for _ in range(rng.randint(required, len(parameters)))]
        start = time.perf_counter()
        result = function(*call_args)
        timings.append((time.perf_counter() - start, function.__name__, "slumpad"))
        if isinstance(result, str) and len(result) > udfs.MAX_TEXT:
            print(f"FÖR LÅNG TEXT från {function.__name__}: {len(result)} tecken")
            return 1
    timings.sort(reverse=True)
    ordered = sorted(t for t, _, _ in timings)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    print(f"{len(timings)} anrop: median {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {ordered[-1] * 1000:.1f} ms "
          f"(gräns {BOUND * 1000:.0f} ms)")
    for seconds, name, kind in timings[:5]:
        print(f"  {seconds * 1000:8.1f} ms  {name} ({kind})")
    return 0 if ordered[-1] <= BOUND else 1


if __name__ == "__main__":
    sys.exit(main())
