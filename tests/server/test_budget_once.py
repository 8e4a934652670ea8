"""The budget is assessed once (rules.budget_assess): `vp refresh` on the file, the Uppdatera button
through xlwings Server, and =VP_BUDGETSTATUS(Budgettabell) / =VP_SAVINGBASE(Budgettabell) through the
server's custom functions give the same board total, colour and saving base; and these equal the
figures summed independently from the example's Internbudget sheet with exact decimals."""

from decimal import Decimal

import openpyxl
import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

from server_helpers import applied, body, table_below  # noqa: E402

from conftest import EXAMPLE  # noqa: E402
from workbook import layout as L  # noqa: E402
from workbook.refresh import run_refresh  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402


def _function(client, name, *args):
    response = client.post("/xlwings/custom-functions-call", json=body(name, list(args)))
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _sheet(payload, name):
    return next(s["values"] for s in payload["sheets"] if s["name"] == name)


def _typed_totals():
    """The rows with utfall/prognos, summed straight from the sheet (no project code): budget, actual."""
    ws = openpyxl.load_workbook(EXAMPLE, data_only=True)[L.BUDGET]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r and L.PROPOSAL in r and L.ACTUAL in r)
    kind, proposal, actual = (rows[header].index(h) for h in (L.ROW_KIND, L.PROPOSAL, L.ACTUAL))
    budget = total = Decimal(0)
    for row in rows[header + 1:]:
        if row[kind] == L.ROW and row[actual] not in (None, ""):
            budget += Decimal(str(row[proposal]))
            total += Decimal(str(row[actual]))
    return budget, total


def test_refresh_server_and_functions_give_one_budget(client, example_payload):
    result = run_refresh(XlsxBook(EXAMPLE), write=False).budget
    budget, actual = _typed_totals()
    assert (result.total_budget, result.total_actual) == (budget, actual)  # exact: no float in between
    assert f"{result.total_deviation * 100:.2f}" == f"{(budget - actual) / budget * 100:.2f}" == "-1.47"

    grid = _sheet(example_payload, L.BUDGET)
    assert _function(client, "VP_BUDGETSTATUS", grid) == [[result.total.colour]]
    assert _function(client, "VP_SAVINGBASE", grid) == [[float(result.saving_base)]]

    actions = client.post("/xlwings/custom-scripts-call/uppdatera", json=example_payload).json()["actions"]
    grids = applied(example_payload, actions)
    history = table_below(grids[L.HISTORY], L.HISTORY_HEADERS[0])
    level = L.HISTORY_HEADERS.index("Nivå")
    total_row = next(r for r in history if r[level] == L.LEVEL_BUDGET_TOTAL)
    assert result.total.colour in total_row and float(result.total_actual) in total_row
    rows = [r for r in history if r[level] == L.LEVEL_BUDGET]
    assert len(rows) == len(result.lines)
    findings = table_below(grids[L.FINDINGS], L.FINDINGS_HEADERS[0])
    assert {row[1] for row in findings} == {"R8.besparing.skillnad", "R5.sanning.avviker"}
