"""Every id a person sees is declared in the rulebook (a rule or a [[checks]] entry): this walks every
finding, explanation and error produced by the VP function catalogue (the example's sample calls and
their bad variants), the example workbook's refresh, the differential edits (tests/test_differential)
and the hostile corpus (tests/test_file_hostile, bench/hostile.py's mutations), and fails on an id the
rulebook does not declare."""

import random
import re
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest

from rules import errors
from rules.errors import VPError
from rules.rulebook import load_rulebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "server"))   # server_helpers: the catalogue's sample calls
sys.path.insert(0, str(HERE.parent / "bench"))

import hostile  # noqa: E402
from server_helpers import INDICATOR_HEADERS, OMIT, bad_calls, sample_calls, table  # noqa: E402
from test_differential import EDITS  # noqa: E402
from test_file_hostile import CASES, merged_in_table  # noqa: E402

from workbook.refresh import run_refresh  # noqa: E402
from workbook.xlsx import XlsxBook  # noqa: E402
from xl_addin import udfs  # noqa: E402

EXAMPLE = HERE.parent / "workbook" / "VP2025-exempel.xlsx"
EXPLAINED = re.compile(r"\(regel ([^()\s]+)\)")


@pytest.fixture
def seen(monkeypatch):
    """{id: where it was seen}: every VPInputError raised anywhere records its rule id."""
    found = {}
    original = errors.VPInputError.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        found.setdefault(self.rule, f"fel: {self}")

    monkeypatch.setattr(errors.VPInputError, "__init__", recording)
    return found


def _texts(found, value, where):
    if isinstance(value, (list, tuple)):
        for item in value:
            _texts(found, item, where)
    elif isinstance(value, str):
        for ident in EXPLAINED.findall(value):
            found.setdefault(ident, f"{where}: {value}")


def _refresh(found, path, label):
    try:
        result = run_refresh(XlsxBook(path), write=False)
    except VPError:
        return False
    for f in result.findings:
        found.setdefault(f.rule, f"{label}, fynd: {f.message}")
        _texts(found, f.message, label)
    for row in result.overview:
        if row[8]:
            found.setdefault(row[8], f"{label}, översikt: {row}")
        _texts(found, row[7], label)
    for trend in result.follow.trends.values() if result.follow else ():
        if trend is not None:
            found.setdefault(trend.rule, f"{label}, trend")
            _texts(found, trend.explanation, label)
    if result.budget:
        for line in result.budget.lines:
            if line.result:
                found.setdefault(line.result.rule, f"{label}, budget")
                _texts(found, line.result.explanation, label)
        if result.budget.total:
            found.setdefault(result.budget.total.rule, f"{label}, budget totalt")
    return True


def _undeclared(found):
    book = load_rulebook()
    return {ident: where for ident, where in found.items() if not book.declares(ident)}


def test_the_catalogue_shows_only_declared_ids(seen):
    indicators = table(EXAMPLE, "Indikatorer", INDICATOR_HEADERS)
    samples = sample_calls(EXAMPLE, indicators)
    calls = 0
    for func in udfs.CATALOGUE:
        for call in samples[func.__name__][:40]:
            for variant in [call, *bad_calls(call)[:12]]:
                args = [None if a is OMIT else a for a in variant]
                while args and variant[len(args) - 1] is OMIT:
                    args.pop()
                _texts(seen, func(*args), func.__name__)
                calls += 1
    book = load_rulebook()
    for ident in [*book.by_id, *book.checks]:
        _texts(seen, f"(regel {udfs.VP_RULE(ident).split(':')[0]})", "VP_RULE")
    assert calls > 500 and "R2.oka.met" in seen and "R1" in seen  # the walk saw decisions and errors
    assert not _undeclared(seen)


def test_the_example_and_the_differential_edits_show_only_declared_ids(seen, tmp_path):
    assert _refresh(seen, EXAMPLE, "exemplet")
    for name, edit in EDITS.items():
        path = tmp_path / f"{name}.xlsx"
        shutil.copy(EXAMPLE, path)
        wb = openpyxl.load_workbook(path)
        edit(wb)
        wb.save(path)
        assert _refresh(seen, path, name)
    expected = {"R5.sanning.avviker", "R8.besparing.skillnad", "R3.dominant.flera", "R3.nyckel.kf_stammer_inte",
                "R4.fel.motivering_saknas", "R3.ej_bedomd.inga_indikatorer", "R1"}
    assert expected <= set(seen)
    assert not _undeclared(seen)


def test_the_hostile_corpus_shows_only_declared_ids(seen, tmp_path):
    refreshed = 0
    for name, (make, _) in CASES.items():
        refreshed += _refresh(seen, make(tmp_path / f"{len(seen)}-{abs(hash(name))}.xlsx"), name)
    refreshed += _refresh(seen, merged_in_table(tmp_path / "merged.xlsx"), "merged")
    rng = random.Random(14)
    for number in range(30):
        path = tmp_path / f"mutation-{number}.xlsx"
        kind = hostile.mutate(path, rng)
        refreshed += _refresh(seen, path, f"mutation {number} ({kind})")
    assert refreshed >= 3  # some damaged files still open: their findings are walked too
    assert not _undeclared(seen)
