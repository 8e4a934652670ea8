"""The only module that touches durable-rules.

durable-rules 2.0.28 is unmaintained and was measured failing here in these ways, each guarded below:
- several threads calling one engine: wrong results and segfaults -> one lock around every call;
- more than 1024 live sessions: MemoryError, then a segfault -> a fresh session id per decision and
  `delete_state` in a `finally`;
- its background dispatcher threads race the caller (stray `None` results) -> they are never started
  (no timers are used);
- text compared with numbers without error, `True` counted as a number, floats printed as `1e-05`
  rejected -> facts carry only validated ints (fixed-point) and known words;
- an exception inside an action is swallowed into the state -> checked after every call;
- a state field named like a condition field re-fires forever -> conditions and results use
  disjoint names (results start with `beslut_`).
At load, every band's boundary values run through the engine; a disagreement with the rulebook
stops the start.

Decisions are memoised per engine (a bounded LRU keyed by the exact fact): a fact the engine has
decided is not posted again. The facts are small fixed-point tuples, so a workbook's thousands of
indicators repeat few of them; the memo keeps memory flat (bounded) and is off with memo_size=0.

The rulesets are plain dicts built from the rulebook (data, not code): thresholds, grades, colours
and statuses come from the TOML file, and actions are looked up by name.
"""

import itertools
import json
import threading
from collections import OrderedDict

from durable import engine as _durable

from .errors import EngineError, RulebookError
from .rulebook import COMPARISONS, load_rulebook

_LOCK = threading.RLock()
_SESSION_IDS = itertools.count(1)
_RULESET_IDS = itertools.count(1)
RESULT_PREFIX = "beslut_"

# Condition field names (what the rules read) — never used as result names.
CONDITION_FIELDS = ("villkor", "utfall", "referens", "aktiviteter", "medel", "dominant", "foljsamhet",
                    "har_namndmal", "manuell")
OUTCOMES = ("met", "not_met_with_activities", "not_met_without_activities")


class _Host(_durable.Host):
    """A durable-rules host without the background dispatcher threads, with actions from data."""

    def _run(self):  # the timer/dispatch threads would race the caller; no timers are used
        pass

    def get_action(self, action_name):
        """Actions are named `set:{json}`: they write the given `beslut_*` fields into the state."""
        kind, _, payload = action_name.partition(":")
        if kind != "set":
            raise EngineError(f"Okänd åtgärd i regelverket: {action_name}")
        fields = json.loads(payload)
        for field in fields:
            if not field.startswith(RESULT_PREFIX) or field[len(RESULT_PREFIX):] in CONDITION_FIELDS:
                raise EngineError(f"Resultatfältet {field} krockar med ett villkorsfält.")

        def action(c):
            for field, value in fields.items():
                setattr(c.s, field, value)

        return action


_HOST = _Host()


def _set(**fields):
    return "set:" + json.dumps({RESULT_PREFIX + k: v for k, v in fields.items()}, ensure_ascii=False,
                               sort_keys=True)


def _cond(**parts):
    return {"all": [{"m": {"$and": list(parts.values())} if len(parts) > 1 else next(iter(parts.values()))}]}


_OPS = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}
_NEGATED = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt"}


def scale_int(x, decimals):
    """Half-up rounding of a Decimal/Fraction/int to an int number of 10**-decimals units."""
    from decimal import ROUND_HALF_UP, Decimal
    from fractions import Fraction

    if isinstance(x, Fraction):
        x = Decimal(x.numerator) / Decimal(x.denominator)
    return int((Decimal(x) * (Decimal(10) ** decimals)).to_integral_value(rounding=ROUND_HALF_UP))


def _band_rules(bands, label_key, field, decimals, result=None):
    """One rule per band [min, previous min) on an int field in 10**-decimals units, highest first;
    the lowest band also takes everything below its min (no value falls outside every band)."""
    result = result or label_key
    rules, previous = {}, None
    for index, entry in enumerate(bands):
        cond = {}
        if index < len(bands) - 1:
            cond["lo"] = {"$gte": {field: scale_int(str(entry["min"]), decimals)}}
        if previous is not None:
            cond["hi"] = {"$lt": {field: previous}}
        if not cond:  # a single band: everything
            cond["lo"] = {"$gte": {field: -(2**62)}}
        rules[f"band_{index}"] = {**_cond(**cond), "run": _set(**{result: entry[label_key]})}
        previous = scale_int(str(entry["min"]), decimals)
    return rules


def build_rulesets(book, suffix):
    """The durable-rules rulesets for one rulebook, as plain dicts (names get a per-load suffix)."""
    ind = book.data["indicator"]
    indicator = {}
    for op in COMPARISONS:
        villkor = {"villkor": op}
        met = {_OPS[op]: {"utfall": {"$m": "referens"}}}
        not_met = {_OPS[_NEGATED[op]]: {"utfall": {"$m": "referens"}}}
        for outcome, compare, activities in (
            ("met", met, None),
            ("not_met_with_activities", not_met, 1),
            ("not_met_without_activities", not_met, 0),
        ):
            parts = {"v": villkor, "c": compare}
            if activities is not None:
                parts["a"] = {"aktiviteter": activities}
            indicator[f"{op}_{outcome}"] = {
                **_cond(**parts),
                "run": _set(utfall_nyckel=outcome, poang=ind["grades"][outcome], farg=ind["colours"][outcome]),
            }

    band = _band_rules(book.data["goal"]["bands"], "status", "medel", book.data["goal"]["round_decimals"])
    cap = {}
    for index, (colour, status) in enumerate(book.data["goal"]["dominant_cap"].items()):
        cap[f"cap_{index}"] = {**_cond(c={"dominant": colour}), "run": _set(tak=status)}
    cap["no_dominant"] = {**_cond(c={"dominant": ""}), "run": _set(tak="")}

    budget = _band_rules(book.data["budget"]["bands"], "colour", "foljsamhet", book.data["budget"]["round_decimals"],
                         result="farg")
    kf = {
        "override": {**_cond(m={"manuell": 1}), "run": _set(kalla="override")},
        "board_goal": {**_cond(m={"manuell": 0}, g={"har_namndmal": 1}), "run": _set(kalla="board_goal")},
        "indicative": {**_cond(m={"manuell": 0}, g={"har_namndmal": 0}), "run": _set(kalla="indicative")},
    }
    return {
        f"vp_indikator_{suffix}": indicator,
        f"vp_malband_{suffix}": band,
        f"vp_maltak_{suffix}": cap,
        f"vp_budget_{suffix}": budget,
        f"vp_kfmal_{suffix}": kf,
    }


class Engine:
    """The classification rules of one rulebook, run in durable-rules."""

    def __init__(self, book, memo_size=8192):
        self.book = book
        self.memo_size = memo_size
        self._memo = OrderedDict()
        self.posts = 0  # decisions that went through durable-rules (for the benchmark)
        suffix = next(_RULESET_IDS)
        self.rulesets = build_rulesets(book, suffix)
        self._names = {key.rsplit("_", 1)[0]: key for key in self.rulesets}
        with _LOCK:
            _HOST.register_rulesets(json.loads(json.dumps(self.rulesets)))
        self.goal_statuses = [entry["status"] for entry in book.data["goal"]["bands"]]
        self.self_check()

    def _post(self, kind, fact):
        """One decision: from the memo, or a fresh session, one event, state checked, session deleted."""
        key = (kind, *fact.values())
        with _LOCK:
            known = self._memo.get(key)
            if known is not None:
                self._memo.move_to_end(key)
                return dict(known)
            decision = self._decide(kind, fact)
            if self.memo_size:
                self._memo[key] = decision
                if len(self._memo) > self.memo_size:
                    self._memo.popitem(last=False)
            return dict(decision)

    def _decide(self, kind, fact):
        name = self._names[kind]
        with _LOCK:
            self.posts += 1
            sid = str(next(_SESSION_IDS))
            try:
                state = _HOST.post(name, {"sid": sid, **fact})
            except _durable.MessageNotHandledException:
                raise EngineError(f"Ingen regel i {kind} gäller för {fact}.") from None
            finally:
                _HOST.delete_state(name, sid)
        if state is None:
            raise EngineError(f"Regelmotorn gav inget svar för {kind} {fact}.")
        if "exception" in state:
            raise EngineError(f"En regel i {kind} föll: {state['exception']}")
        return {key[len(RESULT_PREFIX):]: value for key, value in state.items() if key.startswith(RESULT_PREFIX)}

    # --- the decisions -------------------------------------------------------------------------
    def grade(self, villkor, utfall, referens, aktiviteter):
        """R2: met / not met with or without activities; ints are fixed-point (see values.to_micro)."""
        _require_int(utfall, "utfall")
        _require_int(referens, "referens")
        if villkor not in COMPARISONS:
            raise EngineError(f"Okänt villkor {villkor!r}.")
        return self._post("vp_indikator", {"villkor": villkor, "utfall": utfall, "referens": referens,
                                           "aktiviteter": 1 if aktiviteter else 0})

    def goal_band(self, medel_units):
        """R3: the status band of an average given in 10**-round_decimals units."""
        _require_int(medel_units, "medel")
        return self._post("vp_malband", {"medel": medel_units})["status"]

    def goal_cap(self, dominant_colour):
        """R3 decision: the best status a goal can have given its dominant indicator's colour."""
        colour = dominant_colour or ""
        if colour and colour not in self.book.data["goal"]["dominant_cap"]:
            raise EngineError(f"Okänd färg {colour!r}.")
        return self._post("vp_maltak", {"dominant": colour})["tak"]

    def budget_colour(self, adherence_units):
        """R5: the colour of a budget adherence given in 10**-round_decimals percent units."""
        _require_int(adherence_units, "foljsamhet")
        return self._post("vp_budget", {"foljsamhet": adherence_units})["farg"]

    def kf_source(self, has_board_goal, has_override):
        """R4: which status a KF goal takes — the board goal's, the indicative one, or the override."""
        return self._post("vp_kfmal", {"har_namndmal": 1 if has_board_goal else 0,
                                       "manuell": 1 if has_override else 0})["kalla"]

    # --- start-up check ------------------------------------------------------------------------
    def self_check(self):
        """Run every boundary through the engine; refuse to start if it disagrees with the rulebook."""
        try:
            problems = self._boundary_problems()
        except EngineError as exc:
            problems = [str(exc)]
        if problems:
            raise RulebookError("Regelmotorn och regelboken är inte överens: " + "; ".join(problems))

    def _boundary_problems(self):
        """Every band's boundary values and every comparison, engine vs the rulebook read directly."""
        problems = []
        ind = self.book.data["indicator"]
        for op in COMPARISONS:
            for utfall in (-1, 0, 1):
                for activities in (False, True):
                    truth = expected_met(op, utfall, 0)
                    outcome = "met" if truth else (
                        "not_met_with_activities" if activities else "not_met_without_activities")
                    got = self.grade(op, utfall, 0, activities)
                    want = {"utfall_nyckel": outcome, "poang": ind["grades"][outcome], "farg": ind["colours"][outcome]}
                    if got != want:
                        problems.append(f"indikator {op} {utfall} vs 0: {got} != {want}")
        goal = self.book.data["goal"]
        problems += _band_problems("målband", goal["bands"], "status", goal["round_decimals"], self.goal_band)
        for colour, cap in goal["dominant_cap"].items():
            if self.goal_cap(colour) != cap:
                problems.append(f"måltak {colour}")
        budget = self.book.data["budget"]
        problems += _band_problems("budgetband", budget["bands"], "colour", budget["round_decimals"],
                                   self.budget_colour)
        return problems


def _band_problems(label, bands, label_key, decimals, decide):
    """Each band's lower edge, one unit below and one above, through the engine vs the rulebook."""
    problems = []
    for entry in bands:
        low = scale_int(str(entry["min"]), decimals)
        for units in (low - 1, low, low + 1):
            want = expected_band(bands, label_key, units, decimals)
            got = decide(units)
            if got != want:
                problems.append(f"{label} {units}: {got!r} != {want!r}")
    return problems


def expected_met(op, utfall, referens):
    """The comparison read straight from its name (used to check the engine, and as the baseline)."""
    return {"gt": utfall > referens, "ge": utfall >= referens, "lt": utfall < referens,
            "le": utfall <= referens}[op]


def expected_band(bands, label_key, units, decimals):
    """The band label for a value in 10**-decimals units, read straight from the rulebook list
    (the lowest band also takes everything below its min)."""
    for entry in bands:
        if units >= scale_int(str(entry["min"]), decimals):
            return entry[label_key]
    return bands[-1][label_key]


def _require_int(value, name):
    if not isinstance(value, int) or isinstance(value, bool):
        raise EngineError(f"{name} måste vara ett heltal (fast punkt) innan det når regelmotorn, fick {value!r}.")


_ENGINES = {}


def get_engine(book=None):
    """The engine for a rulebook (default: 2025), built and self-checked once."""
    book = book or load_rulebook()
    with _LOCK:
        engine = _ENGINES.get(book.path)
        if engine is None or engine.book is not book:
            engine = Engine(book)
            _ENGINES[book.path] = engine
        return engine
