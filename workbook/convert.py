"""`vp convert`: switch a workbook between the classic add-in (`=VP_INDICATORSCORE(...)`) and the VP
server (Office.js, `=VP.INDICATORSCORE(...)`), changing nothing but the VP function calls.

How Excel stores an Office.js custom function in the file is `OFFICE_JS_STORED_PREFIX` + the name
(the one constant for it). The evidence, all public, none from a real Excel here:
- an Excel engineer (OfficeDev/Excel-Custom-Functions#108): "For Javascript Custom Functions, we by
  default save out with a different prefix `_xldudf`" (XLL functions save as `_xll.`);
- workbooks saved by Excel, read back by other programs: `_xldudf_CX_GET(...)`, `_xldudf_WISEPRICE(...)`,
  `_xldudf_optionsamurai_stock(...)` (namespace, "_" for the dot, name); OfficeDev/office-js#2568
  shows the sheet XML holding `_xldudf_XXX` and #5611 the formula bar showing `=_xldudf_...` when the
  add-in is not loaded;
- the namespace is the manifest's: xlwings Server writes `XLWINGS_FUNCTIONS_NAMESPACE` ("VP", see
  `xl_addin/server`) in upper case, and outside the prod environment appends "_" + the environment
  ("VP_DEV"), so only a workbook made against the prod server has the names converted here; a
  `_xldudf_VP_DEV_...` call is refused as an unknown VP name.
With the namespace "VP" the stored server form is the classic name with the prefix in front:
`VP_INDICATORSCORE(` <-> `_xldudf_VP_INDICATORSCORE(`. docs/excel-checklist.md has the check that the
first real Excel confirms it.

Formulas are rewritten where the file keeps them: cells (also shared and array formulas: the text is
in the first cell), defined names, data validation and conditional formatting (also their x14
extensions). A part without a VP call is copied byte for byte; in a changed part only the function
names change (`patch.splice`), so cached values, styles and everything else stay. Text inside string
literals and quoted sheet names is never touched.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from rules.errors import VPError

from .package import FileRefused, Package, quoted
from .patch import PartError, span_tree, splice, tag_end

# How Excel saves a call of the VP server's function NAMESPACE.NAME: "_xldudf_" + "VP" + "_" + NAME.
OFFICE_JS_STORED_PREFIX = "_xldudf_"
CLASSIC, SERVER = "classic", "server"
FORMULA_LIMIT = 8192          # characters in one formula (Excel's limit)
SHOWN_CELLS = 5               # cells named in a refusal before "med flera"

_FORMULA_ELEMENTS = {"f", "formula", "formula1", "formula2"}
_QUOTES = ('"', "&quot;", "&#34;", "&#x22;")
_APOSTROPHES = ("'", "&apos;", "&#39;", "&#x27;")
_NAME = re.compile(r"[A-Za-z_\\][A-Za-z0-9_.]*(?=\()")


class ConvertRefused(FileRefused):
    """The workbook cannot be converted (Swedish, names the cells)."""


class NothingToConvert(VPError):
    """The workbook has no VP call at all: said, exit 0, nothing written."""


def catalogue_names():
    """The classic names of the VP functions, from the catalogue (never a list kept here)."""
    from xl_addin import udfs

    return {func.__name__.upper(): func.__name__ for func in udfs.CATALOGUE}


def stored_server_name(classic):
    """VP_INDICATORSCORE -> _xldudf_VP_INDICATORSCORE (what Excel saves for =VP.INDICATORSCORE)."""
    from xl_addin.server import DEFAULTS

    namespace = DEFAULTS["XLWINGS_FUNCTIONS_NAMESPACE"]
    short = classic[len("VP_"):]
    stored = f"{OFFICE_JS_STORED_PREFIX}{namespace}_{short}"
    if stored != OFFICE_JS_STORED_PREFIX + classic:  # what _renamed relies on
        raise VPError(f"Serverns namnrymd {namespace!r} är inte de klassiska namnens prefix VP; vp convert "
                      "kan då inte byta namnen.")
    return stored


def displayed_server_name(classic):
    """VP_INDICATORSCORE -> VP.INDICATORSCORE (what a person types and Office.js `range.formulas` shows)."""
    from xl_addin.server import DEFAULTS

    return f"{DEFAULTS['XLWINGS_FUNCTIONS_NAMESPACE']}.{classic[len('VP_'):]}"


@dataclass
class Call:
    """One function name followed by "(" outside string literals: where it is and what it is."""

    start: int
    end: int
    form: str | None        # CLASSIC, SERVER, or None (a VP name the catalogue does not know)
    classic: str | None     # the catalogue's name
    text: str
    external: bool = False  # written after "!" (a call into another workbook or an add-in file)


def _calls(text, names, shown=False):
    """The VP calls in a formula as stored in XML (entities left as they are). `shown`: the display
    form of the server's names (VP.X) is recognised instead of the stored one."""
    stored = {stored_server_name(c).upper(): c for c in names.values()}
    displayed = {displayed_server_name(c).upper(): c for c in names.values()}
    prefix = (OFFICE_JS_STORED_PREFIX + "VP_").upper()
    out, at, size = [], 0, len(text)
    while at < size:
        quote = next((q for q in (*_QUOTES, *_APOSTROPHES) if text.startswith(q, at)), None)
        if quote is not None:  # a string literal or a quoted sheet name: skipped whole ("" inside is two)
            closing = _QUOTES if quote in _QUOTES else _APOSTROPHES
            at += len(quote)
            while at < size and not any(text.startswith(q, at) for q in closing):
                at += 1
            at += len(next((q for q in closing if text.startswith(q, at)), ""))
            continue
        match = _NAME.match(text, at)
        if match is None or (at and (text[at - 1].isalnum() or text[at - 1] in "_.\\")):
            at += 1
            continue
        name, upper = match.group(), match.group().upper()
        external = at > 0 and text[at - 1] == "!"
        if upper in names:
            out.append(Call(at, match.end(), CLASSIC, names[upper], name, external))
        elif not shown and upper in stored:
            out.append(Call(at, match.end(), SERVER, stored[upper], name, external))
        elif shown and upper in displayed:
            out.append(Call(at, match.end(), SERVER, displayed[upper], name, external))
        elif upper.startswith("VP_") or upper.startswith(prefix) or (shown and upper.startswith("VP.")):
            out.append(Call(at, match.end(), None, None, name, external))
        at = match.end()
    return out


def _renamed(call, to, shown):
    """A call's name in the form `to`, keeping the letters as written (so a round trip gives back the
    same bytes): the server's namespace "VP" is the classic names' own prefix, so the stored name is
    the prefix in front of the classic name, and the shown name has "." for the first "_"."""
    text = call.text
    if call.form == to:
        return text
    if to == SERVER:
        return text.replace("_", ".", 1) if shown else OFFICE_JS_STORED_PREFIX + text
    return text.replace(".", "_", 1) if shown else text[len(OFFICE_JS_STORED_PREFIX):]


def rewrite(text, to, names=None, shown=False):
    """`text` (a formula, or the content of a formula element) with every VP call in the form `to`.
    `shown`: server names as displayed (VP.X, for Office.js `range.formulas`) instead of as stored."""
    names = names or catalogue_names()
    out, at = [], 0
    for call in _calls(text, names, shown):
        if call.form is None or call.external:
            continue
        out += [text[at:call.start], _renamed(call, to, shown)]
        at = call.end
    return "".join(out) + text[at:]


@dataclass
class _Found:
    where: str              # "Indikatorer!F5", "namnet X", "dataverifieringen i Blad!A1:A9"
    part: str
    start: int              # the element's content in the part's bytes
    end: int
    text: str
    calls: list


@dataclass
class Plan:
    """What a conversion found and would change."""

    found: list = field(default_factory=list)  # _Found: every formula with a VP call



def _places(package):
    """(part, description of the part's place) for every part that may hold a VP formula."""
    yield package.workbook_part, None
    for name, part, _ in package.sheets:
        if part is not None and package.has(part):
            yield part, name


def _unescaped(text):
    from xml.sax.saxutils import unescape

    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def _where(node, sheet):
    """Where a formula element is, as a person finds it in Excel."""
    if sheet is None:
        return f"namnet {quoted(node.get('name') or '')}"
    ancestors, up = [], node.parent
    while up is not None:
        ancestors.append(up)
        up = up.parent
    for up in ancestors:
        if up.local == "c":
            return f"{sheet}!{up.get('r')}"
        if up.local in ("dataValidation", "conditionalFormatting"):
            what = "dataverifieringen" if up.local == "dataValidation" else "villkorsstyrda formateringen"
            ref = up.get("sqref") or next((c.text for c in up.children if c.local == "sqref"), None) or "?"
            return f"{what} i {sheet}!{ref}"
    return f"bladet {sheet}"


def plan(package, names=None):
    """Every formula with a VP call in the package, read from the parts themselves."""
    names = names or catalogue_names()
    result = Plan()
    for part, sheet in _places(package):
        data = package.read(part)
        if b"VP" not in data.upper():
            continue  # no VP call can be in a part without the letters
        try:
            root = span_tree(data, keep_text=("sqref",))
        except PartError as exc:
            raise ConvertRefused(f"{package.name}: delen {part} {exc}.") from None
        wanted = {"definedName"} if sheet is None else _FORMULA_ELEMENTS
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(reversed(node.children))
            if node.local not in wanted or node.inner is None:
                continue
            start = tag_end(data, node)
            text = data[start:node.inner].decode("utf-8")
            calls = _calls(text, names)
            if calls:
                result.found.append(_Found(_where(node, sheet), part, start, node.inner, text, calls))
    return result


def _listed(places):
    shown = ", ".join(places[:SHOWN_CELLS])
    return shown + (f" med flera ({len(places)} st.)" if len(places) > SHOWN_CELLS else "")


def _check(label, found, to):
    """Refuse (ConvertRefused, one Swedish line naming the places) an unknown VP name, a call through
    another file, or both forms at once; returns whether anything is in the other form than `to`.
    `found`: items with `.where` and `.calls`."""
    unknown = [f"{f.where} ({quoted(c.text, 40)})" for f in found for c in f.calls if c.form is None]
    if unknown:
        raise ConvertRefused(f"{label}: VP-funktioner som katalogen inte känner: {_listed(unknown)}. Rätta "
                             "namnet (eller ta bort formeln) och försök igen; ingenting ändrades.")
    external = [f"{f.where} ({quoted(c.text, 40)})" for f in found for c in f.calls if c.external]
    if external:
        raise ConvertRefused(f"{label}: VP-funktioner som anropas via en annan fil (med ! före namnet): "
                             f"{_listed(external)}. Skriv formeln utan filnamnet och försök igen; ingenting ändrades.")
    classic = [f.where for f in found if any(c.form == CLASSIC for c in f.calls)]
    server = [f.where for f in found if any(c.form == SERVER for c in f.calls)]
    if classic and server:
        raise ConvertRefused(f"{label}: arbetsboken har VP-funktioner i båda formerna, det klassiska "
                             f"tilläggets (VP_…) i {_listed(classic)} och serverns (VP.…) i {_listed(server)}. "
                             "Gör dem lika för hand först; ingenting ändrades.")
    return bool(server if to == CLASSIC else classic)


def convert_package(package, to, names=None, found=None):
    """The changed parts {part: bytes} that put every VP call of `package` in the form `to`; {} if
    every call already is in that form (or there is none). `found`: the package's `plan`, if made.
    Refuses (ConvertRefused, Swedish, cells named) a workbook
    with both forms, an unknown VP name, a call into another file, or a formula that gets too long."""
    names = names or catalogue_names()
    found = found or plan(package, names)
    if not _check(package.name, found.found, to):
        return {}
    edits, too_long = {}, []
    for item in found.found:
        new = rewrite(item.text, to, names)
        if item.part != package.workbook_part and len(_unescaped(new)) > FORMULA_LIMIT:
            too_long.append(item.where)
        edits.setdefault(item.part, []).append((item.start, item.end, new.encode("utf-8")))
    if too_long:
        raise ConvertRefused(f"{package.name}: formeln i {_listed(too_long)} blir längre än Excels gräns på "
                             f"{FORMULA_LIMIT:_} tecken efter bytet; korta formeln och försök igen. "
                             "Ingenting ändrades.".replace("_", " "))
    return {part: splice(package.read(part), part_edits) for part, part_edits in edits.items()}


@dataclass
class _Shown:
    where: str
    calls: list


def convert_shown(entries, to, label="Bytet går inte"):
    """For the task pane: formulas as Office.js `range.formulas` shows them ({"where", "formula"} each,
    VP.X for the server's names), rewritten into the form `to`: [(index, new formula)] for those that
    change, [] if none does. Refused with the places named exactly as `vp convert` refuses a file."""
    names = catalogue_names()
    found, texts = [], []
    for index, entry in enumerate(entries):
        formula = str(entry.get("formula") or "")
        calls = _calls(formula, names, shown=True)
        if calls:
            found.append(_Shown(str(entry.get("where") or "?"), calls))
            texts.append((index, formula))
    if not _check(label, found, to):
        return []
    changed = [(index, rewrite(formula, to, names, shown=True)) for index, formula in texts]
    too_long = [entries[i].get("where") or "?" for i, new in changed if len(new) - 1 > FORMULA_LIMIT]
    if too_long:
        raise ConvertRefused(f"{label}: formeln i {_listed(too_long)} blir längre än Excels gräns på "
                             f"{FORMULA_LIMIT:_} tecken efter bytet; ingenting ändrades.".replace("_", " "))
    return [(i, new) for i, new in changed if new != entries[i].get("formula")]


def form_label(to):
    return "det klassiska tillägget (VP_…)" if to == CLASSIC else "VP-servern (VP.…)"


def convert_file(path, to, out=None):
    """Convert `path` (or write the converted copy to `out`): the same checks, lock, backup and atomic
    save as `vp refresh`. Returns (written path or None when nothing changed, backup or None)."""
    from .xlsx import XlsxBook, check_not_open

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ConvertRefused(f"{path.name}: vp convert hanterar .xlsx och .xlsm, inte {quoted(path.suffix or 'utan ändelse')}.")
    target = Path(out) if out else path
    if out and target.suffix.lower() != path.suffix.lower():
        raise ConvertRefused(f"{target.name}: kopian måste ha samma ändelse som originalet ({path.suffix}).")
    if out and target.resolve() == path.resolve():
        target, out = path, None
    check_not_open(path)
    if out:
        check_not_open(target)
    book = XlsxBook(path)
    found = plan(book.package)
    if not found.found:
        raise NothingToConvert(f"{path.name} har inga VP-funktioner; ingenting ändrades.")
    replaced = convert_package(book.package, to, found=found)
    if not replaced:
        return None, None
    book.wb = _Converted(book.package, replaced)
    return target, book.save(target=target, macros=True)


class _Converted:
    """The converted package as the file adapter's pending workbook (what XlsxBook.save writes)."""

    def __init__(self, package, replaced):
        self.package, self.replaced = package, replaced

    def save(self, target):
        from .patch import write_package

        write_package(self.package, target, self.replaced)


def convert_bytes(data, name, to):
    """A workbook's bytes converted (for `vp new --server`); refusals as in convert_package."""
    from .patch import package_bytes

    package = Package(Path(name), data=data)
    replaced = convert_package(package, to)
    return package_bytes(package, replaced) if replaced else data


__all__ = ["CLASSIC", "SERVER", "OFFICE_JS_STORED_PREFIX", "ConvertRefused", "NothingToConvert", "convert_bytes",
           "convert_file", "convert_package", "convert_shown", "rewrite"]
