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


@pytest.fixture(autouse=True)
def _kolada_on_loopback(monkeypatch, tmp_path):
    """No test reaches Kolada itself (only VP_KOLADA_LIVE=1 may): a test that does not start the local
    replay server gets a loopback address nobody listens on, and every test its own HTTP cache."""
    import os

    if not os.environ.get("VP_KOLADA_LIVE"):
        monkeypatch.setenv("VP_KOLADA_URL", "http://127.0.0.1:9/v3")
    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "kolada-cache.sqlite"))
