"""The rulebook: the plan's rules and their parameters, read from a TOML file per plan year.

Economists edit the TOML; this module checks it so a wrong edit stops the engine with a message that
names the entry or the rule, instead of grading with a broken threshold. The rules themselves are
checked against `facts.DECISIONS` (which facts a decision has, which outcomes it gives); that they
decide what their examples say is checked by the engine at start (`selftest`).
"""

import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import RulebookError
from .facts import COUNT, DECISIONS, FLAG, NUMBER, WORD

RULEBOOK_DIR = Path(__file__).parent / "rulebook"
DEFAULT_YEAR = 2025
COMPARISONS = ("gt", "ge", "lt", "le")
RULE_ID = re.compile(r"R\d+(\.[a-z0-9_]+)+")
CHECK_ID = re.compile(r"R\d+(\.[a-z0-9_]+)*")  # a check may name a whole section ("R1": reading a cell)
PLACEHOLDER = re.compile(r"\{(@?[^{}:]+)(?::([^{}]*))?\}")


@dataclass(frozen=True, eq=False)
class Rule:
    """One declared rule: the engine fires it when `when` holds and no earlier rule of its decision did."""

    id: str
    decision: str
    order: int
    about: str
    when: dict
    then: dict
    text: str
    villkor: str
    examples: tuple


@dataclass(frozen=True, eq=False)
class Check:
    """A declared check that is not an engine decision (reading a cell, keys that do not fit, a figure
    beside the plan's): its id, what it looks for (`about`) and its message (`text`, with {placeholders}
    filled by `rules.checks`), so every id and message a person sees is in the rulebook."""

    id: str
    about: str
    text: str
    placeholders: frozenset


@dataclass(frozen=True, eq=False)
class Rulebook:
    """The parsed rulebook; `data` is the TOML as read, `rules` the rules per decision in order,
    `checks` the declared checks by id."""

    path: Path
    data: dict
    rules: dict
    by_id: dict
    checks: dict = field(default_factory=dict)

    def declares(self, ident):
        """Is `ident` a declared rule or check id (every id a person sees must be)?"""
        return ident in self.by_id or ident in self.checks

    @property
    def year(self):
        return self.data["plan"]["year"]

    def get(self, dotted):
        """The value at a dotted path such as "budget.round_decimals"."""
        node = self.data
        for part in dotted.split("."):
            if isinstance(node, list):
                if not part.isascii() or not part.isdigit() or int(part) >= len(node):
                    raise KeyError(dotted)
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(dotted)
        return node

    def rule(self, rule_id):
        return self.by_id[rule_id]

    def paths(self, node=None, prefix=""):
        """Every dotted path to a parameter (rules excluded), for listing the rulebook on a sheet."""
        node = {k: v for k, v in self.data.items() if k not in ("rules", "checks")} if node is None else node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            path = f"{prefix}{key}"
            if isinstance(value, (dict, list)) and not _is_leaf_list(value):
                yield from self.paths(value, path + ".")
            else:
                yield path, value


def _is_leaf_list(value):
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def rulebook_path(year=DEFAULT_YEAR):
    return RULEBOOK_DIR / f"vp{year}.toml"


def load_rulebook(path=None):
    """Read and check a rulebook; the default is the 2025 plan's.

    Read again when the file has changed (its modification time and size), so an economist's edit
    takes effect at the next calculation in every process — Excel's UDF server included.
    """
    path = Path(path) if path else rulebook_path()
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise RulebookError(f"Regelboken finns inte: {path}") from None
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path, mtime_ns, size):
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RulebookError(f"Regelboken finns inte: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulebookError(f"Regelboken {path.name} går inte att läsa: {exc}") from None
    rules, by_id = _read_rules(path.name, data)
    checks = _read_checks(path.name, data, by_id)
    book = Rulebook(path=path, data=data, rules=rules, by_id=by_id, checks=checks)
    _validate(book)
    _validate_rules(book)
    _validate_checks(book)
    return book


# --- parameters --------------------------------------------------------------------------------------
def _need(book, dotted, kind):
    try:
        value = book.get(dotted)
    except KeyError:
        raise RulebookError(f"Regelboken {book.path.name} saknar '{dotted}'.") from None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise RulebookError(f"Regelboken {book.path.name}: '{dotted}' ska vara ett tal, inte {value!r}.")
    if not isinstance(value, kinds):
        raise RulebookError(f"Regelboken {book.path.name}: '{dotted}' har fel typ ({value!r}).")
    if isinstance(value, float) and not math.isfinite(value):
        raise RulebookError(f"Regelboken {book.path.name}: '{dotted}' måste vara ett ändligt tal.")
    return value


def _fail(book, message):
    raise RulebookError(f"Regelboken {book.path.name}: {message}")


def _validate(book):
    number = (int, float)
    _need(book, "plan.year", int)
    _need(book, "plan.name", str)
    _need(book, "plan.board", str)
    for key in ("no_value_words", "all_words", "yes_words", "no_words", "prefix_words"):
        if not all(isinstance(w, str) and w.strip() for w in _need(book, f"values.{key}", list)):
            _fail(book, f"'values.{key}' ska vara en lista med ord.")
    for key in ("yes_words", "no_words"):
        if not book.get(f"values.{key}"):
            _fail(book, f"'values.{key}' får inte vara tom.")
    _need(book, "values.share_word", str)
    _need(book, "values.plain_vs_percent_limit", number)
    if not 0 < _need(book, "values.max_abs_value", number) <= 1e12:
        _fail(book, "'values.max_abs_value' ska vara större än 0 och högst 1e12 (regelmotorn räknar i miljondelar).")
    for key in ("max_text_length", "quote_length"):
        if _need(book, f"values.{key}", int) <= 0:
            _fail(book, f"'values.{key}' ska vara större än 0.")
    for word, value in _need(book, "values.number_words", dict).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _fail(book, f"talordet '{word}' ska ha ett heltal, inte {value!r}.")
    for table in ("indicator.target_words", "indicator.target_operators"):
        for word, kind in _need(book, table, dict).items():
            if not isinstance(kind, str) or not re.fullmatch(r"[a-z_]+", kind):
                _fail(book, f"'{table}.{word}' = {kind!r} ska vara ett namn med små bokstäver (a-z, _).")
    _need(book, "indicator.target_numeric.default_kind", str)
    _need(book, "indicator.tolerance.prefixes", list)
    _need(book, "indicator.empty_activities_are", bool)
    for name, verdict in _need(book, "indicator.verdicts", dict).items():
        where = f"indicator.verdicts.{name}"
        if "grade" in verdict:
            grade = _need(book, f"{where}.grade", number)
            if not 0 <= grade <= 1:
                _fail(book, f"'{where}.grade' ska ligga mellan 0 och 1.")
        _need(book, f"{where}.colour", str)
        _need(book, f"{where}.label", str)
    _need(book, "goal.round_decimals", int)
    statuses = _need(book, "goal.statuses", list)
    if len(statuses) < 2 or not all(isinstance(s, str) and s for s in statuses):
        _fail(book, "'goal.statuses' ska vara en lista med statusar, bäst först.")
    _need(book, "goal.office", str)
    for note in ("several_dominants", "dominant_error", "errors_left_out"):
        _need(book, f"goal.notes.{note}", str)
    for name in _need(book, "goal.thresholds", dict):
        _need(book, f"goal.thresholds.{name}", number)
    for status in _need(book, "kf.override_statuses", list):
        if status not in statuses:
            _fail(book, f"'kf.override_statuses' har okänd status {status!r}.")
    for name in ("override", "board_goal", "indicative"):
        _need(book, f"kf.sources.{name}", str)
    _need(book, "budget.round_decimals", int)
    for label in ("surplus_label", "deficit_label"):
        _need(book, f"budget.{label}", str)
    if _need(book, "budget.truth_tolerance_points", number) < 0:
        _fail(book, "'budget.truth_tolerance_points' får inte vara negativ.")
    for name in _need(book, "budget.thresholds", dict):
        _need(book, f"budget.thresholds.{name}", number)
    for split in ("splits.lss_sol", "splits.staff"):
        shares = _need(book, split, dict)
        for part, share in shares.items():
            if not isinstance(share, number) or isinstance(share, bool) or not 0 <= share <= 1:
                _fail(book, f"andelen '{split}.{part}' ska vara mellan 0 och 1.")
        if abs(sum(shares.values()) - 1) > 1e-9:
            _fail(book, f"andelarna i '{split}' summerar inte till 1.")
    _need(book, "splits.default_decimals", int)
    _need(book, "splits.max_decimals", int)
    _need(book, "saving.rate", number)
    _need(book, "saving.decimals", int)
    _need(book, "saving.stated", number)
    if _need(book, "price.months_in_year", int) <= 0:
        _fail(book, "'price.months_in_year' ska vara större än 0.")
    if _need(book, "reconciliation.tolerance", number) < 0:
        _fail(book, "'reconciliation.tolerance' får inte vara negativ.")
    periods = _need(book, "followup.periods", list)
    if not periods or not all(isinstance(p, str) and p.strip() for p in periods):
        _fail(book, "'followup.periods' ska vara en lista med periodernas namn i årets ordning (Delår 1, …).")
    if len({" ".join(p.split()).casefold() for p in periods}) != len(periods):
        _fail(book, "'followup.periods' har samma period två gånger.")
    months = book.data["followup"].get("months", [])
    if not isinstance(months, list) or len(months) not in (0, 12) or not all(isinstance(m, str) and m.strip()
                                                                              for m in months):
        _fail(book, "'followup.months' ska vara årets tolv månader i ordning (Januari, …, December), eller saknas.")
    if len({" ".join(p.split()).casefold() for p in periods + months}) != len(periods) + len(months):
        _fail(book, "'followup.months' har en månad två gånger eller samma namn som en period.")
    for name, verdict in _need(book, "trend.verdicts", dict).items():
        _need(book, f"trend.verdicts.{name}.arrow", str)
        _need(book, f"trend.verdicts.{name}.label", str)
    for label, symbol in _need(book, "symbols", dict).items():
        if not isinstance(symbol, str) or not symbol.strip():
            _fail(book, f"'symbols.{label}' ska vara ett tecken, t.ex. ✔.")
    for label, colour in _need(book, "fills", dict).items():
        if not isinstance(colour, str) or not re.fullmatch(r"[0-9A-Fa-f]{6}", colour):
            _fail(book, f"'fills.{label}' = {colour!r} ska vara en färg som RRGGBB (t.ex. C6EFCE).")


# --- rules -------------------------------------------------------------------------------------------
def _read_rules(name, data):
    declared = data.get("rules")
    if not isinstance(declared, dict) or not declared:
        raise RulebookError(f"Regelboken {name} saknar regler ([[rules.<beslut>]]).")
    rules, by_id = {}, {}
    for decision, entries in declared.items():
        if decision not in DECISIONS:
            raise RulebookError(f"Regelboken {name}: beslutet 'rules.{decision}' är okänt; "
                                f"kända beslut: {', '.join(DECISIONS)}.")
        if not isinstance(entries, list) or not entries:
            raise RulebookError(f"Regelboken {name}: 'rules.{decision}' ska vara en lista av regler.")
        out = []
        for order, entry in enumerate(entries):
            where = f"rules.{decision}.{order}"
            if not isinstance(entry, dict):
                raise RulebookError(f"Regelboken {name}: '{where}' ska vara en regel.")
            rule_id = entry.get("id")
            if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
                raise RulebookError(f"Regelboken {name}: '{where}.id' = {rule_id!r} ska se ut som R2.oka.met.")
            if rule_id in by_id:
                raise RulebookError(f"Regelboken {name}: regeln {rule_id} finns två gånger.")
            unknown = set(entry) - {"id", "about", "when", "then", "text", "villkor", "examples"}
            if unknown:
                raise RulebookError(f"Regelboken {name}: regeln {rule_id} har okända fält: {', '.join(sorted(unknown))}.")
            for field_name in ("about", "text"):
                if not isinstance(entry.get(field_name), str) or not entry[field_name].strip():
                    raise RulebookError(f"Regelboken {name}: regeln {rule_id} saknar '{field_name}'.")
            when, then = entry.get("when", {}), entry.get("then")
            if not isinstance(when, dict) or not isinstance(then, dict) or not then:
                raise RulebookError(f"Regelboken {name}: regeln {rule_id} ska ha 'then' (och 'when') som tabeller.")
            examples = entry.get("examples")
            if not isinstance(examples, list) or not examples or not all(isinstance(e, dict) for e in examples):
                raise RulebookError(f"Regelboken {name}: regeln {rule_id} saknar exempel ('examples').")
            rule = Rule(rule_id, decision, order, entry["about"], when, then, entry["text"],
                        entry.get("villkor", ""), tuple(examples))
            out.append(rule)
            by_id[rule_id] = rule
        rules[decision] = tuple(out)
    return rules, by_id


# --- checks ------------------------------------------------------------------------------------------
def _read_checks(name, data, rule_ids):
    declared = data.get("checks", [])
    if not isinstance(declared, list) or not all(isinstance(entry, dict) for entry in declared):
        raise RulebookError(f"Regelboken {name}: 'checks' ska vara en lista av kontroller ([[checks]]).")
    checks = {}
    for position, entry in enumerate(declared):
        check_id = entry.get("id")
        if not isinstance(check_id, str) or not CHECK_ID.fullmatch(check_id):
            raise RulebookError(f"Regelboken {name}: 'checks.{position}.id' = {check_id!r} ska se ut som R3.nyckel.id_saknas.")
        if check_id in checks:
            raise RulebookError(f"Regelboken {name}: kontrollen {check_id} finns två gånger.")
        if check_id in rule_ids:
            raise RulebookError(f"Regelboken {name}: kontrollen {check_id} har samma id som en regel; välj ett annat id.")
        unknown = set(entry) - {"id", "about", "text"}
        if unknown:
            raise RulebookError(f"Regelboken {name}: kontrollen {check_id} har okända fält: {', '.join(sorted(unknown))}.")
        for field_name in ("about", "text"):
            if not isinstance(entry.get(field_name), str) or not entry[field_name].strip():
                raise RulebookError(f"Regelboken {name}: kontrollen {check_id} saknar '{field_name}'.")
        names = frozenset(p for p, _ in PLACEHOLDER.findall(entry["text"]) if not p.startswith("@"))
        checks[check_id] = Check(check_id, entry["about"], entry["text"], names)
    return checks


def _validate_checks(book):
    for check in book.checks.values():
        for field_name in ("text", "about"):
            for placeholder, _ in PLACEHOLDER.findall(getattr(check, field_name)):
                if placeholder.startswith("@"):
                    try:
                        book.get(placeholder[1:])
                    except KeyError:
                        _fail(book, f"kontrollen {check.id}: '{field_name}' nämner {{{placeholder}}}, som inte finns "
                                    "i regelboken.")
                elif field_name == "about":
                    _fail(book, f"kontrollen {check.id}: 'about' får bara nämna parametrar ({{@...}}).")
                elif not re.fullmatch(r"[a-z_][a-z0-9_]*", placeholder):
                    _fail(book, f"kontrollen {check.id}: '{{{placeholder}}}' ska vara ett namn med små bokstäver "
                                "(a-z, 0-9, _).")


def condition_parts(rule):
    """The rule's condition as (fact, operator, operand) triples; operator "eq", "in" or a comparison."""
    for fact, spec in rule.when.items():
        if isinstance(spec, dict):
            for op, operand in spec.items():
                yield fact, op, operand
        elif isinstance(spec, list):
            yield fact, "in", spec
        else:
            yield fact, "eq", spec


def parameter_number(book, reference, rule_id):
    """The number a "@path" operand refers to."""
    path = reference[1:]
    try:
        value = book.get(path)
    except KeyError:
        raise RulebookError(f"Regelboken {book.path.name}: regeln {rule_id} hänvisar till '{path}', "
                            "som inte finns.") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RulebookError(f"Regelboken {book.path.name}: regeln {rule_id} hänvisar till '{path}', som inte är ett tal.")
    return value


def _validate_rules(book):
    for decision, rules in book.rules.items():
        spec = DECISIONS[decision]
        for rule in rules:
            fail = lambda message, rule=rule: _fail(book, f"regeln {rule.id}: {message}")  # noqa: E731
            for fact, op, operand in condition_parts(rule):
                kind = spec.facts.get(fact)
                if kind is None:
                    fail(f"'{fact}' är inget faktum i beslutet {decision} (finns: {', '.join(spec.facts)}).")
                if op in ("eq", "in"):
                    for value in operand if op == "in" else [operand]:
                        _check_literal(book, kind, fact, value, fail)
                elif op in COMPARISONS:
                    if kind.kind not in (NUMBER, COUNT):
                        fail(f"'{fact}' går inte att jämföra med {op}.")
                    if isinstance(operand, str) and operand.startswith("@"):
                        parameter_number(book, operand, rule.id)
                    elif isinstance(operand, str):
                        other = spec.facts.get(operand)
                        if other is None or other.kind != kind.kind or other.decimals_in(book) != kind.decimals_in(book):
                            fail(f"'{fact}' kan inte jämföras med '{operand}' (inte ett faktum med samma enhet).")
                    elif isinstance(operand, bool) or not isinstance(operand, (int, float)):
                        fail(f"'{fact}' jämförs med {operand!r}, som inte är ett tal.")
                else:
                    fail(f"okänd jämförelse '{op}' (tillåtna: {', '.join(COMPARISONS)}).")
            for outcome, value in rule.then.items():
                check = spec.outcomes.get(outcome)
                if check is None:
                    fail(f"'{outcome}' är inget utfall av beslutet {decision} (finns: {', '.join(spec.outcomes)}).")
                problem = check(book, value)
                if problem:
                    fail(problem + ".")
            for field_name in ("text", "villkor", "about"):
                for placeholder, _ in PLACEHOLDER.findall(getattr(rule, field_name)):
                    if placeholder.startswith("@"):
                        try:
                            book.get(placeholder[1:])
                        except KeyError:
                            fail(f"'{field_name}' nämner {{{placeholder}}}, som inte finns i regelboken.")
                    elif field_name == "about":
                        fail("'about' får bara nämna parametrar ({@...}).")
                    elif placeholder not in spec.placeholders:
                        fail(f"'{field_name}' nämner {{{placeholder}}}, som beslutet {decision} inte har "
                             f"(finns: {', '.join(sorted(spec.placeholders))}).")
        if rules[-1].when:
            _fail(book, f"beslutet {decision} slutar med regeln {rules[-1].id}, som har ett villkor; "
                        "den sista regeln ska gälla allt som återstår (utan 'when').")


def _check_literal(book, kind, fact, value, fail):
    if kind.kind == WORD:
        if not isinstance(value, str) or value not in kind.words_in(book):
            fail(f"'{fact}' kan inte vara {value!r} (möjliga: {', '.join(sorted(kind.words_in(book)))}).")
    elif kind.kind == FLAG:
        if value not in (0, 1) or isinstance(value, bool):
            fail(f"'{fact}' är 1 eller 0, inte {value!r}.")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"'{fact}' är ett tal, inte {value!r}.")
