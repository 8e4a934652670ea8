"""VBA wrappers for the UDFs (=VP_...()), generated at build time with xlwings' generator.

What only a real Windows Excel can confirm is listed in docs/excel-checklist.md.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import warnings

import pytest
import xlwings

from xl_addin import build_addin, udfs, vba_wrappers

EXPECTED = vba_wrappers.expected_declarations(udfs.CATALOGUE)
DECORATORS = ("func", "arg", "ret", "sub", "script")


@pytest.fixture(scope="module")
def generated() -> tuple[str, dict[str, dict]]:
    return vba_wrappers.generate()


@pytest.fixture(scope="module")
def built_modules(tmp_path_factory) -> dict[str, str]:
    pytest.importorskip("pyopenvba")
    pytest.importorskip("oletools")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from oletools.olevba import VBA_Parser

        data = build_addin.build(tmp_path_factory.mktemp("wrappers") / "vp.xlam").read_bytes()
        parser = VBA_Parser("vp.xlam", data=data)
        try:
            return {fn.rsplit(".", 1)[0]: code for _, _, fn, code in parser.extract_macros()}
        finally:
            parser.close()


def function_body(vba: str, name: str) -> str:
    match = re.search(rf"^Function {name}\(.*?^End Function", vba, re.M | re.S)
    assert match, name
    return match.group(0)


# --------------------------------------------------------------------------- generator


def test_expected_declarations_cover_the_catalogue():
    assert list(EXPECTED) == [f.__name__ for f in udfs.CATALOGUE]
    assert EXPECTED["VP_GOALSTATUS"] == ["mal", "Optional tabell"]
    assert EXPECTED["VP_KFSTATUS"] == ["kf", "namndmal", "tabell", "Optional manuell", "Optional motivering"]
    assert EXPECTED["VP_SPLIT_LSS_SOL"] == ["belopp", "Optional hs_del", "Optional decimaler"]
    assert EXPECTED["VP_VOLUMEADJ"] == ["budgeterad_volym", "ny_volym", "standardkostnad"]


def test_generator_declares_every_catalogue_function_with_its_arguments(generated):
    vba, infos = generated
    assert vba_wrappers.declarations(vba) == EXPECTED
    assert set(infos) == set(EXPECTED)
    # xlwings' order: sorted by name (dir(module)), so the build is deterministic
    assert list(vba_wrappers.declarations(vba)) == sorted(EXPECTED)


def test_generated_wrappers_call_xlwings_for_the_udf_module(generated):
    vba, _ = generated
    for name, params in EXPECTED.items():
        body = function_body(vba, name)
        # the typed arguments, then Nothing for xlwings' reserved `caller` (call_udf puts the calling
        # cell there, so the function computes with the rulebook that cell's workbook records)
        args = ", ".join([*(p.removeprefix("Optional ") for p in params), "Nothing"])
        assert (
            f'{name} = XLPy.CallUDF("xl_addin.udfs", "{name}", Array({args}), ActiveWorkbook, Application.Caller)'
            in body
        )
        assert '#If App = "Microsoft Excel" Then' in body
        assert "ThisWorkbook" not in body  # add-in variant: the workbook is ActiveWorkbook
        assert f"{name} = Err.Description" in body


def test_generation_is_repeatable(generated):
    assert vba_wrappers.generate()[0] == generated[0]
    assert vba_wrappers.addin_section() == vba_wrappers.addin_section()


def test_descriptions_are_the_docstrings_in_windows_1252(generated):
    _, infos = generated
    for func in udfs.CATALOGUE:
        text = vba_wrappers.description(infos[func.__name__])
        assert 0 < len(text) <= 255
        text.encode("cp1252")
        assert '"' not in text and "\u2212" not in text
        expected = " ".join(func.__doc__.split())
        for char, ascii_form in (("\u2212", "-"), ("\u2265", ">="), ("\u2264", "<="), ("\u2192", "->"), ('"', "\u201d")):
            expected = expected.replace(char, ascii_form)
        assert text == expected[:255]
    assert vba_wrappers.description(infos["VP_SAVING"]).startswith("Besparingskravet: -3 %")


# --------------------------------------------------------------------------- stubbing


def test_stubbing_leaves_modules_and_decorators_as_they_were():
    for name in vba_wrappers._PREIMPORT:
        importlib.import_module(name)
    modules = dict(sys.modules)
    decorators = {name: getattr(xlwings, name, None) for name in DECORATORS}
    had_udfs_attr = "udfs" in vars(xlwings)

    vba_wrappers.generate()

    assert set(sys.modules) == set(modules)
    assert all(sys.modules[name] is module for name, module in modules.items())
    assert {name: getattr(xlwings, name, None) for name in DECORATORS} == decorators
    assert ("udfs" in vars(xlwings)) == had_udfs_attr
    assert vba_wrappers._PRIVATE_NAME not in sys.modules
    assert sys.modules["xl_addin.udfs"] is udfs
    if sys.platform != "win32":
        for name in ("pythoncom", "pywintypes", "win32com", "win32com.client", "xlwings.udfs"):
            assert name not in sys.modules, name
        for func in udfs.CATALOGUE:
            assert not hasattr(func, "__xlfunc__"), func.__name__
        assert udfs.VP_SPLIT_STAFF(10, 1) == [[6.0, 4.0]]


def test_stubbing_is_undone_when_the_udf_module_fails(tmp_path, monkeypatch):
    for name in vba_wrappers._PREIMPORT:
        importlib.import_module(name)
    broken = tmp_path / "udfs.py"
    broken.write_text("import xlwings as xw\n\n@xw.func\ndef VP_X(a):\n    return a\n\nraise RuntimeError('boom')\n")
    monkeypatch.setattr(vba_wrappers, "UDF_SOURCE", broken)
    modules = dict(sys.modules)
    decorators = {name: getattr(xlwings, name, None) for name in DECORATORS}
    with pytest.raises(RuntimeError, match="boom"):
        vba_wrappers.generate()
    assert set(sys.modules) == set(modules)
    assert {name: getattr(xlwings, name, None) for name in DECORATORS} == decorators


def test_decorated_functions_must_match_the_catalogue(tmp_path, monkeypatch):
    other = tmp_path / "udfs.py"
    other.write_text(
        "import xlwings as xw\n\n@xw.func\ndef VP_A(a):\n    return a\n\n"
        "@xw.func\ndef VP_B(b):\n    return b\n\nCATALOGUE = [VP_A]\n"
    )
    monkeypatch.setattr(vba_wrappers, "UDF_SOURCE", other)
    with pytest.raises(vba_wrappers.WrapperError, match="CATALOGUE"):
        vba_wrappers.generate()


def test_conf_udf_modules_must_be_the_wrapped_module(monkeypatch):
    conf = dict(build_addin.load_conf(), **{"UDF Modules": "other.udfs"})
    monkeypatch.setattr(build_addin, "load_conf", lambda: conf)
    with pytest.raises(build_addin.BuildError, match="UDF Modules"):
        build_addin.module_source()


# --------------------------------------------------------------------------- built add-in


def test_built_addin_declares_every_catalogue_function(built_modules):
    module = built_modules[build_addin.CALLBACK_MODULE]
    assert vba_wrappers.declarations(module) == EXPECTED
    for name, source in built_modules.items():
        if name != build_addin.CALLBACK_MODULE:
            declared = set(re.findall(r"^[ \t]*(?:\w+[ \t]+)?(?:Function|Sub)[ \t]+(\w+)", source, re.M | re.I))
            assert not declared & set(EXPECTED), name


def test_built_module_is_the_bas_then_the_generated_section(built_modules):
    module = built_modules[build_addin.CALLBACK_MODULE]
    bas = build_addin.callback_source()
    assert module.replace("\r\n", "\n").startswith(bas.replace("\r\n", "\n"))
    rest = module.replace("\r\n", "\n")[len(bas.replace("\r\n", "\n")) :]
    assert rest == "\n" + vba_wrappers.addin_section()
    assert "genererade vid bygget" in rest
    # the #If App branches need the constant that xlwings' own import module defines
    assert rest.index('#Const App = "Microsoft Excel"') < rest.index("#If App")


def test_built_functions_carry_their_description(built_modules, generated):
    module = built_modules[build_addin.CALLBACK_MODULE]
    _, infos = generated
    for name in EXPECTED:
        lines = function_body(module, name).splitlines()
        assert lines[1] == f'Attribute {name}.VB_Description = "{vba_wrappers.description(infos[name])}"'


def test_wrappers_only_call_vba_that_the_addin_has(built_modules):
    xlwings_module = built_modules["xlwings"]
    assert re.search(r"^Function XLPy\(\)", xlwings_module, re.M)  # Public by default
    assert not re.search(r"^Private Function XLPy\(", xlwings_module, re.M)
    module = built_modules[build_addin.CALLBACK_MODULE]
    # Option Explicit holds in the callback module: the wrappers use no undeclared variables
    assert "Option Explicit" in module
    assert "ParamArray" not in module and "argsArray" not in module


# --------------------------------------------------------------------------- Insert Function help

VBA_STRING = r'"((?:[^"]|"")*)"'


def macro_options_calls(module: str) -> dict[str, dict]:
    """Function name -> {"description", "category", "arguments"} of every
    ``Application.MacroOptions`` statement in ``Sub VPRegisterFunctions``, read from the VBA
    text (continuation lines joined, string literals unescaped)."""
    body = re.search(r"^Sub VPRegisterFunctions\(\)\r?\n(.*?)^End Sub", module, re.M | re.S)
    assert body, "no Sub VPRegisterFunctions in the module"
    statements = re.sub(r" _\r?\n\s*", " ", body.group(1)).splitlines()
    calls = {}
    for statement in statements:
        if "MacroOptions" not in statement:
            continue
        assert statement.strip().startswith("Application.MacroOptions Macro:=p & "), statement
        name = re.search(r'Macro:=p & "(\w+)"', statement).group(1)
        assert name not in calls, f"{name} registered twice"
        arrays = re.findall(r"ArgumentDescriptions:=Array\((.*)\)\s*$", statement)
        arguments = [s.replace('""', '"') for s in re.findall(VBA_STRING, arrays[0])] if arrays else []
        calls[name] = {
            "description": re.search(r"Description:=" + VBA_STRING, statement).group(1).replace('""', '"'),
            "category": re.search(r"Category:=" + VBA_STRING, statement).group(1),
            "arguments": arguments,
        }
    return calls


def test_onload_registers_every_catalogue_function_with_its_argument_count(built_modules):
    module = built_modules[build_addin.CALLBACK_MODULE]
    calls = macro_options_calls(module)
    expected = {f.__name__: len(inspect.signature(f).parameters) for f in udfs.CATALOGUE}
    assert {name: len(call["arguments"]) for name, call in calls.items()} == expected
    for name, call in calls.items():
        assert call["category"] == "VP", name
        assert 0 < len(call["description"]) <= 255, name
        assert all(0 < len(text) <= 255 for text in call["arguments"]), name
    assert calls["VP_GOALSTATUS"]["arguments"][1].startswith("Indikatortabellen med rubriker")
    assert calls["VP_KFSTATUS"]["arguments"][3].startswith("Manuell status")
    # the qualified macro name, as xlwings' own Import Functions gives it for an add-in
    assert re.search(r"""^\s*p = "'" & ThisWorkbook\.Name & "'!"\s*$""", module, re.M)


def test_ribbon_onload_calls_the_registration(built_modules, tmp_path):
    import xml.etree.ElementTree as ET
    import zipfile

    data = build_addin.build(tmp_path / "vp.xlam").read_bytes()
    with zipfile.ZipFile(tmp_path / "vp.xlam") as zf:
        root = ET.fromstring(zf.read(build_addin.CUSTOMUI_PART))
    module_name, _, sub = root.get("onLoad").rpartition(".")
    assert data and module_name == build_addin.CALLBACK_MODULE
    module = built_modules[module_name]
    body = re.search(rf"^Sub {sub}\(ribbon As IRibbonUI\)\r?\n(.*?)^End Sub", module, re.M | re.S)
    assert body, f"no Sub {sub}(ribbon As IRibbonUI) in {module_name}"
    code = [line.strip() for line in body.group(1).splitlines() if line.strip() and not line.strip().startswith("'")]
    assert code == ["VPRegisterFunctions"]
    assert "MacroOptions" not in built_modules["ThisWorkbook"]
