"""Plain records: where a value came from, the rows the rules read, and findings.

The rules read rows of values as typed (never sheets or headers); the workbook layer fills these
records from whatever table it found, and says for each field where it came from, so that messages
can name the cell.
"""

from dataclasses import dataclass, field

from .errors import VPInputError


@dataclass(frozen=True, slots=True)
class Place:
    """A cell: Indikatorer!K7."""

    sheet: str
    cell: str

    def __str__(self):
        return f"{self.sheet}!{self.cell}" if self.sheet else self.cell


def places_text(places):
    """Several places as a message writes them: "Indikatorer!P5 och Indikatorer!P9"."""
    return " och ".join(str(p) for p in places)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a person should look at: the rule that found it, the sheet and cell(s), a Swedish
    message. Code reads the fields; nothing parses the message."""

    rule: str
    sheet: str
    cell: str
    message: str
    stated: object = None            # R10, R8: the figure as stated (an exact Decimal) ...
    computed: object = None          # ... and as computed from the rows

    @property
    def where(self):
        """The place(s) as a message writes them: "Indikatorer!P5 och Indikatorer!P9"."""
        if self.sheet and self.cell:
            return " och ".join(f"{self.sheet}!{cell}" for cell in self.cell.split(" och "))
        return self.sheet or self.cell


def finding_at(rule, where, message, **figures):
    """A finding about `where`: a Place, several Places (same sheet), or a text such as an argument."""
    if isinstance(where, Place):
        return Finding(rule, where.sheet, where.cell, message, **figures)
    if isinstance(where, (list, tuple)) and where and all(isinstance(p, Place) for p in where):
        sheets = {p.sheet for p in where}
        if len(sheets) == 1:
            return Finding(rule, where[0].sheet, " och ".join(p.cell for p in where), message, **figures)
        return Finding(rule, "", places_text(where), message, **figures)
    return Finding(rule, "", "" if where is None else str(where), message, **figures)


def finding_of(exc):
    """A VPInputError as a finding: its rule, its place, its message."""
    return finding_at(getattr(exc, "rule", "R1"), getattr(exc, "where", ""), str(exc))


def read_or_find(findings, reader, *args, **kwargs):
    """A reader's value, or None with its error added to `findings`: one bad cell does not stop a check."""
    try:
        return reader(*args, **kwargs)
    except VPInputError as exc:
        findings.append(finding_of(exc))
        return None


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One indicator as typed. `places` maps a field name to where it was typed (for messages)."""

    id: object = None
    kf: object = None
    goal: object = None
    name: object = None
    baseline: object = None
    target: object = None
    outcome: object = None
    activities: object = None
    dominant: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)


@dataclass(frozen=True, slots=True)
class KFRow:
    """One KF goal as typed: its number, its board goal (empty: none), a manual judgement."""

    kf: object = None
    goal: object = None
    override: object = None
    motivation: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One row of the internal budget: an activity (Rad) or a stated sum (Summa) of an area (LSS,
    SoL or neither), its amounts by column (`amounts`: column -> value as typed) and utfall."""

    area: object = None
    law: object = None
    kind: object = None
    volume_based: object = None
    amounts: dict = field(default_factory=dict)
    actual: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)


@dataclass(frozen=True, slots=True)
class FrameRow:
    """One step of the frame adjustments (ramjusteringar): its label (Start, Justering, Summa as
    typed), its text and its amount."""

    step: object = None
    text: object = None
    amount: object = None
    kind: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)


@dataclass(frozen=True, slots=True)
class AnalysisRow:
    """One row of the board's analysis (R13): the period and KF goal it is about, optionally a board
    goal or an indicator, the written judgement, an action with who and by when."""

    period: object = None
    kf: object = None
    goal: object = None
    indicator: object = None
    text: object = None
    action: object = None
    responsible: object = None
    due: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """One fixing or reopening of a period (R14), as recorded."""

    period: object = None
    event: object = None
    by: object = None
    time: object = None
    decision: object = None
    reason: object = None
    rulebook: object = None
    checksum: object = None
    rows: object = None
    places: dict = field(default_factory=dict)

    def place(self, name):
        return self.places.get(name, name)
