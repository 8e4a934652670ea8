"""Declared checks: findings that are not engine decisions, with their message from the rulebook.

A check (`[[checks]]` in the rulebook: id, about, text) looks at data rather than deciding a rule:
a cell that cannot be read, keys that do not fit together, a figure beside the plan's. The code says
which check found something and with which values; the sentence is the rulebook's, so no message a
person reads is written outside it. `{plats}` is always the place the finding is about.
"""

from .errors import EngineError, VPInputError, quote
from .records import Place, finding_at, places_text
from .text import render


def place_text(where):
    """A place as a message writes it: a Place, several Places, or an argument's name."""
    if isinstance(where, (list, tuple)) and where and all(isinstance(p, Place) for p in where):
        return places_text(where)
    return "" if where is None else str(where)


def check_message(book, check_id, where=None, **words):
    """The declared check's sentence with its placeholders filled; a check the rulebook does not
    declare, or a placeholder without a value, is a fault in the code (EngineError), not guessed."""
    check = book.checks.get(check_id)
    if check is None:
        raise EngineError(f"Kontrollen {check_id} finns inte i regelboken {book.path.name} ([[checks]]).")
    words = {key: ("" if value is None else value if isinstance(value, str) else str(value))
             for key, value in words.items()}
    words.setdefault("plats", place_text(where))
    missing = check.placeholders - set(words)
    unknown = set(words) - check.placeholders - {"plats"}
    if missing or unknown:
        raise EngineError(f"Kontrollen {check_id}: värden saknas för {sorted(missing)} eller är okända {sorted(unknown)}.")
    return render(book, check.text, words)


def check_finding(book, check_id, where, stated=None, computed=None, **words):
    """A Finding of a declared check about `where` (a Place, several Places, or a text)."""
    figures = {k: x for k, x in (("stated", stated), ("computed", computed)) if x is not None}
    return finding_at(check_id, where, check_message(book, check_id, where, **words), **figures)


def check_error(book, check_id, where, typed=None, **words):
    """A VPInputError of a declared check (a row that cannot be decided carries it); `typed` is what
    was typed, quoted shortened as {skrivet} when the check's text has it."""
    check = book.checks.get(check_id)
    if check is not None and "skrivet" in check.placeholders:
        words.setdefault("skrivet", "" if typed is None else quote(typed))
    message = check_message(book, check_id, where, **words)
    return VPInputError(where, typed, message, rule=check_id, message=message)
