"""Declared checks ([[checks]] in the rulebook): loaded and validated with the rules, shown by VP_RULE
and the Regler sheet, and the only source of a check's message."""

import os

import openpyxl
import pytest

from rules.checks import check_error, check_finding
from rules.errors import EngineError, RulebookError
from rules.records import Place
from rules.rulebook import load_rulebook, rulebook_path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from workbook import layout as L  # noqa: E402
from xl_addin import udfs  # noqa: E402

CHECK = '''
[[checks]]
id = "{id}"
about = "{about}"
text = "{text}"
'''


def _with(tmp_path, *entries):
    path = tmp_path / "vp2025.toml"
    path.write_text(rulebook_path().read_text(encoding="utf-8") + "".join(entries), encoding="utf-8")
    return path


@pytest.mark.parametrize("entry, fragment", [
    (CHECK.format(id="R3.nyckel.id_saknas", about="igen", text="{plats}"), "finns två gånger"),
    (CHECK.format(id="R2.oka.met", about="krock", text="{plats}"), "samma id som en regel"),
    (CHECK.format(id="fel id", about="x", text="{plats}"), "ska se ut som"),
    (CHECK.format(id="R9.x", about="x", text="{@saving.finns_inte}"), "saving.finns_inte"),
    (CHECK.format(id="R9.x", about="{plats}", text="x"), "'about' får bara nämna parametrar"),
    (CHECK.format(id="R9.x", about="x", text="{Plats Två}"), "små bokstäver"),
    (CHECK.format(id="R9.x", about="", text="x"), "saknar 'about'"),
    (CHECK.format(id="R9.x", about="x", text="x") + 'extra = 1\n', "okända fält: extra"),
])
def test_a_wrong_check_stops_the_load_naming_it(tmp_path, entry, fragment):
    with pytest.raises(RulebookError) as caught:
        load_rulebook(_with(tmp_path, entry))
    assert fragment in str(caught.value)


def test_a_check_declared_only_in_the_toml_is_loaded_and_renders(tmp_path):
    book = load_rulebook(_with(tmp_path, CHECK.format(
        id="R9.prov", about="Prövar {@saving.rate:%}.", text="{plats}: {vad} är fel (gräns {@saving.rate:%}).")))
    finding = check_finding(book, "R9.prov", Place("Blad", "C3"), vad="värdet")
    assert (finding.rule, finding.sheet, finding.cell) == ("R9.prov", "Blad", "C3")
    assert finding.message == "Blad!C3: värdet är fel (gräns 3\u00a0%)."
    error = check_error(book, "R9.prov", "arg", vad="x")
    assert error.rule == "R9.prov" and str(error) == "arg: x är fel (gräns 3\u00a0%)."


def test_undeclared_check_or_missing_value_is_a_fault_not_a_guess():
    book = load_rulebook()
    with pytest.raises(EngineError, match="finns inte i regelboken"):
        check_finding(book, "R3.nyckel.finns_inte", "A1")
    with pytest.raises(EngineError, match="saknas"):
        check_finding(book, "R3.dominant.flera", "A1", mal="N1")  # antal missing
    with pytest.raises(EngineError, match="okända"):
        check_finding(book, "R3.nyckel.id_saknas", "A1", extra="x")


def test_vp_rule_shows_a_check():
    text = udfs.VP_RULE("R3.nyckel.id_saknas")
    assert text.startswith("R3.nyckel.id_saknas: Varje indikator behöver ett eget Id")
    assert "fynd" in text


def test_the_regler_sheet_lists_every_check():
    ws = openpyxl.load_workbook(os.path.join(os.path.dirname(L.__file__), "VP2025.xlsx"))[L.RULES]
    ids = {row[0] for row in ws.iter_rows(values_only=True) if row and row[0]}
    book = load_rulebook()
    assert set(book.checks) <= ids and set(book.by_id) <= ids
