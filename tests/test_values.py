"""R1: every way the plan and the economists write a value, and every class of bad input."""

import math
import re

import pytest

from rules import values as v
from rules.errors import VPInputError


@pytest.mark.parametrize(
    "typed, kind, number",
    [
        ("61", v.NUMBER, 61.0),
        ("71,9", v.NUMBER, 71.9),
        ("71.9", v.NUMBER, 71.9),
        ("1 000,5", v.NUMBER, 1000.5),
        ("1\u00a0000,5", v.NUMBER, 1000.5),
        ("61%", v.PERCENT, 0.61),
        ("61 %", v.PERCENT, 0.61),
        ("+1,4%", v.PERCENT, 0.014),
        ("-0,3 %", v.PERCENT, -0.003),
        ("71,9 (2023)", v.NUMBER, 71.9),
        ("10% (augusti 2024)", v.PERCENT, 0.10),
        ("100%**", v.PERCENT, 1.0),
        ("+1,4%*", v.PERCENT, 0.014),
        ("Medel 83% (samtliga insatser)", v.PERCENT, 0.83),
        ("3/5", v.SHARE, 0.6),
        ("Tre av fem insatser", v.SHARE, 0.6),
        ("tjugo av tjugo", v.SHARE, 1.0),
        ("Samtliga", v.ALL, 1.0),
        ("JA", v.YES, 1.0),
        ("Ja", v.YES, 1.0),
        ("NEJ", v.NO, 0.0),
        ("Nej", v.NO, 0.0),
        (True, v.YES, 1.0),
        (False, v.NO, 0.0),
        (0.61, v.NUMBER, 0.61),
        (67, v.NUMBER, 67.0),
    ],
)
def test_reads_what_people_type(typed, kind, number):
    value = v.parse_value(typed, "A1")
    assert value.kind == kind
    assert value.number == pytest.approx(number, abs=1e-12)


def test_qualifiers_are_kept_for_display():
    assert v.parse_value("71,9 (2023)", "A1").qualifier == "(2023)"
    assert v.parse_value("Medel 83% (samtliga insatser)", "A1").qualifier == "Medel (samtliga insatser)"
    assert v.parse_value("100%**", "A1").qualifier == "**"
    assert v.parse_value("71,9 (2023)", "A1").text == "71,9 (2023)"


def test_range_keeps_both_ends():
    value = v.parse_value("10-15%", "A1")
    assert (value.kind, value.low, value.high, value.is_fraction) == (v.RANGE, 0.10, 0.15, True)


@pytest.mark.parametrize("typed", ["Nytt värde", "Ny indikator", "Ny VP indikator", "", "   ", None, "nytt  värde"])
def test_no_baseline_words_and_empty(typed):
    assert v.parse_value(typed, "A1").missing


@pytest.mark.parametrize(
    "typed, fragment",
    [
        ("abc", "'abc' går inte att läsa"),
        ("61 procent", "'61 procent' går inte att läsa"),
        (math.nan, "NaN"),
        (math.inf, "oändligt"),
        (-math.inf, "oändligt"),
        ("6/5", "ingen andel"),
        ("15-10%", "lägre gränsen sist"),
        (1e13, "orimligt stort"),
    ],
)
def test_bad_values_name_the_cell_and_text(typed, fragment):
    with pytest.raises(VPInputError) as error:
        v.parse_value(typed, "Indikatorer!K7")
    assert str(error.value).startswith("Indikatorer!K7:")
    assert fragment in str(error.value)


@pytest.mark.parametrize("typed", [True, False])
def test_boolean_where_a_number_is_needed(typed):
    with pytest.raises(VPInputError, match="budget: .*sanningsvärde|budget: .*inget belopp"):
        v.parse_amount(typed, "budget")


def test_empty_amount_is_an_error_naming_the_argument():
    with pytest.raises(VPInputError, match="^budget: är tomt"):
        v.parse_amount(None, "budget")


def test_percentage_is_not_an_amount():
    with pytest.raises(VPInputError, match="'5%' är inget belopp"):
        v.parse_amount("5%", "belopp")


@pytest.mark.parametrize("typed, expected", [("JA", True), ("nej", False), (None, False), ("", False),
                                             (True, True), (1, True), (0, False)])
def test_activities(typed, expected):
    assert v.parse_activities(typed, "L5") is expected


@pytest.mark.parametrize("typed", ["kanske", 2, "61%"])
def test_activities_reject_other_values(typed):
    with pytest.raises(VPInputError, match="^L5: .*JA eller NEJ"):
        v.parse_activities(typed, "L5")


def test_rates():
    assert v.parse_rate("2%", "sats") == 0.02
    assert v.parse_rate(0.02, "sats") == 0.02
    with pytest.raises(VPInputError, match="Skriv 2 %"):
        v.parse_rate(2, "sats")


def test_swedish_number_format():
    assert v.format_number(1000.5) == "1\u00a0000,5"
    assert v.format_number(-0.25) == "\u22120,25"  # the minus sign U+2212, not the hyphen
    assert v.format_percent(0.719) == "71,9\u00a0%"
    assert v.format_fixed(0.7, 2) == "0,70"


def test_dot_thousands_are_ambiguous():
    with pytest.raises(VPInputError, match="'1.000' är tvetydigt"):
        v.parse_value("1.000", "K7")


def test_unicode_minus_is_a_minus():
    assert v.parse_value("\u22125,5", "K7").number == -5.5


def test_a_date_is_named_as_a_date():
    import datetime

    with pytest.raises(VPInputError, match="^K7: '2025-05-04' är ett datum"):
        v.parse_value(datetime.date(2025, 5, 4), "K7")


@pytest.mark.parametrize("shown", ["#N/A", "#DIV/0!", "#VALUE!", "#ref!"])
def test_excel_error_values_are_named(shown):
    with pytest.raises(VPInputError, match=f"^K7: '{re.escape(shown)}' visar Excel-felet"):
        v.parse_value(shown, "K7")


def test_amounts_get_an_amount_hint():
    with pytest.raises(VPInputError, match="Skriv ett belopp, t.ex. 112,3"):
        v.parse_amount("ca 784", "Internbudget!G11")
