"""The VP Excel add-in: build from text sources, VBA patch, reproducibility, install/remove.

What only a real Windows Excel can confirm is listed in docs/excel-checklist.md.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("pyopenvba")
pytest.importorskip("oletools")

from pyopenvba.cfb import CFB  # noqa: E402
from pyopenvba.vba import decompress  # noqa: E402

from xl_addin import build_addin, install, ribbon  # noqa: E402

CUI = f"{{{build_addin.CUSTOMUI_NS}}}"
EXPECTED_LABELS = {
    "uppdatera": "Uppdatera",
    "kontrollera": "Kontrollera",
    "forklara": "Förklara",
    "rakna_om": "Räkna om VP-formler",
    "regelbok": "Regelbok",
    "rapport": "Rapport",
    "kolada": "Hämta från Kolada",
    "faststall": "Fastställ",
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_addin.build(tmp_path_factory.mktemp("addin") / "vp.xlam")


@pytest.fixture(scope="module")
def template() -> bytes:
    return build_addin.read_template()


def zip_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def vba_cfb(xlam: bytes) -> CFB:
    return CFB.from_bytes(zip_part(xlam, build_addin.VBA_PART))


def olevba_modules(xlam: bytes) -> dict[str, str]:
    """Module name -> source, as oletools.olevba decodes it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from oletools.olevba import VBA_Parser

        parser = VBA_Parser("vp.xlam", data=xlam)
        try:
            assert parser.detect_vba_macros()
            return {
                vba_filename.rsplit(".", 1)[0]: code
                for _, _, vba_filename, code in parser.extract_macros()
            }
        finally:
            parser.close()


def buttons(xlam: bytes) -> list[ET.Element]:
    root = ET.fromstring(zip_part(xlam, build_addin.CUSTOMUI_PART))
    return list(root.iter(f"{CUI}button"))


def vba_streams(cfb: CFB) -> dict[str, bytes]:
    out = {name: cfb.get_stream(name) for name in ("PROJECT", "PROJECTwm")}
    for name in cfb.list_streams_at(("VBA",)):
        out[f"VBA/{name}"] = cfb.get_stream_at(("VBA",), name)
    return out


# --------------------------------------------------------------------------- customUI


def test_customui_parses_with_2006_namespace_and_matching_relationship(built):
    data = built.read_bytes()
    root = ET.fromstring(zip_part(data, build_addin.CUSTOMUI_PART))
    assert root.tag == f"{CUI}customUI"
    assert root.tag.startswith("{http://schemas.microsoft.com/office/2006/01/customui}")

    rels = ET.fromstring(zip_part(data, "_rels/.rels"))
    to_customui = [
        rel
        for rel in rels.iter("{http://schemas.openxmlformats.org/package/2006/relationships}Relationship")
        if rel.get("Target").lstrip("/") == build_addin.CUSTOMUI_PART
    ]
    assert len(to_customui) == 1
    assert to_customui[0].get("Type") == "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"


def test_vp_tab_with_swedish_buttons(built):
    root = ET.fromstring(zip_part(built.read_bytes(), build_addin.CUSTOMUI_PART))
    tabs = list(root.iter(f"{CUI}tab"))
    assert [tab.get("label") for tab in tabs] == ["VP"]
    found = {b.get("tag"): b for b in buttons(built.read_bytes())}
    assert {tag: b.get("label") for tag, b in found.items()} == EXPECTED_LABELS
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    for b in found.values():
        assert b.get("imageMso"), b.get("id")
        assert b.get("screentip") and b.get("supertip"), b.get("id")


def test_every_button_tag_is_a_ribbon_action_and_vice_versa(built):
    tags = [b.get("tag") for b in buttons(built.read_bytes())]
    assert len(tags) == len(set(tags))
    assert set(tags) == set(ribbon.ACTIONS), "customUI.xml tags and xl_addin.ribbon.ACTIONS must match"


def test_every_onaction_names_a_sub_decoded_by_olevba(built):
    modules = olevba_modules(built.read_bytes())
    for button in buttons(built.read_bytes()):
        module, _, sub = button.get("onAction").rpartition(".")
        assert module in modules, f"{button.get('id')}: no VBA module {module!r}"
        assert re.search(rf"^\s*(Public\s+)?Sub\s+{re.escape(sub)}\(", modules[module], re.M | re.I), (
            f"{button.get('id')}: no Sub {sub}( in {module}"
        )


def test_callback_passes_the_tag_to_the_python_dispatcher(built):
    source = olevba_modules(built.read_bytes())[build_addin.CALLBACK_MODULE]
    assert "Sub VPAction(control As IRibbonControl)" in source
    assert """RunPython "import xl_addin.ribbon as r; r.run('" & control.Tag & "')\"""" in source
    assert "RunMain" not in source


# --------------------------------------------------------------------------- VBA project


def test_other_modules_decode_to_the_templates_source(built, template):
    new, old = olevba_modules(built.read_bytes()), olevba_modules(template)
    assert set(new) == set(old)
    others = set(old) - {build_addin.CALLBACK_MODULE}
    assert {"ThisWorkbook", "Dictionary", "Sheet2", "xlwings"} <= others
    for name in others:
        assert new[name] == old[name], name


def test_only_dir_and_callback_streams_change(built, template):
    new, old = vba_streams(vba_cfb(built.read_bytes())), vba_streams(vba_cfb(template))
    assert set(new) == set(old)
    changed = {name for name in old if new[name] != old[name]}
    assert changed == {"VBA/dir", f"VBA/{build_addin.CALLBACK_MODULE}"}
    assert new["VBA/_VBA_PROJECT"] == old["VBA/_VBA_PROJECT"] == bytes.fromhex("cc61ffff000100")


def test_dir_differs_only_in_the_callback_module_offset(built, template):
    new = decompress(vba_cfb(built.read_bytes()).get_stream_at(("VBA",), "dir"))
    old = decompress(vba_cfb(template).get_stream_at(("VBA",), "dir"))
    assert len(new) == len(old)
    modules_old, modules_new = build_addin.dir_modules(old), build_addin.dir_modules(new)
    assert modules_old[build_addin.CALLBACK_MODULE]["offset"] != 0
    assert modules_new[build_addin.CALLBACK_MODULE]["offset"] == 0
    at = modules_old[build_addin.CALLBACK_MODULE]["offset_at"]
    assert new[:at] == old[:at] and new[at + 4 :] == old[at + 4 :]
    for name, info in modules_old.items():
        if name != build_addin.CALLBACK_MODULE:
            assert modules_new[name]["offset"] == info["offset"], name


def test_callback_stream_is_compressed_source_only(built):
    cfb = vba_cfb(built.read_bytes())
    stream = cfb.get_stream_at(("VBA",), build_addin.CALLBACK_MODULE)
    source = decompress(stream).decode("cp1252")
    assert source == build_addin.module_source()  # RibbonMyAddin.bas + generated UDF wrappers
    assert source.startswith(build_addin.callback_source())
    assert source.startswith(f'Attribute VB_Name = "{build_addin.CALLBACK_MODULE}"\r\n')


# --------------------------------------------------------------------------- package


def test_conf_sheet_has_the_keys(built):
    data = built.read_bytes()
    workbook = zip_part(data, build_addin.WORKBOOK_PART).decode("utf-8")
    assert 'name="myaddin.conf"' in workbook and "_myaddin.conf" not in workbook
    conf = build_addin.read_conf(data)
    assert conf == build_addin.load_conf()
    assert conf["UDF Modules"] == "xl_addin.udfs"
    for key in ("Interpreter_Win", "PYTHONPATH", "UDF Modules", "Use UDF Server", "Show Console"):
        assert key in conf
    # xlwings reads column A from A1 down to the first empty cell (Range.End(xlDown))
    sheet = ET.fromstring(zip_part(data, build_addin.CONF_SHEET_PART))
    ns = {"m": build_addin.SHEET_NS}
    assert sheet.find("m:sheetPr", ns).get("codeName") == "Sheet2"
    refs = [c.get("r") for c in sheet.iter(f"{{{build_addin.SHEET_NS}}}c") if c.get("r").startswith("A")]
    assert refs == [f"A{i}" for i in range(1, len(conf) + 1)]


XLWINGS_KEYS = {  # the keys of issue 10, with the value each must have on the add-in's sheet
    "ADD_WORKBOOK_TO_PYTHONPATH": "false",
    "ONEDRIVE_CONSUMER_WIN": "",
    "ONEDRIVE_COMMERCIAL_WIN": "",
    "SHAREPOINT_WIN": "",
    "LICENSE_KEY": "",
}


def test_conf_sheet_sets_the_onedrive_and_licence_keys(built):
    data = built.read_bytes()
    conf = {key.upper(): value for key, value in build_addin.read_conf(data).items()}  # xlwings: UCase
    assert {key: conf.get(key, "<missing>") for key in XLWINGS_KEYS} == XLWINGS_KEYS
    # "false" is text, not an Excel boolean (shown as FALSKT in Swedish Excel)
    sheet = ET.fromstring(zip_part(data, build_addin.CONF_SHEET_PART))
    ns = {"m": build_addin.SHEET_NS}
    rows = {r.find("m:c", ns).get("r"): r for r in sheet.iter(f"{{{build_addin.SHEET_NS}}}row")}
    keys = list(build_addin.read_conf(data))
    row = rows[f"A{keys.index('ADD_WORKBOOK_TO_PYTHONPATH') + 1}"]
    assert row.findall("m:c", ns)[1].get("t") == "s"


def test_every_key_xlwings_reads_for_a_udf_call_is_on_the_sheet(built, template):
    """A key missing from the sheet costs two file look-ups per UDF call (GetConfig falls
    through to the directory and user .conf files); only the legacy INTERPRETER, read when
    Interpreter_Win is empty, may be missing (vp addin install fills Interpreter_Win)."""
    source = olevba_modules(template)["xlwings"]
    body = re.search(r"^Function XLPyCommand\(\).*?^End Function", source, re.M | re.S).group(0)
    read = set(re.findall(r'GetConfig\("([^"]+)"', body))
    assert {"ADD_WORKBOOK_TO_PYTHONPATH", "LICENSE_KEY", "SHAREPOINT_WIN"} <= read
    on_sheet = {key.upper() for key in build_addin.read_conf(built.read_bytes())}
    assert read - on_sheet == {"INTERPRETER"}


def test_add_workbook_false_keeps_a_sharepoint_workbook_out_of_sys_path(monkeypatch):
    """What xlwings' Python side does with the string the VBA builds (AddExcelDir;Active;This;
    OneDrive x2;SharePoint;PYTHONPATH): with "false" no workbook URL is mapped to a folder."""
    from xlwings import utils

    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    url = "https://kommun.sharepoint.com/sites/Omsorg/Delade dokument/VP2025.xlsx"
    conf = build_addin.load_conf()
    args = ";".join([conf["ADD_WORKBOOK_TO_PYTHONPATH"], url, r"C:\x\vp.xlam", "", "", "", r"C:\VP\vp"])
    utils.prepare_sys_path(args)
    added = sys.path[: len(sys.path) - len(before)]
    assert sys.path[len(added):] == before
    assert len(added) == 1 and added[0].lower().endswith("vp")
    assert not any("sharepoint" in p.lower() for p in sys.path)


def test_conf_sheet_name_matches_project_name_in_xlwings_module(built):
    source = olevba_modules(built.read_bytes())["xlwings"]
    project_name = re.search(r'PROJECT_NAME As String = "([^"]+)"', source).group(1)
    assert f"{project_name}.conf" == build_addin.CONF_SHEET


def test_package_parts_are_the_templates(built, template):
    with zipfile.ZipFile(io.BytesIO(template)) as old, zipfile.ZipFile(built) as new:
        assert new.namelist() == old.namelist()
        for info in new.infolist():
            assert info.date_time == build_addin.ZIP_DATE_TIME
        changed = {n for n in old.namelist() if old.read(n) != new.read(n)}
    assert changed == {
        build_addin.CUSTOMUI_PART,
        "_rels/.rels",
        build_addin.WORKBOOK_PART,
        build_addin.CONF_SHEET_PART,
        build_addin.SHARED_STRINGS_PART,
        build_addin.VBA_PART,
    }


def test_two_builds_are_identical(tmp_path, built):
    again = build_addin.build(tmp_path / "again.xlam")
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(built.read_bytes()).hexdigest()


def test_committed_addin_is_up_to_date(built):
    committed = build_addin.DEFAULT_OUT
    assert committed.is_file(), "xl_addin/vp.xlam is missing: run python -m xl_addin.build_addin"
    assert committed.read_bytes() == built.read_bytes(), (
        "xl_addin/vp.xlam is out of date: run python -m xl_addin.build_addin and commit it"
    )


def test_crlf_sources_build_the_same_bytes(tmp_path, monkeypatch, built):
    for name in ("CUSTOMUI_SOURCE", "CALLBACK_SOURCE"):
        src = getattr(build_addin, name)
        crlf = tmp_path / src.name
        crlf.write_bytes(src.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        monkeypatch.setattr(build_addin, name, crlf)
    assert build_addin.build_bytes() == built.read_bytes()


def test_cli_writes_to_out(tmp_path, built):
    out = tmp_path / "cli.xlam"
    assert build_addin.main(["--out", str(out)]) == 0
    assert out.read_bytes() == built.read_bytes()
    assert build_addin.main(["--out", str(out), "--check"]) == 0
    out.write_bytes(b"stale")
    assert build_addin.main(["--out", str(out), "--check"]) == 1


def test_with_conf_changes_only_the_conf_sheet(built):
    data = built.read_bytes()
    assert build_addin.with_conf(data, {}) == data
    changed = build_addin.with_conf(data, {"interpreter_win": r"C:\VP\.venv\Scripts\python.exe"})
    conf = build_addin.read_conf(changed)
    assert conf["Interpreter_Win"] == r"C:\VP\.venv\Scripts\python.exe"
    assert list(conf) == list(build_addin.read_conf(data))
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(io.BytesIO(changed)) as new:
        differ = {n for n in old.namelist() if old.read(n) != new.read(n)}
    assert differ == {build_addin.CONF_SHEET_PART, build_addin.SHARED_STRINGS_PART}


# --------------------------------------------------------------------------- install


def test_install_and_remove_in_a_folder(tmp_path):
    messages = []
    target = install.install(tmp_path / "XLSTART", log=messages.append)
    assert target == tmp_path / "XLSTART" / "vp.xlam"
    conf = build_addin.read_conf(target.read_bytes())
    assert conf["Interpreter_Win"] == sys.executable
    assert Path(conf["PYTHONPATH"]) == Path(install.__file__).resolve().parent.parent
    assert conf["UDF Modules"] == "xl_addin.udfs"
    assert any("Installerade" in m for m in messages)
    assert f"Python som tillägget startar: {sys.executable}" in messages  # the path IT may need (ASR)
    assert not any(p.name.endswith(".tmp") for p in target.parent.iterdir())

    assert install.remove(tmp_path / "XLSTART", log=messages.append) is True
    assert not target.exists()
    assert install.remove(tmp_path / "XLSTART", log=messages.append) is False
    assert "inte installerat" in messages[-1]


@pytest.mark.skipif(sys.platform.startswith("win"), reason="refusal is for non-Windows systems")
@pytest.mark.parametrize("func", [install.install, install.remove])
def test_refuses_without_dest_dir_off_windows(func):
    with pytest.raises(install.AddinInstallError, match="bara .* på Windows"):
        func(log=lambda _: None)


def test_windows_install_uses_xlstart_and_installs_xlwings_addin_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(install, "_is_windows", lambda: True)
    monkeypatch.setenv("APPDATA", str(tmp_path))
    xlstart = tmp_path / "Microsoft" / "Excel" / "XLSTART"
    calls = []

    def fake_run(cmd, check):
        calls.append(cmd)
        (xlstart / "xlwings.xlam").write_bytes(b"xlwings")
        return type("Result", (), {"returncode": 0})()

    monkeypatch.setattr(install.subprocess, "run", fake_run)
    target = install.install(log=lambda _: None)
    assert target == xlstart / "vp.xlam"
    assert calls == []  # no hidden Excel, no second ribbon tab by default
    assert sorted(p.name for p in xlstart.iterdir()) == ["vp.xlam"]

    install.install(with_xlwings_tab=True, log=lambda _: None)
    assert calls == [[sys.executable, "-m", "xlwings.cli", "addin", "install"]]
    install.install(with_xlwings_tab=True, log=lambda _: None)  # present now: not installed again
    assert len(calls) == 1
    assert install.remove(log=lambda _: None) is True
    assert (xlstart / "xlwings.xlam").exists()


def test_install_writes_nothing_but_vp_xlam_into_xlstart(tmp_path, monkeypatch):
    """Excel opens every file in XLSTART: the temporary file must be elsewhere, and nothing
    else in the folder may change."""
    xlstart = tmp_path / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True)
    (xlstart / "PERSONAL.XLSB").write_bytes(b"personal")
    (xlstart / "vp.xlam").write_bytes(b"an older vp.xlam")
    before = {p.name: p.read_bytes() for p in xlstart.iterdir()}

    created_in, real_open, real_replace = [], install.os.open, install.os.replace

    def spy_open(path, *args, **kwargs):
        created_in.append(Path(path).parent)
        return real_open(path, *args, **kwargs)

    def spy_replace(src, dst):
        created_in.append(Path(src).parent)
        return real_replace(src, dst)

    monkeypatch.setattr(install.os, "open", spy_open)  # what tempfile.mkstemp creates files with
    monkeypatch.setattr(install.os, "replace", spy_replace)
    target = install.install(xlstart, log=lambda _: None)

    after = {p.name: p.read_bytes() for p in xlstart.iterdir()}
    assert set(after) == set(before)
    assert {name for name in after if after[name] != before[name]} == {"vp.xlam"}
    assert build_addin.read_conf(target.read_bytes())["Interpreter_Win"] == sys.executable
    assert created_in and all(folder.resolve() != xlstart.resolve() for folder in created_in)
    assert sorted(p.name for p in xlstart.parent.iterdir()) == ["XLSTART"]  # no temp file left


def test_install_into_a_relative_folder_keeps_the_temp_file_out_of_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = []
    real_replace = install.os.replace
    monkeypatch.setattr(install.os, "replace", lambda src, dst: (seen.append(Path(src)), real_replace(src, dst)))
    install.install("XLSTART", log=lambda _: None)
    assert [p.name for p in (tmp_path / "XLSTART").iterdir()] == ["vp.xlam"]
    assert seen and seen[0].parent.resolve() == tmp_path.resolve()


@pytest.mark.parametrize(
    "interpreter",
    [r"C:\Users\Łukasz\VP\.venv\Scripts\python.exe", "C:\\Users\\\u5f20\u4f1f\\VP\\.venv\\Scripts\\python.exe"],
)
def test_install_refuses_an_interpreter_path_outside_the_ansi_code_page(tmp_path, monkeypatch, interpreter):
    monkeypatch.setattr(install.sys, "executable", interpreter)
    with pytest.raises(install.AddinInstallError) as info:
        install.install(tmp_path / "XLSTART", log=lambda _: None)
    message = str(info.value)
    assert "Python-tolkens sökväg" in message and "teckentabell cp1252" in message
    assert f"U+{ord(interpreter[9]):04X}" in message  # the first offending character, by code point
    assert not (tmp_path / "XLSTART" / "vp.xlam").exists()


def test_install_accepts_swedish_letters_in_the_interpreter_path(tmp_path, monkeypatch):
    interpreter = r"C:\Users\Åsa Öberg-Ängström\VP – kopia\.venv\Scripts\python.exe"
    monkeypatch.setattr(install.sys, "executable", interpreter)
    target = install.install(tmp_path / "XLSTART", log=lambda _: None)
    assert build_addin.read_conf(target.read_bytes())["Interpreter_Win"] == interpreter


@pytest.mark.skipif(sys.platform.startswith("win"), reason="the refusal is for non-Windows systems")
def test_vp_addin_install_off_windows_says_so_in_swedish_without_traceback(capsys):
    from workbook.cli import main

    assert main(["addin", "install"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fel: Excel-tillägget VP kan bara installeras på Windows")
    assert "--dest" in err and "Traceback" not in err
