"""VP-funktionerna i Excel (xlwings UDFs): the function catalogue economists type as =VP_...(...).

Thin adapters: each function reads what Excel passes (numbers, text as typed, booleans, None for an
empty cell, lists for ranges), calls the rules in `rules/`, and gives back what the cell shows: a
single cell gives a value, a column gives a column. The goal and KF functions take the indicator
table itself (=VP_GOALSTATUS(A5:B5;Indikatortabell)) and run the same assessment as `vp refresh`.

Every function returns what Excel shows, wherever it is called from (classic add-in, xlwings Server,
the `formulas` engine): a bad input is the cell text "#VP-FEL: <reason naming the argument>", never
a traceback, and no text is longer than Excel can show in an array result (MAX_TEXT characters; the
full explanation is on the Översikt and Kontroll sheets). In a column, each bad cell shows its own
reason and the others still compute. Arguments are ASCII (ingaende, riktvarde, ...) because VBA
identifiers with å/ä/ö depend on the Windows code page; help texts are rendered from the rulebook.

Which rulebook: in the classic add-in, the one the calling cell's workbook records on its Regelbok sheet
(xlwings passes the calling cell as the reserved argument `caller`); elsewhere (Python, the `formulas`
engine, the xlwings Server functions, which get only the caller's address) the one in force.
"""

import contextlib
import functools
import inspect
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import xlwings as xw

from rules import budget, goals, splits
from rules.assess import goal_for, grade_rows, rollup
from rules.budget_assess import assess_budget
from rules.errors import CELL_ERROR_PREFIX, VPError, VPInputError
from rules.indicator import grade_indicator
from rules.rulebook import load_rulebook, use_rulebook
from rules.text import describe, render
from rules.values import key, shown_key
from xl_addin.book_adapter import XlwingsBook
from workbook import layout as L
from workbook.rulebook_record import read_record, recorded_rulebook
from workbook.tables import budget_records, find_table, grid_rows, read_indicator_table

ERROR_PREFIX = CELL_ERROR_PREFIX
MAX_TEXT = 254  # Excel turns an array holding a longer string into #VALUE! (xlwings #456, #869)
_MAX_CELLS = 200_000  # a range larger than this is refused, not read (a whole column is 1 048 576)


def _book():
    return load_rulebook()


def _doc(template):
    """A help text rendered from the rulebook in force when the add-in loads (thresholds, shares)."""
    try:
        return render(_book(), template)
    except VPError:  # a broken rulebook: the functions will say so when called
        return template


def cell_text(value):
    """A value as an Excel cell can show it: texts capped at MAX_TEXT characters."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT - 1] + "…"
    return value


def _cells(result):
    if isinstance(result, list):
        return [_cells(item) for item in result]
    return cell_text(result)


def error_text(exc):
    return cell_text(f"{ERROR_PREFIX}{exc}")


# --- the rulebook the calling workbook records ------------------------------------------------------
CALLER = "caller"  # xlwings' reserved UDF argument: the calling cell (classic add-in), never typed
RECORD_SECONDS = 5.0  # a workbook's record is read again after this long (a full recalculation follows B3)
_RECORDS = OrderedDict()  # book's full name -> (monotonic time read, its RulebookRecord or None)
_RECORD_BOOKS = 8


def _record_of(caller):
    """The rulebook record (Regelbok!A3:C3) of the calling cell's workbook: read once per workbook and
    kept RECORD_SECONDS, so a recalculation of many VP cells reads the sheet once."""
    try:
        book = caller.sheet.book
        name = book.fullname
        cached = _RECORDS.get(name)
        if cached is not None and time.monotonic() - cached[0] < RECORD_SECONDS:
            _RECORDS.move_to_end(name)
            return cached[1]
        record = read_record(XlwingsBook(book))
    except VPError:
        raise
    except Exception as exc:  # Excel did not answer (busy, a cell being edited): say so, do not guess
        raise VPInputError(L.RULEBOOK, None, f"kunde inte läsas av funktionen ({type(exc).__name__}).",
                           "Räkna om (F9) när Excel är klart.") from None
    _RECORDS[name] = (time.monotonic(), record)
    if len(_RECORDS) > _RECORD_BOOKS:
        _RECORDS.popitem(last=False)
    return record


def workbook_rulebook(caller):
    """The rulebook a VP function computes with: the one the calling workbook records (the same
    resolution as the commands, `workbook.rulebook_record`); the process's (default or VP_RULEBOOK)
    when there is no caller (a Python call, the formulas engine, the server) or no record."""
    if caller is None:
        return None
    book = recorded_rulebook(_record_of(caller))
    return book.path if book is not None else None


def _excel(func):
    """What the cell shows: the result (texts capped), or a VPError as readable text.

    The function takes xlwings' reserved argument `caller` (last): xlwings fills it with the calling
    cell and leaves it out of the Excel signature and the generated VBA. The function then computes
    with the rulebook that cell's workbook records. The wrapper's signature is what a person types
    (without `caller`), for the server's functions, the wrappers' checks and the help.
    """
    signature = inspect.signature(func)
    typed = signature.replace(parameters=[p for p in signature.parameters.values() if p.name != CALLER])

    @functools.wraps(func)
    def in_excel(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
            caller = bound.arguments.pop(CALLER, None)
            if caller is not None and not isinstance(caller, xw.Range):
                raise VPInputError(func.__name__, None, f"tar högst {len(typed.parameters)} argument.")
            recorded = workbook_rulebook(caller)
            with use_rulebook(recorded) if recorded else contextlib.nullcontext():  # else: the one in force
                return _cells(func(*bound.args, **bound.kwargs))
        except VPError as exc:  # bad input, and a broken rulebook edit (RulebookError) too
            return error_text(exc)
        except RecursionError:
            return error_text(VPInputError("argumenten", None, "är för djupt nästlade."))

    in_excel.__signature__ = typed
    return in_excel


# --- shapes: a cell, a column, a block ------------------------------------------------------------
def _shape(x):
    """None for a single value, (rows,) for a list, (rows, columns) for a list of rows."""
    if isinstance(x, (list, tuple)):
        if x and all(isinstance(r, (list, tuple)) for r in x):
            widths = {len(r) for r in x}
            if len(widths) > 1:
                raise VPInputError("området", None, f"har rader av olika längd ({', '.join(map(str, sorted(widths)))}).",
                                   "Markera ett rektangulärt område.")
            return (len(x), widths.pop())
        if any(isinstance(r, (list, tuple)) for r in x):
            raise VPInputError("området", None, "blandar enstaka värden och rader.", "Markera ett rektangulärt område.")
        return (len(x),)
    return None


def _size(shape):
    return math.prod(shape) if shape else 1


def _at(x, own, shape, index):
    if own is None:
        return x
    if own in ((1, 1), (1,)) and shape != own:
        return x[0][0] if len(own) == 2 else x[0]
    if len(own) == 1 and len(shape) == 2 and shape[1] == 1:
        return x[index[0]]
    if len(own) == 2 and len(shape) == 1:
        return x[index[0]][0]
    if len(own) == 2:
        return x[index[0]][index[1]]
    return x[index[0]]


def _broadcast(name, func, args, argnames):
    """Apply `func` cell by cell when any argument is a range; scalars go straight through."""
    shapes = [_shape(a) for a in args]
    for shape, argname in zip(shapes, argnames):
        if shape is not None and _size(shape) == 0:
            raise VPInputError(argname, None, "är ett tomt område.")
        if shape is not None and _size(shape) > _MAX_CELLS:
            raise VPInputError(argname, None, f"är för stort ({_size(shape)} celler; högst {_MAX_CELLS}).")
    ranged = [s for s in shapes if s is not None and _size(s) > 1]
    if not ranged:
        single = [a[0][0] if s == (1, 1) else a[0] if s == (1,) else a for a, s in zip(args, shapes)]
        value = func(*single)
        return [[value]] if any(s == (1, 1) for s in shapes) else value
    shape = max(ranged, key=len)
    norm = [(s[0], s[1] if len(s) == 2 else 1) for s in ranged]
    if len(set(norm)) > 1:
        sizes = ", ".join(f"{n} {r}x{c}" for n, s in zip(argnames, shapes) if s is not None and _size(s) > 1
                          for r, c in [(s[0], s[1] if len(s) == 2 else 1)])
        raise VPInputError(name, None, f"har områden av olika storlek: {sizes}.")

    def one(index):
        try:
            return cell_text(func(*[_at(a, s, shape, index) for a, s in zip(args, shapes)]))
        except VPError as exc:
            place = f"(rad {index[0] + 1})" if len(shape) == 1 or shape[1] == 1 else \
                f"(rad {index[0] + 1}, kolumn {index[1] + 1})"
            return error_text(f"{exc} {place}")

    if len(shape) == 1:
        return [one((i,)) for i in range(shape[0])]
    return [[one((i, j)) for j in range(shape[1])] for i in range(shape[0])]


# --- the indicator functions ----------------------------------------------------------------------
_INDICATOR_WHERE = ("ingaende", "riktvarde", "utfall", "aktiviteter")
_DOC_INDICATOR = {
    "ingaende": "Ingående värde, som det står i planen (61%, 71,9 (2023), 3/5, Nytt värde)",
    "riktvarde": "Riktvärde för planåret (Öka, Minska, Bibehåll, 30%, Samtliga, JA, +/- 0,5 %)",
    "utfall": "Årets utfall (65%, 72,4, 4/5, JA)",
    "aktiviteter": "Planerade eller genomförda aktiviteter: JA/NEJ (tomt = NEJ)",
}


def _indicator(pick, function_name):
    def one(ingaende, riktvarde, utfall, aktiviteter):
        return pick(grade_indicator(ingaende, riktvarde, utfall, aktiviteter, where=_INDICATOR_WHERE))

    def run(ingaende, riktvarde, utfall, aktiviteter=None):
        return _broadcast(function_name, one, (ingaende, riktvarde, utfall, aktiviteter), _INDICATOR_WHERE)

    return run


def _indicator_arguments(func):
    """The four indicator arguments, each a cell or a column (ndim=2), with their wizard help."""
    for name in reversed(tuple(_DOC_INDICATOR)):
        func = xw.arg(name, ndim=2, err_to_str=True, doc=_DOC_INDICATOR[name])(func)
    return func


def _described(template):
    def decorate(func):
        func.__doc__ = _doc(template)
        return func
    return decorate


@dataclass(frozen=True)
class Form:
    """One way to call a VP function, as its Insert Function help shows it. The help (the calls at the
    end of the description, and for the goal functions each argument's text) is generated only from
    the forms a function declares, and a test types every form into the example workbook on `sheet`
    and checks that it gives a value: no help advertises a call the function refuses."""

    sheet: str                  # the example workbook's sheet the call is written for
    call: str                   # the arguments as typed in Swedish Excel: "A5:B5;Indikatortabell"
    arguments: dict = field(default_factory=dict)  # argument -> what it is in this form (goal functions)
    part: int | None = None     # a function that gives several cells: the call picks this one with INDEX

    def formula(self, name, separator=";"):
        """The call as a formula (separator "," for how the file stores it; texts keep their ";")."""
        call = self.call if separator == ";" else re.sub(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', separator, self.call)
        inner = f"{name}({call})"
        return f"=INDEX({inner}{separator}{self.part})" if self.part else f"={inner}"


def _forms(*forms):
    """Declare a function's forms and end its description with them ("=VP_X(...), eller =VP_X(...).")."""
    def decorate(func):
        func.forms = forms
        calls = ", eller ".join(form.formula(func.__name__) for form in forms)
        func.__doc__ = f"{func.__doc__} {calls}."
        return func
    return decorate


def _form_arguments(*names):
    """Each argument's help from the forms: what it is in each form, joined by "Eller"."""
    def decorate(func):
        for name in reversed(names):
            meanings = list(dict.fromkeys(form.arguments[name] for form in func.forms if name in form.arguments))
            func = xw.arg(name, ndim=2, err_to_str=True, doc=". Eller ".join(meanings))(func)
        return func
    return decorate


_INDICATOR_FORMS = (Form(L.INDICATORS, "E5;F5;K5;L5"), Form(L.INDICATORS, '"61%";"Öka";"65%"'))


@_excel
@xw.func
@_indicator_arguments
@_forms(*_INDICATOR_FORMS)
@_described("Indikatorns poäng: 1 förbättrat, 0,5 ej förbättrat trots aktiviteter, 0 annars; annars Ej bedömd.")
def VP_INDICATORSCORE(ingaende, riktvarde, utfall, aktiviteter=None, caller=None):
    return _indicator(lambda r: r.score_or_label, "VP_INDICATORSCORE")(ingaende, riktvarde, utfall, aktiviteter)


@_excel
@xw.func
@_indicator_arguments
@_forms(*_INDICATOR_FORMS)
@_described("Indikatorns färg: Grön (förbättrat), Gul (ej förbättrat trots aktiviteter), Röd, Grå (ej bedömd).")
def VP_INDICATORCOLOR(ingaende, riktvarde, utfall, aktiviteter=None, caller=None):
    return _indicator(lambda r: r.colour, "VP_INDICATORCOLOR")(ingaende, riktvarde, utfall, aktiviteter)


@_excel
@xw.func
@_indicator_arguments
@_forms(*_INDICATOR_FORMS)
@_described("Förklaringen till indikatorns bedömning, i en mening som går att läsa upp, med regelns id.")
def VP_EXPLAIN(ingaende, riktvarde, utfall, aktiviteter=None, caller=None):
    return _indicator(lambda r: r.explanation, "VP_EXPLAIN")(ingaende, riktvarde, utfall, aktiviteter)


# --- the goal and KF functions: on the indicator table ---------------------------------------------
_ASSESSED = OrderedDict()  # the indicator table's values -> its goals (the table is read once per change)
_ASSESSED_TABLES = 4


def _frozen(grid):
    return tuple(tuple(row) if isinstance(row, (list, tuple)) else (row,) for row in grid)


def _assessed_once(cache, book, tabell, assess):
    """`assess()` of a table passed as a range, kept per (rulebook, the table's values): every goal or
    budget formula passes the whole table, and the table changes far less often than it is read."""
    try:
        frozen = (book, _frozen(tabell))
        hash(frozen)
    except TypeError:
        return assess()
    if frozen in cache:
        cache.move_to_end(frozen)
        return cache[frozen]
    cache[frozen] = assessment = assess()
    if len(cache) > _ASSESSED_TABLES:
        cache.popitem(last=False)
    return assessment


def _table_goals(tabell):
    """The goals of an indicator table passed as a range (header row included), assessed once."""
    book = _book()
    shape = _shape(tabell)
    if shape is None or len(shape) != 2 or shape[0] < 2:
        raise VPInputError("tabell", None, "ska vara indikatortabellen med rubrikraden (t.ex. Indikatortabell).")
    if _size(shape) > _MAX_CELLS:
        raise VPInputError("tabell", None, f"är för stor ({_size(shape)} celler; högst {_MAX_CELLS}).")

    def assess():
        _, rows = read_indicator_table("tabell", grid_rows(tabell), book.year, label="tabell:")
        return rollup(grade_rows(rows, book), book)

    return _assessed_once(_ASSESSED, book, tabell, assess)


def _goal_key(mal):
    """(Nämndmål, KF-mål) from one cell or two adjacent cells (A5 or A5:B5)."""
    cells = [c for row in mal for c in (row if isinstance(row, (list, tuple)) else [row])] \
        if isinstance(mal, (list, tuple)) else [mal]
    if not cells or len(cells) > 2:
        raise VPInputError("mal", None, "ska vara målets cell, eller två celler: Nämndmål och KF-mål (t.ex. A5:B5).")
    for cell in cells:
        if isinstance(cell, str) and cell.startswith("#"):
            raise VPInputError("mal", cell, "visar ett fel, inget mål.")
    return cells[0], cells[1] if len(cells) == 2 else None


def _is_table(tabell):
    shape = _shape(tabell)
    return shape is not None and len(shape) == 2 and shape[0] >= 2 and shape[1] >= 2


def _goal_outcome(mal, tabell):
    goal, kf = _goal_key(mal)
    if not key(goal):
        raise VPInputError("mal", None, "är tomt; här behövs nämndmålet (t.ex. N1).")
    return goal_for(_table_goals(tabell), goal, kf)


_GOAL_ON_TABLE = Form(L.GOALS, "A5:B5;Indikatortabell", {
    "mal": "Nämndmålet: dess cell, eller Nämndmål och KF-mål (A5:B5)",
    "tabell": "Indikatortabellen med rubriker (Indikatortabell)"})
_POINTS = "indikatorernas poäng (ett område)"


@_excel
@xw.func
@_form_arguments("mal", "tabell")
@_forms(_GOAL_ON_TABLE, Form(L.INDICATORS, "M5:M8", {"mal": _POINTS, "tabell": "utelämnas med poäng"}))
@_described("Nämndmålets medel, avrundat till två decimaler, eller Ej bedömd.")
def VP_GOALSCORE(mal, tabell=None, caller=None):
    if tabell is not None and _is_table(tabell):
        result = _goal_outcome(mal, tabell).result
    else:
        if tabell is not None:
            raise VPInputError("tabell", None, "ska vara indikatortabellen med rubrikraden (t.ex. Indikatortabell).")
        result = goals.goal_status(mal, where="poang")
    return result.average if result.average is not None else result.status


@_excel
@xw.func
@_form_arguments("mal", "tabell")
@_forms(_GOAL_ON_TABLE, Form(L.INDICATORS, 'M5:M8;"Röd"',
                             {"mal": _POINTS, "tabell": "med poäng: den dominerande indikatorns färg (valfri)"}))
@_described("Nämndmålets status: Uppfyllt (från {@goal.thresholds.uppfyllt:2}), Delvis uppfyllt (från "
            "{@goal.thresholds.delvis:2}), Ej uppfyllt, Ej bedömd; en dominerande indikator begränsar.")
def VP_GOALSTATUS(mal, tabell=None, caller=None):
    if tabell is not None and _is_table(tabell):
        return _goal_outcome(mal, tabell).result.status
    colour = tabell[0][0] if _shape(tabell) == (1, 1) else tabell
    return goals.goal_status(mal, colour, where="poang", dominant_where="tabell (dominant färg)").status


@_excel
@xw.func
@_form_arguments("mal", "tabell")
@_forms(_GOAL_ON_TABLE)
@_described("Förklaringen till nämndmålets status, med regelns id.")
def VP_GOALEXPLAIN(mal, tabell, caller=None):
    if not _is_table(tabell):
        raise VPInputError("tabell", None, "ska vara indikatortabellen med rubrikraden (t.ex. Indikatortabell).")
    return _goal_outcome(mal, tabell).result.explanation


@_excel
@xw.func
@xw.arg("kf", err_to_str=True, doc="KF-målets nummer")
@xw.arg("namndmal", err_to_str=True, doc="KF-målets nämndmål (tomt: inget nämndmål, indikativ status)")
@xw.arg("tabell", ndim=2, err_to_str=True, doc="Indikatortabellen med rubriker (Indikatortabell)")
@xw.arg("manuell", err_to_str=True, doc="Manuell status (tomt: den beräknade gäller)")
@xw.arg("motivering", err_to_str=True, doc="Motivering till den manuella statusen (krävs med den)")
@_forms(Form(L.KF_GOALS, "A5;D5;Indikatortabell;F5;G5"))
@_described("KF-målets status: samma som nämndmålets, indikativ från kontorets indikatorer utan nämndmål, eller den "
            "manuella bedömningen med motivering.")
def VP_KFSTATUS(kf, namndmal, tabell, manuell=None, motivering=None, caller=None):
    for name, value in (("kf", kf), ("namndmal", namndmal)):
        if isinstance(value, (list, tuple)):
            raise VPInputError(name, None, "är ett område med flera celler; här behövs en cell.")
    if not key(kf):
        raise VPInputError("kf", None, "är tomt; här behövs KF-målets nummer.")
    if not _is_table(tabell):
        raise VPInputError("tabell", None, "ska vara indikatortabellen med rubrikraden (t.ex. Indikatortabell).")
    goal = goal_for(_table_goals(tabell), namndmal, kf)
    return goals.kf_status(goal.result, bool(key(namndmal)), manuell, motivering, goal_name=shown_key(goal.name),
                           where=("namndmal", "manuell", "motivering")).status


# --- the budget functions ----------------------------------------------------------------------------
def _budget_arguments(func):
    """Budget and utfall, each a cell or a column (ndim=2), with their wizard help."""
    func = xw.arg("utfall", ndim=2, err_to_str=True, doc="Utfall eller prognos (mnkr)")(func)
    return xw.arg("budget", ndim=2, err_to_str=True, doc="Budget (mnkr), inte 0")(func)


def _budget(pick, function_name):
    def one(budget_value, utfall):
        return pick(budget.budget_adherence(budget_value, utfall, where=("budget", "utfall")))

    return lambda b, u: _broadcast(function_name, one, (b, u), ("budget", "utfall"))


_BUDGETS = OrderedDict()  # the budget table's values -> its assessment (read once per change)


def _table_budget(tabell):
    """The internal budget passed as a range (header row included), assessed once by the same
    function as `vp refresh` (rules.budget_assess)."""
    book = _book()
    if not _is_table(tabell):
        raise VPInputError("tabell", None, "ska vara internbudgeten med rubrikraden (t.ex. Budgettabell).")
    if _size(_shape(tabell)) > _MAX_CELLS:
        raise VPInputError("tabell", None, f"är för stor ({_size(_shape(tabell))} celler; högst {_MAX_CELLS}).")

    def assess():
        required, optional = L.BUDGET_COLUMNS
        table = find_table("tabell", grid_rows(tabell), list(required), list(optional), label="tabell:")
        return assess_budget(budget_records(table), None, L.budget_layout(), book)

    return _assessed_once(_BUDGETS, book, tabell, assess)


def _number(x):
    """An exact amount as the number a cell holds."""
    return None if x is None else float(x)


@_excel
@xw.func
@_budget_arguments
@_forms(Form(L.BUDGET, "100;98"))
@_described("Budgetföljsamhet: 100 % − |utfall − budget| / budget, avrundad till en decimal i procent.")
def VP_BUDGETADHERENCE(budget, utfall, caller=None):
    return _budget(lambda r: _number(r.adherence), "VP_BUDGETADHERENCE")(budget, utfall)


@_excel
@xw.func
@xw.arg("utfall", ndim=2, err_to_str=True, doc="Utfall eller prognos (mnkr); tomt när budget är hela internbudgeten")
@xw.arg("budget", ndim=2, err_to_str=True, doc="Budget (mnkr), inte 0; eller internbudgeten med rubriker (Budgettabell)")
@_forms(Form(L.BUDGET, "100;98"), Form(L.BUDGET, "Budgettabell"))
@_described("Budgetföljsamhetens färg: Grön från {@budget.thresholds.gron:1} %, Gul från {@budget.thresholds.gul:1} %, "
            "annars Röd; med hela internbudgeten nämndens färg för raderna med utfall/prognos.")
def VP_BUDGETSTATUS(budget, utfall=None, caller=None):
    if utfall is None and _is_table(budget):
        total = _table_budget(budget).total
        if total is None:
            raise VPInputError("budget", None, "har inga rader med utfall/prognos att bedöma.",
                               "Skriv utfall eller prognos i internbudgeten.")
        return total.colour
    return _budget(lambda r: r.colour, "VP_BUDGETSTATUS")(budget, utfall)


def _single(value, name):
    if isinstance(value, (list, tuple)):
        raise VPInputError(name, None, "är ett område med flera celler; här behövs en cell.")
    return value


@_excel
@xw.func
@xw.arg("belopp", err_to_str=True, doc="Gemensamma kostnader (mnkr)")
@xw.arg("hs_del", err_to_str=True, doc="Därav hälso- och sjukvård (HS), fördelas inte")
@xw.arg("decimaler", err_to_str=True, doc="Antal decimaler (tomt = regelbokens)")
@_forms(Form(L.SPLITS, "B4;B5", part=1), Form(L.SPLITS, "B4;B5", part=2))
@_described("Gemensamma kostnader exklusive HS: {@splits.lss_sol.LSS:%} LSS, {@splits.lss_sol.SoL:%} SoL; delarna "
            "summerar till det avrundade beloppet; två celler (LSS, SoL), INDEX väljer en:")
def VP_SPLIT_LSS_SOL(belopp, hs_del=0, decimaler=None, caller=None):
    result = splits.split("gemensam", _single(belopp, "belopp"), _single(hs_del, "hs_del"),
                          _single(decimaler, "decimaler"))
    return [list(result.parts.values())]


@_excel
@xw.func
@xw.arg("belopp", err_to_str=True, doc="Gemensamma stabskostnader (mnkr)")
@xw.arg("decimaler", err_to_str=True, doc="Antal decimaler (tomt = regelbokens)")
@_forms(Form(L.SPLITS, "B9", part=1), Form(L.SPLITS, "B9", part=2))
@_described("Stabens gemensamma kostnader: {@splits.staff.Äldreomsorgsnämnden:%} Äldreomsorgsnämnden, "
            "{@splits.staff.Omsorgsnämnden:%} Omsorgsnämnden; två celler i den ordningen, INDEX väljer en:")
def VP_SPLIT_STAFF(belopp, decimaler=None, caller=None):
    result = splits.split("stab", _single(belopp, "belopp"), None, _single(decimaler, "decimaler"))
    return [list(result.parts.values())]


@_excel
@xw.func
@xw.arg("tabell", ndim=2, err_to_str=True, doc="Internbudgeten med rubriker (Budgettabell)")
@_forms(Form(L.SAVING, "Budgettabell"))
@_described("Besparingens bas: summan av förslaget till budget för raderna som inte är volymbaserade (Volymbaserad = "
            "NEJ).")
def VP_SAVINGBASE(tabell, caller=None):
    assessment = _table_budget(tabell)
    if assessment.saving_base is None:
        unreadable = [f for f in assessment.findings if f.rule.startswith(("R1", "R8."))]
        problem = unreadable[0].message if unreadable else "kan inte läsas."
        raise VPInputError("tabell", None, problem)
    return _number(assessment.saving_base)


@_excel
@xw.func
@xw.arg("bas", ndim=2, err_to_str=True, doc="Budget för den ej volymbaserade verksamheten (mnkr)")
@_forms(Form(L.SAVING, "B4"))
@_described("Besparingskravet: −{@saving.rate:%} av den ej volymbaserade verksamheten (−1,7 för 56,7).")
def VP_SAVING(bas, caller=None):
    return _broadcast("VP_SAVING", lambda b: _number(budget.saving(b, where="bas")), (bas,), ("bas",))


@_excel
@xw.func
@xw.arg("sats", ndim=2, err_to_str=True, doc="Uppräkning (2% eller 0,02)")
@xw.arg("startmanad", ndim=2, err_to_str=True, doc="Månad då uppräkningen börjar gälla (1–12; juni = 6)")
@_forms(Form(L.PRICES, "B5;C5"), Form(L.PRICES, '"2%";6'))
@_described("Helårseffekt av en prisuppräkning: sats × (13 − startmånad) / 12 (2 % från juni = 1,17 %).")
def VP_FULLYEAR(sats, startmanad, caller=None):
    return _broadcast("VP_FULLYEAR", lambda s, m: budget.full_year_effect(s, m, where=("sats", "startmanad")),
                      (sats, startmanad), ("sats", "startmanad"))


@_excel
@xw.func
@xw.arg("budgeterad_volym", ndim=2, err_to_str=True, doc="Budgeterad volym")
@xw.arg("ny_volym", ndim=2, err_to_str=True, doc="Ny volym vid avläsningen")
@xw.arg("standardkostnad", ndim=2, err_to_str=True, doc="Standardkostnad per volymenhet")
@_forms(Form(L.VOLUMES, "10;12;2"))
@_described("Volymjustering: (ny volym − budgeterad volym) × standardkostnad.")
def VP_VOLUMEADJ(budgeterad_volym, ny_volym, standardkostnad, caller=None):
    names = ("budgeterad_volym", "ny_volym", "standardkostnad")
    return _broadcast("VP_VOLUMEADJ", lambda a, b, c: budget.volume_adjustment(a, b, c, where=names),
                      (budgeterad_volym, ny_volym, standardkostnad), names)


@_excel
@xw.func
@xw.arg("namn", err_to_str=True, doc="En regels eller kontrolls id (R2.oka.met, R3.nyckel.id_saknas) eller en parameter i regelboken (budget.thresholds.gron)")
@_forms(Form(L.RULES, '"R2.oka.met"'), Form(L.RULEBOOK, '"goal.thresholds.uppfyllt"'))
@_described("En regel i regelboken (vad den säger och vad den ger), eller värdet av en parameter.")
def VP_RULE(namn, caller=None):
    book = _book()
    if isinstance(namn, (list, tuple)):
        raise VPInputError("namn", None, "är ett område med flera celler; här behövs en regels namn i en cell.")
    if not isinstance(namn, str) or not namn.strip():
        raise VPInputError("namn", namn, "ska vara en regels id (R2.oka.met) eller en parameter (goal.thresholds.uppfyllt).")
    name = namn.strip()
    if name in book.by_id:
        return describe(book, book.rule(name))
    if name in book.checks:
        return describe(book, book.checks[name])
    if name == "rules" or name.startswith("rules."):
        raise VPInputError("namn", namn, "är inte en regels id.", "Skriv regelns id, t.ex. R2.oka.met (bladet Regelbok).")
    try:
        value = book.get(name)
    except KeyError:
        raise VPInputError("namn", namn, "finns inte i regelboken.", "Se bladet Regelbok för alla namn.") from None
    if isinstance(value, dict):
        raise VPInputError("namn", namn, "är en grupp av parametrar, inte ett värde.",
                           f"Välj en av: {', '.join(f'{name}.{k}' for k in list(value)[:8])}.")
    if isinstance(value, list) and any(isinstance(x, (dict, list)) for x in value):
        raise VPInputError("namn", namn, "är en grupp av parametrar, inte ett värde.", f"Välj t.ex. {name}.0.")
    if isinstance(value, list):
        return "; ".join(str(x) for x in value)
    return value


CATALOGUE = [VP_INDICATORSCORE, VP_INDICATORCOLOR, VP_EXPLAIN, VP_GOALSCORE, VP_GOALSTATUS, VP_GOALEXPLAIN,
             VP_KFSTATUS, VP_BUDGETADHERENCE, VP_BUDGETSTATUS, VP_SPLIT_LSS_SOL, VP_SPLIT_STAFF, VP_SAVINGBASE,
             VP_SAVING, VP_FULLYEAR, VP_VOLUMEADJ, VP_RULE]


def clear_caches():
    _ASSESSED.clear()
    _BUDGETS.clear()
    _RECORDS.clear()
