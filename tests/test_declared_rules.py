"""Decisions that used to be bare Python comparisons are declared rules in the rulebook, decided by
the engine (issue 14): the HS share's validity (R6), surplus or deficit (R5.sida), the typed
tolerance band (R2.budget, RULES R2 2026-12-04) and the one budget truth (R5.sanning). A rule added
only in the TOML that compares the outcome with a number above 1 works."""

from decimal import Decimal

import pytest

from rules.budget import budget_adherence
from rules.budget_assess import decide_budget_truth
from rules.engine import Engine, get_engine
from rules.errors import VPInputError
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook, rulebook_path
from rules.splits import split


def _edited(tmp_path, *replacements):
    text = rulebook_path().read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "vp2025.toml"
    path.write_text(text, encoding="utf-8")
    return load_rulebook(path)


# RULES R2 (the typed tolerance counts, 2026-12-04): its own examples
@pytest.mark.parametrize("band, outcome, score, colour", [
    ("+/- 1 %", "+0,9 %", 1.0, "Grön"), ("+/- 1 %", "+1,5 %", 0.5, "Gul"), ("+/- 0,5 %", "+0,55 %", 1.0, "Grön"),
    ("+/- 3 %", "-2,5 %", 1.0, "Grön"), ("+/- 3 %", "3,5 %", 0.0, "Röd"),
    ("+/- 0,5 %", "+0,8 %", 0.5, "Gul"), ("+/- 0,5 %", "-0,5 %", 1.0, "Grön"),
])
def test_the_typed_tolerance_is_the_green_edge(band, outcome, score, colour):
    result = grade_indicator("", band, outcome, "NEJ")
    assert (result.score, result.colour) == (score, colour)
    assert result.rule.startswith("R2.budget.")


def test_the_green_edge_is_decided_by_the_rule_in_the_rulebook(tmp_path):
    """Moving R2.budget.gron's comparison from the typed edge to R5's fixed band changes the verdict of
    +/- 1 %, +0,9 %: the rule decides, not code."""
    book = _edited(tmp_path, ('when = { riktvarde = "tolerans", foljsamhet = { ge = "gron_grans" } }',
                              'when = { riktvarde = "tolerans", foljsamhet = { ge = "@budget.thresholds.gron" } }'),
                   ('{ ingaende = "", riktvarde = "+/- 1 %", utfall = "+0,9%", expect = { poang = 1.0 } }, ', ''),
                   ('{ ingaende = "", riktvarde = "+/- 3 %", utfall = "-2,5%", expect = { poang = 1.0 } }', ''),
                   ('{ ingaende = "", riktvarde = "+/- 0,5 %", utfall = "+0,55%", expect = { poang = 1.0 } }, ', ''),
                   ('{ ingaende = "", riktvarde = "+/- 3 %", utfall = "3,5%", expect = { poang = 0.0 } }', ''))
    assert grade_indicator("", "+/- 1 %", "+0,9 %", "NEJ", book, engine=Engine(book)).colour == "Gul"


def test_surplus_or_deficit_is_the_engines_decision(tmp_path):
    engine = Engine(load_rulebook(), memo_size=0)
    assert budget_adherence(100, 98, engine=engine).side == "överskott"
    assert budget_adherence(100, 101, engine=engine).side == "underskott"
    assert budget_adherence(100, 100, engine=engine).side == "överskott"  # on budget: no deficit
    assert engine.posts["budgetsida"] == 3
    # the rulebook says where the line is: with `gt = 0` an exact hit is no longer a surplus
    book = _edited(tmp_path, ("when = { avvikelse = { ge = 0 } }", "when = { avvikelse = { gt = 0 } }"),
                   ("{ budget = 100, utfall = 98, expect = { side = \"överskott\" } }, { budget = 100, utfall = 100 }",
                    "{ budget = 100, utfall = 98, expect = { side = \"överskott\" } }"),
                   ("{ budget = 100, utfall = 101, expect = { side = \"underskott\" } }",
                    "{ budget = 100, utfall = 101, expect = { side = \"underskott\" } }, { budget = 100, utfall = 100 }"))
    assert budget_adherence(100, 100, book, engine=Engine(book)).side == "underskott"


@pytest.mark.parametrize("amount, hs, rule", [
    (10, 12, "R6.fel.hs"), (-10, -12, "R6.fel.hs"), (0, 1, "R6.fel.hs"),
    (10, -2, "R6.fel.hs_tecken"), (-10, 2, "R6.fel.hs_tecken"),
])
def test_an_impossible_hs_part_is_refused_by_a_declared_rule(amount, hs, rule):
    with pytest.raises(VPInputError) as caught:
        split("gemensam", amount, hs)
    assert caught.value.rule == rule and caught.value.where == "hs_del"


@pytest.mark.parametrize("amount, hs, parts", [(-10, -2, {"LSS": -6.4, "SoL": -1.6}), (10, 10, {"LSS": 0.0, "SoL": 0.0}),
                                               (46.2, 2.6, {"LSS": 34.9, "SoL": 8.7})])
def test_a_possible_hs_part_splits_the_rest(amount, hs, parts):
    result = split("gemensam", amount, hs)
    assert result.rule == "R6.split.gemensam" and result.parts == parts


@pytest.mark.parametrize("typed, differs", [("0.008", True), ("-0.0136", True), ("-0.0137", False),
                                            ("-0.0157", False), ("-0.0158", True)])
def test_one_budget_truth_tolerance_is_a_tenth_of_a_point_exactly(typed, differs):
    board = Decimal("-0.0147")  # a board total of -1,47 % (the example's), as a share
    assert decide_budget_truth(Decimal(typed), board).differs is differs


def test_a_toml_only_rule_comparing_the_outcome_with_two_works(tmp_path):
    """A riktvärde word and its rule added only in the TOML ("Minst två": the outcome at least 2): a
    plain outcome of 3 is met, 1 is not, and a percentage is refused naming the number the rule uses
    (earlier every literal was taken for a share and 3 was refused with a hint about Samtliga)."""
    book = _edited(tmp_path, ('"Minska/Bibehålla" = "minska_bibehalla"\n',
                              '"Minska/Bibehålla" = "minska_bibehalla"\n"Minst två" = "minst_tva"\n'),
                   ("# Not met (plan 1.3)", '''[[rules.indikator]]
id = "R2.minst_tva.met"
about = "Minst två: uppfyllt när utfallet är minst 2."
when = { riktvarde = "minst_tva", utfall = { ge = 2 } }
then = { verdict = "met" }
villkor = "minst 2"
text = "Utfall {utfall} är {villkor} (riktvärde {riktvarde}): förbättrat, {poang}."
examples = [{ ingaende = "", riktvarde = "Minst två", utfall = "3", expect = { poang = 1.0 } }]

# Not met (plan 1.3)'''))
    engine = get_engine(book)  # starts: the new rule's own example passes the self-test
    met = grade_indicator("", "Minst två", "3", "NEJ", book, engine=engine)
    assert (met.score, met.rule) == (1.0, "R2.minst_tva.met")
    assert grade_indicator("", "Minst två", 2, "NEJ", book, engine=engine).score == 1.0
    assert grade_indicator("", "Minst två", "1", "JA", book, engine=engine).rule == "R2.not_met.aktiviteter"
    with pytest.raises(VPInputError, match="jämför med talet 2"):
        grade_indicator("", "Minst två", "60 %", "NEJ", book, engine=engine)
    # the plan's Samtliga (a share, 1,0) still refuses a plain 5
    with pytest.raises(VPInputError, match="Samtliga"):
        grade_indicator("", "Samtliga", "5", "NEJ", book, engine=engine)
