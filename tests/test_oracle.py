"""The engine against the independent oracle (tests/oracle.py) on hypothesis-generated inputs, band
edges included: thousands of indicators, goals and budget rows typed as an economist types them."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.budget import budget_adherence
from rules.goals import goal_status
from rules.indicator import grade_indicator
from tests import oracle

SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def typed_number(x, percent):
    """A Decimal as typed: Swedish comma; a percentage of a fraction with %, sometimes with a space."""
    value = x * 100 if percent else x
    text = format(value.normalize(), "f").replace(".", ",")
    return f"{text}{' %' if percent and int(x * 10000) % 2 else '%' if percent else ''}"


# Values in hundredths of a percent around a few centres, so equal values and one-step edges are common.
centres = st.sampled_from([Decimal("0.61"), Decimal("0.1"), Decimal("0.5"), Decimal("0.995")])
steps = st.integers(min_value=-3, max_value=3).map(lambda n: Decimal(n) / 10000)
fractions = st.builds(lambda c, d: c + d, centres, steps)
plain = st.builds(lambda c, d: c + d, st.sampled_from([Decimal(67), Decimal(2), Decimal("71.9")]),
                  st.integers(min_value=-3, max_value=3).map(lambda n: Decimal(n) / 10))


@st.composite
def indicators(draw):
    kind = draw(st.sampled_from(["word", "word", "word", "threshold", "all", "yes", "tolerance", "empty"]))
    activities = draw(st.sampled_from([None, "JA", "NEJ", "Ja", "nej"]))
    yes = activities is not None and activities.upper() == "JA"
    if kind == "word":
        word = draw(st.sampled_from(["Öka", "Minska", "Bibehåll", "Bibehålla", "Öka/Bibehålla", "Minska/Bibehålla"]))
        percent = draw(st.booleans())
        numbers = fractions if percent else plain
        shape = draw(st.sampled_from(["value", "value", "range", "missing"]))
        if shape == "missing":
            baseline, typed_baseline = None, draw(st.sampled_from(["Nytt värde", "Ny indikator", "", None]))
        elif shape == "range":
            a, b = sorted([draw(numbers), draw(numbers)])
            baseline = (a, b)
            typed_baseline = f"{typed_number(a, False) if not percent else format((a * 100).normalize(), 'f').replace('.', ',')}-" \
                             f"{typed_number(b, percent)}".replace(" %", "%")
        else:
            baseline = draw(numbers)
            typed_baseline = typed_number(baseline, percent) + draw(st.sampled_from(["", " (2023)", "**"]))
        outcome = draw(st.one_of(numbers, st.just(None)))
        typed_outcome = None if outcome is None else typed_number(outcome, percent)
        return ("word", word), baseline, outcome, yes, (typed_baseline, word, typed_outcome, activities)
    if kind == "threshold":
        operator = draw(st.sampled_from(["", "minst", "högst", ">", "<"]))
        value, outcome = draw(fractions), draw(fractions)
        typed_target = (f"{operator} " if operator else "") + typed_number(value, True)
        return ("threshold", operator, value), None, outcome, yes, ("", typed_target, typed_number(outcome, True),
                                                                    activities)
    if kind == "all":
        n = draw(st.integers(min_value=1, max_value=20))
        k = draw(st.integers(min_value=0, max_value=n))
        typed = draw(st.sampled_from([f"{k}/{n}", f"{k} av {n}"]))
        return ("all",), None, Decimal(k) / n, yes, ("Nytt värde", "Samtliga", typed, activities)
    if kind == "yes":
        outcome = draw(st.booleans())
        return ("yes",), None, outcome, yes, ("JA", "JA", "JA" if outcome else "NEJ", activities)
    if kind == "tolerance":
        deviation = draw(st.integers(min_value=-300, max_value=300).map(lambda n: Decimal(n) / 10000))
        typed = ("+" if deviation > 0 else "") + typed_number(deviation, True)
        return ("tolerance", Decimal("0.005")), None, deviation, yes, ("+1,4%", "+/- 0,5 %", typed, activities)
    outcome = draw(fractions)
    return ("empty",), Decimal("0.5"), outcome, yes, ("50%", "", typed_number(outcome, True), activities)


@SETTINGS
@given(indicators())
def test_indicator_grades_agree_with_the_oracle(case):
    target, baseline, outcome, activities, typed = case
    expected = oracle.indicator(target, baseline, outcome, activities)
    result = grade_indicator(*typed)
    assert (result.score, result.colour) == expected, (typed, result.explanation)
    assert result.explanation.endswith(f"(regel {result.rule})")


grades = st.lists(st.sampled_from([1, 0.5, 0, None]), min_size=0, max_size=60)


@SETTINGS
@given(grades, st.sampled_from([None, "Grön", "Gul", "Röd"]))
def test_goal_statuses_agree_with_the_oracle(scores, dominant):
    typed = [("Ej bedömd" if g is None else g) for g in scores]
    average, status = oracle.goal(scores, dominant)
    result = goal_status(typed, dominant) if scores else goal_status(["Ej bedömd"], dominant)
    assert (result.average, result.status) == (average, status)


@SETTINGS
@given(st.lists(st.sampled_from([1, 0]), min_size=1, max_size=400))
def test_goal_band_edges_agree_with_the_oracle(scores):
    """Long lists of ones and zeros land on averages such as 0,495 and 0,695 (rounding edges)."""
    assert (goal_status(scores).average, goal_status(scores).status) == oracle.goal(scores)


amounts = st.integers(min_value=1, max_value=2_000_000).map(lambda n: Decimal(n) / 10)


@SETTINGS
@given(amounts, st.integers(min_value=-40, max_value=40), st.integers(min_value=-9, max_value=9))
def test_budget_adherence_agrees_with_the_oracle(budget, tenth_permille, noise):
    # actual = budget x (1 + k/1000) nudged by a few hundredths: lands on and next to every band edge
    actual = (budget * (1 + Decimal(tenth_permille) / 1000) + Decimal(noise) / 100).quantize(Decimal("0.01"))
    adherence, colour = oracle.budget(budget, actual)
    result = budget_adherence(str(budget).replace(".", ","), float(actual))
    assert (round(float(result.adherence), 6), result.colour) == (round(adherence, 6), colour)
