"""Install and remove the VP add-in (used by ``vp addin install`` / ``vp addin remove``).

install(): copies the committed ``xl_addin/vp.xlam`` to Excel's XLSTART folder
(``%APPDATA%\\Microsoft\\Excel\\XLSTART``), so Excel opens it at every start, and fills in
two machine-specific values on the copy's settings sheet ``myaddin.conf``:

* ``Interpreter_Win`` = the Python interpreter running the installation (``sys.executable``),
  i.e. the environment in which the ``vp`` package and xlwings are installed. xlwings
  loads its DLL from that interpreter's folder or its parent (venv root).
* ``PYTHONPATH`` = the folder that contains the ``xl_addin`` package (the project checkout,
  or site-packages for a normal pip install, where it is harmless), so the buttons
  (``xl_addin.ribbon``) and the UDFs (``UDF Modules`` = ``xl_addin.udfs``) are found.

The committed vp.xlam keeps these empty (xlwings then uses ``python`` on PATH). Run the
installation again after moving the project or recreating the venv.

If the xlwings add-in itself is missing from XLSTART it is installed with
``python -m xlwings.cli addin install``. The VP add-in does not need it for its own
buttons (it carries its own copy of the xlwings VBA module); it is installed because
the standard xlwings ribbon (e.g. "Import Functions") is useful next to it.

Only Windows has Excel's XLSTART folder: elsewhere both functions refuse unless
``dest_dir`` is given (tests install into a temporary folder that way).
"""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from xl_addin.build_addin import with_conf

ADDIN_NAME = "vp.xlam"
XLWINGS_ADDIN_NAME = "xlwings.xlam"

Log = Callable[[str], None]


class AddinInstallError(RuntimeError):
    """Installation or removal failed; the message is in Swedish, for the user."""


def _is_windows() -> bool:
    return sys.platform.startswith("win")


def xlstart_dir() -> Path:
    """The user's XLSTART folder (Windows): %APPDATA%\\Microsoft\\Excel\\XLSTART."""
    appdata = os.environ.get("APPDATA")
    if not appdata:
        raise AddinInstallError(
            "Miljövariabeln APPDATA saknas, så Excels XLSTART-mapp kan inte hittas. "
            "Ange målmappen uttryckligen."
        )
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def _target_dir(dest_dir, action: str) -> tuple[Path, bool]:
    """(folder, is Excel's real XLSTART folder)."""
    if dest_dir is not None:
        return Path(dest_dir), False
    if not _is_windows():
        raise AddinInstallError(
            f"Excel-tillägget VP kan bara {action} på Windows: det körs i Excel för Windows "
            f"och hör hemma i Excels XLSTART-mapp, som inte finns på det här systemet ({sys.platform}). "
            "Ange en målmapp (dest_dir) om du bara vill kopiera filen."
        )
    return xlstart_dir(), True


def addin_source() -> bytes:
    """The committed add-in file shipped in the xl_addin package."""
    source = importlib.resources.files("xl_addin") / ADDIN_NAME
    if not source.is_file():
        raise AddinInstallError(
            f"Hittar inte {ADDIN_NAME} i paketet xl_addin. Bygg det med: python -m xl_addin.build_addin"
        )
    return source.read_bytes()


def machine_conf() -> dict[str, str]:
    """The settings-sheet values that depend on this machine and Python environment."""
    import xl_addin

    project_root = Path(xl_addin.__file__).resolve().parent.parent
    return {"Interpreter_Win": sys.executable, "PYTHONPATH": str(project_root)}


def _ensure_xlwings_addin(xlstart: Path, log: Log) -> None:
    if (xlstart / XLWINGS_ADDIN_NAME).is_file():
        return
    log("xlwings-tillägget saknas i XLSTART; installerar det med 'xlwings addin install' ...")
    try:
        result = subprocess.run([sys.executable, "-m", "xlwings.cli", "addin", "install"], check=False)
        returncode = result.returncode
    except OSError as exc:
        returncode = f"{exc}"
    if returncode != 0 or not (xlstart / XLWINGS_ADDIN_NAME).is_file():
        log(
            "Varning: xlwings-tillägget kunde inte installeras automatiskt "
            f"(resultat: {returncode}). VP-fliken fungerar ändå; kör vid behov "
            "'xlwings addin install' själv."
        )


def install(dest_dir=None, *, log: Log = print) -> Path:
    """Install vp.xlam into Excel's XLSTART folder (or into ``dest_dir``); returns its path."""
    target_dir, is_xlstart = _target_dir(dest_dir, "installeras")
    data = with_conf(addin_source(), machine_conf())
    target = target_dir / ADDIN_NAME
    tmp = target_dir / f"~{ADDIN_NAME}.tmp"
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except PermissionError:
        tmp.unlink(missing_ok=True)
        raise AddinInstallError(
            f"Kunde inte skriva {target}. Är Excel igång? Stäng Excel och försök igen."
        ) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AddinInstallError(f"Kunde inte installera {ADDIN_NAME} i {target_dir}: {exc}") from None
    log(f"Installerade Excel-tillägget VP: {target}")
    if is_xlstart:
        _ensure_xlwings_addin(target_dir, log)
        log("Starta om Excel så visas fliken VP.")
    return target


def remove(dest_dir=None, *, log: Log = print) -> bool:
    """Remove vp.xlam from XLSTART (or ``dest_dir``); True if a file was removed.

    The xlwings add-in is left in place: other workbooks may use it.
    """
    target_dir, _ = _target_dir(dest_dir, "avinstalleras")
    target = target_dir / ADDIN_NAME
    if not target.exists():
        log(f"Excel-tillägget VP är inte installerat ({target} finns inte).")
        return False
    try:
        target.unlink()
    except PermissionError:
        raise AddinInstallError(
            f"Kunde inte ta bort {target}. Är Excel igång? Stäng Excel och försök igen."
        ) from None
    except OSError as exc:
        raise AddinInstallError(f"Kunde inte ta bort {target}: {exc}") from None
    log(f"Tog bort Excel-tillägget VP: {target}")
    return True
