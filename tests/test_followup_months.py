"""The economy's monthly follow-up (issue 15, item 4): the rulebook's `followup.months` are periods too;
a refresh of a month stores the budget rows' utfall/prognos in Historik (nothing else), a month is never
the previous period of a Delår, and the report's economy section shows the prognosis month by month."""

import docx
import pytest

from rules.periods import parse_period, previous_period
from rules.rulebook import load_rulebook
from tests.test_followup import copy, history
from tests.test_refresh import cell_of, edit
from tests.test_report import EXAMPLE
from workbook import layout as L
from workbook.cli import main

DAILY = "Daglig verksamhet"
TYPED = {"Januari 2025": 172.0, "Februari 2025": 174.5, "Mars 2025": 173.25}  # Daglig verksamhet's prognosis


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """The example followed up in January, February and March (Daglig verksamhet's prognosis typed
    each month), then Delår 1, and reported: (workbook, Historik, report)."""
    folder = tmp_path_factory.mktemp("manader")
    path = copy(EXAMPLE, folder)
    where = cell_of(path, L.BUDGET, L.ACTUAL, L.AREA, DAILY)
    for period, value in TYPED.items():
        edit(path, L.BUDGET, {where: value})
        assert main(["refresh", str(path), "--period", period]) == 0
    assert main(["refresh", str(path), "--period", "Delår 1 2025"]) == 0
    out = folder / "rapport.docx"
    assert main(["report", str(path), "--out", str(out)]) == 0
    return path, history(path), docx.Document(out)


def test_the_rulebook_months_are_periods_ordered_apart_from_the_plans():
    book = load_rulebook()
    march, april, first = (parse_period(text, "B3", book) for text in ("mars 2025", "April 2025", "Delår 1 2025"))
    assert march.text == "Mars 2025" and march.is_month and not first.is_month
    assert previous_period([march], april) == march
    assert previous_period([march, april], first) is None  # a month is no previous Delår
    assert previous_period([first], april) is None


def test_a_month_stores_only_the_budget_rows(months):
    rows = months[1]
    for period, value in TYPED.items():
        stored = [row for row in rows if row[0] == period]
        assert stored and {row[1] for row in stored} == {L.LEVEL_BUDGET, L.LEVEL_BUDGET_TOTAL}
        daily = next(row for row in stored if row[5] == DAILY)
        assert daily[8] == value  # utfall/prognos as typed that month
    assert any(row[0] == "Delår 1 2025" and row[1] == L.LEVEL_INDICATOR for row in rows)


def test_delar_1_is_not_compared_with_a_month(months):
    texts = [p.text for p in months[2].paragraphs]
    assert "Jämförs med: ingen tidigare period är sparad" in texts


def test_the_report_shows_the_prognosis_month_by_month(months):
    rows, document = months[1], months[2]
    totals = {row[0]: row for row in rows if row[1] == L.LEVEL_BUDGET_TOTAL}
    table = next([[c.text for c in row.cells] for row in t.rows] for t in document.tables
                 if t.rows[0].cells[0].text == "Månad")
    assert [line[0] for line in table[1:]] == list(TYPED)
    for line in table[1:]:  # the totals as each month's refresh stored them
        assert float(line[2].replace(",", ".")) == pytest.approx(totals[line[0]][8])
        assert float(line[1].replace(",", ".")) == pytest.approx(totals[line[0]][9])
    # only Daglig verksamhet changed: +2,5 from January to February, −1,25 from February to March
    assert [line[3] for line in table[1:]] == ["–", "+2,5", "\u22121,25"]
    assert any(p.text.startswith("Figur 3. Utfall/prognos per månad") for p in document.paragraphs)
    alt = document.inline_shapes[-1]._inline.docPr.get("descr")
    assert "Januari: utfall/prognos" in alt and "Mars: utfall/prognos" in alt
