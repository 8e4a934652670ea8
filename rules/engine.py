"""The only module that touches durable-rules: it turns the rulebook's declared rules into rulesets
and makes every decision by posting one fact to them.

A decision is a table of rules tried in the order the rulebook writes them; the first whose
condition holds fires ("first hit"). In durable-rules each rule gets that order as its priority
(`pri`): one posted event is consumed by exactly one rule, the matching one with the lowest `pri`.
The action of every rule only records which rule fired; what the rule gives (its `then`) is data in
the rulebook, and arithmetic (averages, shares, rounding) is plain Python around the decision.

durable-rules 2.0.28 is unmaintained and was measured failing here in these ways, each guarded below:
- several threads calling one engine: wrong results and segfaults -> one lock around every call;
- more than 1024 live sessions: MemoryError, then a segfault -> a fresh session id per decision and
  `delete_state` in a `finally`;
- its background dispatcher threads race the caller (stray `None` results) -> they are never started
  (no timers are used);
- text compared with numbers without error, `True` counted as a number, floats printed as `1e-05`
  rejected -> every fact is checked against `facts.DECISIONS` before it is posted: whole numbers
  (fixed point) and known words only;
- an exception inside an action is swallowed into the state -> checked after every call;
- a state field named like a condition field re-fires forever -> the only state field written is
  `beslut_regel`, and no fact is named so.

Many facts decided at once (a refresh, a table-taking VP function) are posted in batches: one
`post_batch` per ruleset and chunk, all events in one session (then `delete_state`), each event
numbered (`vp_nr`); the action of the rule that consumes an event records its order under that
number in a dict held under the lock, so the session's state never grows. A single cell still makes
one post.

Decisions may be memoised per engine (a bounded LRU keyed by the exact fact, `memo_size`; 0 turns it
off): a fact the engine has decided is not posted again.
"""

import itertools
import threading
from collections import Counter, OrderedDict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from durable import engine as _durable

from .errors import EngineError, RulebookError
from .facts import COUNT, DECISIONS, FLAG, NUMBER, WORD
from .rulebook import COMPARISONS, condition_parts, load_rulebook, parameter_number

_LOCK = threading.RLock()
_SESSION_IDS = itertools.count(1)
_ENGINE_IDS = itertools.count(1)
RESULT_FIELD = "beslut_regel"
ALWAYS = "alltid"  # a fact field every fact has (value 1): a rule without `when` matches it
_OPS = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}
BATCH_FIELD = "vp_nr"   # an event's number within a batch (no fact is named so)
BATCH_SIZE = 1000       # events per post_batch call
_BATCH_FIRED = {}       # event number -> order of the rule that consumed it (only under _LOCK)


class _Host(_durable.Host):
    """A durable-rules host without the background dispatcher threads; actions record the rule."""

    def _run(self):  # the timer/dispatch threads would race the caller; no timers are used
        pass

    def get_action(self, action_name):
        """Actions are named `regel:<order>`: they write the order of the rule that fired."""
        kind, _, order = action_name.partition(":")
        if kind != "regel" or not order.isdigit():
            raise EngineError(f"Okänd åtgärd i regelverket: {action_name}")
        order = int(order)

        def action(c):
            number = c.m._d.get(BATCH_FIELD)
            if number is None:
                setattr(c.s, RESULT_FIELD, order)
            else:
                _BATCH_FIRED[number] = order

        return action


_HOST = _Host()


def scale_int(x, decimals):
    """Half-up rounding of a number (Decimal, Fraction, int, float) to whole 10**-decimals units."""
    if isinstance(x, Fraction):
        x = Decimal(x.numerator) / Decimal(x.denominator)
    elif isinstance(x, float):
        x = Decimal(repr(x))
    return int((Decimal(x) * (Decimal(10) ** decimals)).to_integral_value(rounding=ROUND_HALF_UP))


def _exact_units(book, value, decimals, rule_id, what):
    """A number of the rulebook in the fact's units; more decimals than the fact has is an error (a
    threshold of 99,45 cannot be compared with adherence in tenths without a guess)."""
    exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    units = exact * (Decimal(10) ** decimals)
    if units != units.to_integral_value():
        raise RulebookError(f"Regelboken {book.path.name}: regeln {rule_id} jämför med {what} = {value}, som har fler "
                            f"decimaler än faktumet ({decimals}).")
    return int(units)


class Engine:
    """The declared rules of one rulebook, compiled into durable-rules rulesets."""

    def __init__(self, book, memo_size=8192):
        self.book = book
        self.memo_size = memo_size
        self._memo = OrderedDict()
        self.posts = Counter()  # decisions that went through durable-rules, per decision
        self._suffix = next(_ENGINE_IDS)
        self._rulesets = {}     # decision -> {partition word or None: ruleset name}
        self._domains = {}      # decision -> {fact: set of words} for WORD facts
        definitions = {}
        for decision, rules in book.rules.items():
            definitions.update(self._compile(decision, rules))
        with _LOCK:
            _HOST.register_rulesets(definitions)

    # --- building --------------------------------------------------------------------------------
    def _compile(self, decision, rules):
        spec = DECISIONS[decision]
        self._domains[decision] = {name: fact.words_in(self.book) for name, fact in spec.facts.items()
                                   if fact.kind == WORD}
        compiled = [(rule, self._condition(decision, rule)) for rule in rules]
        groups = {None: list(compiled)}
        if spec.partition:
            words = self._domains[decision][spec.partition]
            groups = {word: [(r, c) for r, c in compiled if self._applies(r, spec.partition, word)] for word in words}
        names, out = {}, {}
        for word, members in groups.items():
            name = f"vp{self._suffix}_{decision}_{word or 'alla'}"
            out[name] = {f"r{rule.order}": {"pri": rule.order + 1, **condition, "run": f"regel:{rule.order}"}
                         for rule, condition in members}
            names[word] = name
        self._rulesets[decision] = names
        return out

    @staticmethod
    def _applies(rule, fact, word):
        spec = rule.when.get(fact)
        if spec is None:
            return True
        return word in spec if isinstance(spec, list) else spec == word

    def _condition(self, decision, rule):
        facts = DECISIONS[decision].facts
        parts = []
        for fact, op, operand in condition_parts(rule):
            kind = facts[fact]
            if op == "eq":
                parts.append({fact: self._literal(kind, operand, rule, fact)})
            elif op == "in":
                parts.append({"$or": [{fact: self._literal(kind, value, rule, fact)} for value in operand]})
            elif op in COMPARISONS:
                if isinstance(operand, str) and operand.startswith("@"):
                    value = _exact_units(self.book, parameter_number(self.book, operand, rule.id),
                                         kind.decimals_in(self.book) or 0, rule.id, operand[1:])
                elif isinstance(operand, str):
                    value = {"$m": operand}
                else:
                    value = self._literal(kind, operand, rule, fact)
                parts.append({_OPS[op]: {fact: value}})
        if not parts:
            parts = [{ALWAYS: 1}]
        return {"all": [{"m": parts[0] if len(parts) == 1 else {"$and": parts}}]}

    def _literal(self, kind, value, rule, fact):
        if kind.kind == NUMBER:
            return _exact_units(self.book, value, kind.decimals_in(self.book), rule.id, fact)
        return value

    # --- deciding --------------------------------------------------------------------------------
    def decide(self, decision, fact):
        """The rule that fires for `fact` (a dict of the decision's facts, see facts.DECISIONS)."""
        self._check(decision, fact)
        key = (decision, *fact.values())
        if self.memo_size:
            with _LOCK:
                known = self._memo.get(key)
                if known is not None:
                    self._memo.move_to_end(key)
                    return known
        rule = self._post(decision, fact)
        if self.memo_size:
            with _LOCK:
                self._memo[key] = rule
                if len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
        return rule

    def decide_many(self, decision, facts):
        """The rules that fire for many facts, in their order: the same answers as `decide` for each,
        posted in batches (see the module docstring). With the memo on, a fact is posted once."""
        rules, pending = [None] * len(facts), {}
        for index, fact in enumerate(facts):
            self._check(decision, fact)
            key = (decision, *fact.values())
            known = None
            if self.memo_size:
                with _LOCK:
                    known = self._memo.get(key)
            if known is not None:
                rules[index] = known
            else:  # memo off: every fact is posted, the same one twice too (as `decide` does)
                pending.setdefault(key if self.memo_size else index, []).append(index)
        if pending:
            keys = list(pending)
            decided = self._post_batch(decision, [facts[pending[key][0]] for key in keys])
            with _LOCK:
                for key, rule in zip(keys, decided):
                    for index in pending[key]:
                        rules[index] = rule
                    if self.memo_size:
                        self._memo[key] = rule
                while self.memo_size and len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
        return rules

    def _post_batch(self, decision, facts):
        partition = DECISIONS[decision].partition
        groups = {}
        for index, fact in enumerate(facts):
            groups.setdefault(self._rulesets[decision][fact[partition] if partition else None], []).append(index)
        orders = [None] * len(facts)
        for name, indexes in groups.items():
            for start in range(0, len(indexes), BATCH_SIZE):
                chunk = indexes[start:start + BATCH_SIZE]
                with _LOCK:
                    self.posts[decision] += len(chunk)
                    sid = str(next(_SESSION_IDS))
                    _BATCH_FIRED.clear()
                    try:
                        state = _HOST.post_batch(name, [{"sid": sid, ALWAYS: 1, BATCH_FIELD: i, **facts[i]} for i in chunk])
                    except _durable.MessageNotHandledException:
                        raise EngineError(f"Ingen regel i beslutet {decision} gäller för en av {len(chunk)} fakta.") from None
                    finally:
                        _HOST.delete_state(name, sid)
                    fired = dict(_BATCH_FIRED)
                    _BATCH_FIRED.clear()
                if isinstance(state, dict) and "exception" in state:
                    raise EngineError(f"En regel i beslutet {decision} föll: {state['exception']}")
                for i in chunk:
                    order = fired.get(i)
                    if not isinstance(order, int):
                        raise EngineError(f"Regelmotorn angav ingen regel i beslutet {decision} för {facts[i]}.")
                    orders[i] = order
        return [self.book.rules[decision][order] for order in orders]

    def _post(self, decision, fact):
        partition = DECISIONS[decision].partition
        name = self._rulesets[decision][fact[partition] if partition else None]
        with _LOCK:
            self.posts[decision] += 1
            sid = str(next(_SESSION_IDS))
            try:
                state = _HOST.post(name, {"sid": sid, ALWAYS: 1, **fact})
            except _durable.MessageNotHandledException:
                raise EngineError(f"Ingen regel i beslutet {decision} gäller för {fact}.") from None
            finally:
                _HOST.delete_state(name, sid)
        if state is None:
            raise EngineError(f"Regelmotorn gav inget svar i beslutet {decision} för {fact}.")
        if "exception" in state:
            raise EngineError(f"En regel i beslutet {decision} föll: {state['exception']}")
        order = state.get(RESULT_FIELD)
        if not isinstance(order, int):
            raise EngineError(f"Regelmotorn angav ingen regel i beslutet {decision} för {fact}.")
        return self.book.rules[decision][order]

    def _check(self, decision, fact):
        """Only whole numbers and known words reach durable-rules (see the module docstring)."""
        spec = DECISIONS.get(decision)
        if spec is None:
            raise EngineError(f"Okänt beslut {decision!r}.")
        if fact.keys() != spec.facts.keys():
            raise EngineError(f"Beslutet {decision} behöver faktan {sorted(spec.facts)}, fick {sorted(fact)}.")
        domains = self._domains[decision]
        for name, value in fact.items():
            kind = spec.facts[name].kind
            if kind == WORD:
                if value not in domains[name]:
                    raise EngineError(f"{name} = {value!r} är inget känt ord i beslutet {decision}.")
            elif type(value) is not int:
                raise EngineError(f"{name} måste vara ett heltal (fast punkt) innan det når regelmotorn, fick {value!r}.")
            elif (kind == FLAG and value not in (0, 1)) or (kind == COUNT and value < 0):
                raise EngineError(f"{name} = {value} är utanför sitt område i beslutet {decision}.")
            elif abs(value) >= 2**62:
                raise EngineError(f"{name} = {value} är för stort för regelmotorn.")


_ENGINES = {}


def get_engine(book=None):
    """The engine for a rulebook (default: 2025), built and self-checked once: the rulebook's own
    examples are run through it, and a disagreement stops the start naming the rule."""
    book = book or load_rulebook()
    with _LOCK:
        engine = _ENGINES.get(book.path)
        if engine is not None and engine.book is book:
            return engine
        engine = Engine(book)
        from .selftest import check_examples

        check_examples(engine)
        _ENGINES[book.path] = engine
        return engine


def clear():
    with _LOCK:
        _ENGINES.clear()
