"""R12: follow-up periods (plan 1.3: indicators are "återrapporteras i samband med delårsuppföljning,
årsrapport samt kvalitetsrapport"), read as typed.

A period is written "<name> <year>": a name of the rulebook's `followup.periods` and the plan's year
("Delår 1 2025", "Årsredovisning 2025"). Case and spaces do not matter, the rulebook's spelling is
what is stored, so "delår 1  2025" and "Delår 1 2025" are one period and history never splits on a
typing variant. Periods are ordered by the rulebook's list, not by when they were refreshed: the
previous period of "Årsredovisning 2025" is "Delår 2 2025" even if Delår 1 was corrected last.
"""

import re
from dataclasses import dataclass

from . import values as v
from .errors import VPInputError
from .rulebook import load_rulebook

_YEAR = re.compile(r"(?P<name>.*?)[ ,]+(?P<year>\d{4})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Period:
    """A follow-up period: its name as the rulebook spells it, its year, its place in the year; `month`
    (1-12) for a month of the economy's monthly follow-up (`followup.months`), 0 for the plan's periods.
    The two are ordered apart: a month is never the previous period of a Delår, nor a Delår of a month."""

    name: str
    year: int
    rank: int
    month: int = 0

    @property
    def is_month(self):
        return self.month > 0

    @property
    def text(self):
        return f"{self.name} {self.year}"

    @property
    def order(self):
        return (self.year, self.rank)

    def __str__(self):
        return self.text


def examples(book):
    """The plan year's periods as people should write them: "Delår 1 2025, … eller Årsredovisning 2025"."""
    names = [f"{name} {book.year}" for name in book.data["followup"]["periods"]]
    return ", ".join(names[:-1]) + " eller " + names[-1] if len(names) > 1 else names[0]


def parse_period(raw, where, book=None):
    """The period typed in a cell (or given on the command line); None when empty.

    Anything else than "<period name> <plan year>" is an error naming `where` and what was typed.
    """
    book = book or load_rulebook()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    hint = f"Skriv {examples(book)}."
    if not isinstance(raw, str):
        raise VPInputError(where, str(raw), "är ingen uppföljningsperiod.", hint, rule="R12")
    if len(raw) > 100:
        raise VPInputError(where, raw, "är för lång för att vara en uppföljningsperiod.", hint, rule="R12")
    match = _YEAR.fullmatch(v.normalize(raw))
    names = {v.fold(name): (rank, name, 0) for rank, name in enumerate(book.data["followup"]["periods"])}
    names.update({v.fold(name): (number, name, number)
                  for number, name in enumerate(book.data["followup"].get("months", []), start=1)})
    found = names.get(v.fold(match.group("name"))) if match else None
    if found is None:
        raise VPInputError(where, raw, "är ingen uppföljningsperiod.", hint, rule="R12")
    year = int(match.group("year"))
    if year != book.year:
        raise VPInputError(where, raw, f"gäller {year}, men arbetsboken och regelboken gäller planåret {book.year}.",
                           hint, rule="R12")
    rank, name, month = found
    return Period(name, year, rank, month)


def previous_period(periods, current):
    """The latest of `periods` of the same kind (a month, or one of the plan's periods) before `current`
    in the year's order, or None."""
    earlier = [p for p in periods if p.is_month == current.is_month and p.order < current.order]
    return max(earlier, key=lambda p: p.order) if earlier else None
