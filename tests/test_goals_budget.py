"""R3-R11: band edges, the dominant cap, KF goals, budget adherence, splits, saving, price, volumes,
and the plan's budget table reconciling."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.budget import budget_adherence, full_year_effect, reconcile_sum, saving, volume_adjustment
from rules.errors import VPInputError
from rules.goals import GoalResult, goal_status, kf_status
from rules.splits import split_amount, split_lss_sol, split_staff
from tests.conftest import read_csv


def grades(ones, halves, zeros):
    return [1] * ones + [0.5] * halves + [0] * zeros


@pytest.mark.parametrize(
    "scores, average, status",
    [
        (grades(49, 1, 50), 0.50, "Delvis uppfyllt"),    # 0,495 rounds half up to 0,50
        (grades(123, 1, 126), 0.49, "Ej uppfyllt"),      # 0,494 -> 0,49
        (grades(69, 0, 31), 0.69, "Delvis uppfyllt"),
        (grades(70, 0, 30), 0.70, "Uppfyllt"),
        (grades(32, 0, 14), 0.70, "Uppfyllt"),           # 32/46 = 0,6957 -> 0,70
        (grades(0, 1, 0), 0.50, "Delvis uppfyllt"),
        (grades(0, 0, 3), 0.0, "Ej uppfyllt"),
        (grades(3, 0, 0), 1.0, "Uppfyllt"),
    ],
)
def test_goal_bands(scores, average, status):
    result = goal_status(scores)
    assert result.average == average
    assert result.status == status


def test_not_assessed_indicators_are_left_out():
    assert goal_status([1, "Ej bedömd", None, "", 0.5]).average == 0.75
    result = goal_status(["Ej bedömd", None])
    assert (result.average, result.status) == (None, "Ej bedömd")


@pytest.mark.parametrize(
    "colour, status",
    [("Röd", "Ej uppfyllt"), ("Gul", "Delvis uppfyllt"), ("Grön", "Uppfyllt"), (None, "Uppfyllt"), ("", "Uppfyllt")],
)
def test_dominant_indicator_caps_the_goal(colour, status):
    result = goal_status([1, 1, 1, 0.5], colour)
    assert result.status == status
    if status != "Uppfyllt":
        assert f"dominerande indikatorn är {colour.lower()}" in result.explanation
        assert result.rule == {"Röd": "R3.cap.rod", "Gul": "R3.cap.gul"}[colour]
    else:
        assert result.rule == "R3.band.uppfyllt"


def test_cap_never_raises_a_status():
    assert goal_status([0, 0, 1], "Gul").status == "Ej uppfyllt"


@pytest.mark.parametrize("bad", ["hög", 0.7, 2, True])
def test_bad_grades(bad):
    with pytest.raises(VPInputError, match="poäng"):
        goal_status([1, bad])


def test_bad_dominant_colour():
    with pytest.raises(VPInputError, match="dominant_färg: 'Blå' är ingen färg"):
        goal_status([1], "Blå")


def _goal(status, explanation=""):
    return GoalResult(None, status, explanation, "R3.band.test")


def test_kf_goal_statuses():
    board = kf_status(_goal("Delvis uppfyllt"), True, goal_name="N2")
    assert (board.status, board.source, board.rule) == ("Delvis uppfyllt", "board_goal", "R4.namndmal")
    assert board.explanation.startswith("Samma bedömning som nämndmål N2: Delvis uppfyllt.")
    office = goal_status([1, 0, 1, 1])
    indicative = kf_status(office, False)
    assert (indicative.status, indicative.rule) == ("Uppfyllt", "R4.indikativ")
    assert "indikativ" in indicative.explanation and office.explanation in indicative.explanation
    override = kf_status(_goal("Uppfyllt"), True, "Delvis uppfyllt", "Personalomsättningen ökade under hösten.")
    assert (override.status, override.computed, override.rule) == ("Delvis uppfyllt", "Uppfyllt", "R4.override")
    assert "Beräknad status: Uppfyllt" in override.explanation


def test_override_needs_both_status_and_motivation():
    with pytest.raises(VPInputError, match="^motivering: saknas") as error:
        kf_status(_goal("Uppfyllt"), True, "Ej uppfyllt", "")
    assert error.value.rule == "R4.fel.motivering_saknas"
    with pytest.raises(VPInputError, match="^manuell status: saknas") as error:
        kf_status(_goal("Uppfyllt"), True, None, "En motivering utan status")
    assert error.value.rule == "R4.fel.status_saknas"
    with pytest.raises(VPInputError, match="'Bra' är ingen status"):
        kf_status(_goal("Uppfyllt"), True, "Bra", "motivering")


@pytest.mark.parametrize(
    "budget, outcome, adherence, colour",
    [
        (100, 102.5, 0.975, "Röd"),       # 97,5 is red
        (100, 97.5, 0.975, "Röd"),
        (100, 102.0, 0.98, "Gul"),        # 98,0 is yellow
        (100, 100.6, 0.994, "Gul"),
        (100, 100.55, 0.995, "Grön"),     # 99,45 rounds half up to 99,5
        (1000, 1005.5, 0.995, "Grön"),
        (100, 100.5, 0.995, "Grön"),
        (874.3, 874.3, 1.0, "Grön"),
        (100, 101.4, 0.986, "Gul"),
        (-20, -20.2, 0.99, "Gul"),        # a negative (income) budget: relative to its size
    ],
)
def test_budget_adherence_edges(budget, outcome, adherence, colour):
    result = budget_adherence(budget, outcome)
    assert result.adherence == Decimal(str(adherence))  # exact: amounts are Decimals end to end
    assert result.colour == colour


def test_deviation_sign_follows_municipal_reports():
    assert budget_adherence(100, 98).deviation == 2.0          # överskott
    assert "underskott" in budget_adherence(100, 101).explanation


@pytest.mark.parametrize("budget", [0, "0", "0,0"])
def test_budget_zero_is_an_error(budget):
    with pytest.raises(VPInputError, match="^budget: '0' är noll"):
        budget_adherence(budget, 10)


@pytest.mark.parametrize("bad, fragment", [(None, "tomt"), ("tio", "'tio'"), (True, "sanningsvärde"),
                                           (float("nan"), "NaN"), (float("inf"), "oändligt")])
def test_budget_bad_input(bad, fragment):
    with pytest.raises(VPInputError, match=fragment):
        budget_adherence(bad, 10)


def test_saving_price_volume():
    assert saving(56.7) == Decimal("-1.7")
    assert full_year_effect("2%", 6) == pytest.approx(0.02 * 7 / 12)
    assert round(full_year_effect("2 %", 6) * 100, 2) == 1.17
    assert full_year_effect(0.03, 1) == pytest.approx(0.03)
    assert full_year_effect("0%", 1) == 0
    assert volume_adjustment(630, 640, 0.35) == pytest.approx(3.5)
    assert volume_adjustment(44, 40, 1.2) == pytest.approx(-4.8)


@pytest.mark.parametrize("month", [13, 0, 6.5, "juni", None])
def test_month_must_be_1_to_12(month):
    with pytest.raises(VPInputError, match="startmånad"):
        full_year_effect("2%", month)


def test_splits_of_the_plan():
    assert split_lss_sol(46.2, 2.6) == {"LSS": 34.9, "SoL": 8.7}
    assert split_staff(17.6) == {"Äldreomsorgsnämnden": 10.6, "Omsorgsnämnden": 7.0}
    assert split_lss_sol(10.37, 0, 2) == {"LSS": 8.30, "SoL": 2.07}


@settings(max_examples=500, deadline=None)
@given(amount=st.decimals(min_value=-10**7, max_value=10**7, places=3, allow_nan=False, allow_infinity=False),
       decimals=st.integers(min_value=0, max_value=3),
       first=st.integers(min_value=0, max_value=100))
def test_split_parts_add_up_to_the_rounded_whole(amount, decimals, first):
    shares = [Decimal(first) / 100, 1 - Decimal(first) / 100]
    parts = split_amount(float(amount), [float(s) for s in shares], decimals)
    unit = Decimal(1).scaleb(-decimals)
    whole = abs(amount).quantize(unit, rounding="ROUND_HALF_UP") * (1 if amount >= 0 else -1)
    assert sum(Decimal(repr(p)) for p in parts) == whole
    for part, share in zip(parts, shares):
        assert abs(Decimal(repr(part)) - amount * share) < unit  # each part within one unit of its share


def _amount(text):
    return float(text.replace(",", "."))


def test_plan_budget_table_reconciles():
    rows = read_csv("internbudget.csv")
    columns = ["Fördelad budget enligt VP 2024", "Budget per november 2024", "Förslag till budget 2025", "Förändring"]
    for column in columns:
        lss = [_amount(r[column]) for r in rows if r["Radtyp"] == "Rad" and r["Område"] == "LSS"]
        sol = [_amount(r[column]) for r in rows if r["Radtyp"] == "Rad" and r["Område"] == "SoL"]
        every = [_amount(r[column]) for r in rows if r["Radtyp"] == "Rad"]
        stated = {r["Verksamhetsområde"]: _amount(r[column]) for r in rows if r["Radtyp"] == "Summa"}
        assert reconcile_sum("LSS", lss, stated["Summa verksamhetsområde LSS"], column) is None
        assert reconcile_sum("SoL", sol, stated["Summa verksamhetsområde SoL"], column) is None
        assert reconcile_sum("Totalt", every, stated["Nämnden totalt"], column) is None
    proposal = {r["Verksamhetsområde"]: _amount(r["Förslag till budget 2025"]) for r in rows}
    assert proposal["Summa verksamhetsområde LSS"] == 783.9 and proposal["Nämnden totalt"] == 874.3
    for r in rows:  # change = proposal - current budget, on every row
        assert abs(_amount(r["Förslag till budget 2025"]) - _amount(r["Budget per november 2024"])
                   - _amount(r["Förändring"])) < 0.05


def test_a_changed_figure_is_reported_with_both_figures():
    rows = read_csv("internbudget.csv")
    lss = [_amount(r["Förslag till budget 2025"]) for r in rows if r["Radtyp"] == "Rad" and r["Område"] == "LSS"]
    lss[1] += 0.2  # Personlig assistans 112,0 -> 112,2
    finding = reconcile_sum("Summa verksamhetsområde LSS", lss, 783.9, "Internbudget!G12")
    assert finding is not None and finding.where == "Internbudget!G12"
    assert "783,9" in finding.message and "784,1" in finding.message


def test_frame_adjustment_chain():
    steps = read_csv("ramjusteringar.csv")
    total, chain = None, []
    for step in steps:
        amount = _amount(step["Belopp"])
        if step["Radtyp"] == "Start":
            chain = [amount]
        elif step["Radtyp"] == "Justering":
            chain.append(amount)
        else:
            assert reconcile_sum(step["Text"], chain, amount, step["Steg"]) is None
            total = amount
    assert total == 923.8


def test_goal_leaves_out_cells_showing_a_vp_error_and_says_so():
    result = goal_status([1, 1, "#VP-FEL: utfall: 'x' går inte att läsa", 0.5])
    assert result.average == 0.83 and result.status == "Uppfyllt"
    assert "1 indikator(er) med fel är inte medräknade" in result.explanation


def test_status_words_must_be_spelled_as_the_workbook_colours_them():
    with pytest.raises(VPInputError, match="Skriv exakt Delvis uppfyllt"):
        kf_status(_goal("Uppfyllt"), True, " delvis uppfyllt", "Motiverat.")
    assert kf_status(_goal("Uppfyllt"), True, "Delvis uppfyllt", "Motiverat.").status == "Delvis uppfyllt"


def test_a_dominant_error_is_said_in_the_explanation():
    result = goal_status([1, 1], "#VP-FEL: utfall: 'x' går inte att läsa")
    assert result.status == "Uppfyllt" and "Inget tak: den dominerande indikatorn har fel." in result.explanation


def test_adherence_far_below_every_band_is_red():
    result = budget_adherence(1e-6, 1e6)
    assert result.colour == "Röd" and result.explanation.endswith("röd. (regel R5.band.rod)")
    assert budget_adherence(5e-324, 1).colour == "Röd"


@pytest.mark.parametrize("hs", [12, -1])
def test_hs_part_must_be_part_of_the_amount(hs):
    with pytest.raises(VPInputError, match="^hs_del: "):
        split_lss_sol(10, hs)


def test_indicative_kf_status_is_capped_by_an_office_dominant_indicator():
    assert kf_status(goal_status([1, 1, 1, 1], "Röd"), False).status == "Ej uppfyllt"
    assert kf_status(goal_status([1, 1, 1, 1]), False).status == "Uppfyllt"


def test_a_dominant_cell_showing_an_error_gives_no_cap():
    assert goal_status([1, 1], "#VP-FEL: utfall: 'x' går inte att läsa").status == "Uppfyllt"
