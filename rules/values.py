"""R1: the one reader of what economists type into cells, without guessing.

A cell may hold `71,9 (2023)`, `Medel 83% (samtliga insatser)`, `Tre av fem insatser`, `JA`, a number
Excel formatted as percent, a riktvärde such as `Öka` or `+/- 0,5 %`, a key such as `N1` or `1,0`, or
nothing. Every reader returns a typed value that keeps what was typed for display, or raises
`VPInputError` naming the place and the text. Reading is linear in the length of the text and refuses
texts longer than the rulebook's `values.max_text_length`, so no cell can stall a calculation.
"""

import datetime
import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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

# ASCII digits only: another script's digits (or "²") are not read as numbers.
_NUMBER_TEXT = r"[+-]?(?:\d{1,3}(?:[ ]\d{3})+|\d+)(?:[.,]\d+)?"
_NUMBER_RE = re.compile(rf"(?P<num>{_NUMBER_TEXT}) ?(?P<pct>%)?", re.ASCII)
_RANGE_RE = re.compile(rf"(?P<low>{_NUMBER_TEXT}) ?(?P<pct1>%)? ?[-–] ?(?P<high>{_NUMBER_TEXT}) ?(?P<pct2>%)?",
                       re.ASCII)
_SHARE_RE = re.compile(r"(?P<k>\d{1,9}) ?/ ?(?P<n>\d{1,9})", re.ASCII)
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+ ?%?", re.ASCII)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\t": " ", "\u2212": "-"})

EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}

VALUE_HINT = "Skriv ett tal (71,9), en procentsats (61 %), en andel (3/5), Samtliga, JA/NEJ eller lämna tomt."
AMOUNT_HINT = "Skriv ett belopp, t.ex. 112,3 (mnkr)."


class Unreadable(str):
    """A cell whose value cannot be known (e.g. a formula whose result was never saved): reading it
    is an error with its own problem and hint, naming the place it is read at."""

    def __new__(cls, text, problem, hint=""):
        value = super().__new__(cls, text)
        value.problem, value.hint = problem, hint
        return value


def _unreadable(raw, where):
    if type(raw) is not str and isinstance(raw, Unreadable):
        raise VPInputError(where, None, f"{raw.problem} ({raw!s})" if raw else raw.problem, raw.hint)


@dataclass(frozen=True, slots=True)
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
                return f"{format_number(self.low * 100)}-{format_number(self.high * 100)}\u00a0%"
            return f"{format_number(self.low)}-{format_number(self.high)}"
        if self.kind == PERCENT:
            return format_percent(self.number)
        return format_number(self.number)


# --- Swedish number format -----------------------------------------------------------------------
def format_number(x, decimals=4):
    """Swedish number format: decimal comma, no-break space between thousands, no trailing zeros."""
    if x is None:
        return ""
    text = f"{abs(x):,.{decimals}f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u00a0").replace(".", ",")
    if text in ("", "0"):
        return "0"
    return (MINUS if x < 0 else "") + text


def format_fixed(x, decimals):
    """Swedish format with exactly `decimals` decimals (0,70), as the plan writes its bands."""
    text = f"{x:.{decimals}f}".replace(".", ",")
    return MINUS + text[1:] if text.startswith("-") and text.strip("-0,") else text.lstrip("-")


def format_mnkr(x):
    """An amount in mnkr as the plan writes it: one decimal at least (112,0), two when typed (10,15)."""
    text = format_number(x, 2)
    return text if "," in text else text + ",0"


def format_percent(fraction, decimals=2, signed=False):
    text = format_number(round(fraction * 100, decimals), decimals)
    if signed and fraction > 0:
        text = "+" + text
    return f"{text}\u00a0%"


MINUS = "\u2212"  # the minus sign, as Swedish typesetting writes a negative number (not the hyphen)
_UNIT = re.compile(r"(\d)[ \u00a0\u202f]*(%|mnkr\b)")
_LEADING_MINUS = re.compile(r"(^|[\s(/])-(?=\d)")


def typeset(text):
    """Text a person typed, written as the report and the explanations write numbers: a no-break
    space before % and mnkr ("30%" -> "30 %") and the minus sign before a negative number ("-0,3" ->
    "−0,3"). Only the look changes; the words stay as typed."""
    if not isinstance(text, str) or not text:
        return text
    return _LEADING_MINUS.sub(lambda m: m.group(1) + MINUS, _UNIT.sub("\\1\u00a0\\2", text))


def fold(text):
    """Compare words as people mean them: case, no-break spaces and repeated spaces do not matter."""
    return " ".join(str(text).translate(_SPACES).split()).casefold()


# --- numbers ---------------------------------------------------------------------------------------
def _is_number(raw):
    kind = type(raw)
    if kind is float or kind is int:
        return True
    return kind is not bool and kind is not str and isinstance(raw, (numbers.Real, Decimal))


def check_number(x, where, book=None, shown=None):
    """A finite, plausible float from any number type (int, float, numpy, Decimal, Fraction), or an
    error naming `where` and showing what was typed (`shown`), never 'inf' for a long digit string."""
    book = book or load_rulebook()
    if isinstance(x, bool):
        raise VPInputError(where, "SANT" if x else "FALSKT", "är ett sanningsvärde, inte ett tal.", "Skriv ett tal.")
    limit = book.data["values"]["max_abs_value"]
    if isinstance(x, Decimal) and x.is_nan():
        raise VPInputError(where, shown or "NaN", "är inget tal (NaN).", "Skriv ett tal eller lämna cellen tom.")
    try:
        exact = x if isinstance(x, (int, Fraction, Decimal)) else Decimal(repr(float(x)))
        if isinstance(exact, Decimal) and not exact.is_finite():
            raise OverflowError
        too_big = abs(exact) > limit
    except (OverflowError, ValueError, InvalidOperation, TypeError):
        as_float = float("nan") if _nan(x) else float("inf")
        if math.isnan(as_float):
            raise VPInputError(where, shown or "NaN", "är inget tal (NaN).", "Skriv ett tal eller lämna cellen tom.")
        raise VPInputError(where, shown or _quote_number(x), "är oändligt stort.", "Skriv ett ändligt tal.") from None
    if too_big:
        raise VPInputError(where, shown or _quote_number(x), f"är orimligt stort (gränsen är {format_number(limit)}).")
    return float(exact)


def _nan(x):
    try:
        return math.isnan(float(x))
    except (OverflowError, ValueError, TypeError):
        return False


def _quote_number(x):
    try:
        return format_number(float(x))
    except (OverflowError, ValueError):
        return str(x)


def _text_number(text, where, book, scale=1):
    """A number as typed ("1 000,5") to a float: exact first (Decimal), so a 400-digit string is
    'orimligt stort' with what was typed, not 'inf'."""
    cleaned = text.replace(" ", "").replace(",", ".")
    exact = Decimal(cleaned) / scale
    return check_number(exact, where, book, shown=text)


# --- reading one cell ------------------------------------------------------------------------------
def parse_value(raw, where, book=None):
    """Read one cell's value (R1). `where` names the cell or argument for error messages."""
    book = book or load_rulebook()
    if type(raw) is str:
        _unreadable(raw, where)
        return _parse_text(raw, where, book)
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
    _unreadable(raw, where)
    return _parse_text(raw, where, book)


_CACHE_TEXT_LENGTH = 80   # only short texts are cached: the cache stays small whatever is typed
_CACHE_ENTRIES = 20_000
_PARSED = {}  # (rulebook, text) -> Value: cells repeat the same few texts; errors are not cached
_WORDS = {}


def _cached(cache, key, make):
    value = cache.get(key)
    if value is None:
        value = make()
        if len(key[1]) <= _CACHE_TEXT_LENGTH:
            if len(cache) >= _CACHE_ENTRIES:
                cache.clear()
            cache[key] = value
    return value


def words(book):
    """The rulebook's words, folded, for lookups."""
    known = _WORDS.get(book)
    if known is None:
        values = book.data["values"]
        known = {key: {fold(w) for w in values[key]}
                 for key in ("no_value_words", "yes_words", "no_words", "all_words")}
        known["numbers"] = {fold(w): n for w, n in values["number_words"].items()}
        _WORDS[book] = known
    return known


def _parse_text(raw, where, book):
    if isinstance(raw, str) and len(raw) > _CACHE_TEXT_LENGTH:
        _check_length(raw, where, book)
    return _cached(_PARSED, (book, raw), lambda: _read_text(raw, where, book))


def _check_length(raw, where, book):
    limit = book.data["values"]["max_text_length"]
    if len(raw) > limit:
        raise VPInputError(where, raw, f"är för lång ({len(raw)} tecken); högst {limit} tecken läses.",
                           "Skriv bara värdet i cellen och lägg kommentarer i en annan kolumn.")


def normalize(raw):
    """Spaces of every kind as one space, Unicode minus as '-', trimmed."""
    return " ".join(raw.translate(_SPACES).split())


def _excel_error(text, where):
    if text.upper() in EXCEL_ERRORS:
        raise VPInputError(where, text, f"visar Excel-felet {text.upper()}, inget värde.",
                           "Rätta formeln eller värdet som cellen hämtar.")


MAX_QUALIFIERS = 4  # "71,9 (2023)", "100%**", "+1,4%*": a value has one or two; more is not a value


def strip_qualifiers(text, book, where=""):
    """The value and its qualifiers: trailing "(2023)" / footnote stars (any order) and a leading
    prefix word ("Medel"). One scan from the end with an index, no copies: linear in the length."""
    end, qualifiers = len(text), []
    while end:
        while end and text[end - 1] == " ":
            end -= 1
        if end and text[end - 1] == "*":
            start = end
            while start and text[start - 1] == "*":
                start -= 1
            qualifiers.append(text[start:end])
        elif end and text[end - 1] == ")":
            start = text.rfind("(", 0, end - 1)
            if start <= 0 or text.find(")", start, end - 1) != -1 or not text[:start].strip():
                break
            qualifiers.append(text[start:end])
        else:
            break
        if len(qualifiers) > MAX_QUALIFIERS:
            raise VPInputError(where, text, "har för många tillägg inom parentes eller stjärnor.", VALUE_HINT)
        end = start
    core = text[:end].strip()
    qualifiers.reverse()
    for prefix in book.data["values"]["prefix_words"]:
        if fold(core).startswith(fold(prefix) + " "):
            qualifiers.insert(0, prefix)
            core = core[len(prefix):].strip()
    return core, " ".join(qualifiers)


def _read_text(raw, where, book):
    _check_length(raw, where, book)
    text = normalize(raw)
    if not text:
        return Value(MISSING, text="", typed=True)
    _excel_error(text, where)
    folded = fold(text)
    known = words(book)
    if folded in known["no_value_words"]:
        return Value(MISSING, text=text, typed=True)
    if folded in known["yes_words"]:
        return Value(YES, number=1.0, text=text, typed=True)
    if folded in known["no_words"]:
        return Value(NO, number=0.0, text=text, typed=True)
    if folded in known["all_words"]:
        return Value(ALL, number=1.0, text=text, typed=True)

    core, qualifier = strip_qualifiers(text, book, where)
    if _DOT_THOUSANDS.fullmatch(core):
        raise VPInputError(where, raw, "är tvetydigt: punkt kan vara tusentalsavgränsare eller decimaltecken.",
                           "Skriv tusental med mellanslag (1 000) och decimaler med komma (1,25).")
    match = _NUMBER_RE.fullmatch(core)
    if match:
        if match.group("pct"):
            return Value(PERCENT, number=_text_number(match.group("num"), where, book, 100), text=text,
                         qualifier=qualifier, typed=True)
        return Value(NUMBER, number=_text_number(match.group("num"), where, book), text=text, qualifier=qualifier,
                     typed=True)

    match = _RANGE_RE.fullmatch(core)
    if match:
        pct1, pct2 = match.group("pct1"), match.group("pct2")
        scale = 100 if pct2 else 1
        low = _text_number(match.group("low"), where, book, scale)
        high = _text_number(match.group("high"), where, book, scale)
        if pct1 and not pct2:
            raise VPInputError(where, text, "har procent bara på ena gränsen.", "Skriv t.ex. 10-15%.")
        if low > high:
            raise VPInputError(where, text, "har den lägre gränsen sist.", "Skriv t.ex. 10-15%.")
        return Value(RANGE, low=low, high=high, text=text, qualifier=qualifier, percent=bool(pct2), typed=True)

    share = _parse_share(core, book)
    if share:
        k, n, rest = share
        if n == 0 or k > n:
            raise VPInputError(where, text, "är ingen andel (täljaren måste vara 0 till nämnaren, nämnaren > 0).")
        return Value(SHARE, number=float(Fraction(k, n)), text=text, share=(k, n),
                     qualifier=" ".join(q for q in (rest, qualifier) if q), typed=True)

    raise VPInputError(where, raw, "går inte att läsa som ett värde.", VALUE_HINT)


def _parse_share(core, book):
    match = _SHARE_RE.fullmatch(core)
    if match:
        return int(match.group("k")), int(match.group("n")), ""
    tokens = core.split(" ", 3)
    share_word = book.data["values"]["share_word"]
    if len(tokens) >= 3 and fold(tokens[1]) == fold(share_word):
        k = _count_word(tokens[0], book)
        n = _count_word(tokens[2], book)
        if k is not None and n is not None:
            return k, n, tokens[3] if len(tokens) > 3 else ""
    return None


def _count_word(token, book):
    if token.isascii() and token.isdigit() and len(token) <= 9:
        return int(token)
    return words(book)["numbers"].get(fold(token))


# --- readers for one use -----------------------------------------------------------------------------
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
    except VPInputError as exc:
        if "för lång" in exc.problem or "Excel-felet" in exc.problem:
            raise
        value = None
    if value is None:
        raise VPInputError(where, raw, "ska vara JA eller NEJ (planerade eller genomförda aktiviteter).")
    if value.kind == MISSING and not value.text:
        return bool(book.data["indicator"]["empty_activities_are"])
    if value.kind in (YES, NO):
        return value.kind == YES
    raise VPInputError(where, raw, "ska vara JA eller NEJ (planerade eller genomförda aktiviteter).")


def parse_amount(raw, where, book=None, allow_missing=False, hint=AMOUNT_HINT):
    """An amount (mnkr, kr, volumes): a plain number, never a percentage or a word."""
    book = book or load_rulebook()
    if isinstance(raw, bool):
        check_number(raw, where, book)  # raises: a boolean is not an amount
    try:
        value = parse_value(raw, where, book)
    except VPInputError as exc:
        if exc.hint == VALUE_HINT:  # the indicator hint does not fit an amount
            raise VPInputError(where, exc.text, exc.problem, hint) from None
        raise
    if value.kind == MISSING and allow_missing and not value.text:
        return None
    if value.kind == MISSING:
        shown = value.text or None
        raise VPInputError(where, shown, "är tomt men behövs här." if not shown else "är inget belopp.", hint)
    if value.kind != NUMBER:
        raise VPInputError(where, value.text, "är inget belopp." if hint == AMOUNT_HINT else "är inget tal.", hint)
    return value.number


def parse_whole(raw, where, low, high, what, book=None):
    """A whole number low..high (a month, a number of decimals); `what` says what it is."""
    book = book or load_rulebook()
    hint = f"Skriv ett heltal {low}–{high} ({what})."
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise VPInputError(where, None, f"är tomt men ska vara {what}.", hint)
    x = parse_amount(raw, where, book, hint=hint)
    if x != int(x) or not low <= x <= high:
        raise VPInputError(where, format_number(x), f"är inte {what}.", hint)
    return int(x)


def parse_rate(raw, where, book=None):
    """A rate: `2%`, `2 %` or a fraction such as 0.02 (a percent-formatted cell)."""
    book = book or load_rulebook()
    value = parse_value(raw, where, book)
    if value.kind == PERCENT:
        return value.number
    if value.kind == NUMBER:
        limit = book.data["values"]["plain_vs_percent_limit"]
        if abs(value.number) > limit:
            raise VPInputError(where, value.text, "är ett tal över 1 där en procentsats behövs.",
                               f"Skriv {value.text} % (eller {format_number(value.number / 100)}).")
        return value.number
    if value.kind == MISSING:
        raise VPInputError(where, value.text or None, "är tomt men en procentsats behövs.", "Skriv t.ex. 2 %.")
    raise VPInputError(where, value.text, "är ingen procentsats.", "Skriv t.ex. 2 %.")


def read_yes_no(raw, where, book=None, required=False):
    """A JA/NEJ label column (Volymbaserad, Dominant): the rulebook's first yes or no word, any case,
    nothing around it; empty is None. Anything else, an Excel TRUE/FALSE too, is an error naming the
    cell (a label is read strictly: the workbook's own formulas compare the text)."""
    book = book or load_rulebook()
    yes, no = book.data["values"]["yes_words"][0].upper(), book.data["values"]["no_words"][0].upper()
    _unreadable(raw, where)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise VPInputError(where, None, f"är tomt men ska vara {yes} eller {no}.")
        return None
    if isinstance(raw, str) and len(raw) <= 10 and raw == raw.strip() and fold(raw) in (fold(yes), fold(no)):
        return fold(raw) == fold(yes)
    text = ("SANT" if raw else "FALSKT") if isinstance(raw, bool) else str(raw)
    hint = f"Skriv {yes} eller {no}" + (" som text" if isinstance(raw, bool) else "") + \
        (" utan mellanslag före eller efter" if isinstance(raw, str) and raw != raw.strip() else "") + \
        ("." if required else " eller lämna tomt.")
    raise VPInputError(where, text, f"ska vara {yes} eller {no}.", hint)


def read_label(raw, where, allowed, column):
    """A label (Radtyp, Område) as typed, trimmed; one not in `allowed` is an error naming the cell."""
    _unreadable(raw, where)
    text = "" if raw is None else str(raw).strip()
    if text in allowed:
        return text
    choices = [a for a in allowed if a] + (["lämna tomt"] if "" in allowed else [])
    shown = ", ".join(choices[:-1]) + " eller " + choices[-1] if len(choices) > 1 else choices[0]
    raise VPInputError(where, text or None, f"är inget giltigt värde i {column}.", f"Skriv {shown}.")


_KEYS = {}  # a workbook repeats a few keys (N1, 1, Kontoret) many times


def key(x):
    """A key cell (Id, KF-mål, Nämndmål) as keys are compared: trimmed text without case, an integral
    number as its digits (1, 1.0, "1" and "1,0" are the same KF goal); empty is ""."""
    kind = type(x)
    if kind is str or kind is int:
        found = _KEYS.get((kind, x))
        if found is None:
            found = _key(x)
            if len(_KEYS) >= _CACHE_ENTRIES:
                _KEYS.clear()
            if kind is int or len(x) <= _CACHE_TEXT_LENGTH:
                _KEYS[(kind, x)] = found
        return found
    return _key(x)


def _key(x):
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
    if isinstance(x, bool):
        return fold("SANT" if x else "FALSKT")
    text = fold(str(x)[:200])
    if text and len(text) <= 20 and text.replace(",", "").replace(".", "").lstrip("+-").isascii():
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text
        if math.isfinite(number) and number.is_integer():
            return str(int(number))
    return text


def shown_key(x):
    """A key cell as messages and the overview show it: trimmed, 1.0 as 1, empty as ""."""
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x.strip() if isinstance(x, str) else x


def to_micro(x):
    """Fixed-point millionths: the only numbers the rules engine sees (no text, no 1e-05 floats)."""
    return int(round(x * 1_000_000))


# --- riktvärde (target) --------------------------------------------------------------------------
SAKNAS = "saknas"        # no target: not assessed
TOLERANS = "tolerans"    # +/- 0,5 %
SAMTLIGA = "samtliga"
JA = "ja"


@dataclass(frozen=True, slots=True)
class Target:
    """A riktvärde read: `kind` is the rules' `riktvarde` fact; `value` the number of a threshold or band."""

    kind: str
    text: str
    value: Value | None = None


def target_kinds(book):
    """Every kind of riktvärde the rules may name."""
    ind = book.data["indicator"]
    return ({SAKNAS, TOLERANS, SAMTLIGA, JA} | set(ind["target_words"].values())
            | set(ind["target_operators"].values()) | {ind["target_numeric"]["default_kind"]})


_TARGETS = {}  # (rulebook, text) -> Target; errors are not cached


def parse_target(raw, where, book=None):
    """Read a riktvärde: a direction word, a threshold (with operator), Samtliga, JA or a ± band."""
    book = book or load_rulebook()
    if isinstance(raw, str):
        if len(raw) > _CACHE_TEXT_LENGTH:
            _check_length(raw, where, book)
        return _cached(_TARGETS, (book, raw), lambda: _read_target(raw, where, book))
    return _read_target(raw, where, book)


def _slash_fold(text):
    return fold(text).replace(" / ", "/")


def _read_target(raw, where, book):
    ind = book.data["indicator"]
    default = ind["target_numeric"]["default_kind"]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Target(SAKNAS, "")
    if isinstance(raw, bool):
        if raw:
            return Target(JA, "JA")
        raise VPInputError(where, "FALSKT", "kan inte vara ett riktvärde.", "Skriv JA, ett tal eller ett riktvärdesord.")
    _unreadable(raw, where)
    if not isinstance(raw, str):
        value = parse_value(raw, where, book)
        if value.kind != NUMBER:
            raise VPInputError(where, str(raw), "är inget riktvärde.")
        return Target(default, value.shown(), value)
    _check_length(raw, where, book)
    text = normalize(raw)
    _excel_error(text, where)
    folded = _slash_fold(text)
    for word, kind in ind["target_words"].items():
        if folded == _slash_fold(word):
            return Target(kind, text)
    for prefix in ind["tolerance"]["prefixes"]:
        if folded.startswith(_slash_fold(prefix)):
            band = parse_value(text[len(prefix):].strip(), where, book)
            if band.kind not in (NUMBER, PERCENT) or band.number < 0:
                raise VPInputError(where, raw, "har inget giltigt toleransband.", "Skriv t.ex. +/- 0,5 %.")
            return Target(TOLERANS, text, band)
    kind, rest = None, text
    for word in sorted(ind["target_operators"], key=len, reverse=True):
        if folded.startswith(_slash_fold(word)):
            kind, rest = ind["target_operators"][word], text[len(word):].strip()
            break
    try:
        value = parse_value(rest, where, book)
    except VPInputError:
        value = None
    if value is not None and kind is None and value.kind == ALL:
        return Target(SAMTLIGA, text)
    if value is not None and kind is None and value.kind == YES:
        return Target(JA, text)
    if value is not None and value.kind in (NUMBER, PERCENT, SHARE):
        return Target(kind or default, text, value)
    known = ", ".join(list(ind["target_words"]) + ["Samtliga", "JA", "ett tal eller en procentsats", "+/- 0,5 %"])
    raise VPInputError(where, raw, "är inget känt riktvärde.", f"Använd något av: {known}.")


def clear_caches():
    _KEYS.clear()
    _PARSED.clear()
    _WORDS.clear()
    _TARGETS.clear()
