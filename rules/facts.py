"""What each decision of the rulebook is about: its facts, its outcomes and its sentence's words.

This is the contract between the readers (which turn typed values into facts) and the rulebook
(whose rules are conditions over those facts). The rulebook is checked against it when it is loaded,
so a misspelt fact, outcome or placeholder in the TOML stops the start with a message naming the rule.

Fact kinds: WORD (one of a known set of words), FLAG (1 or 0), COUNT (a whole number >= 0) and
NUMBER (a fixed-point whole number: the value times 10**decimals, rounded half up), so the engine
only ever compares whole numbers and known words.
"""

from dataclasses import dataclass, field

WORD, FLAG, COUNT, NUMBER = "word", "flag", "count", "number"
MICRO = 6  # indicator values: millionths (0,5 % = 5 000)


@dataclass(frozen=True)
class Fact:
    kind: str
    decimals: object = None   # NUMBER: an int, or the dotted path of the rulebook parameter holding it
    domain: object = None     # WORD: a tuple of words, or a function rulebook -> set of words

    def decimals_in(self, book):
        return book.get(self.decimals) if isinstance(self.decimals, str) else self.decimals

    def words_in(self, book):
        return set(self.domain(book) if callable(self.domain) else self.domain)


@dataclass(frozen=True)
class Decision:
    facts: dict
    outcomes: dict                       # outcome name -> function (rulebook, value) -> problem or None
    placeholders: frozenset = field(default_factory=frozenset)
    partition: str | None = None         # a WORD fact most rules test: one ruleset per word (speed only)


def _target_kinds(book):
    from .values import target_kinds

    return target_kinds(book)


def _one_of(path, what):
    def check(book, value):
        allowed = book.get(path)
        return None if value in allowed else f"{what} {value!r} finns inte i '{path}'"
    return check


def _one_of_keys(path, keys):
    def check(book, value):
        return None if value in keys else f"{value!r} ska vara en av {', '.join(keys)} (nycklar i '{path}')"
    return check


def _bool(book, value):
    return None if isinstance(value, bool) else f"{value!r} ska vara true eller false"


def _text(book, value):
    return None if isinstance(value, str) and value else f"{value!r} ska vara ett namn"


def _status(book, value):
    return None if value in book.get("goal.statuses") else f"statusen {value!r} finns inte i 'goal.statuses'"


def _colour(book, value):
    return None if value in book.get("fills") else f"färgen {value!r} finns inte i 'fills'"


def _shares(book, value):
    tables = book.get("splits")
    return None if isinstance(tables.get(value), dict) else f"fördelningen {value!r} finns inte i 'splits'"


COLOURS = ("ingen", "Grön", "Gul", "Röd", "Grå")


def _trends(book):
    return {"ingen", *book.get("trend.verdicts")}

DECISIONS = {
    "indikator": Decision(
        facts={
            "riktvarde": Fact(WORD, domain=_target_kinds),
            "har_utfall": Fact(FLAG), "har_ingaende": Fact(FLAG), "aktiviteter": Fact(FLAG),
            "utfall": Fact(NUMBER, MICRO), "ingaende_lag": Fact(NUMBER, MICRO),
            "ingaende_hog": Fact(NUMBER, MICRO), "troskel": Fact(NUMBER, MICRO),
            "foljsamhet": Fact(NUMBER, "budget.round_decimals"),
            "gron_grans": Fact(NUMBER, "budget.round_decimals"),
        },
        outcomes={"verdict": _one_of("indicator.verdicts", "utfallet")},
        placeholders=frozenset({"utfall", "ingaende", "ingaende_lag", "ingaende_hog", "troskel", "riktvarde",
                                "poang", "foljsamhet", "gron_grans", "villkor", "utfall_text", "ingaende_text"}),
        partition="riktvarde",
    ),
    "mal": Decision(
        facts={"har_indikatorer": Fact(FLAG), "antal": Fact(COUNT), "medel": Fact(NUMBER, "goal.round_decimals"),
               "dominanta": Fact(COUNT), "dominant_farg": Fact(WORD, domain=COLOURS), "dominant_fel": Fact(FLAG)},
        outcomes={"status": _status},
        placeholders=frozenset({"summa", "antal", "medel_exakt", "medel", "status"}),
    ),
    "kf": Decision(
        facts={"har_namndmal": Fact(FLAG), "manuell": Fact(FLAG), "motivering": Fact(FLAG)},
        outcomes={"source": _one_of("kf.sources", "källan"), "error": _text},
        placeholders=frozenset({"manuell", "motivering", "beraknad", "namndmal", "malets_forklaring"}),
    ),
    "budget": Decision(
        facts={"budget_noll": Fact(FLAG), "foljsamhet": Fact(NUMBER, "budget.round_decimals")},
        outcomes={"colour": _colour, "error": _text},
        placeholders=frozenset({"budget", "utfall", "avvikelse", "sida", "foljsamhet"}),
    ),
    "budgetsida": Decision(
        facts={"avvikelse": Fact(NUMBER, MICRO)},
        outcomes={"side": _one_of_keys("budget", ("surplus_label", "deficit_label"))},
        placeholders=frozenset({"avvikelse", "sida"}),
    ),
    "budgetsanning": Decision(
        facts={"skillnad": Fact(NUMBER, MICRO)},
        outcomes={"differs": _bool},
        placeholders=frozenset({"angiven", "angiven_plats", "beraknad", "beraknad_plats", "skillnad"}),
    ),
    "budgetrad": Decision(
        facts={"radtyp": Fact(WORD, domain=("rad", "summa")), "volymbaserad": Fact(WORD, domain=("ja", "nej", "tom"))},
        outcomes={"in_base": _bool, "error": _text},
    ),
    "fordelning": Decision(
        facts={"slag": Fact(WORD, domain=("gemensam", "stab")), "belopp_abs": Fact(NUMBER, MICRO),
               "hs_riktad": Fact(NUMBER, MICRO)},
        outcomes={"shares": _shares, "excludes_hs": _bool, "error": _text},
        placeholders=frozenset({"belopp", "hs_del", "fordelat", "delar"}),
    ),
    "avstamning": Decision(
        facts={"skillnad": Fact(NUMBER, MICRO)},
        outcomes={"differs": _bool},
        placeholders=frozenset({"summa", "angiven", "beraknad", "skillnad_tecken"}),
    ),
    "kolada": Decision(
        facts={"skillnad": Fact(NUMBER, MICRO)},
        outcomes={"above": _bool},
        placeholders=frozenset({"kpi", "varde", "jamforelse"}),
    ),
    "trend": Decision(
        facts={
            "riktvarde": Fact(WORD, domain=_target_kinds),
            "har_utfall": Fact(FLAG), "har_foregaende": Fact(FLAG), "jamforbar": Fact(FLAG),
            "utfall": Fact(NUMBER, MICRO), "foregaende": Fact(NUMBER, MICRO),
            "foljsamhet": Fact(NUMBER, "budget.round_decimals"),
            "foregaende_foljsamhet": Fact(NUMBER, "budget.round_decimals"),
        },
        outcomes={"trend": _one_of("trend.verdicts", "trenden")},
        placeholders=frozenset({"utfall", "foregaende", "riktvarde", "period", "foregaende_period", "tidigare",
                                "orsak", "foljsamhet", "foregaende_foljsamhet"}),
        partition="riktvarde",
    ),
    "analys": Decision(
        facts={"niva": Fact(WORD, domain=("kf", "indikator")), "har_bedomning": Fact(FLAG),
               "farg": Fact(WORD, domain=COLOURS), "trend": Fact(WORD, domain=_trends), "har_atgard": Fact(FLAG)},
        outcomes={"complete": _bool},
        placeholders=frozenset({"kf", "indikator", "namn", "period", "farg", "trend"}),
    ),
}
