"""The manifest (/manifest) and the task pane: the VP tab names every ribbon script, its icons and
pages are served, and the pane loads in headless Chromium without console errors."""

import re
import struct
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

from browser import chromium, console_errors, proxy, render  # noqa: E402

from xl_addin.server import MANIFEST_IDS, adapters  # noqa: E402

NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
      "v": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
      "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def parse(text):
    root = ET.fromstring(text.encode("utf-8"))
    strings = {s.get("id"): s.get("DefaultValue") for s in root.iterfind(".//bt:String", NS)}
    urls = {u.get("id"): u.get("DefaultValue") for u in root.iterfind(".//bt:Url", NS)}
    images = {i.get("id"): i.get("DefaultValue") for i in root.iterfind(".//bt:Images/bt:Image", NS)}
    return root, strings, urls, images


@pytest.fixture(scope="module")
def manifest(client):
    response = client.get("/manifest")
    assert response.status_code == 200
    return parse(response.text)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_names_every_ribbon_script(manifest, client):
    root, strings, _, _ = manifest
    scripts = {e["function_name"] for e in client.get("/xlwings/custom-scripts-meta").json()}
    controls = root.findall(".//v:CustomTab/v:Group/v:Control", NS)
    functions = [c.find("v:Action/v:FunctionName", NS).text for c in controls
                 if c.find("v:Action", NS).get(XSI_TYPE) == "ExecuteFunction"]
    buttons = adapters.ribbon_buttons()
    assert functions == [f"vp-{b.tag}" for b in buttons]
    # vp_panel is the pane's own button; a download (Rapport) is the pane's too, not a script
    assert {f[3:] for f in functions} == (scripts - {"vp_panel"}) | set(adapters.DOWNLOADS)
    for control, button in zip(controls, buttons):
        assert strings[control.find("v:Label", NS).get("resid")] == button.label
    panes = [c for c in controls if c.find("v:Action", NS).get(XSI_TYPE) == "ShowTaskpane"]
    assert len(panes) == 1 and strings[panes[0].find("v:Label", NS).get("resid")] == "Visa panelen"
    tab = root.find(".//v:CustomTab", NS)
    assert strings[tab.find("v:Label", NS).get("resid")] == "VP"


def test_the_manifest_declares_the_vp_namespace_and_the_prod_id(manifest):
    root, strings, urls, _ = manifest
    assert root.find("o:Id", NS).text == MANIFEST_IDS["prod"]
    assert strings["Functions.Namespace"] == "VP"  # =VP.INDICATORSCORE(...)
    assert root.find("o:DefaultLocale", NS).text == "sv-SE"
    assert root.find(".//v:WebApplicationInfo", NS) is None  # local mode: no login


def test_every_page_and_icon_of_the_manifest_is_served(manifest, client):
    root, _, urls, images = manifest
    for url in urls.values():
        assert client.get(path_of(url)).status_code == 200, url
    icons = dict(images, IconUrl=root.find("o:IconUrl", NS).get("DefaultValue"),
                 High=root.find("o:HighResolutionIconUrl", NS).get("DefaultValue"))
    for resid, url in icons.items():
        response = client.get(path_of(url))
        assert response.status_code == 200, url
        size = int(re.search(r"-(\d+)\.png$", url).group(1))
        assert png_size(response.content) == (size, size), url


def test_entra_id_login_puts_the_app_registration_in_the_manifest(app_module):
    """XLWINGS_AUTH_PROVIDERS=["entraid"]: the manifest carries the app's id (Office's single sign-on)."""
    from xlwings_server.config import settings
    from xlwings_server.templates import templates

    entra = settings.model_copy(update={"auth_providers": ["entraid"], "auth_entraid_client_id": "app-id-123"})
    text = templates.env.get_template("manifest.xml").render(
        settings=entra, base_url="https://vp.example.se", base_url_with_app_path="https://vp.example.se",
        manifest_id=MANIFEST_IDS["prod"])
    root, _, _, _ = parse(text)
    info = root.find(".//v:WebApplicationInfo", NS)
    assert info.find("v:Id", NS).text == "app-id-123"
    assert info.find("v:Resource", NS).text == "api://vp.example.se/app-id-123"


def test_the_task_pane_page_has_a_button_per_script(client):
    page = client.get("/taskpane.html")
    assert page.status_code == 200
    clicks = set(re.findall(r'xw-click="([^"]+)"', page.text))
    scripts = {e["function_name"] for e in client.get("/xlwings/custom-scripts-meta").json()}
    assert clicks == scripts - {"forklara"}  # the pane explains without the ribbon's dialog
    assert set(re.findall(r'data-vp-download="([^"]+)"', page.text)) == set(adapters.DOWNLOADS)
    assert 'id="vp-config"' in page.text and "Förklara markeringen" in page.text


@pytest.mark.skipif(not chromium(), reason="Debian-paketet chromium saknas (apt-get install chromium); "
                                           "CI-maskinen är ny, så sidan provas bara där det finns")
def test_the_task_pane_renders_in_headless_chromium_without_console_errors(live_server, example_payload):
    import httpx

    panel_call = httpx.post(f"{live_server}/xlwings/custom-scripts-call/vp_panel", json=example_payload, timeout=60)
    assert panel_call.status_code == 200
    data = next(a["args"][1] for a in panel_call.json()["actions"] if a["func"] == "runMacro")
    base, stop = proxy(live_server, data)
    try:
        dom, console = render(f"{base}/taskpane.html")
    finally:
        stop()
    assert console, "Chromium printed no console lines: the page's scripts did not run"
    assert console_errors(console) == []
    recorded = re.search(r'<pre id="vp-test-associated"[^>]*>(.*?)</pre>', dom, re.S)
    assert recorded, "the page did not finish loading"
    import html
    import json

    seen = json.loads(html.unescape(recorded.group(1)))
    assert seen["associated"] == [f"vp-{b.tag}" for b in adapters.ribbon_buttons()]
    from xl_addin import udfs

    assert sorted(seen["registered"]) == sorted(f.__name__ for f in udfs.CATALOGUE)
    explanation = re.search(r'id="vp-forklaring"[^>]*>(.*?)</p>', dom, re.S).group(1)
    assert html.unescape(explanation) == data["forklaring"] and "I03" in explanation


# --- the switch of the classic add-in's formulas (=VP_X) in the open workbook -----------------------
# Office.js range.formulas gives formulas in English notation ("," between arguments), whatever
# Excel's language.

CLASSIC_SHEET = [["Indikator", "Poäng"],
                 ["I01", '=VP_INDICATORSCORE("61%","Öka","65%")'],
                 ["I02", '=IF(A3="VP_RULE(x)","",VP_GOALSTATUS(B2:B3,"Röd"))'],
                 ["61%", "=SUM(B2:B3)"]]


def test_the_formulas_route_rewrites_classic_calls_for_office_js(client):
    cells = [{"where": "Blad!B2", "formula": '=VP_INDICATORSCORE("61%","Öka","65%")'},
             {"where": "Blad!B3", "formula": '=IF(A3="VP_RULE(x)","",VP_GOALSTATUS(B2:B3,"Röd"))'},
             {"where": "namnet 'Regel'", "formula": '=VP_RULE("R2.oka.met")'},
             {"where": "Blad!B4", "formula": "=SUM(B2:B3)"}]
    answer = client.post("/vp/formler", json={"to": "server", "cells": cells}).json()
    assert answer == {"fel": None, "andras": [
        {"index": 0, "formula": '=VP.INDICATORSCORE("61%","Öka","65%")'},
        {"index": 1, "formula": '=IF(A3="VP_RULE(x)","",VP.GOALSTATUS(B2:B3,"Röd"))'},
        {"index": 2, "formula": '=VP.RULE("R2.oka.met")'}]}
    back = [{"where": c["where"], "formula": a["formula"]} for c, a in zip(cells, answer["andras"])]
    assert client.post("/vp/formler", json={"to": "server", "cells": back}).json() == {"fel": None, "andras": []}


def test_the_formulas_route_refuses_mixed_and_unknown_naming_the_cells(client):
    mixed = [{"where": "Blad!B2", "formula": "=VP_SAVING(B1)"}, {"where": "Blad!B3", "formula": "=VP.SAVING(B1)"}]
    answer = client.post("/vp/formler", json={"to": "server", "cells": mixed}).json()
    assert answer["andras"] == [] and "båda formerna" in answer["fel"] and "Blad!B2" in answer["fel"] \
        and "Blad!B3" in answer["fel"]
    unknown = [{"where": "Blad!C9", "formula": "=VP_SAVINGS(B1)"}]
    answer = client.post("/vp/formler", json={"to": "server", "cells": unknown}).json()
    assert "Blad!C9" in answer["fel"] and "VP_SAVINGS" in answer["fel"]
    assert client.post("/vp/formler", json={"to": "excel", "cells": []}).status_code == 400


def _switch_in_pane(live_server, workbook):
    """The pane opened on `workbook` (the host stub's): what it wrote back (None: no switch offered) and
    its text about the formulas. Fails on any console error."""
    import html
    import json

    base, stop = proxy(live_server, None, workbook)
    try:
        dom, console = render(f"{base}/taskpane.html")
    finally:
        stop()
    assert console_errors(console) == []
    written = re.search(r'<pre id="vp-test-written"[^>]*>(.*?)</pre>', dom, re.S)
    text = html.unescape(re.search(r'id="vp-former-text"[^>]*>(.*?)</p>', dom, re.S).group(1))
    return (json.loads(html.unescape(written.group(1))) if written else None), text


@pytest.mark.skipif(not chromium(), reason="Debian-paketet chromium saknas (apt-get install chromium); "
                                           "CI-maskinen är ny, så sidan provas bara där det finns")
def test_the_task_pane_offers_and_makes_the_switch_in_the_open_workbook(live_server):
    written, text = _switch_in_pane(live_server, {"sheets": {"Blad": CLASSIC_SHEET},
                                                  "names": {"Regel": '=VP_RULE("R2.oka.met")'}})
    assert written is not None, "the pane offered no switch"
    assert written == [
        {"sheet": "Blad", "row": 1, "column": 1, "formula": '=VP.INDICATORSCORE("61%","Öka","65%")'},
        {"sheet": "Blad", "row": 2, "column": 1, "formula": '=IF(A3="VP_RULE(x)","",VP.GOALSTATUS(B2:B3,"Röd"))'},
        {"name": "Regel", "formula": '=VP.RULE("R2.oka.met")'}]
    assert text.startswith("3 formler använder nu serverns VP-funktioner")


@pytest.mark.skipif(not chromium(), reason="Debian-paketet chromium saknas (apt-get install chromium)")
def test_the_task_pane_refuses_a_workbook_with_both_forms_naming_the_cells(live_server):
    written, text = _switch_in_pane(live_server, {"sheets": {"Blad": [["a", "b"], ["x", "=VP_SAVING(B1)"],
                                                                      ["y", "=VP.SAVING(B1)"]]}})
    assert written == []
    assert text.startswith("Bytet går inte: arbetsboken har VP-funktioner i båda formerna")
    assert "Blad!B2" in text and "Blad!B3" in text
