"""The rulebook: every parameter of the plan's rules, read from a TOML file per plan year.

Economists edit the TOML; this module checks it so a wrong edit stops the engine with a message
that names the entry, instead of grading with a broken threshold.
"""

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import RulebookError

RULEBOOK_DIR = Path(__file__).parent / "rulebook"
DEFAULT_YEAR = 2025
COMPARISONS = ("gt", "ge", "lt", "le")


@dataclass(frozen=True, eq=False)
class Rulebook:
    """The parsed rulebook; `data` is the TOML as read, `path` where it came from."""

    path: Path
    data: dict

    @property
    def year(self):
        return self.data["plan"]["year"]

    def get(self, dotted):
        """The value at a dotted path such as "budget.round_decimals" (for VP_RULE)."""
        node = self.data
        for part in dotted.split("."):
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise KeyError(dotted)
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise KeyError(dotted)
        return node

    def paths(self, node=None, prefix=""):
        """Every dotted path to a leaf value, for listing the rulebook on a sheet."""
        node = self.data if node is None else node
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
    except FileNotFoundError:
        raise RulebookError(f"Regelboken finns inte: {path}") from None
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path, mtime_ns, size):
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RulebookError(f"Regelboken finns inte: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulebookError(f"Regelboken {path.name} går inte att läsa: {exc}") from None
    book = Rulebook(path=path, data=data)
    _validate(book)
    return book


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


def _validate(book):
    number = (int, float)
    name = book.path.name
    _need(book, "plan.year", int)
    for key in ("no_value_words", "all_words", "yes_words", "no_words", "prefix_words"):
        _need(book, f"values.{key}", list)
    _need(book, "values.share_word", str)
    _need(book, "values.plain_vs_percent_limit", number)
    _need(book, "values.max_abs_value", number)
    for word, value in _need(book, "values.number_words", dict).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RulebookError(f"Regelboken {name}: talordet '{word}' ska ha ett heltal, inte {value!r}.")
    for table in ("indicator.target_words", "indicator.target_operators", "indicator.range_baseline_end"):
        for word, comparison in _need(book, table, dict).items():
            allowed = ("high", "low") if table.endswith("range_baseline_end") else COMPARISONS
            if comparison not in allowed:
                raise RulebookError(
                    f"Regelboken {name}: '{table}.{word}' = {comparison!r}; tillåtet: {', '.join(allowed)}."
                )
    if _need(book, "indicator.target_numeric.default_operator", str) not in COMPARISONS:
        raise RulebookError(f"Regelboken {name}: 'indicator.target_numeric.default_operator' är okänd.")
    _need(book, "indicator.tolerance.prefixes", list)
    _need(book, "indicator.empty_activities_are", bool)
    outcomes = ("met", "not_met_with_activities", "not_met_without_activities")
    for outcome in outcomes:
        grade = _need(book, f"indicator.grades.{outcome}", number)
        if not 0 <= grade <= 1:
            raise RulebookError(f"Regelboken {name}: 'indicator.grades.{outcome}' ska ligga mellan 0 och 1.")
        _need(book, f"indicator.colours.{outcome}", str)
        _need(book, f"indicator.labels.{outcome}", str)
    _need(book, "indicator.colours.not_assessed", str)
    _need(book, "indicator.labels.not_assessed", str)

    _need(book, "goal.round_decimals", int)
    _need(book, "goal.not_assessed", str)
    _check_bands(book, "goal.bands", "status")
    statuses = [band["status"] for band in book.get("goal.bands")]
    for colour, cap in _need(book, "goal.dominant_cap", dict).items():
        if cap and cap not in statuses:
            raise RulebookError(f"Regelboken {name}: 'goal.dominant_cap.{colour}' = {cap!r} är ingen status.")
    for status in _need(book, "kf.override_statuses", list):
        if status not in statuses:
            raise RulebookError(f"Regelboken {name}: 'kf.override_statuses' har okänd status {status!r}.")
    _need(book, "kf.indicative_label", str)
    _need(book, "kf.override_label", str)

    _need(book, "budget.round_decimals", int)
    _check_bands(book, "budget.bands", "colour")
    for split in ("splits.lss_sol", "splits.staff"):
        shares = _need(book, split, dict)
        for part, share in shares.items():
            if not isinstance(share, number) or isinstance(share, bool) or not 0 <= share <= 1:
                raise RulebookError(f"Regelboken {name}: andelen '{split}.{part}' ska vara mellan 0 och 1.")
        if abs(sum(shares.values()) - 1) > 1e-9:
            raise RulebookError(f"Regelboken {name}: andelarna i '{split}' summerar inte till 1.")
    _need(book, "splits.default_decimals", int)
    _need(book, "saving.rate", number)
    _need(book, "saving.decimals", int)
    if _need(book, "price.months_in_year", int) <= 0:
        raise RulebookError(f"Regelboken {name}: 'price.months_in_year' ska vara större än 0.")
    if _need(book, "reconciliation.tolerance", number) < 0:
        raise RulebookError(f"Regelboken {name}: 'reconciliation.tolerance' får inte vara negativ.")
    _need(book, "fills", dict)


def _check_bands(book, dotted, label_key):
    bands = _need(book, dotted, list)
    name = book.path.name
    if not bands:
        raise RulebookError(f"Regelboken {name}: '{dotted}' är tom.")
    previous = math.inf
    for index, band in enumerate(bands):
        where = f"{dotted}.{index}"
        if not isinstance(band, dict):
            raise RulebookError(f"Regelboken {name}: '{where}' ska ha min och {label_key}.")
        low = band.get("min")
        if not isinstance(low, (int, float)) or isinstance(low, bool) or not math.isfinite(low):
            raise RulebookError(f"Regelboken {name}: '{where}.min' ska vara ett tal.")
        if not isinstance(band.get(label_key), str) or not band[label_key]:
            raise RulebookError(f"Regelboken {name}: '{where}.{label_key}' saknas.")
        if low >= previous:
            raise RulebookError(f"Regelboken {name}: '{dotted}' ska stå med högsta gränsen först.")
        previous = low
