"""The function catalogue as Excel calls it: scalars, columns, empty cells, errors in Swedish."""

import inspect

import pandas as pd
import pytest

from rules.batch import grade_indicators
from rules.errors import VPInputError
from xl_addin import udfs

EXPECTED_SIGNATURES = {
    "VP_INDICATORSCORE": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_INDICATORCOLOR": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_EXPLAIN": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_GOALSCORE": ["poang"],
    "VP_GOALSTATUS": ["poang", "dominant_farg"],
    "VP_BUDGETADHERENCE": ["budget", "utfall"],
    "VP_BUDGETSTATUS": ["budget", "utfall"],
    "VP_SPLIT_LSS_SOL": ["belopp", "hs_del", "decimaler"],
    "VP_SPLIT_STAFF": ["belopp", "decimaler"],
    "VP_SAVING": ["bas"],
    "VP_FULLYEAR": ["sats", "startmanad"],
    "VP_VOLUMEADJ": ["budgeterad_volym", "ny_volym", "standardkostnad"],
    "VP_RULE": ["namn"],
}


def test_catalogue_names_and_arguments():
    assert [f.__name__ for f in udfs.CATALOGUE] == list(EXPECTED_SIGNATURES)
    for function in udfs.CATALOGUE:
        assert list(inspect.signature(function).parameters) == EXPECTED_SIGNATURES[function.__name__]
        assert function.__doc__ and function.__doc__.strip()


def test_scalars():
    assert udfs.VP_INDICATORSCORE("61%", "Öka", "65%") == 1.0
    assert udfs.VP_INDICATORSCORE("Nytt värde", "Öka", "65%") == "Ej bedömd"
    assert udfs.VP_INDICATORCOLOR("61%", "Öka", "60%", "JA") == "Gul"
    assert udfs.VP_EXPLAIN("61%", "Öka", "65%").startswith("Utfall 65")
    assert udfs.VP_GOALSCORE([[1], [0.5], ["Ej bedömd"], [None]]) == 0.75
    assert udfs.VP_GOALSCORE([["Ej bedömd"]]) == "Ej bedömd"
    assert udfs.VP_GOALSTATUS([[1], [1], [1], [0]], "Gul") == "Delvis uppfyllt"
    assert udfs.VP_BUDGETADHERENCE(100, 101.4) == pytest.approx(0.986)
    assert udfs.VP_BUDGETSTATUS(100, 102.5) == "Röd"
    assert udfs.VP_SPLIT_LSS_SOL(46.2, 2.6) == [34.9, 8.7]
    assert udfs.VP_SPLIT_STAFF(17.6) == [10.6, 7.0]
    assert udfs.VP_SAVING(56.7) == -1.7
    assert udfs.VP_FULLYEAR("2%", 6) == pytest.approx(0.011667, abs=1e-6)
    assert udfs.VP_VOLUMEADJ(630, 640, 0.35) == pytest.approx(3.5)
    assert udfs.VP_RULE("goal.bands.0.min") == 0.70
    assert udfs.VP_RULE("splits.lss_sol.LSS") == 0.80
    assert udfs.VP_RULE("values.all_words") == "Samtliga"


def test_a_column_in_gives_a_column_out():
    baseline = [["61%"], ["3/5"], ["Nytt värde"]]
    target = [["Öka"], ["Öka"], ["Samtliga"]]
    outcome = [["65%"], ["2/5"], ["4/5"]]
    activities = [["NEJ"], ["JA"], [None]]
    assert udfs.VP_INDICATORSCORE(baseline, target, outcome, activities) == [[1.0], [0.5], [0.0]]
    assert udfs.VP_INDICATORCOLOR(baseline, target, outcome, activities) == [["Grön"], ["Gul"], ["Röd"]]
    # a single value next to a column is used for every row (as Excel does)
    assert udfs.VP_INDICATORSCORE([["61%"], ["61%"]], "Öka", [["65%"], ["60%"]]) == [[1.0], [0.0]]
    assert udfs.VP_BUDGETSTATUS([[100], [100]], [[99.5], [97.5]]) == [["Grön"], ["Röd"]]
    assert udfs.VP_FULLYEAR([["2%"], ["3%"]], [[6], [1]]) == [[pytest.approx(0.011667, abs=1e-6)], [0.03]]


def test_one_bad_cell_in_a_column_shows_its_reason_and_the_rest_compute():
    result = udfs.VP_INDICATORSCORE([["61%"], ["61%"]], [["Öka"], ["Öka"]], [["65%"], ["sextio"]])
    assert result[0] == [1.0]
    assert result[1][0].startswith(udfs.ERROR_PREFIX + "utfall: 'sextio'")
    assert "(rad 2)" in result[1][0]


def test_ranges_of_different_sizes():
    with pytest.raises(VPInputError, match="olika storlek"):
        udfs.VP_BUDGETSTATUS([[1], [2]], [[1], [2], [3]])


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: udfs.VP_INDICATORSCORE("61%", "Öka", "abc"), "utfall: 'abc'"),
        (lambda: udfs.VP_INDICATORSCORE("61%", "Öka", "65"), "Skriv 65 %"),
        (lambda: udfs.VP_INDICATORSCORE("61%", "Höj", "65%"), "riktvärde: 'Höj' är inget känt riktvärde"),
        (lambda: udfs.VP_BUDGETSTATUS(0, 10), "budget: '0' är noll"),
        (lambda: udfs.VP_BUDGETSTATUS(None, 10), "budget: är tomt"),
        (lambda: udfs.VP_BUDGETSTATUS(True, 10), "sanningsvärde"),
        (lambda: udfs.VP_BUDGETSTATUS(float("nan"), 10), "NaN"),
        (lambda: udfs.VP_SAVING(float("inf")), "oändligt"),
        (lambda: udfs.VP_FULLYEAR("2%", 13), "startmanad: '13' är ingen månad"),
        (lambda: udfs.VP_GOALSTATUS([[1], ["bra"]]), r"poang \(värde 2\): 'bra'"),
        (lambda: udfs.VP_RULE("goal.finns_inte"), "namn: 'goal.finns_inte' finns inte"),
        (lambda: udfs.VP_RULE("splits"), "är en grupp"),
        (lambda: udfs.VP_SPLIT_LSS_SOL("mycket"), "belopp: 'mycket'"),
        (lambda: udfs.VP_SPLIT_STAFF(10, 1.5), "decimaler"),
    ],
)
def test_bad_input_raises_a_swedish_message_naming_the_argument(call, fragment):
    with pytest.raises(VPInputError, match=fragment):
        call()


def test_in_excel_the_reason_is_the_cell_value():
    wrapped = udfs._wrap_for_excel(udfs.VP_BUDGETSTATUS)
    assert wrapped(0, 10).startswith(udfs.ERROR_PREFIX + "budget: '0' är noll")
    assert wrapped(100, 100) == "Grön"


def test_udfs_equal_the_batch_engine(plan_indicators):
    outcomes = ["5/5", "3/5", "65%", "40%", "28%", "4", "83%", "91%", "Fyra av fem insatser", "Samtliga",
                "72,4", "NEJ", "99%", None, "12%", "-0,5 %", "66", "100%", "15%", 0.97, "82", "10,5%", "84,2%", "8,7 %"]
    activities = [None, "JA", None, "JA", "NEJ", None, "JA", None, "NEJ", None, None, "JA", None, None, None, None,
                  None, None, "JA", "JA", None, "NEJ", None, None]
    table = pd.DataFrame(list(plan_indicators.values()))
    table["Utfall"] = outcomes
    table["Aktiviteter"] = activities
    batch = grade_indicators(table)
    typed = {"Ingående värde": [r["Ingående värde"] for r in plan_indicators.values()],
             "Riktvärde 2025": [r["Riktvärde 2025"] for r in plan_indicators.values()],
             "Utfall": outcomes, "Aktiviteter": activities}
    column = lambda name: [[x] for x in typed[name]]  # noqa: E731 - what Excel passes for a column
    scores = udfs.VP_INDICATORSCORE(column("Ingående värde"), column("Riktvärde 2025"), column("Utfall"),
                                    column("Aktiviteter"))
    colours = udfs.VP_INDICATORCOLOR(column("Ingående värde"), column("Riktvärde 2025"), column("Utfall"),
                                     column("Aktiviteter"))
    explanations = udfs.VP_EXPLAIN(column("Ingående värde"), column("Riktvärde 2025"), column("Utfall"),
                                   column("Aktiviteter"))
    assert [row[0] for row in scores] == ["Ej bedömd" if pd.isna(s) else s for s in batch["Poäng"]]
    assert [row[0] for row in colours] == list(batch["Färg"])
    assert [row[0] for row in explanations] == list(batch["Förklaring"])


def test_a_rulebook_error_is_a_readable_cell_too(monkeypatch, tmp_path):
    from rules.errors import RulebookError

    def broken(*args, **kwargs):
        raise RulebookError("Regelboken vp2025.toml: 'saving.rate' har fel typ ('tre').")

    monkeypatch.setattr(udfs.budget, "saving", broken)
    assert udfs._wrap_for_excel(udfs.VP_SAVING)(56.7).startswith(udfs.ERROR_PREFIX + "Regelboken")
    assert udfs.VP_SAVING([[56.7], [10]])[0][0].startswith(udfs.ERROR_PREFIX + "Regelboken")


def test_errors_in_a_block_name_row_and_column():
    result = udfs.VP_BUDGETSTATUS([[100, 100]], [[100, "x"]])
    assert result[0][0] == "Grön"
    assert result[0][1].endswith("(rad 1, kolumn 2)")


def test_split_decimals_default_to_the_rulebook():
    assert udfs.VP_SPLIT_STAFF(17.63) == [10.6, 7.0]  # 10,578 and 7,052: parts add up to 17,6
    assert udfs.VP_SPLIT_STAFF(17.63, 2) == [10.58, 7.05]
