"""The VP functions through xlwings Server (FastAPI TestClient): metadata and calls as Excel sends them.

Every expected value is the catalogue function called directly (server_helpers.expected), never a
number written here.
"""

import inspect
import re
from pathlib import Path

import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")

from server_helpers import INDICATOR_HEADERS, OMIT, bad_calls, body, expected, sample_calls, table, workbook_calls  # noqa: E402

from conftest import EXAMPLE, ROOT  # noqa: E402
from xl_addin import udfs  # noqa: E402

NAMES = [f.__name__ for f in udfs.CATALOGUE]
BY_NAME = {f.__name__: f for f in udfs.CATALOGUE}


def one_line(text):
    return " ".join((text or "").split())


def excel_name(name):
    return name[3:] if name.startswith("VP_") else name


@pytest.fixture(scope="session")
def indicators():
    return table(EXAMPLE, "Indikatorer", INDICATOR_HEADERS)


@pytest.fixture(scope="session")
def samples(indicators):
    return sample_calls(EXAMPLE, indicators)


@pytest.fixture(scope="session")
def meta(client):
    response = client.get("/xlwings/custom-functions-meta")
    assert response.status_code == 200
    return response.json()


def test_the_plans_24_indicators_are_the_sample(indicators, plan_indicators):
    assert len(plan_indicators) == 24
    assert [row["Id"] for row in indicators] == list(plan_indicators)
    for row in indicators:
        plan = plan_indicators[row["Id"]]
        assert str(row["Ingående värde"] or "") == plan["Ingående värde"]
        assert str(row["Riktvärde 2025"] or "") == plan["Riktvärde 2025"]


def test_meta_lists_every_catalogue_function_and_nothing_else(meta, app_module):
    functions = {f["id"]: f for f in meta["functions"]}
    assert set(functions) == set(NAMES), "the server must list the catalogue, not xlwings' examples"
    # the routers use the VP modules from this project, not the package's example fallback
    from xlwings_server.routers import xlwings as router

    assert Path(router.custom_functions.__file__).parent == ROOT / "xl_addin" / "server" / "custom_functions"
    for name, func in BY_NAME.items():
        entry = functions[name]
        assert entry["name"] == excel_name(name)  # with the manifest's namespace: =VP.INDICATORSCORE
        assert entry["description"] == one_line(func.__doc__)
        params = list(inspect.signature(func).parameters.values())
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in params]
        for param, described in zip(params, entry["parameters"]):
            assert described["description"] and described["description"] != param.name, (name, param.name)
            assert described.get("optional", False) == (param.default is not inspect.Parameter.empty)


def test_the_functions_javascript_associates_every_catalogue_function(client):
    """Excel runs /xlwings/custom-functions-code.js: each id must be bound to a caller there."""
    code = client.get("/xlwings/custom-functions-code.js")
    assert code.status_code == 200
    associated = re.findall(r'CustomFunctions\.associate\("([A-Z_]+)"', code.text)
    assert sorted(associated) == sorted(NAMES)


def test_argument_descriptions_are_the_classic_add_ins(meta):
    """The same Swedish help as the classic add-in's @xw.arg(doc=...) declarations."""
    from xl_addin import vba_wrappers

    with vba_wrappers.windows_udf_decorators():
        declared = {f.__name__: f.__xlfunc__ for f in vba_wrappers.decorated_udfs().CATALOGUE}
    for entry in meta["functions"]:
        # the classic add-in's reserved `caller` (the calling cell) is filled by xlwings, never typed
        docs = {a["name"]: one_line(a["doc"]) for a in declared[entry["id"]]["args"] if a["name"] != udfs.CALLER}
        assert {p["name"]: p["description"] for p in entry["parameters"]} == docs


def call(client, name, args):
    response = client.post("/xlwings/custom-functions-call", json=body(name, args))
    assert response.status_code == 200, (name, args, response.text)
    return response.json()["result"]


@pytest.mark.parametrize("name", NAMES)
def test_calls_equal_the_catalogue_called_directly(client, samples, name):
    calls = samples[name]
    assert len(calls) >= 24  # at least the plan's 24 indicators
    for args in calls:
        assert call(client, name, args) == expected(BY_NAME[name], args), (name, args)


def test_a_column_in_gives_a_column_out(client, samples):
    """Every function the indicator and budget tables use row by row answers a column with a column."""
    per_row = {name for name, calls in workbook_calls(EXAMPLE).items()
               if {sheet for sheet, _, _ in calls} & {"Indikatorer", "Internbudget"}}
    assert per_row
    columns_out = set()
    for name in per_row:
        for args in samples[name]:
            given = [a for a in args if a is not OMIT]
            if given and all(isinstance(a, list) and len(a) > 1 and len(a[0]) == 1 for a in given):
                result = call(client, name, args)
                assert result == expected(BY_NAME[name], args)
                if len(result) == len(given[0]) and all(len(row) == 1 for row in result):
                    columns_out.add(name)
    assert columns_out == per_row


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_gives_readable_swedish_text(client, samples, name):
    func = BY_NAME[name]
    good = samples[name][0]
    failures = 0
    for args in bad_calls(good):
        result = call(client, name, args)
        assert result == expected(func, args), (name, args)
        for row in result:
            for cell in row:
                assert "Traceback" not in str(cell) and 'File "' not in str(cell)
        failures += any(str(c).startswith(udfs.ERROR_PREFIX) for row in result for c in row)
    assert failures, f"{name}: no bad input was reported"


def test_an_unexpected_fault_is_a_sentence_in_the_cell_not_a_traceback(client, app_module, monkeypatch, caplog):
    from xl_addin.server.adapters import function_adapter, internal_error_text

    def VP_BOOM(x):  # noqa: N802 (an Excel name)
        """Testfunktion."""
        return 1 / 0

    module = app_module.custom_functions
    monkeypatch.setattr(module, "VP_BOOM", function_adapter(VP_BOOM, module.__name__), raising=False)
    result = call(client, "VP_BOOM", (1,))
    assert result == [[internal_error_text("BOOM")]]
    assert "ZeroDivisionError" in caplog.text  # the traceback is in the server's log
