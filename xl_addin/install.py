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

The new file is written first as a temporary file in the folder *above* XLSTART
(``%APPDATA%\\Microsoft\\Excel``, the same volume) and then moved into place with one rename:
Excel opens every file in XLSTART at start, so no half-written or temporary file may ever be there.

Both paths end up in the command line that xlwings' VBA hands to Windows (``CreateProcessA``,
the ANSI API) to start Python, so a character outside the Windows ANSI code page (Windows-1252 on
Swedish Windows) would arrive as "?": installation refuses such paths with a Swedish message
instead of writing an add-in that cannot start Python.

The VP add-in carries its own copy of the xlwings VBA module and needs nothing else. The xlwings
add-in (a second ribbon tab, "Import Functions" etc.) is installed only when asked for
(``with_xlwings_tab=True``, ``vp addin install --with-xlwings-tab``): ``xlwings addin install``
starts a hidden Excel and adds a tab the economists do not need.

Only Windows has Excel's XLSTART folder: elsewhere both functions refuse with a Swedish message
unless ``dest_dir`` is given (tests install into a temporary folder that way).
"""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
import tempfile
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
            "Kör kommandot på den Windows-dator där Excel finns, eller ange en målmapp med --dest "
            "om du bara vill kopiera filen."
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


def ansi_code_page() -> str:
    """The Windows ANSI code page of this machine (GetACP), e.g. "cp1252"; "cp1252" elsewhere."""
    if _is_windows():
        try:
            import ctypes

            return f"cp{ctypes.windll.kernel32.GetACP()}"
        except (AttributeError, OSError):
            pass
    return "cp1252"


def check_ansi_path(path: str, what: str, code_page: str | None = None) -> None:
    """Refuse a path that the ANSI command line xlwings builds could not carry."""
    code_page = code_page or ansi_code_page()
    bad = []
    for ch in path:
        try:
            ch.encode(code_page)
        except (UnicodeEncodeError, LookupError):
            if ch not in bad:
                bad.append(ch)
    if bad:
        shown = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in bad)
        raise AddinInstallError(
            f"{what} {path} innehåller tecken som Excel inte kan skicka vidare när tillägget startar "
            f"Python ({shown}; Windows teckentabell {code_page}). Tillägget skulle inte fungera. "
            "Lägg projektet och dess Python-miljö (.venv) i en mapp vars sökväg bara har vanliga "
            "tecken (a–ö, siffror, mellanslag), t.ex. C:\\VP\\vp-regelmotor, och installera där igen."
        )


def machine_conf() -> dict[str, str]:
    """The settings-sheet values that depend on this machine and Python environment."""
    import xl_addin

    project_root = Path(xl_addin.__file__).resolve().parent.parent
    return {"Interpreter_Win": sys.executable, "PYTHONPATH": str(project_root)}


def check_machine_conf(conf: dict[str, str], code_page: str | None = None) -> None:
    check_ansi_path(conf["Interpreter_Win"], "Python-tolkens sökväg", code_page)
    check_ansi_path(conf["PYTHONPATH"], "Projektmappens sökväg", code_page)


def _ensure_xlwings_addin(xlstart: Path, log: Log) -> None:
    if (xlstart / XLWINGS_ADDIN_NAME).is_file():
        return
    log("Installerar xlwings-tillägget med 'xlwings addin install' (Excel startas en kort stund) ...")
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


def _write_outside(target: Path, data: bytes) -> None:
    """Write ``target`` via a temporary file in the folder above it, then one rename."""
    target = target.absolute()  # so that "the folder above" exists for a relative --dest too
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f"{ADDIN_NAME}.", suffix=".tmp", dir=target.parent.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def install(dest_dir=None, *, with_xlwings_tab: bool = False, log: Log = print) -> Path:
    """Install vp.xlam into Excel's XLSTART folder (or into ``dest_dir``); returns its path.

    ``with_xlwings_tab``: also install the xlwings add-in (its own ribbon tab) if missing.
    """
    target_dir, is_xlstart = _target_dir(dest_dir, "installeras")
    conf = machine_conf()
    check_machine_conf(conf)
    data = with_conf(addin_source(), conf)
    target = target_dir / ADDIN_NAME
    try:
        _write_outside(target, data)
    except PermissionError:
        raise AddinInstallError(
            f"Kunde inte skriva {target}. Är Excel igång? Stäng Excel och försök igen."
        ) from None
    except OSError as exc:
        raise AddinInstallError(f"Kunde inte installera {ADDIN_NAME} i {target_dir}: {exc}") from None
    log(f"Installerade Excel-tillägget VP: {target}")
    log(f"Python som tillägget startar: {conf['Interpreter_Win']}")
    if with_xlwings_tab:
        if is_xlstart:
            _ensure_xlwings_addin(target_dir, log)
        else:
            log("xlwings-tillägget installeras bara i Excels egen XLSTART-mapp (inte med --dest).")
    if is_xlstart:
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
