"""One real server: `vp serve --lokal` on 127.0.0.1 and a free port (its own process, where
XLWINGS_ON_SERVER is set before xlwings is imported), the same calls over HTTP; and `vp serve`
refusing to start without a licence key or a login."""

import subprocess

import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

import httpx  # noqa: E402
from server_helpers import (INDICATOR_HEADERS, OUTPUT_SHEETS, applied, bad_calls, body,  # noqa: E402
                            expected, sample_calls, sheet_grid, table, table_below, writes)

from conftest import EXAMPLE, ROOT, server_env, vp_command  # noqa: E402
from workbook import cli  # noqa: E402
from xl_addin import udfs  # noqa: E402


@pytest.fixture(scope="module")
def http(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as session:
        yield session


def test_meta_over_http_lists_the_catalogue_like_the_in_process_app(http, client):
    over_http = http.get("/xlwings/custom-functions-meta").json()
    assert {f["id"] for f in over_http["functions"]} == {f.__name__ for f in udfs.CATALOGUE}
    # argument help read from the functions themselves there (XLWINGS_ON_SERVER at import), from the
    # add-in build's reading here: the same
    assert over_http == client.get("/xlwings/custom-functions-meta").json()


def test_function_calls_over_http_equal_the_catalogue(http):
    samples = sample_calls(EXAMPLE, table(EXAMPLE, "Indikatorer", INDICATOR_HEADERS))
    for func in udfs.CATALOGUE:
        calls = samples[func.__name__]
        for args in calls[:3] + calls[-2:] + bad_calls(calls[0])[:3]:
            response = http.post("/xlwings/custom-functions-call", json=body(func.__name__, args))
            assert response.status_code == 200
            assert response.json()["result"] == expected(func, args), (func.__name__, args)


def test_uppdatera_over_http_gives_the_statuses_of_vp_refresh(http, example_payload, tmp_path, capsys):
    import shutil

    response = http.post("/xlwings/custom-scripts-call/uppdatera", json=example_payload)
    assert response.status_code == 200
    actions = response.json()["actions"]
    assert {sheet for sheet, _ in writes(example_payload, actions)} <= OUTPUT_SHEETS
    overview = table_below(applied(example_payload, actions)["Översikt"], "Nivå")
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    assert cli.main(["refresh", str(path)]) == 0
    capsys.readouterr()
    assert overview == table_below(sheet_grid(path, "Översikt"), "Nivå")


def test_the_dev_environment_appends_its_name_to_the_namespace(http):
    manifest = http.get("/manifest").text
    assert 'id="Functions.Namespace" DefaultValue="VP_DEV"' in manifest  # =VP_DEV.INDICATORSCORE(...)
    assert http.get("/vp/health").json()["funktioner"] == len(udfs.CATALOGUE)


def serve(*args, **env):
    return subprocess.run([*vp_command(), "serve", *args], env=server_env(**env), capture_output=True, text=True,
                          timeout=60, cwd=str(ROOT))


def test_serve_refuses_to_start_without_a_licence_key():
    done = serve("--lokal", XLWINGS_LICENSE_KEY="")
    assert done.returncode == 2
    assert "XLWINGS_LICENSE_KEY saknas" in done.stderr and "PolyForm Noncommercial" in done.stderr


def test_serve_refuses_to_start_without_login_unless_local():
    done = serve()
    assert done.returncode == 2 and "XLWINGS_AUTH_PROVIDERS" in done.stderr and "--lokal" in done.stderr
    done = serve(XLWINGS_AUTH_PROVIDERS='["entraid"]', XLWINGS_AUTH_ENTRAID_TENANT_ID="t")
    assert done.returncode == 2 and "XLWINGS_AUTH_ENTRAID_CLIENT_ID" in done.stderr
