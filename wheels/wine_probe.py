"""Run inside the Python under test (Windows CPython under wine, or this Linux one to compare):

    python wheels/wine_probe.py CASES.json

Imports `rules` (so the durable-rules .pyd), builds the engine (which runs the rulebook's self-test:
every example of every rule, start refused on a disagreement), grades every case in CASES.json
(the plan's indicators with the example's outcomes, written by wine_python_check.py) and prints one
JSON object: the Python, the engine's module file, and each indicator's score, colour, rule and
explanation. Imports nothing that needs numpy or pandas (numpy is tried in a process of its own: under
wine its failure can abort the process).
"""

import json
import sys


def main(cases_path):
    import durable_rules_engine

    from rules.engine import get_engine
    from rules.indicator import grade_indicator
    from rules.rulebook import load_rulebook

    book = load_rulebook()
    engine = get_engine(book)  # builds the rulesets and runs rules.selftest.check_examples
    examples = sum(len(rule.examples) for rules in book.rules.values() for rule in rules)
    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    graded = {}
    for case in cases:
        try:
            result = grade_indicator(case["ingaende"], case["riktvarde"], case["utfall"], case["aktiviteter"],
                                     book=book, engine=engine)
            graded[case["id"]] = [result.score, result.colour, result.rule, result.explanation]
        except Exception as exc:  # noqa: BLE001 - a refusal is an outcome too (the same on both sides)
            graded[case["id"]] = ["fel", type(exc).__name__, str(exc)]
    print(json.dumps({"python": sys.version.split()[0], "platform": sys.platform,  # not platform.platform(): its WMI query aborts under wine
                     
                      "engine_module": durable_rules_engine.__file__.replace("\\", "/").rsplit("/", 1)[-1],
                      "selftest_examples": examples, "graded": graded},
                     ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
