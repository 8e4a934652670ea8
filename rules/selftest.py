"""The start-up check: every example of every rule in the rulebook runs through the engine, by the
same functions the workbook and the Excel functions use. An example that fires another rule, or
gives another outcome than its `expect`, stops the start with a message naming the rule; so does a
rule that no example fires."""

from fractions import Fraction

from . import values as v
from .analysis import indicator_analysis, kf_analysis
from .budget import budget_adherence, decide_reconciliation, exact, saving_base_row
from .budget_assess import decide_budget_truth
from .engine import scale_int
from .errors import RulebookError, VPInputError
from .facts import MICRO
from .goals import GoalResult, goal_status, kf_status
from .indicator import grade_indicator
from .kolada import above_comparison
from .splits import split
from .trend import indicator_trend


def _grades(example):
    if "poang_antal" in example:
        return [float(Fraction(grade)) for grade, count in example["poang_antal"].items() for _ in range(count)]
    return example.get("poang", [])


def _run(engine, decision, example):
    """(rule id that decided, outcome values to compare with `expect`)."""
    book = engine.book
    if decision == "indikator":
        r = grade_indicator(example.get("ingaende"), example.get("riktvarde"), example.get("utfall"),
                            example.get("aktiviteter"), book, engine=engine)
        return r.rule, {"poang": r.score, "colour": r.colour}
    if decision == "mal":
        r = goal_status(_grades(example), example.get("dominant"), book, engine=engine,
                        dominants=example.get("dominanta"))
        return r.rule, {"status": r.status, "medel": r.average}
    if decision == "kf":
        goal = GoalResult(None, example["status"], "", "")
        r = kf_status(goal, bool(example.get("namndmal")), example.get("manuell"), example.get("motivering"), book,
                      goal_name=example.get("namndmal", ""), engine=engine)
        return r.rule, {"status": r.status}
    if decision == "budget":
        r = budget_adherence(example["budget"], example["utfall"], book, engine=engine)
        return r.rule, {"colour": r.colour}
    if decision == "budgetsida":
        r = budget_adherence(example["budget"], example["utfall"], book, engine=engine)
        rule = engine.decide("budgetsida", {"avvikelse": min(max(scale_int(r.deviation, MICRO), -(2**61)), 2**61)})
        return rule.id, {"side": r.side}
    if decision == "budgetsanning":
        board = budget_adherence(example["budget"], example["utfall"], book, engine=engine)
        typed = v.parse_value(example["angiven"], "angiven", book).number
        r = decide_budget_truth(typed, board.deviation / abs(exact(example["budget"])), book, engine)
        return r.rule, {"differs": r.differs}
    if decision == "budgetrad":
        volume = v.read_yes_no(example.get("volymbaserad"), "volymbaserad", book)
        r = saving_base_row(v.fold(example["radtyp"]), volume, book, engine=engine)
        return r.rule, {"in_base": r.in_base}
    if decision == "fordelning":
        r = split(example["slag"], example["belopp"], example.get("hs_del"), None, book, engine=engine)
        return r.rule, dict(r.parts)
    if decision == "avstamning":
        rule, _, _ = decide_reconciliation(example["rader"], example["summa"], book, engine)
        return rule.id, {"differs": rule.then["differs"]}
    if decision == "kolada":
        r = above_comparison(example["varde"], example["jamforelse"], book, engine=engine)
        return r.rule, {"above": r.above}
    if decision == "trend":
        r = indicator_trend(example.get("riktvarde"), example.get("foregaende"), example.get("utfall"), book,
                            engine=engine, period="perioden", previous_period="föregående period")
        return r.rule, {"trend": r.trend}
    if decision == "analys":
        if example["niva"] == "kf":
            r = kf_analysis(example["kf"], "perioden", example.get("bedomning"), book, engine=engine)
        else:
            r = indicator_analysis(example["kf"], example["indikator"], example.get("namn", ""), "perioden",
                                   example.get("farg"), example.get("trend"), example.get("atgard"), book,
                                   engine=engine)
        return r.rule, {"complete": r.complete}
    raise RulebookError(f"Okänt beslut {decision}.")


def check_examples(engine):
    book = engine.book
    problems = []
    for decision, rules in book.rules.items():
        for rule in rules:
            for number, example in enumerate(rule.examples, start=1):
                label = f"regeln {rule.id}, exempel {number}"
                try:
                    fired, outcome = _run(engine, decision, example)
                except VPInputError as exc:
                    fired, outcome = exc.rule, {}
                    if fired != rule.id:
                        problems.append(f"{label} gav felet: {exc}")
                        continue
                except (KeyError, TypeError) as exc:
                    problems.append(f"{label} saknar eller har fel värde: {exc}")
                    continue
                if fired != rule.id:
                    problems.append(f"{label} avgjordes av regeln {fired}")
                    continue
                for name, expected in example.get("expect", {}).items():
                    if outcome.get(name) != expected:
                        problems.append(f"{label}: {name} blev {outcome.get(name)!r}, inte {expected!r}")
    if problems:
        raise RulebookError(f"Regelboken {book.path.name} stämmer inte med sina exempel: " + "; ".join(problems[:5])
                            + (f" … och {len(problems) - 5} till." if len(problems) > 5 else "."))
