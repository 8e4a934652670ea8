"""Build xl_addin/vp.xlam, the VP ribbon add-in, from the text sources in xl_addin/addin/.

    python -m xl_addin.build_addin [--out PATH] [--check]

Route: start from the ribbon add-in template shipped in the pinned xlwings version
(``xlwings/quickstart_addin_ribbon.xlam``, located at build time, never copied into the
repo) and patch it; no VBA project is generated from scratch.

* ``customUI/customUI.xml``  <- ``addin/customUI.xml`` (namespace 2006/01/customui). The
  template's package relationship to it has the 2007 type (that of customUI14/2009); it is
  set to the 2006 type that matches the 2006/01 namespace ([MS-CUSTOMUI] 2.1, [MS-OI29500]
  3.4.1.3).
* VBA module ``RibbonMyAddin`` <- ``addin/RibbonMyAddin.bas``: one generic callback
  ``VPAction`` that passes ``control.Tag`` to ``xl_addin.ribbon.run``. The module stream
  becomes the MS-OVBA-compressed source alone and the module's MODULEOFFSET in the
  decompressed ``dir`` stream is set to 0, then ``dir`` is recompressed. Every other
  stream (``_VBA_PROJECT``, ``PROJECT``, ``PROJECTwm``, the other modules) is copied
  byte for byte. ``_VBA_PROJECT`` has version 0xFFFF, so Office ignores cached p-code and
  compiles the project from source ([MS-OVBA] 2.3.4.1).
* ``customUI``'s ``onLoad`` names ``RibbonMyAddin.VPRibbonLoaded``, which calls the generated
  ``VPRegisterFunctions`` (Application.MacroOptions: descriptions, category "VP", argument
  descriptions of every UDF; see ``xl_addin/vba_wrappers.py``).
* UDF wrappers: after the ``RibbonMyAddin.bas`` text the module gets one VBA ``Function`` per
  UDF of ``xl_addin.udfs`` (``=VP_...()``), generated at build time by xlwings' own
  ``generate_vba_wrapper`` (``xl_addin/vba_wrappers.py``), so the formulas work as soon as
  the add-in is loaded, without xlwings "Import Functions" (which needs trust access to the
  VBA object model and rewrites the file). Their Python module must be the sheet's
  "UDF Modules" value.
* Settings sheet: the template's disabled ``_myaddin.conf`` becomes ``myaddin.conf`` with
  the values of ``addin/conf.toml``. The name must be ``myaddin``: the xlwings VBA module
  looks up ``PROJECT_NAME & ".conf"`` with ``Public Const PROJECT_NAME = "myaddin"``, and
  that module is kept byte-identical (the VBA project's own name plays no part).

Reproducible: same inputs give the same bytes. The template is checked against a pinned
sha256; text inputs are read with normalised line endings (a CRLF checkout builds the same
file); the UDF wrappers are text from the pinned xlwings' generator, in its order (sorted
by function name); pyOpenVBA's compressor and CFB writer are deterministic pure Python; the
zip has a fixed entry order (the template's), fixed timestamps and attributes, and stored
(uncompressed) entries so that no zlib version can change the bytes.

Only ``build*`` needs pyOpenVBA (a ``test`` extra); ``read_conf``/``with_conf`` (used by
``xl_addin.install`` on users' machines) need the standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.resources
import io
import re
import struct
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR / "addin"
DEFAULT_OUT = PACKAGE_DIR / "vp.xlam"

CUSTOMUI_SOURCE = SOURCE_DIR / "customUI.xml"
CALLBACK_SOURCE = SOURCE_DIR / "RibbonMyAddin.bas"
CONF_SOURCE = SOURCE_DIR / "conf.toml"

TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
XLWINGS_VERSION = "0.37.8"
TEMPLATE_SHA256 = "43010e1abd6e7a48b4693367f062196654a21c256683dccbaec810df7a6f4dbb"

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
CUSTOMUI_PART = "customUI/customUI.xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CALLBACK_MODULE = "RibbonMyAddin"
CALLBACK_SUB = "VPAction"
ONLOAD_SUB = "VPRibbonLoaded"  # customUI onLoad: registers the VP functions' help (MacroOptions)
VBA_PART = "xl/vbaProject.bin"
WORKBOOK_PART = "xl/workbook.xml"
CONF_SHEET_PART = "xl/worksheets/sheet1.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
TEMPLATE_CONF_SHEET = "_myaddin.conf"
CONF_SHEET = "myaddin.conf"  # PROJECT_NAME & ".conf" in the template's xlwings module

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# dir stream record ids, [MS-OVBA] 2.3.4.2
_PROJECTCODEPAGE = 0x0003
_PROJECTVERSION = 0x0009  # Reserved field 4, then 6 bytes of data: the one irregular record
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULEOFFSET = 0x0031
_DIR_TERMINATOR = 0x0010


class BuildError(RuntimeError):
    """The add-in cannot be built from these inputs."""


# --------------------------------------------------------------------------- inputs


def read_text_source(path: Path) -> str:
    """A text source with line endings normalised to LF (same bytes on any checkout)."""
    text = path.read_text(encoding="utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def template_path() -> Path:
    """The ribbon add-in template inside the installed xlwings package."""
    path = Path(str(importlib.resources.files("xlwings") / TEMPLATE_NAME))
    if not path.is_file():
        raise BuildError(f"xlwings has no {TEMPLATE_NAME} at {path}")
    return path


def read_template() -> bytes:
    data = template_path().read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != TEMPLATE_SHA256:
        import xlwings

        raise BuildError(
            f"{TEMPLATE_NAME} of xlwings {xlwings.__version__} has sha256 {digest}, expected the one "
            f"of xlwings {XLWINGS_VERSION} ({TEMPLATE_SHA256}). The add-in is built from that exact "
            "template: install the pinned xlwings, or re-verify the patch for the new template "
            "(tests/test_addin_build.py) and update XLWINGS_VERSION/TEMPLATE_SHA256."
        )
    return data


def load_conf(path: Path = CONF_SOURCE) -> dict[str, str | bool]:
    """Settings-sheet values in sheet order: key -> str or bool."""
    with open(path, "rb") as fh:
        conf = tomllib.load(fh)["conf"]
    for key, value in conf.items():
        if not isinstance(value, (str, bool)):
            raise BuildError(f"{path}: {key!r} must be a string or a boolean, not {value!r}")
    return dict(conf)


def callback_source() -> str:
    """RibbonMyAddin.bas as VBA source text with CRLF line endings."""
    text = read_text_source(CALLBACK_SOURCE)
    first = text.split("\n", 1)[0].strip()
    if first != f'Attribute VB_Name = "{CALLBACK_MODULE}"':
        raise BuildError(f"{CALLBACK_SOURCE} must start with Attribute VB_Name = \"{CALLBACK_MODULE}\"")
    for sub in (CALLBACK_SUB, ONLOAD_SUB):
        if not re.search(rf"^\s*(Public\s+)?Sub\s+{sub}\s*\(", text, re.MULTILINE | re.IGNORECASE):
            raise BuildError(f"{CALLBACK_SOURCE} has no Sub {sub}(...)")
    return text.rstrip("\n").replace("\n", "\r\n") + "\r\n"


def module_source() -> str:
    """The whole callback module: RibbonMyAddin.bas, a blank line, then the generated UDF
    wrappers (xl_addin.vba_wrappers.addin_section), with CRLF line endings."""
    from xl_addin import vba_wrappers

    udf_modules = load_conf().get("UDF Modules")
    if udf_modules != vba_wrappers.UDF_MODULE:
        raise BuildError(
            f"{CONF_SOURCE}: \"UDF Modules\" is {udf_modules!r}; the add-in's VBA wrappers call "
            f"{vba_wrappers.UDF_MODULE!r}"
        )
    try:
        section = vba_wrappers.addin_section()
    except vba_wrappers.WrapperError as exc:
        raise BuildError(f"UDF wrappers: {exc}") from None
    return callback_source() + "\r\n" + section.replace("\n", "\r\n")


def customui_source() -> bytes:
    text = read_text_source(CUSTOMUI_SOURCE)
    root = ET.fromstring(text.encode("utf-8"))
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise BuildError(f"{CUSTOMUI_SOURCE}: root must be customUI in namespace {CUSTOMUI_NS}")
    if root.get("onLoad") != f"{CALLBACK_MODULE}.{ONLOAD_SUB}":
        raise BuildError(f"{CUSTOMUI_SOURCE}: customUI must have onLoad=\"{CALLBACK_MODULE}.{ONLOAD_SUB}\"")
    for button in root.iter(f"{{{CUSTOMUI_NS}}}button"):
        action = button.get("onAction")
        if action != f"{CALLBACK_MODULE}.{CALLBACK_SUB}":
            raise BuildError(f"{CUSTOMUI_SOURCE}: button {button.get('id')} has onAction={action!r}")
        if not button.get("tag"):
            raise BuildError(f"{CUSTOMUI_SOURCE}: button {button.get('id')} has no tag")
    return text.encode("utf-8")


# --------------------------------------------------------------------------- VBA project


def iter_dir_records(dir_data: bytes):
    """Yield (record id, offset of its data, data) for a decompressed dir stream."""
    pos = 0
    while pos < len(dir_data):
        if pos + 6 > len(dir_data):
            raise BuildError(f"dir stream: truncated record header at {pos}")
        rid, size = struct.unpack_from("<HI", dir_data, pos)
        length = 6 if rid == _PROJECTVERSION else size
        start = pos + 6
        if start + length > len(dir_data):
            raise BuildError(f"dir stream: record 0x{rid:04X} at {pos} overruns the stream")
        yield rid, start, dir_data[start : start + length]
        pos = start + length
        if rid == _DIR_TERMINATOR:
            break
    if pos != len(dir_data):
        raise BuildError(f"dir stream: {len(dir_data) - pos} bytes after the terminator")


def dir_code_page(dir_data: bytes) -> int:
    for rid, _, data in iter_dir_records(dir_data):
        if rid == _PROJECTCODEPAGE:
            return struct.unpack("<H", data)[0]
    raise BuildError("dir stream: no PROJECTCODEPAGE record")


def dir_modules(dir_data: bytes) -> dict[str, dict]:
    """Module name -> {"stream": stream name, "offset": MODULEOFFSET, "offset_at": position}."""
    code_page = f"cp{dir_code_page(dir_data)}"
    modules: dict[str, dict] = {}
    current = None
    for rid, start, data in iter_dir_records(dir_data):
        if rid == _MODULENAME:
            current = {"name": data.decode(code_page)}
            modules[current["name"]] = current
        elif current is not None and rid == _MODULESTREAMNAME:
            current["stream"] = data.decode(code_page)
        elif current is not None and rid == _MODULEOFFSET:
            current["offset"] = struct.unpack("<I", data)[0]
            current["offset_at"] = start
    return modules


def module_stream_name(dir_data: bytes, module: str) -> str:
    try:
        return dir_modules(dir_data)[module]["stream"]
    except KeyError:
        raise BuildError(f"the VBA project has no module {module!r}") from None


def zero_module_offset(dir_data: bytes, module: str) -> bytes:
    """The decompressed dir stream with the MODULEOFFSET of ``module`` set to 0 (source only)."""
    info = dir_modules(dir_data).get(module)
    if info is None or "offset_at" not in info:
        raise BuildError(f"dir stream: no MODULEOFFSET record for module {module!r}")
    patched = bytearray(dir_data)
    struct.pack_into("<I", patched, info["offset_at"], 0)
    return bytes(patched)


def patch_vba_project(vba_bin: bytes, module: str, source: str) -> bytes:
    """Replace the source of ``module`` in a vbaProject.bin; every other stream stays as it is.

    Uses pyOpenVBA's low-level CFB stream calls and MS-OVBA (de)compression only: its
    high-level set_module() would also rewrite _VBA_PROJECT and re-serialise dir.
    """
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, decompress

    cfb = CFB.from_bytes(vba_bin)
    dir_data = decompress(cfb.get_stream_in_storage("VBA", "dir"))
    code_page = f"cp{dir_code_page(dir_data)}"
    stream = module_stream_name(dir_data, module)

    new_dir = zero_module_offset(dir_data, module)
    new_dir_stream = compress(new_dir)
    try:
        source_bytes = source.encode(code_page)
    except UnicodeEncodeError as exc:
        raise BuildError(f"the source of {module} has a character outside {code_page}: {exc}") from None
    new_module_stream = compress(source_bytes)
    if decompress(new_dir_stream) != new_dir or decompress(new_module_stream) != source_bytes:
        raise BuildError("MS-OVBA compression did not round-trip")

    cfb.write_stream_in_storage("VBA", "dir", new_dir_stream)
    cfb.write_stream_in_storage("VBA", stream, new_module_stream)
    return cfb.to_bytes()


# --------------------------------------------------------------------------- settings sheet


def _shared_strings(strings: list[str]) -> bytes:
    def t(s: str) -> str:
        space = ' xml:space="preserve"' if s != s.strip() else ""
        return f"<t{space}>{escape(s)}</t>"

    items = "".join(f"<si>{t(s)}</si>" for s in strings)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="{SHEET_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode("utf-8")


def render_conf(sheet_xml: bytes, conf: dict[str, str | bool]) -> tuple[bytes, bytes]:
    """(sheet XML, sharedStrings XML) for the settings sheet holding ``conf``.

    Keys go to column A, values to column B (booleans as Excel booleans, empty strings as
    empty cells). Only <dimension> and <sheetData> of the sheet are replaced, so its codeName
    (the VBA document module Sheet2), column widths and styles stay the template's.
    """
    strings: list[str] = []

    def sst(value: str) -> int:
        if value not in strings:
            strings.append(value)
        return strings.index(value)

    rows = []
    for r, (key, value) in enumerate(conf.items(), start=1):
        cells = f'<c r="A{r}" s="1" t="s"><v>{sst(key)}</v></c>'
        spans = "1:1"
        if isinstance(value, bool):
            cells += f'<c r="B{r}" s="1" t="b"><v>{int(value)}</v></c>'
            spans = "1:2"
        elif value != "":
            cells += f'<c r="B{r}" s="1" t="s"><v>{sst(value)}</v></c>'
            spans = "1:2"
        rows.append(f'<row r="{r}" spans="{spans}" ht="15.75">{cells}</row>')

    text = sheet_xml.decode("utf-8")
    text, n_dim = re.subn(r"<dimension [^>]*/>", f'<dimension ref="A1:B{max(1, len(conf))}" />', text)
    text, n_data = re.subn(
        r"<sheetData\s*/>|<sheetData>.*?</sheetData>", f"<sheetData>{''.join(rows)}</sheetData>", text, flags=re.S
    )
    if n_dim != 1 or n_data != 1:
        raise BuildError("the settings sheet has no single <dimension>/<sheetData> to replace")
    return text.encode("utf-8"), _shared_strings(strings)


def read_conf(xlam: bytes) -> dict[str, str | bool]:
    """Key -> value of the settings sheet of an add-in file (empty cells as "")."""
    with zipfile.ZipFile(io.BytesIO(xlam)) as zf:
        sheet = ET.fromstring(zf.read(CONF_SHEET_PART))
        sst = ET.fromstring(zf.read(SHARED_STRINGS_PART))
    ns = {"m": SHEET_NS}
    strings = ["".join(t.text or "" for t in si.iter(f"{{{SHEET_NS}}}t")) for si in sst.findall("m:si", ns)]

    def value(cell) -> str | bool:
        v = cell.find("m:v", ns)
        if v is None:
            return ""
        if cell.get("t") == "s":
            return strings[int(v.text)]
        if cell.get("t") == "b":
            return v.text == "1"
        return v.text or ""

    conf: dict[str, str | bool] = {}
    for row in sheet.find("m:sheetData", ns).findall("m:row", ns):
        cells = {re.sub(r"\d+", "", c.get("r")): c for c in row.findall("m:c", ns)}
        if "A" in cells and value(cells["A"]) != "":
            conf[str(value(cells["A"]))] = value(cells["B"]) if "B" in cells else ""
    return conf


# --------------------------------------------------------------------------- package


def write_zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip with the entries in this order, fixed timestamps/attributes, stored entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, data)
    return buf.getvalue()


def read_zip(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def with_conf(xlam: bytes, overrides: dict[str, str | bool]) -> bytes:
    """The add-in with settings-sheet values replaced (keys matched case-insensitively, as
    xlwings does; unknown keys are appended). Everything else stays byte-identical."""
    conf = read_conf(xlam)
    by_upper = {key.upper(): key for key in conf}
    for key, value in overrides.items():
        conf[by_upper.get(key.upper(), key)] = value
    entries = dict(read_zip(xlam))
    sheet, sst = render_conf(entries[CONF_SHEET_PART], conf)
    return write_zip(
        [
            (name, sheet if name == CONF_SHEET_PART else sst if name == SHARED_STRINGS_PART else data)
            for name, data in read_zip(xlam)
        ]
    )


def _replace_once(data: bytes, old: str, new: str, part: str) -> bytes:
    text = data.decode("utf-8")
    if text.count(old) != 1:
        raise BuildError(f"{part}: expected exactly one {old!r} in the template")
    return text.replace(old, new).encode("utf-8")


def _retarget_customui_rel(rels: bytes) -> bytes:
    """Give the package relationship to customUI/customUI.xml the 2006 type."""
    text = rels.decode("utf-8")
    pattern = re.compile(r'<Relationship\b[^>]*Target="/?' + re.escape(CUSTOMUI_PART) + r'"[^>]*/>')
    matches = pattern.findall(text)
    if len(matches) != 1:
        raise BuildError(f"_rels/.rels: expected one relationship to {CUSTOMUI_PART}, found {len(matches)}")
    fixed = re.sub(r'Type="[^"]*"', f'Type="{CUSTOMUI_REL_TYPE}"', matches[0])
    return text.replace(matches[0], fixed).encode("utf-8")


def build_bytes(template: bytes | None = None) -> bytes:
    """The add-in file, as bytes."""
    template = read_template() if template is None else template
    conf = load_conf()
    customui = customui_source()
    source = module_source()

    entries = read_zip(template)
    names = [name for name, _ in entries]
    for required in (CUSTOMUI_PART, "_rels/.rels", WORKBOOK_PART, CONF_SHEET_PART, SHARED_STRINGS_PART, VBA_PART):
        if required not in names:
            raise BuildError(f"the template has no {required}")

    parts = dict(entries)
    sheet, sst = render_conf(parts[CONF_SHEET_PART], conf)
    replaced = {
        CUSTOMUI_PART: customui,
        "_rels/.rels": _retarget_customui_rel(parts["_rels/.rels"]),
        WORKBOOK_PART: _replace_once(
            parts[WORKBOOK_PART], f'name="{TEMPLATE_CONF_SHEET}"', f'name="{CONF_SHEET}"', WORKBOOK_PART
        ),
        CONF_SHEET_PART: sheet,
        SHARED_STRINGS_PART: sst,
        VBA_PART: patch_vba_project(parts[VBA_PART], CALLBACK_MODULE, source),
    }
    return write_zip([(name, replaced.get(name, data)) for name, data in entries])


def build(out: Path | str = DEFAULT_OUT) -> Path:
    """Build the add-in into ``out``; returns the path."""
    out = Path(out)
    data = build_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xl_addin.build_addin",
        description="Bygger Excel-tillägget vp.xlam från källorna i xl_addin/addin/.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"utfil (standard: {DEFAULT_OUT})")
    parser.add_argument(
        "--check", action="store_true", help="bygg inte; kontrollera att --out är identisk med en ny byggnad"
    )
    args = parser.parse_args(argv)
    try:
        data = build_bytes()
    except BuildError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    digest = hashlib.sha256(data).hexdigest()
    if args.check:
        current = args.out.read_bytes() if args.out.is_file() else b""
        if current != data:
            print(f"{args.out} är inte uppdaterad: kör python -m xl_addin.build_addin", file=sys.stderr)
            return 1
        print(f"{args.out} är uppdaterad (sha256 {digest})")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"Skrev {args.out} ({len(data)} byte, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
