"""The rules' sentences: a rule's `text` with its placeholders filled, and the rule id beside it."""

import re

from .rulebook import PLACEHOLDER, condition_parts
from .values import format_fixed, format_number, format_percent


_SPACES = re.compile(" {2,}")  # an empty placeholder leaves two spaces; no-break spaces are kept


def parameter_text(value, spec=""):
    """A rulebook parameter as a sentence writes it: {@x:2} two decimals, {@x:%} a percentage."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    if spec == "%":
        return format_percent(value)
    if spec.isdigit():
        return format_fixed(value, int(spec))
    return format_number(value)


_COMPILED = {}  # (rulebook, template) -> its parts: parameters filled once, names left to fill


def _compile(book, template):
    key = (book, template)
    parts = _COMPILED.get(key)
    if parts is None:
        parts, position = [], 0
        for match in PLACEHOLDER.finditer(template):
            parts.append((template[position:match.start()], None))
            name, spec = match.group(1), match.group(2) or ""
            if name.startswith("@"):
                parts.append((parameter_text(book.get(name[1:]), spec), None))
            else:
                parts.append(("", name))
            position = match.end()
        parts.append((template[position:], None))
        parts = tuple(parts)
        if len(_COMPILED) > 4096:
            _COMPILED.clear()
        _COMPILED[key] = parts
    return parts


def render(book, template, values=None):
    """Fill {name} from `values` (already written for people) and {@path} from the rulebook."""
    values = values or {}
    text = "".join(literal if name is None else str(values.get(name, "")) for literal, name in _compile(book, template))
    return _SPACES.sub(" ", text).strip() if "  " in text or text[:1] == " " or text[-1:] == " " else text


class Explanation(str):
    """The explanation people read in the workbook: the sentence, then the id of the rule that decided.

    It keeps its parts, so the board's report can say the sentence alone and list the ids in its
    appendix (never by cutting the text apart)."""

    __slots__ = ("sentence", "rule")

    def __new__(cls, sentence, rule_id):
        text = super().__new__(cls, f"{sentence} (regel {rule_id})")
        text.sentence, text.rule = sentence, rule_id
        return text

    def __reduce__(self):  # pickles as itself (the server's worker processes)
        return Explanation, (self.sentence, self.rule)


def with_rule(sentence, rule_id):
    """The explanation people read: the sentence, then the id of the rule that decided."""
    return Explanation(sentence, rule_id)


def sentence_of(explanation):
    """An explanation without its rule id (the sentence as the rule says it)."""
    return getattr(explanation, "sentence", explanation)


def describe(book, rule):
    """A rule as VP_RULE and the Regler sheet show it: id, what it says, and what it gives; a declared
    check (rulebook.Check): id, what it looks for, and that it gives a finding."""
    if not hasattr(rule, "then"):
        return f"{rule.id}: {render(book, rule.about)} Ger: ett fynd (kontroll, inget beslut)."
    return f"{rule.id}: {render(book, rule.about)} Ger: {outcome_text(rule)}."


_SYMBOLS = {"eq": "=", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def condition_text(rule):
    """A rule's condition as people read it: "riktvarde = oka och utfall > ingaende_hog"."""
    parts = []
    for fact, op, operand in condition_parts(rule):
        if op == "in":
            parts.append(f"{fact} är {' eller '.join(map(str, operand))}")
        else:
            shown = operand[1:] if isinstance(operand, str) and operand.startswith("@") else operand
            parts.append(f"{fact} {_SYMBOLS[op]} {format_number(shown) if isinstance(shown, float) else shown}")
    return " och ".join(parts) if parts else "alltid (beslutets sista regel)"


def outcome_text(rule):
    return ", ".join(f"{k} = {v}" for k, v in rule.then.items())
