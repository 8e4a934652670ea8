"""R1: reading what economists type into cells, without guessing.

A cell may hold `71,9 (2023)`, `Medel 83% (samtliga insatser)`, `Tre av fem insatser`, `JA`, a number
Excel formatted as percent, or nothing. Every reader returns a `Value` that keeps what was typed for
display, or raises `VPInputError` naming the place and the text.
"""

import dataclasses
import datetime
import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .errors import VPInputError
from .rulebook import load_rulebook

NUMBER = "number"      # a plain number: 67, 71,9
PERCENT = "percent"    # typed with %: 61 % -> 0.61
SHARE = "share"        # k of n: 3/5, Tre av fem
ALL = "all"            # Samtliga
YES = "yes"
NO = "no"
RANGE = "range"        # 10-15%
MISSING = "missing"    # empty, Nytt värde, Ny indikator

_NUMBER_TEXT = r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?"
_NUMBER_RE = re.compile(rf"^(?P<num>{_NUMBER_TEXT})\s*(?P<pct>%)?$")
_RANGE_RE = re.compile(rf"^(?P<low>{_NUMBER_TEXT})\s*(?P<pct1>%)?\s*[-–]\s*(?P<high>{_NUMBER_TEXT})\s*(?P<pct2>%)?$")
_SHARE_RE = re.compile(r"^(?P<k>\d+)\s*/\s*(?P<n>\d+)$")
_PAREN_RE = re.compile(r"\s*\(([^()]*)\)\s*$")
_STARS_RE = re.compile(r"\s*(\*+)\s*$")


@dataclass(frozen=True)
class Value:
    """A value read from a cell. `number` is the comparable figure (percent and shares as fractions)."""

    kind: str
    number: float | None = None
    low: float | None = None
    high: float | None = None
    text: str = ""
    qualifier: str = ""
    share: tuple | None = None  # (k, n)
    percent: bool = False       # a range typed with %
    typed: bool = False         # read from text a person typed (not a number Excel stored)

    @property
    def is_fraction(self):
        """Percentages, shares and 'all' are fractions of a whole; plain numbers are not."""
        return self.kind in (PERCENT, SHARE, ALL) or (self.kind == RANGE and self.percent)

    @property
    def missing(self):
        return self.kind == MISSING

    def shown(self):
        """How the value is written in explanations (Swedish format)."""
        if self.kind == MISSING:
            return self.text or "tomt"
        if self.kind in (YES, NO):
            return "JA" if self.kind == YES else "NEJ"
        if self.kind == ALL:
            return self.text or "Samtliga"
        if self.kind == SHARE:
            k, n = self.share
            return f"{k} av {n}"
        if self.kind == RANGE:
            if self.percent:
                return f"{format_number(self.low * 100)}-{format_number(self.high * 100)} %"
            return f"{format_number(self.low)}-{format_number(self.high)}"
        if self.kind == PERCENT:
            return format_percent(self.number)
        return format_number(self.number)


def format_number(x, decimals=4):
    """Swedish number format: decimal comma, no-break space between thousands, no trailing zeros."""
    if x is None:
        return ""
    text = f"{abs(x):,.{decimals}f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u00a0").replace(".", ",")
    if text in ("", "0"):
        return "0"
    return ("-" if x < 0 else "") + text


def format_fixed(x, decimals):
    """Swedish format with exactly `decimals` decimals (0,70), as the plan writes its bands."""
    return f"{x:.{decimals}f}".replace(".", ",")


def format_percent(fraction, decimals=2, signed=False):
    text = format_number(round(fraction * 100, decimals), decimals)
    if signed and fraction > 0:
        text = "+" + text
    return f"{text}\u00a0%"


def fold(text):
    """Compare words as people mean them: case, no-break spaces and repeated spaces do not matter."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).casefold()


def _to_float(text, scale=1):
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace(",", ".")
    return float(Decimal(cleaned) / scale)


def check_number(x, where, book=None):
    """A finite, plausible float from an int/float, or an error naming `where`."""
    book = book or load_rulebook()
    if isinstance(x, bool):
        raise VPInputError(where, x, "är ett sanningsvärde (SANT/FALSKT), inte ett tal.", "Skriv ett tal.")
    x = float(x)
    if math.isnan(x):
        raise VPInputError(where, "NaN", "är inget tal (NaN).", "Skriv ett tal eller lämna cellen tom.")
    if math.isinf(x):
        raise VPInputError(where, x, "är oändligt stort.", "Skriv ett ändligt tal.")
    limit = book.get("values.max_abs_value")
    if abs(x) > limit:
        raise VPInputError(where, format_number(x), f"är orimligt stort (gränsen är {format_number(limit)}).")
    return x


def _is_number(raw):
    return not isinstance(raw, bool) and isinstance(raw, numbers.Real)


def parse_value(raw, where, book=None):
    """Read one cell's value (R1). `where` names the cell or argument for error messages."""
    book = book or load_rulebook()
    if raw is None:
        return Value(MISSING, text="")
    if isinstance(raw, bool):
        return Value(YES if raw else NO, number=1.0 if raw else 0.0, text="JA" if raw else "NEJ")
    if _is_number(raw):
        x = check_number(raw, where, book)
        return Value(NUMBER, number=x, text=format_number(x))
    if isinstance(raw, (datetime.date, datetime.time, datetime.timedelta)):
        raise VPInputError(where, str(raw), "är ett datum eller en tid, inte ett värde som går att bedöma.",
                           "Skriv värdet som text eller tal (cellen kan ha fått datumformat: 4/5 blir 4 maj).")
    if isinstance(raw, (list, tuple)):
        raise VPInputError(where, None, "är ett område med flera celler; här behövs en enda cell.")
    if not isinstance(raw, str):
        raise VPInputError(where, str(raw), "är ingen text eller tal som går att läsa.")
    return _parse_text(raw, where, book)


_PARSED = {}  # (rulebook, text) -> Value: cells repeat the same few texts; errors are not cached
_WORDS = {}


def _words(book):
    words = _WORDS.get(book)
    if words is None:
        values = book.data["values"]
        words = {key: {fold(w) for w in values[key]}
                 for key in ("no_value_words", "yes_words", "no_words", "all_words")}
        words["numbers"] = {fold(w): n for w, n in values["number_words"].items()}
        _WORDS[book] = words
    return words


def _parse_text(raw, where, book):
    key = (book, raw)
    value = _PARSED.get(key)
    if value is None:
        value = dataclasses.replace(_read_text(raw, where, book), typed=True)
        if len(_PARSED) < 100_000:
            _PARSED[key] = value
    return value


EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+\s*%?$")


def _read_text(raw, where, book):
    text = " ".join(raw.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2212", "-").split())
    if not text:
        return Value(MISSING, text="")
    if text.upper() in EXCEL_ERRORS:
        raise VPInputError(where, text, f"visar Excel-felet {text.upper()}, inget värde.",
                           "Rätta formeln eller värdet som cellen hämtar.")
    folded = fold(text)
    words = book.data["values"]
    known = _words(book)
    if folded in known["no_value_words"]:
        return Value(MISSING, text=text)
    if folded in known["yes_words"]:
        return Value(YES, number=1.0, text=text)
    if folded in known["no_words"]:
        return Value(NO, number=0.0, text=text)
    if folded in known["all_words"]:
        return Value(ALL, number=1.0, text=text)

    core, qualifiers = text, []
    while True:  # trailing "(2023)", "(augusti 2024)", footnote stars, in any order
        stars = _STARS_RE.search(core)
        paren = _PAREN_RE.search(core)
        if stars:
            qualifiers.insert(0, stars.group(1))
            core = core[: stars.start()]
        elif paren and paren.start() > 0:
            qualifiers.insert(0, f"({paren.group(1)})")
            core = core[: paren.start()]
        else:
            break
    for prefix in words["prefix_words"]:
        if fold(core).startswith(fold(prefix) + " "):
            qualifiers.insert(0, prefix)
            core = core[len(prefix):].strip()
    qualifier = " ".join(qualifiers)

    if _DOT_THOUSANDS.match(core):
        raise VPInputError(where, raw, "är tvetydigt: punkt kan vara tusentalsavgränsare eller decimaltecken.",
                           "Skriv tusental med mellanslag (1 000) och decimaler med komma (1,25).")
    match = _NUMBER_RE.match(core)
    if match:
        if match.group("pct"):
            x = check_number(_to_float(match.group("num"), 100), where, book)
            return Value(PERCENT, number=x, text=text, qualifier=qualifier)
        x = check_number(_to_float(match.group("num")), where, book)
        return Value(NUMBER, number=x, text=text, qualifier=qualifier)

    match = _RANGE_RE.match(core)
    if match:
        pct1, pct2 = match.group("pct1"), match.group("pct2")
        scale = 100 if pct2 else 1
        low = check_number(_to_float(match.group("low"), scale), where, book)
        high = check_number(_to_float(match.group("high"), scale), where, book)
        if bool(pct1) != bool(pct2) and pct1:
            raise VPInputError(where, text, "har procent bara på ena gränsen.", "Skriv t.ex. 10-15%.")
        if low > high:
            raise VPInputError(where, text, "har den lägre gränsen sist.", "Skriv t.ex. 10-15%.")
        return Value(RANGE, low=low, high=high, text=text, qualifier=qualifier,
                     percent=bool(pct2))

    share = _parse_share(core, where, text, book)
    if share:
        k, n, rest = share
        if n == 0 or k > n:
            raise VPInputError(where, text, "är ingen andel (täljaren måste vara 0 till nämnaren, nämnaren > 0).")
        return Value(SHARE, number=float(Fraction(k, n)), text=text, share=(k, n),
                     qualifier=" ".join(q for q in (rest, qualifier) if q))

    raise VPInputError(
        where, raw, "går inte att läsa som ett värde.",
        "Skriv ett tal (71,9), en procentsats (61 %), en andel (3/5), Samtliga, JA/NEJ eller lämna tomt.",
    )


def _parse_share(core, where, text, book):
    match = _SHARE_RE.match(core)
    if match:
        return int(match.group("k")), int(match.group("n")), ""
    tokens = core.split()
    share_word = book.data["values"]["share_word"]
    if len(tokens) >= 3 and fold(tokens[1]) == fold(share_word):
        k = _count_word(tokens[0], book)
        n = _count_word(tokens[2], book)
        if k is not None and n is not None:
            return k, n, " ".join(tokens[3:])
    return None


def _count_word(token, book):
    if token.isdigit():
        return int(token)
    return _words(book)["numbers"].get(fold(token))


def parse_activities(raw, where, book=None):
    """Planned or performed activities: JA/NEJ, a boolean or 1/0; empty follows the rulebook."""
    book = book or load_rulebook()
    if _is_number(raw):
        x = check_number(raw, where, book)
        if x in (0.0, 1.0):
            return x == 1.0
        raise VPInputError(where, format_number(x), "ska vara JA eller NEJ.")
    try:
        value = parse_value(raw, where, book)
    except VPInputError:
        value = None
    if value is None:
        raise VPInputError(where, raw, "ska vara JA eller NEJ (planerade eller genomförda aktiviteter).")
    if value.kind == MISSING and not value.text:
        return bool(book.data["indicator"]["empty_activities_are"])
    if value.kind in (YES, NO):
        return value.kind == YES
    raise VPInputError(where, raw, "ska vara JA eller NEJ (planerade eller genomförda aktiviteter).")


def parse_amount(raw, where, book=None, allow_missing=False):
    """An amount (mnkr, kr, volumes): a plain number, never a percentage or a word."""
    book = book or load_rulebook()
    if isinstance(raw, bool):
        check_number(raw, where, book)  # raises: a boolean is not an amount
    try:
        value = parse_value(raw, where, book)
    except VPInputError as exc:
        if exc.hint.startswith("Skriv ett tal (71,9)"):  # the indicator hint does not fit an amount
            raise VPInputError(where, exc.text, exc.problem, "Skriv ett belopp, t.ex. 112,3 (mnkr).") from None
        raise
    if value.kind == MISSING and allow_missing:
        return None
    if value.kind == MISSING:
        shown = value.text or None
        raise VPInputError(where, shown, "är tomt men behövs här." if not shown else "är inget belopp.",
                           "Skriv ett belopp, t.ex. 112,3 (mnkr).")
    if value.kind != NUMBER:
        raise VPInputError(where, value.text, "är inget belopp.", "Skriv ett belopp, t.ex. 112,3 (mnkr).")
    return value.number


def parse_rate(raw, where, book=None):
    """A rate: `2%`, `2 %` or a fraction such as 0.02 (a percent-formatted cell)."""
    book = book or load_rulebook()
    value = parse_value(raw, where, book)
    if value.kind == PERCENT:
        return value.number
    if value.kind == NUMBER:
        limit = book.get("values.plain_vs_percent_limit")
        if abs(value.number) > limit:
            raise VPInputError(where, value.text, "är ett tal över 1 där en procentsats behövs.",
                               f"Skriv {value.text} % (eller {format_number(value.number / 100)}).")
        return value.number
    if value.kind == MISSING:
        raise VPInputError(where, value.text or None, "är tomt men en procentsats behövs.", "Skriv t.ex. 2 %.")
    raise VPInputError(where, value.text, "är ingen procentsats.", "Skriv t.ex. 2 %.")


def to_micro(x):
    """Fixed-point millionths: the only numbers the rules engine sees (no text, no 1e-05 floats)."""
    return int(round(x * 1_000_000))
