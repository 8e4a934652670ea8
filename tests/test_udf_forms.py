"""Insert Function help that tells the truth: every call a VP function's help shows (its declared
forms, `udfs.Form`) is typed into the example workbook and must give a value, and the help shows no
other call. The values come from the independent `formulas` engine calling the catalogue."""

import re
import shutil

import openpyxl
import pytest

from rules.errors import CELL_ERROR_PREFIX
from xl_addin import udfs
from xl_addin.vba_wrappers import DESCRIPTION_MAX, generate

from test_convert import EXAMPLE

pytest.importorskip("formulas")
from workbook.evaluate import calculate  # noqa: E402

FREE_COLUMN = "Z"   # right of every table in the example workbook
FIRST_FREE_ROW = 300


@pytest.fixture(scope="module")
def help_texts():
    _, infos = generate()   # what the add-in build writes: description and argument help
    return infos


def test_every_function_declares_its_forms_and_its_help_shows_only_those(help_texts):
    for func in udfs.CATALOGUE:
        assert func.forms, func.__name__
        info = help_texts[func.__name__]
        description = " ".join(info["ret"]["doc"].split())
        assert len(description) <= DESCRIPTION_MAX, func.__name__  # MacroOptions would cut a form off
        shown = re.findall(r"=(?:INDEX\()?VP_[A-Z_]+\([^()]*\)(?:;\d\))?", description)
        assert shown == [form.formula(func.__name__) for form in func.forms], func.__name__


def test_the_goal_functions_advertise_no_form_they_refuse(help_texts):
    docs = {name: {arg["name"]: arg["doc"] for arg in info["args"]} for name, info in help_texts.items()}
    assert "poäng" not in docs["VP_GOALEXPLAIN"]["mal"] and "färg" not in docs["VP_GOALEXPLAIN"]["tabell"]
    assert "färg" not in docs["VP_GOALSCORE"]["tabell"] and "poäng" in docs["VP_GOALSCORE"]["mal"]
    assert "färg" in docs["VP_GOALSTATUS"]["tabell"]


def test_every_documented_form_of_every_function_gives_a_value(tmp_path):
    path = tmp_path / "former.xlsx"
    shutil.copy(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    placed = {}
    row = FIRST_FREE_ROW
    for func in udfs.CATALOGUE:
        for form in func.forms:
            cell = f"{FREE_COLUMN}{row}"
            wb[form.sheet][cell] = form.formula(func.__name__, separator=",")
            placed[(form.sheet.upper(), cell)] = f"{form.formula(func.__name__)} på bladet {form.sheet}"
            row += 1
    wb.save(path)
    values = calculate(path)
    assert len(placed) == sum(len(func.forms) for func in udfs.CATALOGUE) > len(udfs.CATALOGUE)
    for key, what in placed.items():
        value = values.get(key)
        assert value is not None and value != "", what
        assert not (isinstance(value, str) and (value.startswith(CELL_ERROR_PREFIX) or value.startswith("#"))), \
            (what, value)
