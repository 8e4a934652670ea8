"""R2 on all 24 indicators of the plan (baselines and targets as transcribed), and on cases the plan
does not show: operators, range baselines, tolerance edges, units, bad words."""

import pytest

from rules.errors import VPInputError
from rules.indicator import grade_indicator

# Id -> (outcome as an economist would type it, activities, expected grade, expected colour, the rule
# that must decide).
# Grades worked out by hand from RULES.md R2, not by the code under test.
PLAN_CASES = {
    "I01": ("5/5", None, 1.0, "Grön", "R2.samtliga.met"),            # Samtliga, no baseline needed
    "I02": ("3/5", "JA", 0.5, "Gul", "R2.not_met.aktiviteter"),             # Öka from 3/5: equal is not improved
    "I03": ("65%", None, 1.0, "Grön", "R2.oka.met"),
    "I04": ("40%", "JA", None, "Grå", "R2.ej_bedomd.riktvarde_saknas"),            # no target in the plan -> Ej bedömd
    "I05": ("28%", "NEJ", 0.0, "Röd", "R2.not_met.inga_aktiviteter"),            # numeric target 30 %
    "I06": ("4", None, 1.0, "Grön", "R2.minst.met"),              # numeric target 4, >= by default
    "I07": ("83%", "JA", 0.5, "Gul", "R2.not_met.aktiviteter"),             # Medel 83% -> 83 % is not > 83 %
    "I08": ("91%", None, 1.0, "Grön", "R2.oka.met"),
    "I09": ("Fyra av fem insatser", "NEJ", 0.0, "Röd", "R2.not_met.inga_aktiviteter"),
    "I10": ("Samtliga", None, 1.0, "Grön", "R2.samtliga.met"),
    "I11": ("72,4 (2024)", None, 1.0, "Grön", "R2.oka.met"),
    "I12": ("NEJ", "JA", 0.5, "Gul", "R2.not_met.aktiviteter"),
    "I13": ("99%", None, 1.0, "Grön", "R2.bibehall.met"),            # Bibehåll: equal is kept
    "I14": (None, None, None, "Grå", "R2.ej_bedomd.riktvarde_saknas"),
    "I15": ("12%", None, None, "Grå", "R2.ej_bedomd.riktvarde_saknas"),
    "I16": ("-0,5 %", None, 1.0, "Grön", "R2.budget.gron"),         # the edge of +/- 0,5 %
    "I17": ("66", None, 0.0, "Röd", "R2.not_met.inga_aktiviteter"),
    "I18": ("100%", None, 1.0, "Grön", "R2.minst.met"),
    "I19": ("15%", "JA", 0.5, "Gul", "R2.not_met.aktiviteter"),             # range 10-15%: Öka must beat 15 %
    "I20": (0.97, "JA", 0.5, "Gul", "R2.not_met.aktiviteter"),              # a percent-formatted cell holds 0,97
    "I21": ("82", None, 1.0, "Grön", "R2.oka_bibehalla.met"),             # Öka/Bibehålla
    "I22": ("10,5%", "NEJ", 0.0, "Röd", "R2.not_met.inga_aktiviteter"),          # Minska/Bibehålla
    "I23": ("84,2%", None, 1.0, "Grön", "R2.oka_bibehalla.met"),
    "I24": ("8,7 %", None, 1.0, "Grön", "R2.minska_bibehalla.met"),
}


def test_every_plan_indicator_has_a_case(plan_indicators):
    assert sorted(plan_indicators) == sorted(PLAN_CASES)
    assert len(plan_indicators) == 24


@pytest.mark.parametrize("indicator_id", sorted(PLAN_CASES))
def test_plan_indicators(plan_indicators, indicator_id):
    row = plan_indicators[indicator_id]
    outcome, activities, grade, colour, rule = PLAN_CASES[indicator_id]
    result = grade_indicator(row["Ingående värde"], row["Riktvärde 2025"], outcome, activities)
    assert (result.score, result.colour, result.rule) == (grade, colour, rule)
    assert result.explanation.endswith(f" (regel {rule})")
    if grade is None:
        assert result.status == "Ej bedömd"
        assert result.explanation.startswith("Ej bedömd: ")
    else:
        assert result.explanation.endswith(f"{str(grade).replace('.', ',').removesuffix(',0')}. (regel {rule})")


def test_explanation_reads_aloud():
    result = grade_indicator("61%", "Öka", "65%")
    assert result.explanation == ("Utfall 65\u00a0% är högre än ingående värde 61\u00a0% (riktvärde Öka): förbättrat, 1. "
                                  "(regel R2.oka.met)")
    result = grade_indicator("61%", "Öka", "60%", "JA")
    assert result.explanation == ("Utfall 60\u00a0% är inte högre än ingående värde 61\u00a0% (riktvärde Öka), aktiviteter "
                                  "finns: inte förbättrat trots aktiviteter, 0,5. (regel R2.not_met.aktiviteter)")
    result = grade_indicator("10-15%", "Öka", "15%")
    assert "15\u00a0% (övre gränsen av 10-15\u00a0%)" in result.explanation


def test_not_assessed_reasons():
    assert "ingående värde saknas ('Nytt värde')" in grade_indicator("Nytt värde", "Öka", "50%").explanation
    assert "utfall saknas" in grade_indicator("61%", "Öka", None).explanation
    assert "riktvärde saknas" in grade_indicator("61%", "", "50%").explanation
    # A numeric, Samtliga or JA target needs no baseline.
    assert grade_indicator("Nytt värde", "30%", "31%").score == 1.0
    assert grade_indicator("", "JA", "JA").score == 1.0


@pytest.mark.parametrize(
    "baseline, target, outcome, activities, grade",
    [
        ("10-15%", "Minska", "9%", None, 1.0),        # Minska compares with the lower end
        ("10-15%", "Minska", "12%", "JA", 0.5),
        ("10-15%", "Minska/Bibehålla", "15%", None, 1.0),  # kept inside the range
        ("10-15%", "Minska/Bibehålla", "15,1%", None, 0.0),
        ("10-15%", "Bibehålla", "10%", None, 1.0),          # kept inside the range
        ("10-15%", "Bibehålla", "9,9%", "JA", 0.5),
        ("10-15%", "Öka/Bibehålla", "12%", None, 1.0),
        ("", "högst 8%", "7%", None, 1.0),
        ("", "högst 8%", "8,1%", None, 0.0),
        ("", "<= 8%", "8%", None, 1.0),
        ("", ">= 30%", "30%", None, 1.0),
        ("", "minst 30%", "29,9%", "JA", 0.5),
        ("", "> 4", "4", None, 0.0),
        ("", "< 4", "3", None, 1.0),
        ("", "+/- 0,5 %", "+0,51%", None, 1.0),     # R5 bands: 99,49 % rounds to 99,5 %, green
        ("", "+/- 0,5 %", "+0,55%", None, 1.0),     # 99,45 % rounds half up to 99,5 %: green
        ("", "+/- 0,5 %", "+0,56%", None, 0.5),     # 99,44 % -> 99,4 %: yellow whatever the activities
        ("", "+/- 0,5 %", "+1,4%", "NEJ", 0.5),     # RULES R2: 98,6 % -> Gul 0,5
        ("", "+/- 0,5 %", "+1,4%", "JA", 0.5),
        ("", "+/- 0,5 %", "-2,05%", None, 0.5),     # 97,95 % -> 98,0 %: yellow
        ("", "+/- 0,5 %", "-2,06%", "JA", 0.0),     # 97,94 % -> 97,9 %: red even with activities
        ("", "+/- 0,5 %", "-2,5%", "JA", 0.0),      # RULES R2: 97,5 % -> Röd 0
        ("61%", "Öka", "61%", None, 0.0),           # RULES R2: Öka unchanged is not met
        ("61%", "Öka/Bibehålla", "61%", None, 1.0),  # ... but Öka/Bibehålla accepts it

        ("", "± 0,5 %", 0.005, None, 1.0),
        ("", "Samtliga", "5 av 5", None, 1.0),
        ("", "Samtliga", 1, None, 1.0),
        ("", "Samtliga", "99%", "JA", 0.5),
        ("", "JA", True, None, 1.0),
        ("", "JA", False, "Ja", 0.5),
        (0.61, "Öka", "62%", None, 1.0),              # 0,61 in a percent cell vs 62 %
        ("Medel 83% (samtliga insatser)", "öka", "83,1%", None, 1.0),  # words are case-insensitive
        ("3/5", "Öka", "Fyra av fem", None, 1.0),
        ("1 000", "Minska", "999,5", None, 1.0),
    ],
)
def test_cases_the_plan_does_not_show(baseline, target, outcome, activities, grade):
    assert grade_indicator(baseline, target, outcome, activities).score == grade


def test_mixed_units_name_the_cell_and_say_what_to_write():
    with pytest.raises(VPInputError) as error:
        grade_indicator("61%", "Öka", "65", where=("Indikatorer!E7", "Indikatorer!F7", "Indikatorer!K7", "L7"))
    message = str(error.value)
    assert message.startswith("Indikatorer!K7: '65'")
    assert "Skriv 65 %" in message
    with pytest.raises(VPInputError, match="^utfall: '35'"):
        grade_indicator("", "30%", "35")


@pytest.mark.parametrize(
    "args, where, hint",
    [
        (("8,7 %", "Minska", "1"), "utfall: '1'", "Skriv 1 %"),          # typed text is never a fraction
        (("8,7 %", "Minska", "0,5"), "utfall: '0,5'", "Skriv 0,5 % om det är procent, eller 50 % om 0,5 är en andel"),
        (("", "+/- 0,5", "0,6%"), "riktvärde: '0,5'", "Skriv 0,5 %"),    # a band without % next to a %
        (("10-15", "Öka", "16%"), "ingående: '10-15'", "Skriv 10-15 %"),
    ],
)
def test_typed_plain_numbers_are_not_guessed_to_be_percent(args, where, hint):
    with pytest.raises(VPInputError) as error:
        grade_indicator(*args)
    assert str(error.value).startswith(where)
    assert hint in str(error.value)


def test_unknown_target_word():
    with pytest.raises(VPInputError) as error:
        grade_indicator("61%", "Förbättra", "65%")
    assert "'Förbättra' är inget känt riktvärde" in str(error.value)
    assert "Öka" in str(error.value)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("61%", "Öka", "mycket"), "utfall: 'mycket'"),
        (("61%", "JA", "65%"), "ska vara JA eller NEJ"),
        (("JA", "Öka", "65%"), "ingående: 'JA' kan inte jämföras"),
        (("61%", "Öka", float("nan")), "NaN"),
        (("61%", "Öka", float("inf")), "oändligt"),
        (("61%", "Öka", "10-20%"), "intervall"),
        (("61%", "Öka", "65%", "kanske"), "aktiviteter: 'kanske'"),
    ],
)
def test_bad_input_classes(args, fragment):
    with pytest.raises(VPInputError, match=fragment):
        grade_indicator(*args)
