"""Layers that point one way: `rules/` knows no sheet, header, file format or Excel; every decision
of a refresh goes through durable-rules and every explanation names the rule that decided."""

import ast
import re
import shutil
from pathlib import Path

from rules.engine import Engine
from rules.rulebook import load_rulebook
from workbook import layout as L
from workbook.refresh import run_refresh
from workbook.xlsx import XlsxBook

ROOT = Path(__file__).resolve().parent.parent
RULES = sorted((ROOT / "rules").glob("*.py"))


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_rules_import_no_adapter_and_no_table_library():
    for path in RULES:
        for module in _imports(path):
            top = module.split(".")[0]
            assert top not in {"workbook", "xl_addin", "pandas", "openpyxl", "xlwings", "formulas"}, (path.name, module)


def test_only_the_engine_module_imports_durable_rules():
    users = [p.name for p in (ROOT / "rules").glob("*.py") for m in _imports(p) if m.split(".")[0] == "durable"]
    others = [p for d in ("workbook", "xl_addin") for p in (ROOT / d).rglob("*.py")
              if any(m.split(".")[0] == "durable" for m in _imports(p))]
    assert users == ["engine.py"] and others == []


def test_rules_name_no_sheet_and_no_header_of_the_workbook():
    # ("KF-mål" and "Nämndmål" are the plan's own words for the goals, so messages may use them.)
    layout_words = {L.INDICATORS, L.BUDGET, L.OVERVIEW, L.FINDINGS, L.LOG, L.RULEBOOK, L.SAVING,
                    L.BASELINE, L.target_column(2025), L.ACTUAL, L.PROPOSAL, L.AREA, L.BUDGET_NOV, L.CHANGE}
    for path in RULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not any(re.search(rf"\b{re.escape(w)}\b", node.value) for w in layout_words), (path.name, node.value)


def test_a_refresh_makes_a_durable_rules_decision_per_item_and_names_the_rule(tmp_path):
    """Memo off: every indicator, goal, KF goal and budget row is decided by a rule firing."""
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(ROOT / "workbook" / "VP2025-exempel.xlsx", path)
    engine = Engine(load_rulebook(), memo_size=0)
    result = run_refresh(XlsxBook(path, read_only=True), write=False, engine=engine)
    counts = {level: sum(1 for row in result.overview if row[0] == level)
              for level in (L.LEVEL_INDICATOR, L.LEVEL_GOAL, L.LEVEL_KF)}
    assert counts == {L.LEVEL_INDICATOR: 24, L.LEVEL_GOAL: 6, L.LEVEL_KF: 6}
    assert engine.posts["indikator"] >= 24
    assert engine.posts["mal"] >= 6
    assert engine.posts["kf"] >= 6
    assert engine.posts["budgetrad"] >= 15  # every row of the internal budget: in the saving's base or not
    assert engine.posts["budget"] >= 11     # every row with a prognosis: its adherence colour
    assert engine.posts["avstamning"] >= 12 + 15  # every stated sum per column, every row's change
    book = load_rulebook()
    for row in result.overview:
        rule = row[8]
        assert rule in book.by_id, row
        assert row[7].endswith(f"(regel {rule})"), row
    assert all(f.rule for f in result.findings)
