"""The VP tab's buttons through xlwings Server: POST /xlwings/custom-scripts-call/<name> with the
example workbook as Office.js sends it. The buttons write only Översikt, Kontroll and Logg, and say
what `vp refresh` / the file adapter say about the same workbook.
"""

import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

from server_helpers import (ISSUE_OUTPUT_SHEETS, OUTPUT_SHEETS, applied, payload_with, sheet_grid,  # noqa: E402
                            table_below, writes)

from conftest import EXAMPLE  # noqa: E402
from workbook import cli  # noqa: E402
from workbook.refresh import run_refresh  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402
from xl_addin import ribbon, udfs  # noqa: E402
from xl_addin.server import adapters  # noqa: E402


def run(client, name, payload):
    response = client.post(f"/xlwings/custom-scripts-call/{name}", json=payload)
    assert response.status_code == 200, response.text
    return response.json()["actions"]


def alerts(actions):
    return [a["args"] for a in actions if a["func"] == "alert"]


def panel(actions):
    """What the script sent to the task pane (runMacro vpPanel)."""
    sent = [a["args"] for a in actions if a["func"] == "runMacro"]
    assert len(sent) == 1 and sent[0][0] == adapters.PANEL_CALLBACK
    return sent[0][1]


def locate(grid, ident, header):
    """(row, column), 1-based, of `header`'s cell in the indicator row with Id `ident`."""
    for r, row in enumerate(grid):
        if "Id" in row and header in row:
            id_col, col = row.index("Id"), row.index(header)
            for rr in range(r + 1, len(grid)):
                if grid[rr][id_col] == ident:
                    return rr + 1, col + 1
    raise AssertionError((ident, header))


def saved_copy(tmp_path, edits=None, name="VP2025.xlsx"):
    """The example workbook copied, with `edits` = {(sheet, row, column): value} typed and saved."""
    path = tmp_path / name
    shutil.copy(EXAMPLE, path)
    if edits:
        wb = openpyxl.load_workbook(path)
        for (sheet, row, column), value in edits.items():
            wb[sheet].cell(row, column).value = value
        wb.save(path)
    return path


def vp_refresh(path, capsys):
    assert cli.main(["refresh", str(path)]) == 0
    capsys.readouterr()


def test_every_ribbon_button_is_a_script_and_nothing_else(client):
    meta = client.get("/xlwings/custom-scripts-meta").json()
    names = {entry["function_name"] for entry in meta}
    tags = {button.tag for button in adapters.ribbon_buttons()}
    assert tags and tags <= set(ribbon.ACTIONS)
    assert {"uppdatera", "kontrollera", "forklara", "regelbok"} <= tags  # the issue's four buttons
    assert set(adapters.DOWNLOADS) <= tags  # Rapport: a file, offered by the pane (test_rapport_*)
    assert names == (tags - set(adapters.DOWNLOADS)) | {"vp_panel"}
    assert ISSUE_OUTPUT_SHEETS <= OUTPUT_SHEETS


SCRIPTS = sorted({b.tag for b in adapters.ribbon_buttons()} - set(adapters.DOWNLOADS) | {"vp_panel"})


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_button_writes_only_the_output_sheets(client, example_payload, name):
    actions = run(client, name, example_payload)
    for sheet, func in writes(example_payload, actions):
        assert sheet in OUTPUT_SHEETS, (name, sheet, func)
    assert panel(actions)  # every button tells the task pane what it did


def test_uppdatera_gives_the_statuses_of_vp_refresh(client, example_payload, tmp_path, capsys):
    actions = run(client, "uppdatera", example_payload)
    grids = applied(example_payload, actions)
    written = {sheet for sheet, _ in writes(example_payload, actions)}
    assert {"Översikt", "Logg"} <= written <= OUTPUT_SHEETS

    path = saved_copy(tmp_path)
    vp_refresh(path, capsys)
    for sheet in written - {"Översikt", "Logg", "Kontroll"}:  # Historik: the period's rows, as in the file
        saved = sheet_grid(path, sheet)
        header = next(row for row in saved if row[0])[0]
        ours, theirs = table_below(grids[sheet], header), table_below(saved, header)
        times = {j for row in theirs for j, v in enumerate(row) if isinstance(v, datetime)}  # when it ran
        assert len(ours) == len(theirs) > 0
        assert [[v for j, v in enumerate(r) if j not in times] for r in ours] == \
            [[v for j, v in enumerate(r) if j not in times] for r in theirs], sheet
    expected_overview = table_below(sheet_grid(path, "Översikt"), "Nivå")
    overview = table_below(grids["Översikt"], "Nivå")
    assert [row[0] for row in overview].count("Indikator") == 24
    assert overview == expected_overview
    statuses = {(row[0], row[3] or row[2] or row[1]): row[6] for row in overview}
    assert statuses == {(row[0], row[3] or row[2] or row[1]): row[6] for row in expected_overview}
    # the log row: who, what, which statuses changed (the time differs)
    log, expected_log = table_below(grids["Logg"], "Tid"), table_below(sheet_grid(path, "Logg"), "Tid")
    assert [row[1:] for row in log] == [row[1:] for row in expected_log]
    assert "Uppdateringen är klar" in alerts(actions)[0][0]


def test_a_second_uppdatera_reports_the_changes_vp_refresh_reports(client, example_payload, tmp_path, capsys):
    first = run(client, "uppdatera", example_payload)
    grids = applied(example_payload, first)
    edit = {("Indikatorer", *locate(grids["Indikatorer"], "I03", "Utfall")): "55%"}
    second = run(client, "uppdatera", payload_with(example_payload, grids, edits=edit))
    log = table_below(applied(payload_with(example_payload, grids, edits=edit), second)["Logg"], "Tid")

    path = saved_copy(tmp_path)
    vp_refresh(path, capsys)
    wb = openpyxl.load_workbook(path)
    for (sheet, row, column), value in edit.items():
        wb[sheet].cell(row, column).value = value
    wb.save(path)
    vp_refresh(path, capsys)
    expected_log = table_below(sheet_grid(path, "Logg"), "Tid")
    assert len(log) == len(expected_log) == 2
    assert log[1][1:] == expected_log[1][1:]
    assert "Indikator I03" in log[1][3]  # the edit moved I03's status


def test_kontrollera_writes_the_findings_of_the_file_check(client, example_payload, tmp_path):
    grid = {s["name"]: s["values"] for s in example_payload["sheets"]}
    edits = {("Indikatorer", *locate(grid["Indikatorer"], "I05", "Utfall")): "sextio",
             ("Indikatorer", *locate(grid["Indikatorer"], "I07", "Ingående värde")): "#DIV/0!"}
    payload = payload_with(example_payload, grid, edits=edits)
    actions = run(client, "kontrollera", payload)
    assert {sheet for sheet, _ in writes(payload, actions)} == {"Kontroll"}

    expected = run_refresh(XlsxBook(saved_copy(tmp_path, edits), read_only=True), write=False).findings
    assert len(expected) >= 2
    written = table_below(applied(payload, actions)["Kontroll"], "Plats")
    assert written == [[f.where, f.rule, f.message] for f in expected]
    assert f"{len(expected)} fynd" in alerts(actions)[0][0]


def test_the_panel_explains_the_selected_row_and_lists_the_findings(client, example_payload, tmp_path):
    grid = {s["name"]: s["values"] for s in example_payload["sheets"]}
    row, _ = locate(grid["Indikatorer"], "I03", "Id")
    edits = {("Indikatorer", *locate(grid["Indikatorer"], "I05", "Utfall")): "sextio"}
    payload = payload_with(example_payload, grid, selection=f"D{row}", edits=edits)
    actions = run(client, "vp_panel", payload)
    assert writes(payload, actions) == [] and alerts(actions) == []
    sent = panel(actions)

    values = [grid["Indikatorer"][row - 1][locate(grid["Indikatorer"], "I03", h)[1] - 1]
              for h in ("Ingående värde", "Riktvärde 2025", "Utfall", "Aktiviteter")]
    assert "I03" in sent["forklaring"]
    assert udfs.VP_EXPLAIN(*[v if v != "" else None for v in values]) in sent["forklaring"]
    expected = run_refresh(XlsxBook(saved_copy(tmp_path, edits), read_only=True), write=False).findings
    assert sent["fynd"] == [{"plats": f.where, "regel": f.rule, "text": f.message} for f in expected]
    assert sent["fynd"] and sent["fel"] == ""


def test_a_workbook_that_is_not_a_vp_workbook_is_refused_in_swedish(client, example_payload):
    payload = dict(example_payload, sheets=[s for s in example_payload["sheets"] if s["name"] != "Indikatorer"])
    actions = run(client, "uppdatera", payload)
    assert writes(payload, actions) == []
    (message, title, _, mode, _), = alerts(actions)
    assert mode == "critical" and "Indikatorer" in message and "Traceback" not in message


def test_a_fault_in_a_button_changes_nothing_and_says_so_in_swedish(client, example_payload, monkeypatch):
    def broken(book):
        raise RuntimeError("boom")

    monkeypatch.setitem(ribbon.ACTIONS, "uppdatera", broken)
    response = client.post("/xlwings/custom-scripts-call/uppdatera", json=example_payload)
    assert response.status_code == 400
    assert response.text.startswith("VP kunde inte köra Uppdatera") and "Traceback" not in response.text


def test_the_panel_reports_a_broken_workbook_without_failing(client, example_payload):
    payload = dict(example_payload, sheets=[s for s in example_payload["sheets"] if s["name"] != "Internbudget"])
    sent = panel(run(client, "vp_panel", payload))
    assert "Internbudget" in sent["fel"] and sent["fynd"] == []
    assert "I03" in sent["forklaring"]  # the selected row is still explained


def test_the_log_names_the_signed_in_economist_not_the_server(app_module, example_payload):
    """With a login (Entra ID), Uppdatera's log row names the user xlwings Server authenticated: the
    name and the object id from the token (an e-mail address can be reused, the object id not)."""
    import asyncio
    import getpass

    import xlwings as xw
    from xlwings.server import custom_scripts_call
    from xlwings_server.models import CurrentUser

    user = CurrentUser(id="0000-1111", name="Anna Andersson", email="anna.andersson@kommun.se")
    book = xw.Book(json=example_payload)
    before = getpass.getuser()
    done = asyncio.run(custom_scripts_call(app_module.custom_scripts, "uppdatera", user,
                                           typehint_to_value={CurrentUser: user, xw.Book: book}))
    log = table_below(applied(example_payload, done.json()["actions"])["Logg"], "Tid")
    assert log[-1][1] == "Anna Andersson (0000-1111)"
    assert getpass.getuser() == before  # the server's own name is back


def docx_text(data):
    """Every paragraph and table cell of a .docx, in order."""
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs] + cells


def test_rapport_is_the_report_vp_report_makes_of_the_same_workbook(client, example_payload):
    from workbook.report import build_report, default_path

    response = client.post(adapters.DOWNLOADS["rapport"], json=example_payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    data, expected = build_report(XlsxBook(EXAMPLE, read_only=True), workbook=example_payload["book"]["name"])
    from urllib.parse import quote

    name = default_path(Path(example_payload["book"]["name"]), data.period).name
    assert response.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote(name)}"
    assert docx_text(response.content) == docx_text(expected)


def test_rapport_of_a_workbook_that_is_not_a_vp_workbook_says_why_in_swedish(client, example_payload):
    payload = dict(example_payload, sheets=[s for s in example_payload["sheets"] if s["name"] != "Indikatorer"])
    response = client.post(adapters.DOWNLOADS["rapport"], json=payload)
    assert response.status_code == 400
    assert response.text.startswith("VP kunde inte göra rapporten") and "Indikatorer" in response.text


def test_hamta_fran_kolada_fetches_on_the_server(client, example_payload, monkeypatch):
    """The pane's and the ribbon's Hämta från Kolada: the server fetches (the PC needs no access to
    Kolada) and sends only Kolada-värden and Logg back."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from kolada_server import KoladaReplay

    with KoladaReplay() as kolada:
        monkeypatch.setenv("VP_KOLADA_URL", kolada.url)
        actions = run(client, "kolada", example_payload)
        assert any(p.startswith("/v3/data/kpi/") for p in kolada.requests)
    assert {sheet for sheet, _ in writes(example_payload, actions)} == {"Kolada-värden", "Logg"}
    rows = table_below(applied(example_payload, actions)["Kolada-värden"], "Id")
    assert {row[0] for row in rows} == {"I09", "I10", "I11", "I17"}
    assert "värden hämtade" in panel(actions)["meddelande"]
