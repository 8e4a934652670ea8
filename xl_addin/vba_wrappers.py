"""VBA wrappers for the UDFs of ``xl_addin.udfs``, generated at build time by xlwings itself.

A formula ``=VP_GOALSTATUS(...)`` works in Excel only if a loaded VBA project has a
``Function VP_GOALSTATUS(...)`` that calls xlwings. xlwings writes these wrappers with
``xlwings.udfs.generate_vba_wrapper`` when a user clicks "Import Functions", which needs
"trust access to the VBA object model" and modifies the add-in file. Here the same generator
runs when ``xl_addin/build_addin.py`` builds ``vp.xlam``, so the wrappers ship in the add-in.

On Linux ``xlwings.udfs`` cannot be imported (it imports pywin32) and ``xlwings.func``/``arg``/
``ret``/``sub`` are no-ops, so :func:`windows_udf_decorators` temporarily

* puts minimal stand-ins for ``pythoncom``, ``pywintypes``, ``win32com``, ``win32com.client``
  into ``sys.modules`` (only those not already there; ``xlwings.udfs`` uses them only when
  talking to Excel, never to generate VBA),
* points ``xlwings.func``/``arg``/``ret``/``sub``/``script`` at xlwings' Windows decorators
  (``xlfunc``/``xlarg``/``xlret``/``xlsub``), which record ``__xlfunc__`` on each function,

and :func:`decorated_udfs` loads a private copy of ``xl_addin/udfs.py`` under those decorators.
Afterwards ``sys.modules`` holds exactly what it held before (same names, same objects) and the
xlwings attributes are the original ones: the real ``xl_addin.udfs`` is never replaced and
its functions stay plain callables.

The generator's output is used as is, with two deterministic additions (:func:`addin_section`):

* ``#Const App = "Microsoft Excel"``: the wrappers branch on ``#If App = "Microsoft Excel"``.
  xlwings' "Import Functions" writes that constant at the top of the module it creates
  (``import_udfs``); without it ``App`` is Empty, the ``#Else`` branch would call
  ``XLPy.CallUDF`` without the workbook and ``Application.Caller``.
* ``Attribute VP_x.VB_Description = "..."`` after each ``Function`` line: the function's
  description in Excel's Insert Function dialog. "Import Functions" sets it at run time with
  ``Application.MacroOptions(Description=<docstring>[:255])``; an add-in saved after that
  holds exactly such an attribute line. Characters outside Windows-1252 are replaced
  (``−`` -> ``-``) and ``"`` becomes ``”``, so the VBA string needs no escaping.
* ``Sub VPRegisterFunctions()`` (:func:`register_sub`): one ``Application.MacroOptions`` call per
  function with its description, the category "VP" and its argument descriptions (the ``doc=`` of
  each ``@xw.arg``), the same call xlwings' "Import Functions" makes (``import_udfs``). These have
  no source-code form, so they are set at run time: the ribbon's ``onLoad`` callback
  (``RibbonMyAddin.VPRibbonLoaded`` in ``addin/RibbonMyAddin.bas``, named in ``addin/customUI.xml``)
  calls this Sub each time Excel loads the add-in. ``ThisWorkbook`` stays the template's.

``xl_workbook`` is a stand-in named ``vp.xlam``: xlwings only reads its ``Name`` and, for an
``.xlam`` (as in its own "Import Functions" to an add-in, ``ImportPythonUDFsToAddin``), passes
``ActiveWorkbook`` to ``XLPy.CallUDF`` instead of ``ThisWorkbook``. ``XLPy`` is the public
function of the add-in's ``xlwings`` VBA module (kept byte-identical from the template).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import re
import sys
import types
from contextlib import contextmanager
from pathlib import Path

UDF_MODULE = "xl_addin.udfs"
UDF_SOURCE = Path(__file__).resolve().parent / "udfs.py"
ADDIN_NAME = "vp.xlam"
VBA_CODE_PAGE = "cp1252"
DESCRIPTION_MAX = 255  # Application.MacroOptions limit; xlwings cuts the docstring here too

_PRIVATE_NAME = "_xl_addin_udfs_for_vba"
# Imported by xlwings.udfs at module level; imported before the stubs go in so that the only
# modules that come and go with them are the stubs, xlwings.udfs and the private copy.
_PREIMPORT = ("asyncio", "concurrent.futures", "tempfile", "xlwings", UDF_MODULE)
_WINDOWS_DECORATORS = {"func": "xlfunc", "arg": "xlarg", "ret": "xlret", "sub": "xlsub", "script": "xlsub"}
_MISSING = object()

# Characters a docstring may have that Windows-1252 (the VBA project's code page) lacks, and the
# straight quote (-> Swedish closing quote, so that no VBA string needs escaping).
_TRANSLATE = {"\u2212": "-", "\u2265": ">=", "\u2264": "<=", "\u2192": "->", '"': "\u201d"}

CATEGORY = "VP"  # the Insert Function category of the VP functions (MacroOptions Category:=)
REGISTER_SUB = "VPRegisterFunctions"
MAX_ARGUMENTS = 20  # one continuation line per argument; VBA allows 24 in one statement

HEADER = """\
' ---------------------------------------------------------------------------
' VP-funktionerna (=VP_...() i Excel): genererade vid bygget av
' xl_addin/vba_wrappers.py med xlwings generate_vba_wrapper, från
' xl_addin/udfs.py. Ändra inte här: ändra udfs.py och bygg om.
' Varje funktion anropar Python-funktionen med samma namn via
' XLPy.CallUDF (modulen xlwings i det här tillägget).
' ---------------------------------------------------------------------------
#Const App = "Microsoft Excel"
"""


class WrapperError(RuntimeError):
    """The VBA wrappers cannot be generated."""


def _stub_pywin32() -> dict[str, types.ModuleType]:
    """Stand-ins for the pywin32 names xlwings.udfs imports; only what its import touches."""
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None  # ThreadPoolExecutor initializer, never run here
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})

    def dispatch(*_args, **_kwargs):
        raise WrapperError("win32com.client.Dispatch is a build-time stand-in")

    win32com = types.ModuleType("win32com")
    win32com.__path__ = []  # a package, so that "win32com.client" resolves to the stand-in
    client = types.ModuleType("win32com.client")
    client.Dispatch = dispatch
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com, "win32com.client": client}


def _restore_modules(snapshot: dict[str, types.ModuleType]) -> None:
    """Make sys.modules hold exactly ``snapshot`` again, and drop package attributes that
    point at modules imported since (e.g. ``xlwings.udfs``)."""
    for name in list(sys.modules):
        if name in snapshot:
            continue
        module = sys.modules.pop(name)
        parent_name, _, child = name.rpartition(".")
        parent = snapshot.get(parent_name)
        if parent is not None and getattr(parent, child, None) is module:
            delattr(parent, child)
    for name, module in snapshot.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module


@contextmanager
def windows_udf_decorators():
    """Inside: ``xlwings.udfs`` importable and ``xlwings.func`` etc. are its Windows
    decorators. Yields ``xlwings.udfs``. Everything is restored on exit."""
    for name in _PREIMPORT:
        importlib.import_module(name)
    import xlwings

    snapshot = dict(sys.modules)
    saved = {attr: getattr(xlwings, attr, _MISSING) for attr in _WINDOWS_DECORATORS}
    try:
        for name, module in _stub_pywin32().items():
            sys.modules.setdefault(name, module)
        udfs = importlib.import_module("xlwings.udfs")
        for attr, windows_name in _WINDOWS_DECORATORS.items():
            setattr(xlwings, attr, getattr(udfs, windows_name))
        yield udfs
    finally:
        for attr, value in saved.items():
            if value is _MISSING:
                if hasattr(xlwings, attr):
                    delattr(xlwings, attr)
            else:
                setattr(xlwings, attr, value)
        _restore_modules(snapshot)


def decorated_udfs() -> types.ModuleType:
    """A private copy of xl_addin/udfs.py executed under the Windows decorators (call inside
    :func:`windows_udf_decorators`). Not left in sys.modules."""
    spec = importlib.util.spec_from_file_location(_PRIVATE_NAME, UDF_SOURCE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PRIVATE_NAME] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(_PRIVATE_NAME, None)
    return module


def generate() -> tuple[str, dict[str, dict]]:
    """(VBA text exactly as ``xlwings.udfs.generate_vba_wrapper`` writes it, with LF line
    endings; name -> ``__xlfunc__`` of each wrapped function)."""
    with windows_udf_decorators() as xlwings_udfs:
        module = decorated_udfs()
        out = io.StringIO()
        xlwings_udfs.generate_vba_wrapper(UDF_MODULE, module, out, types.SimpleNamespace(Name=ADDIN_NAME))
        infos = {
            value.__xlfunc__["name"]: value.__xlfunc__
            for value in vars(module).values()
            if hasattr(value, "__xlfunc__")
        }
        catalogue = [f.__name__ for f in module.CATALOGUE]
    if sorted(infos) != sorted(catalogue):
        raise WrapperError(f"{UDF_SOURCE}: decorated functions {sorted(infos)} differ from CATALOGUE {catalogue}")
    for name, info in infos.items():
        if info["sub"] or any(arg["vararg"] for arg in info["args"]):
            # a vararg wrapper uses an undeclared loop variable k (Option Explicit) and a
            # Sub cannot be called from a cell
            raise WrapperError(f"{name}: only Functions without *args are supported in the add-in")
    return out.getvalue(), infos


def description(info: dict) -> str:
    """The Insert Function description, as xlwings' import_udfs gives it to MacroOptions,
    in a form a VBA Attribute string in Windows-1252 can hold."""
    text = " ".join(info["ret"]["doc"].split())
    text = "".join(_TRANSLATE.get(ch, ch) for ch in text)[:DESCRIPTION_MAX]
    try:
        text.encode(VBA_CODE_PAGE)
    except UnicodeEncodeError as exc:
        raise WrapperError(f"{info['name']}: the docstring has a character outside {VBA_CODE_PAGE}: {exc}") from None
    return text


def vba_text(text: str, what: str) -> str:
    """``text`` as the body of a VBA string literal in Windows-1252, at most 255 characters
    (the MacroOptions limit for a description and for each argument description)."""
    text = " ".join(text.split())
    text = "".join(_TRANSLATE.get(ch, ch) for ch in text)[:DESCRIPTION_MAX]
    try:
        text.encode(VBA_CODE_PAGE)
    except UnicodeEncodeError as exc:
        raise WrapperError(f"{what}: a character outside {VBA_CODE_PAGE}: {exc}") from None
    return text.replace('"', '""')


def register_sub(infos: dict[str, dict]) -> str:
    """``Sub VPRegisterFunctions()``: Application.MacroOptions for every function, in name order.

    The macro is qualified with the add-in's name (``'vp.xlam'!VP_X``) as xlwings does. Errors are
    skipped (On Error Resume Next): a function without help must not stop the ribbon from loading.
    ``ThisWorkbook.Saved`` is set again afterwards, so that Excel never offers to save the add-in.
    """
    lines = [
        f"Sub {REGISTER_SUB}()",
        "    ' Genererad vid bygget (xl_addin/vba_wrappers.py, register_sub) från xl_addin.udfs:",
        "    ' beskrivning, kategori och argumentbeskrivningar i dialogen Infoga funktion.",
        "    ' Anropas av VPRibbonLoaded (menyfliksområdets onLoad) när tillägget läses in.",
        "    Dim wasSaved As Boolean",
        "    Dim p As String",
        "    wasSaved = ThisWorkbook.Saved",
        "    p = \"'\" & ThisWorkbook.Name & \"'!\"",
        "    On Error Resume Next",
    ]
    for name in sorted(infos):
        info = infos[name]
        args = [arg for arg in info["args"] if not arg["vba"]]
        if len(args) > MAX_ARGUMENTS:
            raise WrapperError(f"{name}: more than {MAX_ARGUMENTS} arguments")
        call = [
            f'    Application.MacroOptions Macro:=p & "{name}", _',
            f'        Description:="{vba_text(info["ret"]["doc"], name)}", _',
            f'        Category:="{CATEGORY}"',
        ]
        if args:
            call[-1] += ", _"
            call.append("        ArgumentDescriptions:=Array( _")
            for i, arg in enumerate(args):
                end = ", _" if i < len(args) - 1 else ")"
                text = vba_text(arg["doc"], f"{name}, argument {arg['name']}")
                call.append(f'            "{text}"{end}')
        lines += call
    lines += [
        "    On Error GoTo 0",
        "    ThisWorkbook.Saved = wasSaved",
        "End Sub",
    ]
    return "\n".join(lines) + "\n"


def with_descriptions(vba: str, infos: dict[str, dict]) -> str:
    """``vba`` with ``Attribute <name>.VB_Description = "..."`` after each Function line."""
    out = []
    seen = set()
    for line in vba.splitlines(keepends=True):
        out.append(line)
        match = re.match(r"Function (\w+)\(", line)
        if match:
            name = match.group(1)
            seen.add(name)
            out.append(f'Attribute {name}.VB_Description = "{description(infos[name])}"\n')
    if seen != set(infos):
        raise WrapperError(f"generated VBA declares {sorted(seen)}, expected {sorted(infos)}")
    return "".join(out)


def addin_section() -> str:
    """The text appended to the add-in's callback module (LF line endings)."""
    vba, infos = generate()
    return HEADER + "\n" + with_descriptions(vba, infos).rstrip("\n") + "\n\n" + register_sub(infos)


def declarations(vba: str) -> dict[str, list[str]]:
    """Function name -> its VBA parameter list (``Optional x`` for optional ones)."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"^[ \t]*(?:Public[ \t]+)?Function[ \t]+(\w+)\(([^)]*)\)", vba, re.MULTILINE):
        params = [p.strip() for p in match.group(2).split(",") if p.strip()]
        if match.group(1) in found:
            raise WrapperError(f"Function {match.group(1)} is declared twice")
        found[match.group(1)] = params
    return found


def expected_declarations(functions) -> dict[str, list[str]]:
    """What :func:`declarations` must find for these Python functions."""
    expected = {}
    for func in functions:
        params = []
        for p in inspect.signature(func).parameters.values():
            params.append(f"Optional {p.name}" if p.default is not inspect.Parameter.empty else p.name)
        expected[func.__name__] = params
    return expected
