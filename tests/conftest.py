import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "workbook" / "data"


def read_csv(name):
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def plan_indicators():
    """The plan's 24 indicators as transcribed into workbook/data/indikatorer.csv."""
    return {row["Id"]: row for row in read_csv("indikatorer.csv")}
