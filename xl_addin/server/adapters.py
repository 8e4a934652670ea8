"""The catalogue and the ribbon actions as xlwings Server custom functions and custom scripts.

Custom functions: one per function in `xl_addin.udfs.CATALOGUE`, found by iterating it, never by a
list kept here. Each calls the catalogue's own function object with what xlwings converted from
Excel's arguments (same argument options as the classic add-in: ranges as rows of cells, Excel
errors as their text). Its Excel name drops the "VP_" prefix, because the manifest's namespace
"VP" comes first: `=VP.INDICATORSCORE(...)`. A `VPError` becomes the cell text the classic
add-in shows ("#VP-FEL: ..."); anything else is logged with its traceback and the cell gets a
short Swedish message, never a traceback.

Custom scripts: one per ribbon button of the classic add-in (`xl_addin/addin/customUI.xml`)
whose tag is a `xl_addin.ribbon.ACTIONS` key. A script runs that action on the `xw.Book`
xlwings Server built from the workbook Excel sent, so the same refresh routine writes the same
sheets; its message shows as a dialog and in the task pane. A button that makes a file (Rapport)
is a download instead (`DOWNLOADS`, routers/custom.py).

Argument descriptions: the classic add-in declares them with `@xw.arg(doc=...)` in udfs.py.
Those decorators record them only where xlwings is a UDF runtime (Windows, or a process that
imported xlwings with XLWINGS_ON_SERVER=true, as `vp serve` does). Elsewhere, e.g. in a test
process, they are read the way the add-in build reads them (`vba_wrappers`: a private copy of
udfs.py under xlwings' Windows decorators, used for its metadata only, never called).
"""

import functools
import inspect
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import xlwings as xw
from xlwings.server import arg as server_arg
from xlwings.server import func as server_func
from xlwings.server import script as server_script

from rules.errors import VPError
from xl_addin import ribbon, udfs

logger = logging.getLogger("vp.server")

PREFIX = "VP_"
CUSTOM_UI = Path(__file__).resolve().parent.parent / "addin" / "customUI.xml"
_UI_NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


def excel_name(func):
    """The name after the namespace: VP_INDICATORSCORE -> INDICATORSCORE (=VP.INDICATORSCORE)."""
    name = func.__name__
    return name[len(PREFIX):] if name.startswith(PREFIX) else name


def description(text):
    """A docstring as one line (Excel shows descriptions in a tooltip)."""
    return " ".join((text or "").split())


def internal_error_text(name):
    return (f"{udfs.ERROR_PREFIX}ett oväntat fel i servern när {name} räknades. Felet är loggat; "
            "kontakta IT och ange tidpunkten.")


# --- argument metadata ------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _declared_metadata():
    """name -> __xlfunc__ as the add-in build reads it (a private copy under Windows decorators)."""
    from xl_addin import vba_wrappers

    with vba_wrappers.windows_udf_decorators():
        module = vba_wrappers.decorated_udfs()
    return {f.__name__: f.__xlfunc__ for f in module.CATALOGUE if hasattr(f, "__xlfunc__")}


def argument_metadata(func):
    """[(name, doc, options)] for the function's parameters, from its @xw.arg declarations."""
    info = getattr(func, "__xlfunc__", None) or _declared_metadata().get(func.__name__, {})
    declared = {a["name"]: a for a in info.get("args", [])}
    out = []
    for name in inspect.signature(func).parameters:
        entry = declared.get(name, {})
        options = {k: v for k, v in entry.get("options", {}).items() if k in ("ndim", "err_to_str")}
        out.append((name, entry.get("doc") or name, options))
    return out


# --- custom functions -------------------------------------------------------------------------
def function_adapter(func, module_name):
    """An xlwings Server custom function that calls `func` (the catalogue's own object)."""
    shown = excel_name(func)

    def call(*args):
        try:
            return func(*args)
        except VPError as exc:  # bad input, a broken rulebook edit: the reason in the cell
            return f"{udfs.ERROR_PREFIX}{exc}"
        except Exception:  # a fault in the code: logged with the traceback, a sentence in the cell
            logger.exception("VP-funktionen %s föll", func.__name__)
            return internal_error_text(shown)

    # Not functools.wraps: it would copy the catalogue function's own __xlfunc__ (if any) and the
    # decorators below would then edit that shared record instead of building a new one.
    call.__name__ = call.__qualname__ = func.__name__
    call.__doc__ = description(func.__doc__)
    call.__module__ = module_name
    call.__signature__ = inspect.signature(func)
    call.catalogue_function = func
    for name, doc, options in reversed(argument_metadata(func)):
        call = server_arg(name, doc=description(doc), **options)(call)
    return server_func(name=shown)(call)


def function_adapters(module_name):
    """{name: custom function} for every function in the catalogue."""
    adapters = {}
    for func in udfs.CATALOGUE:
        if func.__name__ in adapters:
            raise RuntimeError(f"{func.__name__} finns två gånger i CATALOGUE")
        adapters[func.__name__] = function_adapter(func, module_name)
    return adapters


# --- the ribbon -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Button:
    tag: str          # the ribbon.ACTIONS key and the custom script's name
    label: str
    screentip: str
    supertip: str


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    buttons: tuple


def ribbon_groups(path=CUSTOM_UI):
    """The classic ribbon's groups and buttons (labels, tips), limited to tags with an action."""
    root = ET.parse(path).getroot()
    groups = []
    for group in root.iterfind(".//ui:tab/ui:group", _UI_NS):
        buttons = tuple(
            Button(tag=b.get("tag"), label=b.get("label", b.get("tag")),
                   screentip=b.get("screentip") or b.get("label", ""), supertip=b.get("supertip", ""))
            for b in group.iterfind("ui:button", _UI_NS) if b.get("tag") in ribbon.ACTIONS)
        if buttons:
            groups.append(Group(id=group.get("id"), label=group.get("label", ""), buttons=buttons))
    return groups


ICONS = Path(__file__).resolve().parent / "static" / "images" / "icons"


def icon_name(tag):
    """The button's icon files (vp-TAG-16.png, ...), or the generic VP button icon."""
    name = f"vp-{tag}"
    return name if all((ICONS / f"{name}-{size}.png").is_file() for size in (16, 32, 80)) else "vp-knapp"


def ribbon_buttons():
    return [button for group in ribbon_groups() for button in group.buttons]


# --- custom scripts ---------------------------------------------------------------------------
PANEL_CALLBACK = "vpPanel"  # the task pane's JavaScript function (static/js/vp-taskpane.js)

# Buttons whose result is a file beside the workbook in the classic add-in. A custom script can only
# change the open workbook, so on the server these are routes (routers/custom.py) that answer with
# the file, which the task pane offers as a download: tag -> path.
DOWNLOADS = {"rapport": "/vp/rapport"}


class _QuietApp:
    """An xlwings App whose message box shows nothing (the text goes to the task pane instead)."""

    def __init__(self, app):
        object.__setattr__(self, "_app", app)

    def alert(self, *args, **kwargs):
        return None

    def __getattr__(self, name):
        return getattr(self._app, name)

    def __setattr__(self, name, value):
        setattr(self._app, name, value)


class QuietBook:
    """An `xw.Book` seen by a ribbon action without its message box."""

    def __init__(self, book):
        self._book = book
        self.app = _QuietApp(book.app)

    def __getattr__(self, name):
        return getattr(self._book, name)


def to_panel(book, **data):
    """Send data to the task pane (an action Excel runs after the script: runMacro)."""
    book.app.macro(PANEL_CALLBACK)(data)


def _findings(book):
    """The check's findings and the period's state for the pane: (findings, state) as plain data."""
    from rules.rulebook import load_rulebook
    from workbook.refresh import run_refresh

    from xl_addin.book_adapter import XlwingsBook

    result = run_refresh(XlwingsBook(book), write=False)
    findings = [{"plats": str(getattr(f, "where", "") or ""), "regel": str(getattr(f, "rule", "") or ""),
                 "text": str(getattr(f, "message", f))} for f in result.findings]
    return findings, period_state(result, load_rulebook())


def period_state(result, rulebook):
    """The period, its state line (Utkast / Fastställd av … den …) and its missing analyses (R13)."""
    state = result.state
    period = result.follow.period if result.follow is not None else None
    if state is None or period is None:
        return {"period": "", "tillstand": "", "saknas": []}
    return {"period": period.text, "tillstand": state.line(rulebook), "saknas": [f.message for f in state.missing]}


def log_user(user):
    """Who pressed the button, as the Logg row names them: name and object id from the token.

    Without sign-in (local mode) None: the log names the person at this PC. With sign-in a user
    without an object id is refused: the log must never name the server's own account."""
    from xlwings_server.config import settings

    from .signin import log_name

    name = log_name(user)
    if name is None and settings.auth_providers:
        raise xw.XlwingsError("VP kan inte se vem du är inloggad som, så knappen körs inte. Logga in i Excel "
                              "på nytt (fliken VP, Visa panelen).")
    return name


def script_failed(label):
    """A fault in the code while a button ran: logged with its traceback; Excel shows this text
    (HTTP 400) and applies none of the script's changes."""
    logger.exception("VP-knappen %s föll", label)
    return xw.XlwingsError(f"VP kunde inte köra {label}: ett oväntat fel i servern. Ingenting i arbetsboken "
                           "är ändrat. Felet är loggat; kontakta IT och ange tidpunkten.")


def script_adapter(button, module_name):
    """The custom script of one ribbon button: the ribbon action on the book, its message to the pane."""
    # Imported here, not at the top: importing xlwings Server reads its settings once, and that
    # must happen after prepare_environment() (asgi.py), not when this module is merely imported.
    from xlwings_server.models import CurrentUser

    def run(book: xw.Book, user: CurrentUser):
        name = log_user(user)
        try:
            message = ribbon.run(button.tag, book=book, user=name)
        except Exception:  # ribbon.run shows a VPError itself; anything else is a fault
            raise script_failed(button.label) from None
        to_panel(book, knapp=button.label, meddelande=str(message or ""))

    run.__name__ = run.__qualname__ = button.tag
    run.__doc__ = description(button.supertip) or button.label
    run.__module__ = module_name
    return server_script(run)


def panel_script(module_name):
    """The task pane's button: the explanation of the selected row and the findings; writes nothing."""

    def vp_panel(book: xw.Book):
        try:
            explanation = str(ribbon.run("forklara", book=QuietBook(book)) or "")
            try:
                (findings, state), problem = _findings(book), ""
            except VPError as exc:
                findings, state, problem = [], {"period": "", "tillstand": "", "saknas": []}, str(exc)
        except Exception:
            raise script_failed("Förklara markeringen") from None
        to_panel(book, forklaring=explanation, fynd=findings, fel=problem, **state)

    vp_panel.__module__ = module_name
    return server_script(vp_panel)


def script_adapters(module_name):
    scripts = {b.tag: script_adapter(b, module_name) for b in ribbon_buttons() if b.tag not in DOWNLOADS}
    scripts["vp_panel"] = panel_script(module_name)
    return scripts
