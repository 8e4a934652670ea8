"""Build durable-rules 2.0.28 wheels from the PyPI sdist with zig, on Linux, for Windows (and Linux).

    python wheels/build_durable_rules.py [--target windows|linux|all] [--sdist FILE] [--out DIR]

Why: durable-rules 2.0.28 (the last release, unmaintained) is published as an sdist only. Installing
it on Windows compiles C code, which needs Microsoft C++ Build Tools, which an economist's municipal
PC does not have. This script cross-compiles the extension once, here, into a wheel that pip installs
without a compiler:

    pip install --find-links wheels -e .        (in the project folder, on Windows)

What it does, step by step (every input pinned):

1. the sdist ``durable_rules-2.0.28.tar.gz`` from PyPI (``pip download``, or ``--sdist FILE``),
   checked against SDIST_SHA256;
2. the three source fixes of ``durable-rules-2.0.28.patch`` (each explained there);
3. the C files (the engine's five, ``src/rules/*.c``, and the module, ``src/rulespy/rules.c``)
   compiled with ``zig cc`` from the ``ziglang`` package on PyPI (version ZIG_VERSION) against the
   stable ABI, ``Py_LIMITED_API=0x03080000``: one binary for every CPython from 3.8 on, so the
   wheel is tagged ``cp38-abi3``;
   * Windows: ``-target x86_64-windows-gnu`` (mingw-w64 headers, the Universal CRT), Python's
     generic headers of the running interpreter with ``pyconfig-win-amd64.h`` as pyconfig.h, linked
     against an import library for ``python3.dll`` that ``zig dlltool`` makes from a .def file
     listing the stable-ABI symbols the module uses (PYTHON3_IMPORTS below), so the .pyd imports
     only python3.dll, the api-ms-win-crt-* DLLs and KERNEL32;
   * Linux: ``-target x86_64-linux-gnu.2.17`` (manylinux2014), the running interpreter's headers;
4. the wheel: ``durable/`` (the sdist's Python package, unchanged), the extension, and a
   ``.dist-info`` made from the sdist's PKG-INFO, with RECORD hashes; entries stored in a fixed
   order with fixed timestamps, so the same inputs give the same bytes.

The C objects and the link carry no timestamps, paths or debug info (``-g0``, ``-s``,
``-Brepro``, relative source paths). The build directory is ``build/durable-rules``
(ignored by git); the wheels go to ``wheels/`` (``--out``).

Needs: Linux x86_64, Python 3.11 with its headers (HEADERS_VERSION), ``pip install
ziglang==ZIG_VERSION`` in that interpreter, network access to PyPI for the sdist (or ``--sdist``).
Nothing here runs when the project is used; tests/test_wheels.py checks the committed wheels and
rebuilds them only with VP_REBUILD_WHEELS=1.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PATCH = HERE / "durable-rules-2.0.28.patch"
PYCONFIG_WINDOWS = HERE / "pyconfig-win-amd64.h"
BUILD_DIR = ROOT / "build" / "durable-rules"

NAME = "durable_rules"
VERSION = "2.0.28"
SDIST = f"{NAME}-{VERSION}.tar.gz"
SDIST_SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
ZIG_VERSION = "0.15.2"
LIMITED_API = "0x03080000"
MODULE = "durable_rules_engine"
ENGINE_SOURCES = ("json", "rete", "state", "events", "regex")  # setup.py's durable_rules_engine_py
MODULE_SOURCE = "src/rulespy/rules.c"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# The CPython headers are an input too: Py_LIMITED_API fixes the ABI, but the generated code
# differs a little between header versions (e.g. Py_DECREF). The committed wheels are built with the
# headers of a CPython 3.11.x (the project's development Python); others need --other-headers.
HEADERS_VERSION = (3, 11)

# The python3.dll exports the module needs (all in the stable ABI since 3.2, Misc/stable_abi.toml of
# CPython). A symbol missing here makes the link fail ("undefined symbol"), so the list cannot be
# short; a symbol that python3.dll did not export would fail the import on Windows, which is why
# every name here is checked against the stable ABI by hand and no other name is added.
PYTHON3_IMPORTS = (
    "PyArg_ParseTuple",
    "PyErr_NewException",
    "PyErr_NoMemory",
    "PyErr_SetString",
    "PyLong_AsLong",
    "PyModule_AddObject",
    "PyModule_Create2",
    "PyObject_CallObject",
    "PyType_GetFlags",  # PyLong_Check in the limited API
    "Py_BuildValue",
    "_Py_Dealloc",  # Py_DECREF
)
PYTHON3_DATA_IMPORTS = ("_Py_NoneStruct",)  # Py_RETURN_NONE


@dataclass(frozen=True)
class Target:
    name: str
    zig_target: str
    platform_tag: str
    suffix: str
    cflags: tuple[str, ...]

    @property
    def wheel_name(self) -> str:
        return f"{NAME}-{VERSION}-cp38-abi3-{self.platform_tag}.whl"

    @property
    def extension(self) -> str:
        return MODULE + self.suffix


TARGETS = {
    # No -D_GNU_SOURCE for Windows: it is a glibc switch, and with it mingw-w64's stdio.h declares an
    # asprintf that clashes with the one durable-rules defines for Windows (rules.h, state.c).
    "windows": Target("windows", "x86_64-windows-gnu", "win_amd64", ".pyd", ("-std=c99",)),
    "linux": Target(
        "linux",
        "x86_64-linux-gnu.2.17",
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        ".abi3.so",
        ("-std=c99", "-D_GNU_SOURCE", "-fPIC"),
    ),
}
COMMON_CFLAGS = ("-O2", "-g0", "-Werror=incompatible-pointer-types", "-Werror=implicit-function-declaration")


class BuildError(RuntimeError):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- inputs


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_sdist(dest: Path, given: Path | None = None) -> Path:
    """The sdist, from ``given`` or downloaded from PyPI with pip; its sha256 checked."""
    if given is None:
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / SDIST
        if not path.is_file():
            log(f"pip download {NAME}=={VERSION} (sdist) ...")
            # --require-hashes: pip checks the hash before it runs anything from the sdist (metadata)
            requirements = dest / "sdist-requirements.txt"
            requirements.write_text(f"{NAME}=={VERSION} --hash=sha256:{SDIST_SHA256}\n")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                 "--require-hashes", "-r", str(requirements), "--dest", str(dest)],
                check=True,
            )
    else:
        path = Path(given)
    digest = sha256(path.read_bytes())
    if digest != SDIST_SHA256:
        raise BuildError(f"{path}: sha256 {digest}, expected {SDIST_SHA256}")
    return path


def extract_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack the sdist (regular files and folders only, no path outside ``dest``)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    top = f"{NAME}-{VERSION}"
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not parts or parts[0] != top or ".." in parts or Path(member.name).is_absolute():
                raise BuildError(f"{sdist}: unexpected member {member.name!r}")
            target = dest.joinpath(*parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
            else:
                raise BuildError(f"{sdist}: {member.name!r} is not a regular file")
    return dest / top


# --------------------------------------------------------------------------- patch


def parse_patch(text: str) -> list[tuple[str, list[tuple[int, list[str], list[str]]]]]:
    """[(path, [(old start line, old lines, new lines), ...]), ...] of a unified diff.

    Lines outside a file diff are comments (``patch`` and ``git apply`` skip them too).
    """
    files: list[tuple[str, list]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- a/") and i + 1 < len(lines) and lines[i + 1].startswith("+++ b/"):
            path = lines[i + 1][len("+++ b/"):].split("\t")[0].strip()
            hunks = []
            files.append((path, hunks))
            i += 2
            while i < len(lines) and lines[i].startswith("@@"):
                m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[i])
                if not m:
                    raise BuildError(f"{PATCH.name}: bad hunk header {lines[i]!r}")
                old_n = int(m.group(2) or 1)
                new_n = int(m.group(4) or 1)
                old, new = [], []
                i += 1
                while len(old) < old_n or len(new) < new_n:
                    if i >= len(lines):
                        raise BuildError(f"{PATCH.name}: hunk of {path} ends early")
                    body = lines[i]
                    tag, content = (body[:1], body[1:]) if body else (" ", "")
                    if tag == " ":
                        old.append(content)
                        new.append(content)
                    elif tag == "-":
                        old.append(content)
                    elif tag == "+":
                        new.append(content)
                    else:
                        raise BuildError(f"{PATCH.name}: unexpected line in a hunk of {path}: {body!r}")
                    i += 1
                hunks.append((int(m.group(1)), old, new))
            continue
        i += 1
    return files


def apply_patch(src: Path, patch_text: str) -> list[str]:
    """Apply the patch exactly (context must match at the stated line); returns the files changed."""
    changed = []
    for path, hunks in parse_patch(patch_text):
        file = src / path
        raw = file.read_bytes()
        newline = "\r\n" if b"\r\n" in raw else "\n"
        lines = raw.decode("utf-8").split(newline)
        offset = 0
        for start, old, new in hunks:
            at = start - 1 + offset
            if lines[at : at + len(old)] != old:
                raise BuildError(f"{PATCH.name}: hunk at {path}:{start} does not match the sdist")
            lines[at : at + len(old)] = new
            offset += len(new) - len(old)
        file.write_bytes(newline.join(lines).encode("utf-8"))
        changed.append(path)
    if not changed:
        raise BuildError(f"{PATCH.name} has no file diffs")
    return changed


# --------------------------------------------------------------------------- compile


def zig(*args: str, cwd: Path) -> None:
    cmd = [sys.executable, "-m", "ziglang", *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(args[:3])} ... failed:\n{result.stderr}")
    for line in result.stderr.splitlines():
        if "warning:" in line:
            log(f"  {line}")


def zig_version() -> str:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        raise BuildError(f"ziglang is not installed: {sys.executable} -m pip install ziglang=={ZIG_VERSION}") from None
    version = subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    if version != ZIG_VERSION:
        raise BuildError(f"zig {version} is installed; this build is pinned to zig {ZIG_VERSION} "
                         f"(pip install ziglang=={ZIG_VERSION})")
    return version


def python_headers(dest: Path, target: Target) -> Path:
    """A copy of the running interpreter's headers, with the target's pyconfig.h."""
    include = Path(sysconfig.get_path("include"))
    if not (include / "Python.h").is_file():
        raise BuildError(f"no Python.h in {include}: install the Python headers (python3-dev)")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(include, dest)
    if target.name == "windows":
        (dest / "pyconfig.h").write_bytes(PYCONFIG_WINDOWS.read_bytes())
    else:
        platinclude = Path(sysconfig.get_path("platinclude"))
        shutil.copyfile(platinclude / "pyconfig.h", dest / "pyconfig.h")
    return dest


def python3_def() -> str:
    lines = ["LIBRARY python3.dll", "EXPORTS"]
    lines += list(PYTHON3_IMPORTS)
    lines += [f"{name} DATA" for name in PYTHON3_DATA_IMPORTS]
    return "\n".join(lines) + "\n"


def compile_extension(src: Path, work: Path, target: Target) -> Path:
    """Compile and link the extension in ``src`` (the patched sdist); returns its path."""
    include = python_headers(work / "include", target)
    common = ["-target", target.zig_target, *target.cflags, *COMMON_CFLAGS]
    objects = []
    for name in ENGINE_SOURCES:
        obj = work / f"{name}.o"
        zig("cc", *common, "-Isrc/rules", "-c", f"src/rules/{name}.c", "-o", str(obj), cwd=src)
        objects.append(str(obj))
    obj = work / "rules.o"
    zig("cc", *common, f"-DPy_LIMITED_API={LIMITED_API}", f"-I{include}", "-Isrc/rules",
        "-c", MODULE_SOURCE, "-o", str(obj), cwd=src)
    objects.insert(0, str(obj))

    out = work / target.extension
    link = ["cc", "-target", target.zig_target, "-shared", "-s", "-o", str(out), *objects]
    if target.name == "windows":
        (work / "python3.def").write_text(python3_def())
        zig("dlltool", "-m", "i386:x86-64", "-d", "python3.def", "-l", "libpython3.a", cwd=work)
        link += [str(work / "libpython3.a"), "-Wl,-Brepro"]  # PE timestamp = hash of the image
    else:
        link += ["-Wl,--build-id=none"]
    zig(*link, cwd=src)
    return out


# --------------------------------------------------------------------------- wheel


def metadata(pkg_info: str) -> str:
    """METADATA (version 2.1) from the sdist's PKG-INFO (1.1): same fields, the long
    description moved to the body."""
    headers: list[str] = []
    description: list[str] = []
    in_description = False
    for line in pkg_info.replace("\r\n", "\n").split("\n"):
        if in_description:
            if line.startswith("        ") or line == "":
                description.append(line[8:])
                continue
            in_description = False
        if line.startswith("Description: "):
            in_description = True
            description.append(line[len("Description: "):])
        elif line.startswith("Metadata-Version: "):
            headers.append("Metadata-Version: 2.1")
        elif line:
            headers.append(line)
    return "\n".join(headers) + "\n\n" + "\n".join(description).strip("\n") + "\n"


def wheel_file(target: Target) -> str:
    return (
        "Wheel-Version: 1.0\n"
        f"Generator: vp-regelmotor wheels/build_durable_rules.py (zig {ZIG_VERSION})\n"
        "Root-Is-Purelib: false\n"
        f"Tag: cp38-abi3-{target.platform_tag.split('.')[0]}\n"
        + "".join(f"Tag: cp38-abi3-{tag}\n" for tag in target.platform_tag.split(".")[1:])
    )


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """The wheel zip: ``files`` in this order, then RECORD; stored, fixed timestamps."""
    dist_info = f"{NAME}-{VERSION}.dist-info"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files:
        writer.writerow([name, record_hash(data), len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    entries = files + [(f"{dist_info}/RECORD", record.getvalue().encode())]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.create_system = 3
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            zf.writestr(info, data)
    return buf.getvalue()


def build_wheel(src: Path, extension: Path, target: Target) -> bytes:
    dist_info = f"{NAME}-{VERSION}.dist-info"
    package = src / "libpy" / "durable"
    files = [(f"durable/{p.name}", p.read_bytes()) for p in sorted(package.glob("*.py"))]
    files.append((target.extension, extension.read_bytes()))
    files += [
        (f"{dist_info}/LICENSE", (src / "LICENSE").read_bytes()),
        (f"{dist_info}/METADATA", metadata((src / "PKG-INFO").read_text(encoding="utf-8")).encode()),
        (f"{dist_info}/WHEEL", wheel_file(target).encode()),
        (f"{dist_info}/top_level.txt", f"durable\n{MODULE}\n".encode()),
    ]
    return wheel_bytes(files)


# --------------------------------------------------------------------------- main


def build(targets: list[str], out: Path, sdist: Path | None = None, build_dir: Path = BUILD_DIR,
          other_headers: bool = False) -> list[Path]:
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        raise BuildError("this build runs on Linux x86_64")
    if sys.version_info[:2] != HEADERS_VERSION and not other_headers:
        wanted = ".".join(map(str, HEADERS_VERSION))
        raise BuildError(f"run this with Python {wanted}: its headers are an input of the committed wheels "
                         f"(--other-headers builds with those of {sys.version.split()[0]}, different bytes)")
    log(f"zig {zig_version()}, Python headers of {sys.version.split()[0]} ({sysconfig.get_path('include')})")
    sdist_path = fetch_sdist(build_dir / "sdist", sdist)
    written = []
    for name in targets:
        target = TARGETS[name]
        work = build_dir / name
        src = extract_sdist(sdist_path, work / "src")
        changed = apply_patch(src, PATCH.read_text(encoding="utf-8"))
        log(f"{name}: patched {', '.join(changed)}; compiling for {target.zig_target} ...")
        extension = compile_extension(src, work, target)
        data = build_wheel(src, extension, target)
        out.mkdir(parents=True, exist_ok=True)
        path = out / target.wheel_name
        path.write_bytes(data)
        log(f"{name}: wrote {path} ({len(data)} bytes, sha256 {sha256(data)})")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    parser.add_argument("--sdist", type=Path, help=f"use this {SDIST} instead of downloading it")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the wheels (default: wheels/)")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--other-headers", action="store_true",
                        help="build with the running Python's headers even if it is not Python %d.%d"
                        % HEADERS_VERSION)
    args = parser.parse_args(argv)
    targets = list(TARGETS) if args.target == "all" else [args.target]
    try:
        build(targets, args.out, args.sdist, args.build_dir, args.other_headers)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
