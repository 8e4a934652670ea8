"""Which rulebook a workbook follows: recorded on its Regelbok sheet (file name and SHA-256, row 3),
read by every path (CLI, ribbon, server) through the adapters' `read_rows`, and compared with the
rulebook that assesses it. The record is typed by `vp new`; a refresh never writes it.
"""

from dataclasses import dataclass

from rules import values as v
from rules.checks import check_finding
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
    record = read_record(source)
    if record is not None and record.name and "/" not in record.name and "\\" not in record.name:
        path = RULEBOOK_DIR / record.name
        if path.is_file():
            return load_rulebook(path)
    return load_rulebook()


def record_findings(source, book, record=None):
    """A finding when the workbook records another rulebook (other file or other SHA-256) than `book`."""
    record = record or read_record(source)
    if record is None or (record.name == book.path.name and record.sha256 == book.sha256):
        return []
    return [check_finding(book, CHECK_ID, record.sha_place, foljer=record.name or "(tomt)",
                          foljer_sha=(record.sha256[:12] + "…") if record.sha256 else "(tomt)",
                          anvand=str(book.path), anvand_sha=book.sha256[:12] + "…", anvand_namn=book.path.name,
                          namn_cell=str(record.name_place), anvand_sha_hel=book.sha256)]
