"""The ASGI app uvicorn runs (`xl_addin.server.asgi:app`): xlwings Server with the VP project.

Importing it prepares the environment (the VP defaults, refusing a start without licence key or
login), imports the VP custom functions and scripts first so that an error in them stops the
start with its traceback, and then checks that xlwings Server's routers use them: its router
silently falls back to its own example functions when `custom_functions` fails to import.
"""

import dataclasses
import importlib
import logging

from pathlib import Path

from . import PROJECT_DIR, check_environment, prepare_environment, redact_tokens_in_logs, skip_pyodide_lookup

prepare_environment()  # before xlwings is imported: XLWINGS_ON_SERVER, the licence key
check_environment()
skip_pyodide_lookup()
redact_tokens_in_logs()

# xlwings Server reads its settings and its project folder once, when first imported.
from xlwings_server import config as _config  # noqa: E402

if Path(_config.PROJECT_DIR).resolve() != PROJECT_DIR:
    raise RuntimeError(f"xlwings Server was imported before the VP settings were in place: its project is "
                       f"{_config.PROJECT_DIR}, not {PROJECT_DIR} (import xl_addin.server.asgi first)")

custom_functions = importlib.import_module("custom_functions")
custom_scripts = importlib.import_module("custom_scripts")

from xlwings_server.main import main_app  # noqa: E402

from . import adapters  # noqa: E402
from . import signin  # noqa: E402
from .gate import Gate  # noqa: E402
from xlwings_server.routers import xlwings as _router  # noqa: E402
from xlwings_server.templates import templates as _templates  # noqa: E402

if _router.custom_functions is not custom_functions or _router.custom_scripts is not custom_scripts:
    raise RuntimeError(
        f"xlwings Server uses {_router.custom_functions.__name__} / {_router.custom_scripts.__name__}, "
        f"not the VP modules in {custom_functions.__file__}")

# A role-protected button that is no script (a misspelt tag, or a button not built yet) protects nothing.
_unknown = sorted(set(signin.protected_scripts(signin.role_file())) - set(custom_scripts.__all__))
if _unknown:
    logging.getLogger("vp.server").warning("Behörigheterna nämner knappar som inte finns: %s", ", ".join(_unknown))

# The manifest and the task pane are built from the classic ribbon's buttons.
_groups = adapters.ribbon_groups()
_icons = {b.tag: adapters.icon_name(b.tag) for g in _groups for b in g.buttons}
_templates.env.globals.update(
    vp_ribbon=_groups,
    vp_buttons=[dataclasses.asdict(b) for g in _groups for b in g.buttons],
    vp_downloads=adapters.DOWNLOADS,
    vp_scripts=sorted(custom_scripts.__all__),
    vp_icons=_icons,
    vp_icon_names=sorted({"vp", "vp-panel", *_icons.values()}),
)

# Sign-in, roles and limits before xlwings Server reads a request (gate.py).
app = Gate(main_app)

__all__ = ["app"]
