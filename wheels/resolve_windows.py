"""Check that the whole project installs on 64-bit Windows from wheels only (no C compiler).

    python wheels/resolve_windows.py [--python-version 3.12] [--dest DIR]

Step 1 is the command a reviewer would type:

    pip download --only-binary=:all: --platform win_amd64 --python-version 3.12 --implementation cp \\
        --find-links wheels --dest DIR .

pip evaluates environment markers for the machine it runs on, not for ``--platform``, so on Linux
it leaves out the Windows-only dependencies (xlwings -> pywin32, tqdm -> colorama, ...). Step 2
reads every downloaded wheel's Requires-Dist, evaluates the markers for CPython on Windows x64,
and downloads whatever is missing with the same options, until nothing is missing. Any
requirement without a win_amd64 or pure-Python wheel makes pip fail, and so this script.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

try:
    from packaging.markers import Marker  # noqa: F401
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version
except ImportError:  # pip always carries a copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name
    from pip._vendor.packaging.version import Version

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def windows_environment(python_version: str) -> dict[str, str]:
    """PEP 508 marker values of CPython ``python_version`` on 64-bit Windows."""
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python_version}.0",
        "os_name": "nt",
        "platform_machine": "AMD64",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": f"{python_version}.0",
        "python_version": python_version,
        "sys_platform": "win32",
        "extra": "",
    }


def pip_download(dest: Path, python_version: str, requirements: list[str]) -> None:
    cmd = [
        sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--platform", "win_amd64",
        "--python-version", python_version, "--implementation", "cp",
        "--find-links", str(HERE), "--dest", str(dest), *requirements,
    ]
    print("$", " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def wheel_project(wheel: Path) -> str:
    return canonicalize_name(wheel.name.split("-")[0])


def wheel_version(wheel: Path) -> Version:
    return Version(wheel.name.split("-")[1])


def requirements_of(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if re.match(r"[^/]+\.dist-info/METADATA$", n))
        meta = Parser().parsestr(zf.read(name).decode("utf-8"))
    return [Requirement(r) for r in meta.get_all("Requires-Dist") or []]


def missing(dest: Path, python_version: str) -> list[str]:
    env = windows_environment(python_version)
    wheels = sorted(dest.glob("*.whl"))
    have = {wheel_project(w): wheel_version(w) for w in wheels}
    needed = []
    for wheel in wheels:
        for req in requirements_of(wheel):
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonicalize_name(req.name)
            if name in have and req.specifier.contains(have[name], prereleases=True):
                continue
            if name in have:
                raise SystemExit(f"{wheel.name} needs {req}, but {name} {have[name]} was downloaded")
            needed.append(str(req).split(";")[0].strip())
    return sorted(set(needed))


def resolve(dest: Path, python_version: str = "3.12") -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    pip_download(dest, python_version, ["."])
    for _ in range(20):
        todo = missing(dest, python_version)
        if not todo:
            break
        print(f"Windows-only requirements pip left out on {sys.platform}: {', '.join(todo)}", flush=True)
        pip_download(dest, python_version, todo)
    else:
        raise SystemExit("the requirements did not settle")
    return sorted(dest.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--dest", type=Path, default=ROOT / "build" / "windows-wheels")
    args = parser.parse_args(argv)
    wheels = resolve(args.dest, args.python_version)
    print(f"\n{len(wheels)} wheels for win_amd64 / CPython {args.python_version}, nothing to compile:")
    for wheel in wheels:
        print(f"  {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
