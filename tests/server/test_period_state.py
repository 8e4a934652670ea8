"""The period's state in the task pane and the Fastställ script through xlwings Server: the pane shows
the period, Utkast or who fixed it, and the analyses it lacks (R13); Fastställ refuses with the words
`vp approve` uses for the same workbook."""

import shutil

import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

from server_helpers import payload_with, writes  # noqa: E402

from conftest import EXAMPLE  # noqa: E402
from workbook import cli  # noqa: E402
from workbook import layout as L  # noqa: E402
from xl_addin.server import adapters  # noqa: E402


def run(client, name, payload):
    response = client.post(f"/xlwings/custom-scripts-call/{name}", json=payload)
    assert response.status_code == 200, response.text
    return response.json()["actions"]


def panel(actions):
    sent = [a["args"] for a in actions if a["func"] == "runMacro"]
    assert len(sent) == 1 and sent[0][0] == adapters.PANEL_CALLBACK
    return sent[0][1]


def test_the_pane_shows_the_period_its_state_and_the_missing_analyses(client, example_payload):
    sent = panel(run(client, "vp_panel", example_payload))
    assert (sent["period"], sent["tillstand"], sent["saknas"]) == ("Delår 1 2025", "Utkast", [])  # all written

    grids = {s["name"]: s["values"] for s in example_payload["sheets"]}
    payload = payload_with(example_payload, grids, edits={(L.OVERVIEW, L.PERIOD_ROW, 2): "Delår 2 2025"})
    sent = panel(run(client, "vp_panel", payload))
    assert sent["period"] == "Delår 2 2025" and sent["tillstand"] == "Utkast"
    for kf in range(1, 7):
        assert any(m.startswith(f"KF-mål {kf} saknar samlad bedömning för Delår 2 2025") for m in sent["saknas"])
    assert any(m.startswith("Indikator I09 (") and "är röd i Delår 2 2025" in m for m in sent["saknas"])


def test_faststall_refuses_with_the_words_of_vp_approve(client, example_payload, tmp_path, capsys):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)  # never refreshed: no Historik rows for Delår 1 yet
    assert cli.main(["approve", str(path), "--period", "Delår 1 2025", "--by", "anna@kommun.se"]) == 2
    said = capsys.readouterr().err.strip().removeprefix("Fel: ")
    assert said.startswith("Historik har inga rader för Delår 1 2025")
    actions = run(client, "faststall", example_payload)
    assert writes(example_payload, actions) == []
    assert panel(actions)["meddelande"] == f"VP kunde inte fastställa perioden:\n\n{said}"
