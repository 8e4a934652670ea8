"""Issue 14: the classic add-in's VP functions compute with the rulebook the calling workbook records
(Regelbok!B3 file name, C3 SHA-256), found through xlwings' reserved `caller` argument (the calling
cell). Driven with xlwings' remote engine: a real `xw.Book` built from a copy of the example workbook.
"""

import hashlib
import inspect
import shutil

import pytest

from rules.rulebook import load_rulebook, rulebook_path
from tests.remote import EXAMPLE, remote_book
from workbook import layout as L
from workbook import rulebook_record
from xl_addin import udfs, vba_wrappers

B3, C3 = (f"{column}{L.RULEBOOK_RECORD_ROW}" for column in "BC")
# budget 100, utfall 102,3: följsamhet 97,7 %: red with the plan's yellow edge 98,0, yellow from 97,6
BUDGET, OUTCOME = 100, 102.3
CHANGED = ("gul = 98.0", "gul = 97.6")


@pytest.fixture
def rulebooks(tmp_path, monkeypatch):
    """A project rulebook folder holding a changed rulebook and a broken one (the default stays where it is)."""
    folder = tmp_path / "regelbocker"
    folder.mkdir()
    text = rulebook_path().read_text(encoding="utf-8")
    assert CHANGED[0] in text
    (folder / "vp2025-gul.toml").write_text(text.replace(*CHANGED, 1), encoding="utf-8")
    (folder / "vp2025-trasig.toml").write_text(text.replace("[budget.thresholds]", "[budget.thresholds", 1),
                                               encoding="utf-8")
    monkeypatch.setattr(rulebook_record, "RULEBOOK_DIR", folder)
    udfs.clear_caches()
    yield folder
    udfs.clear_caches()


def _caller(tmp_path, book_name, name, sha=""):
    """A cell of a copy of the example workbook whose Regelbok!B3/C3 name `name` (None: no Regelbok sheet)."""
    path = shutil.copy(EXAMPLE, tmp_path / book_name)
    if name is None:
        book = remote_book(path, drop=(L.RULEBOOK,))
    else:
        book = remote_book(path, edits={(L.RULEBOOK, B3): name, (L.RULEBOOK, C3): sha})
    return book.sheets[L.BUDGET]["D5"]


def test_the_caller_is_xlwings_last_argument_and_not_typed():
    """What the VBA wrappers send: the typed arguments, then the calling cell at `caller`'s position."""
    _, infos = vba_wrappers.generate()
    for func in udfs.CATALOGUE:
        args = infos[func.__name__]["args"]
        typed = list(inspect.signature(func).parameters)
        assert [a["name"] for a in args] == [*typed, udfs.CALLER]
        assert args[-1]["vba"] == "Nothing"  # left out of the Excel signature and the MacroOptions help


def test_a_function_follows_the_rulebook_its_workbook_records(tmp_path, rulebooks):
    changed = rulebooks / "vp2025-gul.toml"
    caller = _caller(tmp_path, "följer-gul.xlsx", changed.name, hashlib.sha256(changed.read_bytes()).hexdigest())
    assert load_rulebook(changed).get("budget.thresholds.gul") == 97.6
    # without a caller (Python, the formulas engine, the server): the process's rulebook
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME) == "Röd"
    assert udfs.VP_RULE("budget.thresholds.gul") == 98.0
    # from a cell of the workbook that records vp2025-gul.toml, passed where xlwings passes it
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, caller) == "Gul"
    assert udfs.VP_BUDGETSTATUS([[BUDGET]], [[OUTCOME]], caller=caller) == [["Gul"]]
    assert udfs.VP_RULE("budget.thresholds.gul", caller) == 97.6
    assert "97,6" in udfs.VP_RULE("R5.band.gul", caller)
    # and the process's rulebook is in force again afterwards
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME) == "Röd"


def test_a_workbook_without_a_record_uses_the_process_rulebook(tmp_path, rulebooks):
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, _caller(tmp_path, "utan-regelbok.xlsx", None)) == "Röd"
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, _caller(tmp_path, "tom-b3.xlsx", "")) == "Röd"


@pytest.mark.parametrize("name, reason", [("vp2030.toml", "finns inte bland projektets regelböcker"),
                                          ("vp2025-trasig.toml", "går inte att använda: Regelboken vp2025-trasig")])
def test_a_recorded_rulebook_that_is_missing_or_broken_is_the_cells_error(tmp_path, rulebooks, name, reason):
    caller = _caller(tmp_path, "vp.xlsx", name)
    shown = udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, caller)
    assert shown.startswith(f"{udfs.ERROR_PREFIX}{L.RULEBOOK}!{B3}: '{name}' {reason}"), shown
    assert len(shown) <= udfs.MAX_TEXT
    assert udfs.VP_RULE("budget.thresholds.gul", caller) == shown  # every function of that workbook says it


def test_the_record_is_read_once_per_workbook_and_again_after_its_lifetime(tmp_path, rulebooks, monkeypatch):
    (tmp_path / "a").mkdir()
    following = _caller(tmp_path / "a", "vp.xlsx", "vp2025-gul.toml")
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, following) == "Gul"
    # the same workbook (same full name) now recording a missing file: within the lifetime, the first read
    missing = _caller(tmp_path / "a", "vp.xlsx", "vp2030.toml")
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, missing) == "Gul"
    monkeypatch.setattr(udfs, "RECORD_SECONDS", 0.0)
    assert udfs.VP_BUDGETSTATUS(BUDGET, OUTCOME, missing).startswith(udfs.ERROR_PREFIX + f"{L.RULEBOOK}!{B3}")


def test_an_extra_argument_that_is_no_cell_is_refused():
    """The formulas engine passes what a formula has: an extra value must not pass for the caller."""
    shown = udfs.VP_RULE("budget.thresholds.gul", "Extra")
    assert shown == f"{udfs.ERROR_PREFIX}VP_RULE: tar högst 1 argument."
