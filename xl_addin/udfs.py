"""VP-funktionerna i Excel (xlwings UDFs): the function catalogue economists type as =VP_...(...).

Thin adapters: each function reads what Excel passes (numbers, text as typed, booleans, None for an
empty cell, lists for ranges), calls the rules in `rules/`, and gives back the same shape: a single
cell gives a value, a column gives a column. Arguments are ASCII (ingaende, riktvarde, ...) because
VBA identifiers with å/ä/ö depend on the Windows code page; their Swedish names are in the docs.

Bad input raises `VPInputError` with a Swedish message naming the argument and the text. Inside
Excel (Windows) the functions are registered through `_excel`, which turns that error into the
message as the cell's value instead of a Python traceback; in a column, each bad cell shows its
own message and the others still compute.
"""

import functools
import sys

import xlwings as xw

from rules import budget, goals, splits
from rules.errors import CELL_ERROR_PREFIX, VPError, VPInputError
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook

ERROR_PREFIX = CELL_ERROR_PREFIX
_IN_EXCEL = sys.platform == "win32"


def _shape(x):
    if isinstance(x, (list, tuple)):
        if x and all(isinstance(r, (list, tuple)) for r in x):
            return (len(x), len(x[0]) if x else 0)
        return (len(x),)
    return None


def _at(x, shape, index):
    own = _shape(x)
    if own is None:
        return x
    if own == (1, 1) and shape != (1, 1):
        return x[0][0]
    if len(own) == 1 and len(shape) == 2 and shape[1] == 1:
        return x[index[0]]
    if len(own) == 2 and len(shape) == 1:
        return x[index[0]][0]
    if len(own) == 2:
        return x[index[0]][index[1]]
    return x[index[0]]


def _broadcast(name, func, args, argnames):
    """Apply `func` cell by cell when any argument is a range; scalars go straight through."""
    shapes = [s for s in (_shape(a) for a in args) if s is not None and s != (1, 1)]
    if not shapes:
        if any(_shape(a) == (1, 1) for a in args):
            return [[func(*[a[0][0] if _shape(a) == (1, 1) else a for a in args])]]
        return func(*args)
    shape = max(shapes, key=len)
    norm = [(s[0], s[1] if len(s) == 2 else 1) for s in shapes]
    if len(set(norm)) > 1:
        raise VPInputError(name, None, "har områden av olika storlek: "
                           + ", ".join(f"{n} {r}x{c}" for n, (r, c) in zip(argnames, norm)) + ".")

    def one(index):
        try:
            return func(*[_at(a, shape, index) for a in args])
        except VPError as exc:
            place = f"(rad {index[0] + 1})" if len(shape) == 1 or shape[1] == 1 else \
                f"(rad {index[0] + 1}, kolumn {index[1] + 1})"
            return f"{ERROR_PREFIX}{exc} {place}"

    if len(shape) == 1:
        return [one((i,)) for i in range(shape[0])]
    return [[one((i, j)) for j in range(shape[1])] for i in range(shape[0])]


def _excel(func):
    """Register for Excel: in Excel a VPError becomes the readable message in the cell."""
    return _wrap_for_excel(func) if _IN_EXCEL else func


def _wrap_for_excel(func):
    @functools.wraps(func)
    def in_excel(*args):
        try:
            return func(*args)
        except VPError as exc:  # bad input, and a broken rulebook edit (RulebookError) too
            return f"{ERROR_PREFIX}{exc}"

    return in_excel


def _indicator(kind, function_name):
    names = ("ingaende", "riktvarde", "utfall", "aktiviteter")

    def one(ingaende, riktvarde, utfall, aktiviteter):
        result = grade_indicator(ingaende, riktvarde, utfall, aktiviteter,
                                 where=("ingående", "riktvärde", "utfall", "aktiviteter"))
        if kind == "score":
            return result.score_or_label
        if kind == "colour":
            return result.colour
        return result.explanation

    def run(ingaende, riktvarde, utfall, aktiviteter=None):
        return _broadcast(function_name, one, (ingaende, riktvarde, utfall, aktiviteter), names)

    return run


_DOC_INDICATOR = {
    "ingaende": "Ingående värde, som det står i planen (61%, 71,9 (2023), 3/5, Nytt värde)",
    "riktvarde": "Riktvärde för planåret (Öka, Minska, Bibehåll, 30%, Samtliga, JA, +/- 0,5 %)",
    "utfall": "Årets utfall (65%, 72,4, 4/5, JA)",
    "aktiviteter": "Planerade eller genomförda aktiviteter: JA/NEJ (tomt = NEJ)",
}


def _indicator_arguments(func):
    """The four indicator arguments, each a cell or a column (ndim=2), with their wizard help."""
    for name in reversed(tuple(_DOC_INDICATOR)):
        func = xw.arg(name, ndim=2, err_to_str=True, doc=_DOC_INDICATOR[name])(func)
    return func


@_excel
@xw.func
@_indicator_arguments
def VP_INDICATORSCORE(ingaende, riktvarde, utfall, aktiviteter=None):
    """Indikatorns poäng: 1 förbättrat, 0,5 ej förbättrat trots aktiviteter, 0 annars; annars "Ej bedömd"."""
    return _indicator("score", "VP_INDICATORSCORE")(ingaende, riktvarde, utfall, aktiviteter)


@_excel
@xw.func
@_indicator_arguments
def VP_INDICATORCOLOR(ingaende, riktvarde, utfall, aktiviteter=None):
    """Indikatorns färg: Grön (förbättrat), Gul (inte förbättrat trots aktiviteter), Röd, Grå (ej bedömd)."""
    return _indicator("colour", "VP_INDICATORCOLOR")(ingaende, riktvarde, utfall, aktiviteter)


@_excel
@xw.func
@_indicator_arguments
def VP_EXPLAIN(ingaende, riktvarde, utfall, aktiviteter=None):
    """Förklaringen till indikatorns bedömning, i en mening som går att läsa upp."""
    return _indicator("explain", "VP_EXPLAIN")(ingaende, riktvarde, utfall, aktiviteter)


@_excel
@xw.func
@xw.arg("poang", ndim=2, err_to_str=True, doc="Indikatorernas poäng (ett område); Ej bedömd och tomma räknas inte")
def VP_GOALSCORE(poang):
    """Nämndmålets medelvärde, avrundat till två decimaler (som AVRUNDA), eller "Ej bedömd"."""
    result = goals.goal_status(poang, where="poang")
    return result.average if result.average is not None else result.status


@_excel
@xw.func
@xw.arg("poang", ndim=2, err_to_str=True, doc="Indikatorernas poäng (ett område)")
@xw.arg("dominant_farg", err_to_str=True, doc="Den dominerande indikatorns färg (Grön/Gul/Röd), eller tomt")
def VP_GOALSTATUS(poang, dominant_farg=None):
    """Nämndmålets status: Uppfyllt (0,70–1), Delvis uppfyllt (0,50–0,69), Ej uppfyllt, Ej bedömd."""
    return goals.goal_status(poang, dominant_farg, where="poang", dominant_where="dominant_farg").status


def _budget_arguments(func):
    """Budget and utfall, each a cell or a column (ndim=2), with their wizard help."""
    func = xw.arg("utfall", ndim=2, err_to_str=True, doc="Utfall eller prognos (mnkr)")(func)
    return xw.arg("budget", ndim=2, err_to_str=True, doc="Budget (mnkr), inte 0")(func)


def _budget(kind, function_name):
    def one(budget_value, utfall):
        result = budget.budget_adherence(budget_value, utfall, where=("budget", "utfall"))
        return result.adherence if kind == "adherence" else result.colour

    return lambda b, u: _broadcast(function_name, one, (b, u), ("budget", "utfall"))


@_excel
@xw.func
@_budget_arguments
def VP_BUDGETADHERENCE(budget, utfall):
    """Budgetföljsamhet: 100 % − |utfall − budget| / budget, avrundad till en decimal i procent."""
    return _budget("adherence", "VP_BUDGETADHERENCE")(budget, utfall)


@_excel
@xw.func
@_budget_arguments
def VP_BUDGETSTATUS(budget, utfall):
    """Budgetföljsamhetens färg: Grön från 99,5 %, Gul från 98,0 %, annars Röd."""
    return _budget("colour", "VP_BUDGETSTATUS")(budget, utfall)


@_excel
@xw.func
@xw.arg("belopp", err_to_str=True, doc="Gemensamma kostnader (mnkr)")
@xw.arg("hs_del", err_to_str=True, doc="Därav hälso- och sjukvård (HS), fördelas inte")
@xw.arg("decimaler", err_to_str=True, doc="Antal decimaler (tomt = regelbokens, 1)")
def VP_SPLIT_LSS_SOL(belopp, hs_del=0, decimaler=None):
    """Gemensamma kostnader exklusive HS: 80 % LSS, 20 % SoL; delarna summerar till det avrundade beloppet."""
    return list(splits.split_lss_sol(belopp, hs_del, decimaler).values())


@_excel
@xw.func
@xw.arg("belopp", err_to_str=True, doc="Gemensamma stabskostnader (mnkr)")
@xw.arg("decimaler", err_to_str=True, doc="Antal decimaler (tomt = regelbokens, 1)")
def VP_SPLIT_STAFF(belopp, decimaler=None):
    """Stabens gemensamma kostnader: 60 % Äldreomsorgsnämnden, 40 % Omsorgsnämnden."""
    return list(splits.split_staff(belopp, decimaler).values())


@_excel
@xw.func
@xw.arg("bas", ndim=2, err_to_str=True, doc="Budget för den ej volymbaserade verksamheten (mnkr)")
def VP_SAVING(bas):
    """Besparingskravet: −3 % av den ej volymbaserade verksamheten (−1,7 för 56,7)."""
    return _broadcast("VP_SAVING", lambda b: budget.saving(b, where="bas"), (bas,), ("bas",))


@_excel
@xw.func
@xw.arg("sats", ndim=2, err_to_str=True, doc="Uppräkning (2% eller 0,02)")
@xw.arg("startmanad", ndim=2, err_to_str=True, doc="Månad då uppräkningen börjar gälla (1–12; juni = 6)")
def VP_FULLYEAR(sats, startmanad):
    """Helårseffekt av en prisuppräkning: sats × (13 − startmånad) / 12 (2 % från juni = 1,17 %)."""
    return _broadcast("VP_FULLYEAR", lambda s, m: budget.full_year_effect(s, m, where=("sats", "startmanad")),
                      (sats, startmanad), ("sats", "startmanad"))


@_excel
@xw.func
@xw.arg("budgeterad_volym", ndim=2, err_to_str=True, doc="Budgeterad volym")
@xw.arg("ny_volym", ndim=2, err_to_str=True, doc="Ny volym vid avläsningen")
@xw.arg("standardkostnad", ndim=2, err_to_str=True, doc="Standardkostnad per volymenhet")
def VP_VOLUMEADJ(budgeterad_volym, ny_volym, standardkostnad):
    """Volymjustering: (ny volym − budgeterad volym) × standardkostnad."""
    names = ("budgeterad_volym", "ny_volym", "standardkostnad")
    return _broadcast("VP_VOLUMEADJ", lambda a, b, c: budget.volume_adjustment(a, b, c, where=names),
                      (budgeterad_volym, ny_volym, standardkostnad), names)


@_excel
@xw.func
@xw.arg("namn", err_to_str=True, doc="Regelns namn i regelboken, t.ex. budget.bands.0.min")
def VP_RULE(namn):
    """Värdet av en parameter i regelboken som gäller, så att bladen kan visa reglerna."""
    book = load_rulebook()
    if isinstance(namn, (list, tuple)):
        raise VPInputError("namn", None, "är ett område med flera celler; här behövs en regels namn i en cell.")
    if not isinstance(namn, str) or not namn.strip():
        raise VPInputError("namn", namn, "ska vara namnet på en regel, t.ex. goal.bands.0.min.")
    try:
        value = book.get(namn.strip())
    except KeyError:
        raise VPInputError("namn", namn, "finns inte i regelboken.",
                           "Se bladet Regelbok för alla namn.") from None
    if isinstance(value, dict):
        raise VPInputError("namn", namn, "är en grupp av regler, inte ett värde.",
                           f"Välj en av: {', '.join(f'{namn}.{k}' for k in value)}.")
    if isinstance(value, list) and any(isinstance(x, (dict, list)) for x in value):
        raise VPInputError("namn", namn, "är en grupp av regler, inte ett värde.",
                           f"Välj t.ex. {namn}.0.")
    if isinstance(value, list):
        return "; ".join(str(x) for x in value)
    return value


CATALOGUE = [VP_INDICATORSCORE, VP_INDICATORCOLOR, VP_EXPLAIN, VP_GOALSCORE, VP_GOALSTATUS,
             VP_BUDGETADHERENCE, VP_BUDGETSTATUS, VP_SPLIT_LSS_SOL, VP_SPLIT_STAFF, VP_SAVING,
             VP_FULLYEAR, VP_VOLUMEADJ, VP_RULE]
