"""Which rulebook a workbook follows: recorded on its Regelbok sheet (file name and SHA-256, row 3),
read by every path (CLI, ribbon, server) through the adapters' `read_rows`, and compared with the
rulebook that assesses it. The record is typed by `vp new`; a refresh never writes it.
"""

from dataclasses import dataclass

from rules import values as v
from rules.checks import check_finding
from rules.errors import RulebookError, VPInputError
from rules.records import Place
from rules.rulebook import RULEBOOK_DIR, chosen_rulebook_path, load_rulebook

from . import layout as L
from .tables import cell_value, column_letter

CHECK_ID = "R1.regelbok.annan"


@dataclass(frozen=True)
class RulebookRecord:
    name: str           # the rulebook's file name as recorded ("vp2025.toml")
    sha256: str         # its SHA-256 as recorded (lower-case hex), "" when not typed
    name_place: Place
    sha_place: Place


def record_cells(book):
    """The record's cells as the builder writes them: label, file name, SHA-256."""
    return [L.RULEBOOK_RECORD_LABEL, book.path.name, book.sha256]


def _is_label(value):
    return isinstance(value, str) and v.fold(value).rstrip(":").strip() == v.fold(L.RULEBOOK_RECORD_LABEL)


def read_record(source):
    """The record on the Regelbok sheet, or None (no sheet, no label: a workbook from before)."""
    if L.RULEBOOK not in source.sheet_names():
        return None
    for number, cells in source.read_rows(L.RULEBOOK, L.HEADER_SEARCH_ROWS):
        for column in sorted(cells):
            if _is_label(cells[column]):
                name, sha = (cell_value(cells.get(column + offset)) for offset in (1, 2))
                return RulebookRecord("" if name is None else str(name).strip(),
                                      "" if sha is None else str(sha).strip().lower(),
                                      Place(L.RULEBOOK, f"{column_letter(column + 1)}{number}"),
                                      Place(L.RULEBOOK, f"{column_letter(column + 2)}{number}"))
    return None


def rulebook_for(source, chosen=None):
    """The rulebook that assesses a workbook: `chosen` (--rulebook) when given; else the one the workbook
    records, when the project has a file of that name; else the one in force. Loaded and checked."""
    if chosen:
        return load_rulebook(chosen)
    path = recorded_path(read_record(source))
    if path is not None and path.is_file():
        return load_rulebook(path)
    return load_rulebook()


def recorded_path(record):
    """The project's rulebook file the record names, or None when it names none (no record, an empty
    name, or a path instead of a file name: only the project's own rulebooks can be followed)."""
    if record is None or not record.name or "/" in record.name or "\\" in record.name:
        return None
    return RULEBOOK_DIR / record.name


def recorded_rulebook(record):
    """The rulebook the record names, loaded and checked; None when it names none. For a cell's formula
    (the classic add-in's VP functions): a named file that is missing or broken is an error naming the
    record's cell, never a silent calculation with another rulebook."""
    if record is None or not record.name:
        return None
    path = recorded_path(record)
    if path is None or not path.is_file():
        raise VPInputError(str(record.name_place), record.name,
                           f"finns inte bland projektets regelböcker ({RULEBOOK_DIR}).",
                           "Lägg regelboken där eller skriv namnet på en som finns.")
    try:
        return load_rulebook(path)
    except RulebookError as exc:
        raise VPInputError(str(record.name_place), record.name, f"går inte att använda: {exc}") from None


def record_findings(source, book, record=None):
    """A finding when the workbook records another rulebook (other file or other SHA-256) than `book`."""
    record = record or read_record(source)
    if record is None or (record.name == book.path.name and record.sha256 == book.sha256):
        return []
    return [check_finding(book, CHECK_ID, record.sha_place, foljer=record.name or "(tomt)",
                          foljer_sha=(record.sha256[:12] + "…") if record.sha256 else "(tomt)",
                          anvand=str(book.path), anvand_sha=book.sha256[:12] + "…", anvand_namn=book.path.name,
                          namn_cell=str(record.name_place), anvand_sha_hel=book.sha256)]
