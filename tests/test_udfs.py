"""The function catalogue as Excel calls it: scalars, columns, tables, empty cells, and bad input as
readable Swedish cell text (never an exception, never longer than Excel can show)."""

import inspect

import pytest

from rules.records import IndicatorRow
from rules.assess import assess
from xl_addin import udfs

EXPECTED_SIGNATURES = {
    "VP_INDICATORSCORE": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_INDICATORCOLOR": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_EXPLAIN": ["ingaende", "riktvarde", "utfall", "aktiviteter"],
    "VP_GOALSCORE": ["mal", "tabell"],
    "VP_GOALSTATUS": ["mal", "tabell"],
    "VP_GOALEXPLAIN": ["mal", "tabell"],
    "VP_KFSTATUS": ["kf", "namndmal", "tabell", "manuell", "motivering"],
    "VP_BUDGETADHERENCE": ["budget", "utfall"],
    "VP_BUDGETSTATUS": ["budget", "utfall"],
    "VP_SPLIT_LSS_SOL": ["belopp", "hs_del", "decimaler"],
    "VP_SPLIT_STAFF": ["belopp", "decimaler"],
    "VP_SAVINGBASE": ["tabell"],
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


def test_help_texts_come_from_the_rulebook():
    assert "0,70" in udfs.VP_GOALSTATUS.__doc__ and "0,50" in udfs.VP_GOALSTATUS.__doc__
    assert "99,5" in udfs.VP_BUDGETSTATUS.__doc__ and "98,0" in udfs.VP_BUDGETSTATUS.__doc__
    assert "80\u00a0%" in udfs.VP_SPLIT_LSS_SOL.__doc__ and "3\u00a0%" in udfs.VP_SAVING.__doc__
    assert "{@" not in "".join(f.__doc__ for f in udfs.CATALOGUE)


def test_scalars():
    assert udfs.VP_INDICATORSCORE("61%", "Öka", "65%") == 1.0
    assert udfs.VP_INDICATORSCORE("Nytt värde", "Öka", "65%") == "Ej bedömd"
    assert udfs.VP_INDICATORCOLOR("61%", "Öka", "60%", "JA") == "Gul"
    assert udfs.VP_EXPLAIN("61%", "Öka", "65%").endswith("förbättrat, 1. (regel R2.oka.met)")
    assert udfs.VP_GOALSCORE([[1], [0.5], ["Ej bedömd"], [None]]) == 0.75
    assert udfs.VP_GOALSCORE([["Ej bedömd"]]) == "Ej bedömd"
    assert udfs.VP_GOALSTATUS([[1], [1], [1], [0]], [["Gul"]]) == "Delvis uppfyllt"
    assert udfs.VP_GOALSTATUS([[1], [1], [1], [0]], "Gul") == "Delvis uppfyllt"
    assert udfs.VP_GOALSTATUS([[1], [1], [1], [0]]) == "Uppfyllt"
    assert udfs.VP_BUDGETADHERENCE(100, 101.4) == pytest.approx(0.986)
    assert udfs.VP_BUDGETSTATUS(100, 102.5) == "Röd"
    assert udfs.VP_SPLIT_LSS_SOL(46.2, 2.6) == [[34.9, 8.7]]
    assert udfs.VP_SPLIT_STAFF(17.6) == [[10.6, 7.0]]
    assert udfs.VP_SAVING(56.7) == -1.7
    assert udfs.VP_FULLYEAR("2%", 6) == pytest.approx(0.011667, abs=1e-6)
    assert udfs.VP_VOLUMEADJ(630, 640, 0.35) == pytest.approx(3.5)
    assert udfs.VP_RULE("goal.thresholds.uppfyllt") == 0.70
    assert udfs.VP_RULE("splits.lss_sol.LSS") == 0.80
    assert udfs.VP_RULE("values.all_words") == "Samtliga"


def test_the_new_rules_decisions_hold_through_the_catalogue():
    """RULES R2: the budget-adherence indicator is rated with R5's bands whatever the activities."""
    assert udfs.VP_INDICATORSCORE("+1,4%", "+/- 0,5 %", "1,4%", "Nej") == 0.5
    assert udfs.VP_INDICATORCOLOR("+1,4%", "+/- 0,5 %", "1,4%", "Nej") == "Gul"
    assert udfs.VP_INDICATORSCORE("+1,4%", "+/- 0,5 %", "-2,5%", "Ja") == 0
    assert udfs.VP_INDICATORCOLOR("+1,4%", "+/- 0,5 %", "-2,5%", "Ja") == "Röd"
    assert udfs.VP_INDICATORSCORE("61%", "Öka", "61%") == 0  # Öka unchanged is not met


def test_vp_rule_shows_a_rules_text():
    text = udfs.VP_RULE("R2.oka.met")
    assert text.startswith("R2.oka.met: Öka: förbättrat när utfallet är högre än ingående värde")
    assert "Ger: verdict = met." in text
    assert "99,5" in udfs.VP_RULE("R5.band.gron")


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


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: udfs.VP_INDICATORSCORE("61%", "Öka", "abc"), "utfall: 'abc'"),
        (lambda: udfs.VP_INDICATORSCORE("61%", "Öka", "65"), "Skriv 65 %"),
        (lambda: udfs.VP_INDICATORSCORE("61%", "Höj", "65%"), "riktvarde: 'Höj' är inget känt riktvärde"),
        (lambda: udfs.VP_BUDGETSTATUS(0, 10), "budget: '0' är noll"),
        (lambda: udfs.VP_BUDGETSTATUS(None, 10), "budget: är tomt"),
        (lambda: udfs.VP_BUDGETSTATUS(True, 10), "sanningsvärde"),
        (lambda: udfs.VP_BUDGETSTATUS(float("nan"), 10), "NaN"),
        (lambda: udfs.VP_SAVING(float("inf")), "oändligt"),
        (lambda: udfs.VP_FULLYEAR("2%", 13), "startmanad: '13' är inte en månad"),
        (lambda: udfs.VP_GOALSTATUS([[1], ["bra"]]), "poang (värde 2): 'bra'"),
        (lambda: udfs.VP_RULE("goal.finns_inte"), "namn: 'goal.finns_inte' finns inte"),
        (lambda: udfs.VP_RULE("splits"), "är en grupp"),
        (lambda: udfs.VP_RULE("R2.finns.inte"), "finns inte i regelboken"),
        (lambda: udfs.VP_SPLIT_LSS_SOL("mycket"), "belopp: 'mycket'"),
        (lambda: udfs.VP_SPLIT_STAFF(10, 1.5), "decimaler"),
        (lambda: udfs.VP_BUDGETSTATUS([[1], [2]], [[1], [2], [3]]), "olika storlek"),
        (lambda: udfs.VP_KFSTATUS(1, "N1", [["Id"], ["I01"]]), "tabell"),
        (lambda: udfs.VP_GOALSTATUS([["N1", 1]], [["Id", "Nämndmål"], ["I01", "N1"]]), "tabell: saknar kolumnen KF-mål"),
    ],
)
def test_bad_input_is_a_swedish_message_naming_the_argument(call, fragment):
    result = call()
    assert isinstance(result, str) and result.startswith(udfs.ERROR_PREFIX)
    assert fragment in result
    assert len(result) <= udfs.MAX_TEXT


def test_texts_are_capped_for_excel():
    long = "x" * 5000
    assert len(udfs.VP_INDICATORSCORE("61%", "Öka", long)) <= udfs.MAX_TEXT
    assert len(udfs.VP_RULE(long)) <= udfs.MAX_TEXT
    assert all(len(udfs.VP_RULE(rule)) <= udfs.MAX_TEXT for rule in ("R2.budget.gron", "R6.split.gemensam"))


def _typed(plan_indicators):
    outcomes = ["5/5", "3/5", "65%", "40%", "28%", "4", "83%", "91%", "Fyra av fem insatser", "Samtliga",
                "72,4", "NEJ", "99%", None, "12%", "+1,4 %", "66", "100%", "15%", 0.97, "82", "10,5%", "84,2%", "8,7 %"]
    activities = [None, "JA", None, "JA", "NEJ", None, "JA", None, "NEJ", None, None, "JA", None, None, None, "NEJ",
                  None, None, "JA", "JA", None, "NEJ", None, None]
    return [dict(row, Utfall=o, Aktiviteter=a) for row, o, a in zip(plan_indicators.values(), outcomes, activities)]


HEADERS = ["Id", "KF-mål", "Nämndmål", "Indikator", "Ingående värde", "Riktvärde 2025", "Utfall", "Aktiviteter", "Dominant"]


def _table(rows):
    """The indicator table as Excel passes a range: header row first, then every row's cells."""
    return [HEADERS] + [[row.get(h) or None for h in HEADERS] for row in rows]


def _records(rows):
    return [IndicatorRow(id=r["Id"], kf=int(r["KF-mål"]), goal=r["Nämndmål"], name=r["Indikator"],
                         baseline=r["Ingående värde"] or None, target=r["Riktvärde 2025"] or None, outcome=r["Utfall"],
                         activities=r["Aktiviteter"], dominant=r["Dominant"] or None) for r in rows]


def test_the_catalogue_equals_the_assessment(plan_indicators):
    """The Excel functions and the headless assessment on the plan's 24 indicators give the same
    grades, colours, explanations, goal statuses and KF statuses."""
    rows = _typed(plan_indicators)
    assessment = assess(_records(rows))
    column = lambda name: [[r[name] or None] for r in rows]  # noqa: E731 - what Excel passes for a column
    args = [column("Ingående värde"), column("Riktvärde 2025"), column("Utfall"), column("Aktiviteter")]
    scores, colours, explanations = (udfs.VP_INDICATORSCORE(*args), udfs.VP_INDICATORCOLOR(*args),
                                     udfs.VP_EXPLAIN(*args))
    for graded, score, colour, explanation in zip(assessment.indicators, scores, colours, explanations):
        assert score[0] == graded.result.score_or_label
        assert colour[0] == graded.result.colour
        assert explanation[0] == udfs.cell_text(graded.result.explanation)
    table = _table(rows)
    for goal in assessment.goals.values():
        key = [[goal.name, goal.kf]]
        assert udfs.VP_GOALSTATUS(key, table) == goal.result.status
        assert udfs.VP_GOALSCORE(key, table) == (goal.result.average if goal.result.average is not None
                                                 else goal.result.status)
        assert udfs.VP_GOALEXPLAIN(key, table) == udfs.cell_text(goal.result.explanation)
    assert udfs.VP_KFSTATUS(5, "N5", table) == "Delvis uppfyllt"   # capped by I16 (Gul, dominant)
    assert udfs.VP_KFSTATUS(6, None, table) == assessment.goals["kontoret|6"].result.status


def test_goal_and_kf_functions_on_the_table(plan_indicators):
    rows = _typed(plan_indicators)
    table = _table(rows)
    # a goal that no indicator names is Ej bedömd (RULES R3), in the formulas as in the refresh
    assert udfs.VP_GOALSTATUS([["N9", 9]], table) == "Ej bedömd"
    assert udfs.VP_KFSTATUS(9, "N9", table) == "Ej bedömd"
    # keys are compared as the refresh compares them: " n1 " is N1
    assert udfs.VP_GOALSTATUS([[" n1 ", "1,0"]], table) == udfs.VP_GOALSTATUS([["N1", 1]], table)
    assert udfs.VP_KFSTATUS(1, "N1", table, "Ej uppfyllt", "Motiverat i nämnden.") == "Ej uppfyllt"
    missing = udfs.VP_KFSTATUS(1, "N1", table, "Ej uppfyllt", None)
    assert missing.startswith(udfs.ERROR_PREFIX + "motivering: saknas")
    orphan = udfs.VP_KFSTATUS(1, "N1", table, None, "En motivering utan status.")
    assert orphan.startswith(udfs.ERROR_PREFIX + "manuell: saknas")


def test_a_rulebook_error_is_a_readable_cell_too(monkeypatch):
    from rules.errors import RulebookError

    def broken(*args, **kwargs):
        raise RulebookError("Regelboken vp2025.toml: 'saving.rate' har fel typ ('tre').")

    monkeypatch.setattr(udfs.budget, "saving", broken)
    assert udfs.VP_SAVING(56.7).startswith(udfs.ERROR_PREFIX + "Regelboken")
    assert udfs.VP_SAVING([[56.7], [10]])[0][0].startswith(udfs.ERROR_PREFIX + "Regelboken")


def test_errors_in_a_block_name_row_and_column():
    result = udfs.VP_BUDGETSTATUS([[100, 100]], [[100, "x"]])
    assert result[0][0] == "Grön"
    assert result[0][1].endswith("(rad 1, kolumn 2)")


def test_split_decimals_default_to_the_rulebook():
    assert udfs.VP_SPLIT_STAFF(17.63) == [[10.6, 7.0]]  # 10,578 and 7,052: parts add up to 17,6
    assert udfs.VP_SPLIT_STAFF(17.63, 2) == [[10.58, 7.05]]
