"""The durable-rules owner: rules declared in the rulebook, first hit, thread safety, session hygiene,
the start-up check on the rulebook's own examples, and a rulebook edit changing results."""

import os
import threading
from pathlib import Path

import pytest

from rules import engine as engine_module
from rules.engine import Engine, get_engine
from rules.errors import EngineError, RulebookError
from rules.goals import goal_status
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook, rulebook_path
from rules.selftest import check_examples

CASES = [
    ("61%", "Öka", "65%", None), ("61%", "Öka", "60%", "JA"), ("3/5", "Öka", "2/5", None),
    ("10-15%", "Öka", "15%", "JA"), ("", "+/- 0,5 %", "-0,6%", "JA"), ("Nytt värde", "Samtliga", "4/5", None),
    ("JA", "JA", "NEJ", "JA"), ("99 %", "Bibehåll", "98,9%", None), ("8,7%", "Minska/Bibehålla", "8,7%", None),
    ("2", "4", "5", None),
]


def _run(calls, engine, offset=0):
    out = []
    for i in range(calls):
        case = CASES[i % len(CASES)]
        # vary the outcome so every call is a new fact for the engine (no memo in play)
        outcome = f"{50 + ((i + offset) % 5000) / 100:.2f}%".replace(".", ",") if case[2].endswith("%") else case[2]
        result = grade_indicator(case[0], case[1], outcome, case[3], engine=engine)
        out.append((result.score, result.colour, result.rule, result.explanation))
    return out


def test_four_threads_get_exactly_the_sequential_answers():
    """Four threads on one durable-rules engine (no decision memo): every call goes through the
    engine, and every thread gets exactly the answers of a sequential run."""
    calls = 4000
    engine = Engine(load_rulebook(), memo_size=0)
    expected = _run(calls, engine)
    posts_before = engine.posts["indikator"]
    results = [None] * 4
    errors = []

    def worker(slot):
        try:
            results[slot] = _run(calls, engine)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert engine.posts["indikator"] - posts_before == 4 * calls
    assert all(result == expected for result in results)


def test_sessions_are_deleted_past_the_1024_cap():
    engine = Engine(load_rulebook(), memo_size=0)
    fact = {"budget_noll": 0, "foljsamhet": 0}
    for units in range(3000):  # durable-rules fails at the 1,025th live session if they are kept
        fact["foljsamhet"] = units - 1000
        assert engine.decide("budget", fact).id in ("R5.band.gron", "R5.band.gul", "R5.band.rod")
    assert engine.posts["budget"] == 3000


def _indicator_fact(**changes):
    fact = {"riktvarde": "oka", "har_utfall": 1, "har_ingaende": 1, "aktiviteter": 0, "utfall": 2, "ingaende_lag": 1,
            "ingaende_hog": 1, "troskel": 0, "foljsamhet": 0, "gron_grans": 0}
    fact.update(changes)
    return fact


@pytest.mark.parametrize("changes", [{"utfall": "50"}, {"utfall": 0.5}, {"utfall": True}, {"utfall": None},
                                     {"riktvarde": "öka"}, {"aktiviteter": 2}, {"utfall": 2**63}])
def test_only_whole_numbers_and_known_words_reach_the_engine(changes):
    engine = get_engine()
    with pytest.raises(EngineError):
        engine.decide("indikator", _indicator_fact(**changes))


def test_a_fact_must_have_exactly_its_decisions_fields():
    engine = get_engine()
    fact = _indicator_fact()
    del fact["troskel"]
    with pytest.raises(EngineError, match="troskel"):
        engine.decide("indikator", fact)
    with pytest.raises(EngineError, match="Okänt beslut"):
        engine.decide("gissning", fact)


def test_the_first_rule_that_holds_decides():
    engine = Engine(load_rulebook(), memo_size=0)
    # 0,80 holds for R3.band.uppfyllt and R3.band.delvis (and the last rule): the first written decides
    fact = {"har_indikatorer": 1, "antal": 4, "medel": 80, "dominanta": 0, "dominant_farg": "ingen", "dominant_fel": 0}
    assert engine.decide("mal", fact).id == "R3.band.uppfyllt"
    # with a yellow dominant indicator the cap rule, written before the bands, decides
    assert engine.decide("mal", {**fact, "dominanta": 1, "dominant_farg": "Gul"}).id == "R3.cap.gul"
    # two dominant indicators: the cap rule does not hold (dominanta = 1 is its condition)
    assert engine.decide("mal", {**fact, "dominanta": 2, "dominant_farg": "Gul"}).id == "R3.band.uppfyllt"


def test_an_exception_in_an_action_is_raised():
    engine = Engine(load_rulebook(), memo_size=0)
    name = engine._rulesets["budget"][None]
    ruleset = engine_module._HOST.get_ruleset(name)
    original = dict(ruleset._actions)

    def broken(c):
        raise RuntimeError("trasig åtgärd")

    from durable.engine import Promise
    for key in ruleset._actions:
        ruleset._actions[key] = Promise(broken)
    try:
        with pytest.raises(EngineError, match="föll"):
            engine.decide("budget", {"budget_noll": 0, "foljsamhet": 1000})
    finally:
        ruleset._actions.update(original)
    assert engine.decide("budget", {"budget_noll": 0, "foljsamhet": 1000}).id == "R5.band.gron"


def test_the_memo_answers_a_known_fact_without_posting():
    engine = Engine(load_rulebook(), memo_size=16)
    fact = {"budget_noll": 0, "foljsamhet": 990}
    first = engine.decide("budget", fact)
    assert engine.decide("budget", dict(fact)) is first
    assert engine.posts["budget"] == 1
    for units in range(40):  # the memo is bounded
        engine.decide("budget", {"budget_noll": 0, "foljsamhet": units})
    assert len(engine._memo) == 16


# --- the rulebook as data -------------------------------------------------------------------------------
def _edited_rulebook(tmp_path, old, new, count=1):
    text = rulebook_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "vp2025.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def test_changing_a_threshold_in_the_rulebook_changes_the_result(tmp_path):
    scores = [1, 1, 1, 0.5, 0]  # 0,70
    assert goal_status(scores).status == "Uppfyllt"
    path = _edited_rulebook(tmp_path, "uppfyllt = 0.70", "uppfyllt = 0.75")
    # the rule's examples say 32/46 (0,70) is Uppfyllt: the edited rulebook must say otherwise there too
    path.write_text(path.read_text(encoding="utf-8").replace(
        '{ poang_antal = { "1" = 32, "0" = 14 }, expect = { status = "Uppfyllt" } }',
        '{ poang_antal = { "1" = 38, "0" = 12 }, expect = { status = "Uppfyllt" } }'), encoding="utf-8")
    edited = load_rulebook(path)
    assert goal_status(scores, book=edited).status == "Delvis uppfyllt"
    assert goal_status(scores).status == "Uppfyllt"  # the 2025 rulebook is untouched


def test_changing_a_grade(tmp_path):
    path = _edited_rulebook(tmp_path, "grade = 0.5\ncolour = \"Gul\"\nlabel = \"inte förbättrat trots aktiviteter\"",
                            "grade = 0.25\ncolour = \"Gul\"\nlabel = \"inte förbättrat trots aktiviteter\"")
    path.write_text(path.read_text(encoding="utf-8").replace(
        'utfall = "61%", aktiviteter = "JA", expect = { poang = 0.5 }', 'utfall = "61%", aktiviteter = "JA"'),
        encoding="utf-8")
    edited = load_rulebook(path)
    result = grade_indicator("61%", "Öka", "60%", "JA", book=edited)
    assert result.score == 0.25 and result.explanation.endswith("0,25. (regel R2.not_met.aktiviteter)")


def test_reordering_rules_changes_which_decides(tmp_path):
    """The order written in the rulebook is the order the engine tries: the bands put before the cap
    rules means a yellow dominant indicator no longer caps the goal."""
    text = rulebook_path().read_text(encoding="utf-8")
    start = text.index('[[rules.mal]]\nid = "R3.cap.rod"')
    end = text.index('[[rules.mal]]\nid = "R3.band.uppfyllt"')
    caps = text[start:end]
    path = tmp_path / "vp2025.toml"
    moved = text[:start] + text[end:]
    anchor = moved.index("# R4 kf (council goal)")
    path.write_text(moved[:anchor] + caps + moved[anchor:], encoding="utf-8")
    with pytest.raises(RulebookError, match="R3.cap.rod|R3.cap.gul|sista regeln"):
        get_engine(load_rulebook(path))


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("rate = 0.03", "rate = \"tre\"", "saving.rate"),
        ("LSS = 0.80", "LSS = 0.70", "summerar inte till 1"),
        ("\"Öka\" = \"oka\"", "\"Öka\" = \"Större!\"", "indicator.target_words.Öka"),
        ("round_decimals = 2", "round_decimals = \"två\"", "goal.round_decimals"),
        ("[saving]", "[sparande]", "saving.rate"),
        ("year = 2025", "year = ", "går inte att läsa"),
        ('when = { riktvarde = "oka", utfall = { gt = "ingaende_hog" } }',
         'when = { riktvarde = "oka", utfal = { gt = "ingaende_hog" } }', "R2.oka.met: 'utfal' är inget faktum"),
        ('when = { riktvarde = "oka", utfall = { gt = "ingaende_hog" } }',
         'when = { riktvarde = "öka", utfall = { gt = "ingaende_hog" } }', "R2.oka.met: 'riktvarde' kan inte vara 'öka'"),
        ('then = { verdict = "met" }', 'then = { verdict = "bra" }', "R2.oka.met: utfallet 'bra'"),
        ('then = { status = "Uppfyllt" }', 'then = { status = "Bra" }', "R3.band.uppfyllt: statusen 'Bra'"),
        ('foljsamhet = { ge = "@budget.thresholds.gron" }', 'foljsamhet = { ge = "@budget.thresholds.blå" }',
         "hänvisar till 'budget.thresholds.blå'"),
        ("gron = 99.5", "gron = 99.45", "fler decimaler"),
        ('id = "R2.minska.met"', 'id = "R2.oka.met"', "R2.oka.met finns två gånger"),
        ('text = "Ej bedömd: riktvärde saknas."', 'text = "Ej bedömd: {orsak}."', "nämner {orsak}"),
        ('then = { differs = false }', 'when = { skillnad = 0 }\nthen = { differs = false }', "sista regeln"),
        ('examples = [{ radtyp = "Rad", volymbaserad = "JA" }]', 'examples = []', "R8.base.volymbaserad saknar exempel"),
    ],
)
def test_a_bad_rulebook_stops_the_start(tmp_path, old, new, fragment):
    path = _edited_rulebook(tmp_path, old, new)
    with pytest.raises(RulebookError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        get_engine(load_rulebook(path))


@pytest.mark.parametrize(
    "old, new, rule",
    [
        # an example that another rule decides
        ('examples = [{ ingaende = "61%", riktvarde = "Öka", utfall = "65%", expect = { poang = 1.0 } }',
         'examples = [{ ingaende = "61%", riktvarde = "Öka", utfall = "61%", expect = { poang = 1.0 } }', "R2.oka.met"),
        # an expectation the rule does not give
        ('expect = { LSS = 34.9, SoL = 8.7 }', 'expect = { LSS = 35.0, SoL = 8.6 }', "R6.split.gemensam"),
        # a threshold edit that contradicts the rule's own example (R5: 99,7 % is green)
        ("gron = 99.5", "gron = 99.8", "R5.band.gron"),
    ],
)
def test_an_example_that_disagrees_stops_the_start_and_names_the_rule(tmp_path, old, new, rule):
    path = _edited_rulebook(tmp_path, old, new)
    with pytest.raises(RulebookError, match="stämmer inte med sina exempel") as error:
        get_engine(load_rulebook(path))
    assert f"regeln {rule}, exempel 1" in str(error.value)


def test_every_rule_is_fired_by_its_own_examples():
    book = load_rulebook()
    engine = Engine(book, memo_size=0)
    check_examples(engine)  # raises if an example fires another rule
    examples = sum(len(rule.examples) for rules in book.rules.values() for rule in rules)
    assert sum(engine.posts.values()) >= examples
    assert set(engine.posts) == set(book.rules)


def test_missing_rulebook():
    with pytest.raises(RulebookError, match="finns inte"):
        load_rulebook(Path("/nonexistent/vp2031.toml"))


def test_an_edited_rulebook_file_is_read_again(tmp_path):
    path = tmp_path / "vp2025.toml"
    path.write_text(rulebook_path().read_text(encoding="utf-8"), encoding="utf-8")
    first = load_rulebook(path)
    assert load_rulebook(path) is first
    path.write_text(path.read_text(encoding="utf-8").replace("tolerance = 0.05", "tolerance = 0.1"), encoding="utf-8")
    os.utime(path, ns=(later := path.stat().st_mtime_ns + 10**9, later))
    second = load_rulebook(path)
    assert second is not first and second.get("reconciliation.tolerance") == 0.1
