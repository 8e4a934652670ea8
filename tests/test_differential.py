"""`vp refresh` and the workbook's own formulas (computed by the independent `formulas` engine) give
the same statuses on generated edits of the example workbook: moved rows, rows far below the table,
KF mismatches, goals without indicators, keys written 1 / "1,0" / " 1 ", two dominant indicators,
manual statuses with and without a motivation. One implementation (rules.assess), two paths."""

import random
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from rules.errors import CELL_ERROR_PREFIX
from workbook import layout as L
from workbook.cli import main
from workbook.convert import OFFICE_JS_STORED_PREFIX
from workbook.refresh import run_refresh
from workbook.xlsx import XlsxBook

pytest.importorskip("formulas")
from workbook.evaluate import calculate  # noqa: E402

_STORED_CALL = OFFICE_JS_STORED_PREFIX + "VP_INDICATORSCORE("
EXAMPLE = Path(__file__).resolve().parent.parent / "workbook" / "VP2025-exempel.xlsx"


def _columns(ws):
    return {c.value: c.column_letter for c in ws[L.HEADER_ROW] if c.value}


def _row_of(ws, column, value):
    for row in range(L.FIRST_DATA_ROW, ws.max_row + 1):
        if ws[f"{column}{row}"].value == value:
            return row
    raise KeyError(value)


def _move_indicator(ws, ident, to_row):
    """Cut an indicator's row and paste it at `to_row`, its formulas rewritten for the new row (as
    Excel does when a person moves a row)."""
    cols = _columns(ws)
    row = _row_of(ws, cols[L.ID], ident)
    for letter in cols.values():
        value = ws[f"{letter}{row}"].value
        if isinstance(value, str) and value.startswith("="):
            value = value.replace(str(row), str(to_row))
        ws[f"{letter}{to_row}"] = value
        ws[f"{letter}{to_row}"].number_format = ws[f"{letter}{row}"].number_format
        ws[f"{letter}{row}"] = None


def _set(ws, ident, header, value):
    cols = _columns(ws)
    ws[f"{cols[header]}{_row_of(ws, cols[L.ID], ident)}"] = value


def _kf_set(wb, kf, header, value):
    ws = wb[L.KF_GOALS]
    cols = _columns(ws)
    ws[f"{cols[header]}{_row_of(ws, cols[L.KF], kf)}"] = value


def _extend_name(wb, last_row):
    """What the README tells an economist to do for rows below the name: widen it."""
    name = wb.defined_names[L.INDICATOR_TABLE_NAME]
    name.attr_text = name.attr_text.rsplit("$", 1)[0] + f"${last_row}"


EDITS = {
    "moved_rows": lambda wb: (_move_indicator(wb[L.INDICATORS], "I09", 40), _move_indicator(wb[L.INDICATORS], "I01", 3 + 30)),
    "past_row_500": lambda wb: (_move_indicator(wb[L.INDICATORS], "I22", 1500), _extend_name(wb, 1600)),
    "kf_mismatch": lambda wb: _set(wb[L.INDICATORS], "I01", L.KF, 3),
    "goal_without_indicators": lambda wb: (_kf_set(wb, 3, L.GOAL, "N33"),
                                           wb[L.GOALS].__setitem__("A7", "N33")),
    "key_spellings": lambda wb: (_set(wb[L.INDICATORS], "I02", L.KF, "1,0"), _set(wb[L.INDICATORS], "I03", L.KF, " 1 "),
                                 _set(wb[L.INDICATORS], "I05", L.GOAL, " n1 "), _kf_set(wb, 2, L.KF, 2.0)),
    "two_dominants": lambda wb: _set(wb[L.INDICATORS], "I17", L.DOMINANT, "JA"),
    "dominant_moved_to_red": lambda wb: (_set(wb[L.INDICATORS], "I16", L.DOMINANT, None),
                                         _set(wb[L.INDICATORS], "I19", L.DOMINANT, "JA"),
                                         _set(wb[L.INDICATORS], "I19", L.ACTIVITIES, "NEJ")),
    "override_without_motivation": lambda wb: _kf_set(wb, 4, L.MOTIVATION, None),
    "motivation_without_override": lambda wb: _kf_set(wb, 2, L.MOTIVATION, "Vi bedömer annorlunda."),
    "override_on_kf1": lambda wb: (_kf_set(wb, 1, L.OVERRIDE, "Ej uppfyllt"),
                                   _kf_set(wb, 1, L.MOTIVATION, "Tryggheten har minskat enligt brukarna.")),
    "bad_outcome": lambda wb: _set(wb[L.INDICATORS], "I07", L.OUTCOME, "åttio"),
}

SCENARIOS = [[name] for name in EDITS]
_random = random.Random(2025)  # generated combinations, the same in every run
SCENARIOS += [sorted(_random.sample(sorted(EDITS), 4)) for _ in range(3)]


def _formula_statuses(path, cells=None):
    cells = calculate(path) if cells is None else cells
    wb = openpyxl.load_workbook(path)
    out = {}
    ind = wb[L.INDICATORS]
    cols = _columns(ind)
    for row in range(L.FIRST_DATA_ROW, ind.max_row + 1):
        ident = ind[f"{cols[L.ID]}{row}"].value
        if ident:
            out[f"Indikator {ident}"] = cells.get((L.INDICATORS.upper(), f"{cols[L.COLOUR]}{row}"))
    goals = wb[L.GOALS]
    gcols = _columns(goals)
    for row in range(L.FIRST_DATA_ROW, goals.max_row + 1):
        goal = goals[f"{gcols[L.GOAL]}{row}"].value
        if goal:
            out[f"Nämndmål {goal}"] = cells.get((L.GOALS.upper(), f"{gcols[L.STATUS]}{row}"))
            out[f"Medel {goal}"] = cells.get((L.GOALS.upper(), f"{gcols[L.AVERAGE]}{row}"))
    kf = wb[L.KF_GOALS]
    kcols = _columns(kf)
    for row in range(L.FIRST_DATA_ROW, kf.max_row + 1):
        number = kf[f"{kcols[L.KF]}{row}"].value
        if number is not None:
            out[f"KF-mål {int(float(number))}"] = cells.get((L.KF_GOALS.upper(), f"{kcols[L.STATUS]}{row}"))
    return out


def _refresh_statuses(path):
    result = run_refresh(XlsxBook(path, read_only=True), write=False)
    out = {}
    for row in result.overview:
        level, kf, goal, ident, _, value, status = row[:7]
        if level == L.LEVEL_INDICATOR:
            out[f"Indikator {ident}"] = status
        elif level == L.LEVEL_GOAL and goal != L.UNKNOWN_GOAL:
            out[f"Nämndmål {goal}"] = status
            out[f"Medel {goal}"] = value if value is not None else status
        elif level == L.LEVEL_KF:
            out[f"KF-mål {kf}"] = status
    return out, result


@pytest.mark.parametrize("scenario", SCENARIOS, ids=["+".join(s) for s in SCENARIOS])
def test_refresh_and_the_workbook_formulas_agree(tmp_path, scenario):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    for name in scenario:
        EDITS[name](wb)
    wb.save(path)
    cells = calculate(path)
    formulas = _formula_statuses(path, cells)
    refreshed, result = _refresh_statuses(path)
    if len(scenario) == 1:  # every edit once (the combinations would only add time)
        # the edit in the VP server's variant (vp convert --to server) gives exactly the same values
        server = tmp_path / "VP2025-server.xlsx"
        assert main(["convert", str(path), "--to", "server", "--out", str(server)]) == 0
        assert _STORED_CALL.encode() in zipfile.ZipFile(server).read("xl/worksheets/sheet2.xml")
        assert calculate(server) == cells
    compared = 0
    for key, status in refreshed.items():
        if key not in formulas:
            continue  # a goal the Nämndmål sheet has no row for (e.g. the unknown one)
        shown = formulas[key]
        if status == "Fel":  # the same error: a readable reason in the cell
            assert isinstance(shown, str) and shown.startswith(CELL_ERROR_PREFIX), (key, shown)
        else:
            assert shown == status, (scenario, key, shown, status)
        compared += 1
    assert compared >= 24 + 6 + 6 + 6
    if "goal_without_indicators" in scenario:  # RULES R3: Ej bedömd and a finding, in both paths
        assert formulas["Nämndmål N33"] == refreshed["Nämndmål N33"] == "Ej bedömd"
        assert formulas["KF-mål 3"] == "Ej bedömd"
        assert any(f.rule == "R3.ej_bedomd.inga_indikatorer" for f in result.findings)
    if "past_row_500" in scenario:  # read by the formulas too once the name is widened
        assert "Indikator I22" in formulas and formulas["Indikator I22"] == refreshed["Indikator I22"]
        assert not any(f.rule == "R3.formelomrade" for f in result.findings)


def test_an_indicator_outside_the_name_is_a_finding_naming_its_cell(tmp_path):
    """Not widened: the formulas cannot see the row, so the two paths differ, and the check says where."""
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    _move_indicator(wb[L.INDICATORS], "I22", 1500)
    wb.save(path)
    refreshed, result = _refresh_statuses(path)
    formulas = _formula_statuses(path)
    found = [f for f in result.findings if f.rule == "R3.formelomrade"]
    assert [f.where for f in found] == ["Indikatorer!A1500"]
    assert "utanför raderna 4–128" in found[0].message and "Indikatortabell" in found[0].message
    # the office's goal (KF-mål 6) differs: the refresh counts I22 (0,5), the formulas do not
    assert refreshed["Medel Kontoret"] == 0.38 and formulas["Medel Kontoret"] == 0.33
