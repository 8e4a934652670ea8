"""The file adapter: the VP workbook as an .xlsx file.

Reads tables by their header names (`workbook/package.py`: safe XML, row by row up to the last stored
cell, a formula's result as Excel saved it) and writes only the output sheets, by patching the
original package (`workbook/patch.py`): every other part of the file (pictures, shapes, charts,
comments, custom XML, defined names, validations, conditional formats, protection, properties …) is
copied unchanged, and an input sheet keeps its formulas and the results Excel saved with them.

Saving: under a lock (`workbook_lock`, so two refreshes of one file take turns and none loses the
other's log row), only if the file is still what was read, after a timestamped backup (the newest
BACKUPS_KEPT are kept), through a temporary file `.vp-XXXXXXXX.xlsx` beside the original (with its
permissions) that replaces it in one step. A temporary file left by a killed run is removed by the
next save. Refused: a file that Excel has open (its `~$` lock file), a file that is not an .xlsx
(an .xlsm is updated with the Uppdatera button in Excel), a file that is not a VP workbook.
"""

import getpass
import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rules.errors import VPError

from . import layout as L
from .package import FileRefused, Package, _os_reason, quoted
from .patch import (KEEP, PartError, Sheet, add_sheet_parts, drop_calc_chain, new_sheet_xml, recalculate_on_open,
                    refers_to, write_package)
from .tables import UnsavedFormula, find_table, parse_reference

__all__ = ["BACKUPS_KEPT", "FileRefused", "XlsxBook", "check_not_open", "check_xlsx", "workbook_lock"]

BACKUPS_KEPT = 5
LOCK_WAIT_SECONDS = 120     # a second refresh waits this long for the first, then gives up with a message
STALE_TEMP_SECONDS = 120    # a temporary file older than this and not locked was left by a killed run
DATE_FORMAT = "yyyy-mm-dd hh:mm"
_TEMP = re.compile(r"^\.vp-[a-z0-9_]{8}\.xlsx$")


def lock_file(path):
    return path.with_name("~$" + path.name)


def check_not_open(path):
    """Excel keeps `~$name.xlsx` beside a workbook it has open; writing then would lose someone's work."""
    path = Path(path)
    lock = lock_file(path)
    if lock.exists():
        raise FileRefused(f"{path.name} är öppen i Excel eller hos någon annan (låsfilen {lock.name} finns). "
                          "Stäng arbetsboken och försök igen.")
    if path.exists() and not os.access(path, os.W_OK):
        raise FileRefused(f"{path.name} är skrivskyddad och kan inte uppdateras.")


def check_xlsx(path):
    """Only an .xlsx file is saved: an .xlsm's macros are Excel's business (the Uppdatera button)."""
    if Path(path).suffix.lower() != ".xlsx":
        raise FileRefused(f"{Path(path).name}: vp refresh hanterar bara .xlsx; använd knappen Uppdatera i Excel "
                          "för .xlsm (sparad härifrån skulle filen förlora sina makron).")


class XlsxBook:
    """A workbook file seen through the refresh's adapter interface."""

    def __init__(self, path, read_only=False):
        """`read_only`: for a check, which never saves (then an .xlsm may be read too)."""
        self.path = Path(path)
        self.read_only = read_only
        self.package = Package(self.path)
        self.fingerprint = hashlib.sha256(self.package.data).digest()
        self.notices = []   # what the adapter had to change to write (merged cells split), in Swedish
        self.wb = PendingWorkbook(self)  # the workbook as it will be saved: wb.save(path) writes it

    def sheet_names(self):
        return self.package.sheet_names()

    def read_table(self, sheet, required, optional=()):
        """The table under the first header row holding every required header (empty rows dropped)."""
        if sheet not in self.package.sheet_names():
            raise FileRefused(f"{self.path.name}: bladet {quoted(sheet)} finns inte.")
        rows, formulas = [], {}
        for number, values, saved in self.package.iter_rows(sheet):
            rows.append((number, values))
            for column, result in saved.items():
                formulas[(number, column)] = result

        def resolve(row, column, value):
            if (row, column) in formulas:
                # A formula in an input cell: the result Excel saved; without one (the file was last
                # saved by a program that does not calculate) reading it is an error naming the cell.
                result = formulas[(row, column)]
                return UnsavedFormula(value, f"{sheet}!{_letter(column)}{row}") if result is None else result
            return value

        return find_table(sheet, rows, required, optional, resolve)

    def defined_range(self, name):
        """(sheet, first row, last row) of a workbook-wide defined name, or None."""
        return parse_reference(self.package.defined_names().get(name))

    def read_rows(self, sheet, last_row):
        """The sheet's first `last_row` rows as (row number, {column number: value}), formulas read as
        in `read_table`: for a labelled cell above or beside a table (the follow-up period, the inputs
        on Fördelning). Rows without a value are left out; reading stops after `last_row`."""
        if sheet not in self.package.sheet_names():
            raise FileRefused(f"{self.path.name}: bladet {quoted(sheet)} finns inte.")
        out = []
        for number, values, saved in self.package.iter_rows(sheet):
            if number > last_row:
                break
            for column, result in saved.items():
                values[column] = (UnsavedFormula(values[column], f"{sheet}!{_letter(column)}{number}")
                                  if result is None else result)
            out.append((number, values))
        return out

    def write_cell(self, sheet, headers, row, column, value):
        """One value into an output sheet (the follow-up period that `vp refresh --period` sets), in
        the format the cell had."""
        model = self.wb.sheet(sheet, headers)
        self._unmerge(sheet, model, row, row, {column}, anchor_ok=True)
        model.set(row, column, value)

    def write_table(self, sheet, headers, rows, fills=None, fill_colours=None):
        """Replace an output sheet's table below its header row with `rows` (values only, never
        formulas). Only the table's own columns are cleared and written: a note typed beside the table
        stays."""
        model = self.wb.sheet(sheet, headers)
        header_row = self._header_row(model, headers)
        width = max([len(headers), *(len(values) for values in rows)])
        columns = set(range(1, width + 1))
        self._unmerge(sheet, model, header_row + 1, max(model.max_row, header_row + len(rows)), columns)
        model.clear(header_row + 1, columns)
        for offset, values in enumerate(rows, start=1):
            label = fills[offset - 1] if fills else None
            colour = (fill_colours or {}).get(label)
            fill = colour if colour else KEEP
            for column, value in enumerate(values, start=1):
                model.set(header_row + offset, column, value, fill=fill)

    def append_row(self, sheet, headers, values):
        model = self.wb.sheet(sheet, headers)
        header_row = self._header_row(model, headers)
        width = max(len(headers), len(values))
        last = header_row  # the table's last row; a note beside the table does not count
        for number in sorted(n for n in model.rows if n > header_row):
            if any(model.value(number, column) not in (None, "") for column in range(1, width + 1)):
                last = number
        values = list(values)
        if self.notices and sheet == L.LOG:  # what the adapter changed to write is said in the log too
            column = headers.index("Händelse") if "Händelse" in headers else len(values) - 1
            values[column] = "; ".join([str(values[column] or ""), *self.notices]).lstrip("; ")
        self._unmerge(sheet, model, last + 1, last + 1, set(range(1, len(values) + 1)))
        for column, value in enumerate(values, start=1):
            model.set(last + 1, column, value, number_format=DATE_FORMAT if hasattr(value, "year") else None)

    def _unmerge(self, sheet, model, first_row, last_row, columns, anchor_ok=False):
        before = len(model.notices)
        model.unmerge(first_row, last_row, columns, anchor_ok)
        for ref in model.notices[before:]:
            self.notices.append(f"sammanfogade celler {sheet}!{ref} delades upp, eftersom uppdateringen skriver där")

    def _header_row(self, model, headers):
        found = model.header_row(headers[0], L.HEADER_SEARCH_ROWS)
        if found is not None:
            return found
        for column, header in enumerate(headers, start=1):
            model.set(L.HEADER_ROW, column, header, bold=True)
        return L.HEADER_ROW

    def save(self, now=None, target=None, macros=False):
        """Backup, then write to a temporary file beside the original (with its permissions) and
        replace it in one step. Returns the backup's path (None: `target` is a new file).

        `target`: write there instead (a converted copy, `vp convert --out`; the original is left as
        it is and an existing copy is backed up first). `macros`: an .xlsm may be saved, because the
        writer copies its VBA part byte for byte (`vp convert`; a refresh never saves an .xlsm)."""
        if self.read_only:
            raise VPError(f"{self.path.name} är öppnad bara för läsning och sparas inte.")
        target = Path(target) if target is not None else self.path
        if not macros:
            check_xlsx(self.path)
        check_not_open(self.path)
        check_not_open(target)
        with workbook_lock(self.path), workbook_lock(target):
            try:
                current = self.path.read_bytes()
            except OSError as exc:
                raise FileRefused(f"{self.path.name} går inte att läsa ({_os_reason(exc)}).") from None
            if hashlib.sha256(current).digest() != self.fingerprint:
                raise FileRefused(f"{self.path.name} har ändrats av någon annan sedan den lästes; ingenting "
                                  "sparades. Kör uppdateringen igen.")
            remove_stale_temporaries(target.parent)
            backup = make_backup(target, now) if target.exists() else None
            handle, temporary = tempfile.mkstemp(prefix=".vp-", suffix=".xlsx", dir=target.parent)
            try:
                try:
                    _try_lock(handle)  # a later run sees that the temporary file is in use
                    self.wb.save(temporary)
                    _verify(temporary, target.name)
                    shutil.copymode(self.path, temporary)  # mkstemp's 0600 would hide the file from colleagues
                    _fsync(temporary)
                finally:
                    os.close(handle)
                os.replace(temporary, target)
            except BaseException:
                if os.path.exists(temporary):
                    os.unlink(temporary)
                if backup is not None:
                    backup.unlink(missing_ok=True)  # the original is untouched: its copy is not needed
                raise
            _fsync_folder(target.parent)
            if backup is not None:
                prune_backups(target)
        return backup


class PendingWorkbook:
    """The changes to the package: output sheet models (created on first write) and the styles."""

    def __init__(self, book):
        self.book = book
        self.package = book.package
        self.models = {}    # output sheet name -> patch.Sheet
        self.created = []   # output sheets the workbook did not have

    def sheet(self, sheet, headers):
        if sheet not in L.OUTPUT_SHEETS:
            raise VPError(f"Bladet {sheet} är inget utdatablad; uppdateringen skriver bara {L.OUTPUT_SHEETS}.")
        if sheet in self.models:
            return self.models[sheet]
        package = self.package
        if sheet in package.sheet_names():
            part = package.sheet_part(sheet)
            data, where = package.read(part), f"bladet {sheet} ({part})"
        else:
            data, where = new_sheet_xml(), f"bladet {sheet}"
            self.created.append(sheet)
        try:
            model = Sheet(data, package.shared_strings, package.styles, package.epoch, where)
        except PartError as exc:
            raise FileRefused(f"{package.name}: {where} {exc}.") from None
        self.models[sheet] = model
        if sheet in self.created:
            for column, header in enumerate(headers, start=1):
                model.set(L.HEADER_ROW, column, header, bold=True)
        return model

    def parts(self):
        """(replaced parts {name: bytes}, removed parts, added parts [(name, bytes)])."""
        package = self.package
        replaced, removed, added = {}, set(), []
        try:
            for name, model in self.models.items():
                if name in self.created:
                    part = add_sheet_parts(package, name, replaced, [p for p, _ in added])
                    added.append((part, model.to_bytes()))
                else:
                    replaced[package.sheet_part(name)] = model.to_bytes()
            if any(model.removed_formulas for model in self.models.values()):
                drop_calc_chain(package, replaced, removed)
            written = {package.sheet_part(name) for name in self.models if name not in self.created}
            if any(model.keeps_formulas for model in self.models.values()) or \
                    refers_to(package, list(self.models), written):
                recalculate_on_open(package, replaced)  # a formula reads an output sheet: its result is stale
            if package.styles is not None and package.styles.changed:
                replaced[package.styles_part] = package.styles.to_bytes()
        except PartError as exc:
            raise FileRefused(f"{package.name}: en del av arbetsboken kan inte ändras: {exc}.") from None
        return replaced, removed, added

    def save(self, target):
        """Write the workbook (the original package with the changed parts) to `target`."""
        replaced, removed, added = self.parts()
        write_package(self.package, target, replaced, removed, added)


def _letter(column):
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def _verify(path, name):
    """The written file is a complete zip whose parts all unpack (a last check before it replaces)."""
    try:
        with zipfile.ZipFile(path) as written:
            bad = written.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FileRefused(f"{name}: den nya filen blev inte komplett ({type(exc).__name__}); ingenting ändrades.") \
            from None
    if bad:
        raise FileRefused(f"{name}: den nya filen blev inte komplett (delen {bad}); ingenting ändrades.")


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder):
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- locks ---------------------------------------------------------------------------------------------

_held = {}  # lock files this process holds -> depth (the lock is re-entrant within a process)


def _try_lock(fd):
    """Lock an open file without waiting: True if locked, False if another process holds it,
    None if this file system cannot lock (then the fingerprint check alone protects the file)."""
    try:
        import fcntl
    except ImportError:  # Windows
        try:
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        except ImportError:
            return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return None


def lock_path(path):
    return Path(path).with_name(f".{Path(path).name}.vp-lock")


@contextmanager
def workbook_lock(path, wait=None, progress=None):
    """Hold the workbook's lock file `.NAME.vp-lock` (a second refresh of the same file waits up to
    `wait` seconds, then is refused with a message naming who holds it). Re-entrant in a process."""
    path = Path(path)
    target = lock_path(path)
    key = str(target.resolve())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    deadline, told = time.monotonic() + wait, False
    while True:
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            if not target.parent.exists():
                raise FileRefused(f"Mappen {target.parent} finns inte.") from None
            fd = None
            if isinstance(exc, PermissionError):
                raise FileRefused(f"{path.name} kan inte låsas för uppdatering ({_os_reason(exc)} i mappen "
                                  f"{target.parent}).") from None
        locked = _try_lock(fd) if fd is not None else None
        if locked is False:
            owner = _owner(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise FileRefused(f"{path.name} uppdateras just nu av en annan körning ({owner}); vänta tills den "
                                  "är klar och försök igen.")
            if not told and progress:
                progress(f"Väntar på att en annan uppdatering av {path.name} ({owner}) blir klar …")
                told = True
            time.sleep(0.05)
            continue
        if locked and not _same_file(fd, target):
            os.close(fd)  # the previous holder removed the lock file meanwhile: lock the new one
            continue
        break
    if fd is not None and locked:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{_user()} på {socket.gethostname()}, process {os.getpid()}, sedan "
                         f"{datetime.now():%H:%M:%S}".encode("utf-8"))
        except OSError:
            pass
    _held[key] = 1
    try:
        yield
    finally:
        del _held[key]
        if fd is not None:
            if locked:
                try:
                    os.unlink(target)  # while still locked, so no one holds a lock on a removed file
                except OSError:
                    pass
            os.close(fd)


def _same_file(fd, path):
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)


def _owner(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 300).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return quoted(text, 120) if text else "okänd"


def _user():
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on this system
        return "okänd användare"


def remove_stale_temporaries(folder, older_than=None):
    """Remove `.vp-XXXXXXXX.xlsx` files a killed run left in `folder`: only names of that exact form,
    only if older than `older_than` seconds and not locked by a running save. Returns those removed."""
    older_than = STALE_TEMP_SECONDS if older_than is None else older_than
    removed = []
    try:
        candidates = [p for p in Path(folder).iterdir() if _TEMP.match(p.name)]
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        try:
            if not candidate.is_file() or candidate.is_symlink() or now - candidate.stat().st_mtime < older_than:
                continue
            fd = os.open(candidate, os.O_RDWR)
        except OSError:
            continue
        try:
            if _try_lock(fd) is False:
                continue  # a save in progress holds it
            if os.name == "nt":  # Windows removes no open file
                os.close(fd)
                fd = None
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            continue
        finally:
            if fd is not None:
                os.close(fd)
    return removed


# --- backups -------------------------------------------------------------------------------------------

def _backups(path):
    """The backups of `path`, oldest first: <stem>.vp-backup-YYYYMMDD-HHMMSS[-n]<suffix>."""
    pattern = re.compile(re.escape(path.stem) + r"\.vp-backup-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix) + "$")
    found = []
    for candidate in path.parent.iterdir():
        match = pattern.match(candidate.name)
        if match:
            found.append(((match.group(1), int(match.group(2) or 1)), candidate))
    return [candidate for _, candidate in sorted(found)]


def backup_path(path, now=None):
    """A new backup name for `path`, stamped with the time; a second backup in the same second gets -2, -3, …"""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    name = f"{path.stem}.vp-backup-{stamp}"
    candidate, number = path.with_name(name + path.suffix), 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{name}-{number}{path.suffix}")
    return candidate


def make_backup(path, now=None):
    """Copy `path` to a new, unique backup name (created exclusively: two runs never share one)."""
    while True:
        backup = backup_path(path, now)
        try:
            with open(backup, "xb") as out, open(path, "rb") as source:
                shutil.copyfileobj(source, out)
        except FileExistsError:
            continue
        except BaseException:
            backup.unlink(missing_ok=True)
            raise
        shutil.copystat(path, backup)
        return backup


def prune_backups(path, keep=BACKUPS_KEPT):
    """Delete all but the newest `keep` backups of `path` (never another file's)."""
    for old in _backups(path)[:-keep]:
        old.unlink(missing_ok=True)
