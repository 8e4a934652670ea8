"""Writing into a workbook package without round-tripping it: only the parts that must change are
rewritten, every other part is copied unchanged (same bytes after unpacking).

A part that must change (an output sheet, styles.xml when a fill is new, the content types and the
workbook's sheet list when an output sheet is created) is parsed with expat, which reports where every
element starts and ends in the original bytes. The new part is the original bytes with only the
changed elements replaced (`splice`): namespace declarations, prefixes, unknown extensions and
everything this module does not understand stay exactly as they were. New markup is written with the
prefix the part already uses for its namespace and escaped with xml.sax.saxutils.

Texts are written as inline strings (`t="inlineStr"`), so the shared string table is never touched,
and a text is never a formula, whatever it begins with (a text beginning with = + - @ also gets Excel's
"quote prefix" style, so editing the cell in Excel keeps it text).
"""

import io
import math
import re
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from xml.sax.saxutils import escape, quoteattr

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from .package import (CT_WORKSHEET, REL_NS, REL_WORKSHEET, DTDForbidden, _xml_problem, expat_parser,
                      quoted)

KEEP = object()          # a style property left as it is
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
EXCEL_TEXT_LIMIT = 32767  # characters in one cell
FORMULA_LEADS = ("=", "+", "-", "@")
MAX_ROW, MAX_COLUMN = 1048576, 16384

_START_TAG = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]")
_ESCAPED = re.compile("_(x[0-9A-Fa-f]{4}_)")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


# --- parts as spans ----------------------------------------------------------------------------------

class Node:
    """An element of a parsed part: its name as written (with prefix), attributes in order, and where
    it is in the bytes: `start` ('<'), `end` (after the element), `inner` (the end tag's '</', or None
    for an empty element written as <x/>)."""

    __slots__ = ("name", "attrs", "start", "end", "inner", "children", "text", "parent")

    def __init__(self, name, attrs, start, parent):
        self.name, self.attrs, self.start, self.parent = name, attrs, start, parent
        self.end = self.inner = None
        self.children = []
        self.text = None

    @property
    def local(self):
        return self.name.rsplit(":", 1)[-1]

    def get(self, key, default=None):
        for k, v in self.attrs:
            if k == key:
                return v
        return default

    def child(self, name):
        return next((c for c in self.children if c.local == name), None)

    def all(self, name):
        return [c for c in self.children if c.local == name]


class PartError(ValueError):
    """A part this module cannot patch; the message is Swedish (without the file name)."""


def span_tree(data, keep_text=()):
    """The part's root `Node`; text is kept for elements whose local name is in `keep_text`."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise PartError("är sparad som UTF-16, vilket inte kan ändras här; spara filen i Excel igen")
    parser = expat_parser()
    parser.buffer_text = True
    parser.ordered_attributes = True
    stack, roots = [], []

    def declaration(version, encoding, standalone):
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise PartError(f"är sparad med teckenkodningen {quoted(encoding, 30)}, som inte kan ändras här")

    def start(name, attributes):
        parent = stack[-1] if stack else None
        node = Node(name, list(zip(attributes[::2], attributes[1::2])), parser.CurrentByteIndex, parent)
        if parent is not None:
            parent.children.append(node)
        else:
            roots.append(node)
        if keep_text and name.rsplit(":", 1)[-1] in keep_text:
            node.text = ""
        stack.append(node)
        last[0] = node

    def end(name):
        node = stack.pop()
        at = parser.CurrentByteIndex
        if last[0] is node and data[at - 2:at] == b"/>":
            node.end = at  # <x/>: expat points just after it (perhaps at the parent's end tag)
        else:
            node.inner = at  # expat points at this element's end tag
            node.end = data.index(b">", at) + 1
        last[0] = None

    def characters(text):
        last[0] = None
        if stack and stack[-1].text is not None:
            stack[-1].text += text

    last = [None]  # the element just started, while nothing else has come after it

    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except (DTDForbidden, Exception) as exc:  # expat errors, DTDs
        if isinstance(exc, PartError):
            raise
        raise PartError(_xml_problem(exc)) from None
    return roots[0]


def tag_end(data, node):
    """The offset just after the start tag of `node`."""
    match = _START_TAG.match(data, node.start)
    if not match:  # cannot happen for a part expat accepted
        raise PartError("har en starttagg som inte går att läsa")
    return match.end()


def start_tag(name, attrs, empty=False):
    text = "<" + name + "".join(f" {k}={quoteattr(v)}" for k, v in attrs)
    return (text + ("/>" if empty else ">")).encode("utf-8")


def set_attr(attrs, key, value):
    """A copy of an attribute list with `key` set (in place if present, else appended)."""
    out, found = [], False
    for k, v in attrs:
        if k == key:
            if value is not None:
                out.append((k, value))
            found = True
        else:
            out.append((k, v))
    if not found and value is not None:
        out.append((key, value))
    return out


def splice(data, edits):
    """`data` with each (start, end, new bytes) edit applied; edits must not overlap."""
    out, at = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < at:
            raise PartError("har överlappande ändringar")  # a bug here, never the user's
        out.append(data[at:start])
        out.append(new)
        at = end
    out.append(data[at:])
    return b"".join(out)


def prefix_of(node):
    return node.name[: -len(node.local)]  # "x:" or ""


def append_children(data, node, new_children, count=True):
    """Edits adding `new_children` (bytes) at the end of `node`, updating its count attribute."""
    if not new_children:
        return []
    total = len(node.children) + len(new_children)
    attrs = set_attr(node.attrs, "count", str(total)) if count else node.attrs
    body = b"".join(new_children)
    if node.inner is None:  # <fills count="0"/>
        return [(node.start, node.end, start_tag(node.name, attrs) + body + f"</{node.name}>".encode())]
    return [(node.start, tag_end(data, node), start_tag(node.name, attrs)), (node.inner, node.inner, body)]


# --- cell values as OOXML ----------------------------------------------------------------------------

def ooxml_text(text):
    """A Python text as cell text: Excel's own _xHHHH_ escape for characters XML cannot hold (a literal
    _xHHHH_ is escaped so Excel shows it as typed), capped at Excel's 32 767 characters."""
    text = text[:EXCEL_TEXT_LIMIT]
    if "_x" in text:
        text = _ESCAPED.sub(r"_x005F_\1", text)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else f"_x{ord(m.group()):04X}_",
                            text)
    return escape(text)


def cell_xml(prefix, ref, value, style, epoch):
    """One <c> element for a value: numbers as numbers, texts as inline strings (never a formula)."""
    s = f' s="{style}"' if style else ""
    c = prefix + "c"
    if type(value) is str and value:
        return (f'<{c} r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t xml:space="preserve">{ooxml_text(value)}'
                f'</{prefix}t></{prefix}is></{c}>')
    if isinstance(value, (Decimal, Fraction)):
        value = float(value)
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return f'<{c} r="{ref}"{s}/>' if style else ""
    if type(value).__name__ == "ExcelError" and value in EXCEL_ERRORS:
        return f'<{c} r="{ref}"{s} t="e"><{prefix}v>{escape(value)}</{prefix}v></{c}>'
    if isinstance(value, bool):
        return f'<{c} r="{ref}"{s} t="b"><{prefix}v>{int(value)}</{prefix}v></{c}>'
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isinf(value):
            return f'<{c} r="{ref}"{s} t="e"><{prefix}v>#NUM!</{prefix}v></{c}>'
        if isinstance(value, int) and abs(value) >= 2 ** 53:
            value = float(value)
        return f'<{c} r="{ref}"{s}><{prefix}v>{value!r}</{prefix}v></{c}>'
    if isinstance(value, (datetime, date, time, timedelta)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return f'<{c} r="{ref}"{s}><{prefix}v>{to_excel(value, epoch)!r}</{prefix}v></{c}>'
    text = ooxml_text(str(value))
    return (f'<{c} r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t xml:space="preserve">{text}</{prefix}t>'
            f'</{prefix}is></{c}>')


def is_text_formula_like(value):
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def parse_ref(ref):
    match = _REF.match(ref or "")
    if not match:
        return None
    return int(match.group(2)), column_index_from_string(match.group(1).upper())


def parse_range(ref):
    """'A1:C3' -> (row1, col1, row2, col2), or None."""
    first, _, last = (ref or "").partition(":")
    a, b = parse_ref(first), parse_ref(last or first)
    if not a or not b:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


# --- styles --------------------------------------------------------------------------------------------

def _key(node):
    """A node's content, independent of namespace prefixes and attribute order."""
    return (node.local, tuple(sorted((k.rsplit(":", 1)[-1], v) for k, v in node.attrs if not k.startswith("xmlns"))),
            tuple(_key(c) for c in node.children), (node.text or "").strip() if node.text else "")


class Styles:
    """styles.xml: number formats, fonts, fills and cell formats (cellXfs), extended only by appending,
    deterministically, and reusing what is there. Unchanged, it is written back byte for byte."""

    def __init__(self, package, part):
        self.part = part
        self.data = package.read(part)
        try:
            self.root = span_tree(self.data)
        except PartError as exc:
            package.refuse(f"stilarna ({part}) {exc}.")
        self.prefix = prefix_of(self.root)
        self.numfmts_node = self.root.child("numFmts")
        self.numfmts = {}
        for n in (self.numfmts_node.all("numFmt") if self.numfmts_node is not None else []):
            try:
                self.numfmts[int(n.get("numFmtId"))] = n.get("formatCode", "")
            except (TypeError, ValueError):
                continue
        self.fonts_node, self.fills_node = self.root.child("fonts"), self.root.child("fills")
        self.xfs_node = self.root.child("cellXfs")
        self.fonts = [_key(n) for n in self.fonts_node.all("font")] if self.fonts_node is not None else []
        self.fills = [_key(n) for n in self.fills_node.all("fill")] if self.fills_node is not None else []
        # each cell format as (element name, attributes, the rest of its bytes after the start tag or None)
        self.xfs = [(n.name, n.attrs, None if n.inner is None else self.data[tag_end(self.data, n):n.end])
                    for n in (self.xfs_node.all("xf") if self.xfs_node is not None else [])]
        self.xf_keys = [_key(n) for n in (self.xfs_node.all("xf") if self.xfs_node is not None else [])]
        self.new_numfmts, self.new_fonts, self.new_fills, self.new_xfs = [], [], [], []
        self.memo = {}
        self.package = package

    @property
    def changed(self):
        return bool(self.new_numfmts or self.new_fonts or self.new_fills or self.new_xfs)

    def number_format_codes(self):
        """The number format code of each cell format (for reading dates)."""
        if getattr(self, "_codes", None) is not None and len(self._codes) == len(self.xfs):
            return self._codes
        codes = []
        for _, attrs, _ in self.xfs:
            try:
                number = int(dict(attrs).get("numFmtId", "0"))
            except ValueError:
                number = 0
            codes.append(self.numfmts.get(number, BUILTIN_FORMATS.get(number)))
        self._codes = codes
        return codes

    def _fragment_key(self, xml):
        return _key(span_tree(xml.encode("utf-8")))

    def _require(self, node, what):
        if node is None:
            self.package.refuse(f"stilarna ({self.part}) saknar {what}, så utdatabladens färger kan inte "
                                "skrivas; spara filen i Excel igen.")

    def fill_id(self, rgb):
        """The index of a solid fill of colour `rgb` ('C6EFCE'), or of no fill (None); appended if new."""
        self._require(self.fills_node, "fyllningar (fills)")
        p = self.prefix
        if rgb is None:
            candidates = [f'<{p}fill><{p}patternFill patternType="none"/></{p}fill>', f"<{p}fill><{p}patternFill/></{p}fill>"]
        else:
            argb = ("FF" + rgb if len(rgb) == 6 else rgb).upper()
            candidates = [f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{argb}"/>'
                          f'<{p}bgColor rgb="{argb}"/></{p}patternFill></{p}fill>']
        keys = [self._fragment_key(c) for c in candidates]
        for index, key in enumerate(self.fills):
            if key in keys:
                return index
        self.fills.append(keys[0])
        self.new_fills.append(candidates[0].encode("utf-8"))
        return len(self.fills) - 1

    def numfmt_id(self, code):
        for number, existing in self.numfmts.items():
            if existing == code:
                return number
        for number, existing in BUILTIN_FORMATS.items():
            if existing == code:
                return number
        number = max([163, *self.numfmts]) + 1
        self.numfmts[number] = code
        self.new_numfmts.append(start_tag(self.prefix + "numFmt", [("numFmtId", str(number)), ("formatCode", code)],
                                          empty=True))
        return number

    def bold_font_id(self, font_id):
        self._require(self.fonts_node, "typsnitt (fonts)")
        nodes = self.fonts_node.all("font")
        if not 0 <= font_id < len(nodes):
            font_id = 0
        if not nodes:
            self._require(None, "typsnitt (fonts)")
        node = nodes[font_id] if font_id < len(nodes) else None
        if node is not None and node.child("b") is not None and node.child("b").get("val", "1") in ("1", "true"):
            return font_id
        p = self.prefix
        inner = b"" if node is None or node.inner is None else self.data[tag_end(self.data, node):node.inner]
        inner = re.sub(rb"<(\w+:)?b\s+val=\"(0|false)\"\s*/>", b"", inner)
        xml = f"<{p}font><{p}b/>".encode() + inner + f"</{p}font>".encode()
        key = _key(span_tree(xml))
        if key in self.fonts:
            return self.fonts.index(key)
        self.fonts.append(key)
        self.new_fonts.append(xml)
        return len(self.fonts) - 1

    def derive(self, base, fill=KEEP, number_format=None, quote=False, bold=False):
        """The cell format like `base` but with another fill (an RGB colour or None for none), number
        format, quote prefix or bold font; an existing equal format is reused, else one is appended."""
        memo_key = (base, fill, number_format, quote, bold)
        if memo_key in self.memo:
            return self.memo[memo_key]
        self._require(self.xfs_node, "cellformat (cellXfs)")
        if not self.xfs:
            self._require(None, "cellformat (cellXfs)")
        if not 0 <= base < len(self.xfs):
            base = 0
        name, original, rest = self.xfs[base]
        attrs, get = list(original), dict(original).get
        if fill is not KEEP:
            fill_id = str(self.fill_id(fill))
            if (get("fillId") or "0") != fill_id:
                # no fill: applyFill goes too, so a cleared cell gets back the format it had before its fill
                attrs = set_attr(set_attr(attrs, "fillId", fill_id), "applyFill", None if fill is None else "1")
        if number_format is not None:
            number = str(self.numfmt_id(number_format))
            if (get("numFmtId") or "0") != number:
                attrs = set_attr(set_attr(attrs, "numFmtId", number), "applyNumberFormat", "1")
        if quote and get("quotePrefix") not in ("1", "true"):
            attrs = set_attr(attrs, "quotePrefix", "1")
        if bold:
            font_id = int(get("fontId")) if (get("fontId") or "").isdigit() else 0
            bold_id = str(self.bold_font_id(font_id))
            if str(font_id) != bold_id:
                attrs = set_attr(set_attr(attrs, "fontId", bold_id), "applyFont", "1")
        if attrs == original:
            self.memo[memo_key] = base
            return base
        xml = start_tag(name, attrs, empty=rest is None) + (rest or b"")
        key = _key(span_tree(xml))
        if key in self.xf_keys:
            index = self.xf_keys.index(key)
        else:
            self.xf_keys.append(key)
            self.xfs.append((name, attrs, rest))
            self.new_xfs.append(xml)
            index = len(self.xf_keys) - 1
        self.memo[memo_key] = index
        return index

    def to_bytes(self):
        if not self.changed:
            return self.data
        edits = []
        if self.new_numfmts:
            if self.numfmts_node is None:
                at = tag_end(self.data, self.root)
                body = b"".join(self.new_numfmts)
                edits.append((at, at, start_tag(self.prefix + "numFmts", [("count", str(len(self.new_numfmts)))])
                              + body + f"</{self.prefix}numFmts>".encode()))
            else:
                edits += append_children(self.data, self.numfmts_node, self.new_numfmts)
        edits += append_children(self.data, self.fonts_node, self.new_fonts) if self.new_fonts else []
        edits += append_children(self.data, self.fills_node, self.new_fills) if self.new_fills else []
        edits += append_children(self.data, self.xfs_node, self.new_xfs) if self.new_xfs else []
        return splice(self.data, edits)


# --- an output sheet -----------------------------------------------------------------------------------

class _Cell:
    """A cell of the sheet: an original one (node, bytes kept) or a new value with its format."""

    __slots__ = ("node", "style", "value", "new", "formula")

    def __init__(self, node=None, style=0, value=None, new=False, formula=None):
        self.node, self.style, self.value, self.new, self.formula = node, style, value, new, formula


class _Row:
    __slots__ = ("node", "attrs", "cells", "touched")

    def __init__(self, node=None, attrs=None):
        self.node, self.attrs, self.cells, self.touched = node, attrs or [], {}, node is None


class Sheet:
    """An output sheet's XML as a model of rows and cells over the original bytes: the cells and rows
    that are not changed are written back as they were."""

    def __init__(self, data, shared_strings, styles, epoch, where):
        self.data, self.styles, self.epoch, self.where = data, styles, epoch, where
        self.strings = shared_strings
        self.root = span_tree(data, keep_text=("v", "t", "f"))
        self.prefix = prefix_of(self.root)
        self.sheet_data = self.root.child("sheetData")
        if self.sheet_data is None:
            raise PartError("saknar sheetData (bladets celler)")
        self.rows = {}
        self.removed_formulas = []
        self.notices = []
        self._unmerged = []
        self._column_style = {}
        self.column_styles = []
        cols = self.root.child("cols")
        for col in (cols.all("col") if cols is not None else []):
            try:
                self.column_styles.append((int(col.get("min")), int(col.get("max")), int(col.get("style") or 0)))
            except (TypeError, ValueError):
                continue
        number = 0
        for row_node in self.sheet_data.all("row"):
            r = row_node.get("r")
            number = int(r) if r and r.isdigit() else number + 1
            if not 1 <= number <= MAX_ROW:
                raise PartError(f"har ett ogiltigt radnummer ({quoted(r, 20)})")
            row = self.rows.get(number)
            if row is not None:
                raise PartError(f"har rad {number} två gånger")
            row = self.rows[number] = _Row(row_node, list(row_node.attrs))
            if r is None:
                row.touched = True  # written again with its number, since rows may be added before it
            column = 0
            for cell_node in row_node.all("c"):
                ref = cell_node.get("r")
                position = parse_ref(ref) if ref else (number, column + 1)
                if position is None or position[0] != number or not 1 <= position[1] <= MAX_COLUMN:
                    raise PartError(f"har en ogiltig celladress ({quoted(ref, 20)}) på rad {number}")
                column = position[1]
                if ref is None:
                    row.touched = True
                style = cell_node.get("s") or "0"
                formula = cell_node.child("f")
                row.cells[column] = _Cell(cell_node, int(style) if style.isdigit() else 0, self._value(cell_node),
                                          formula=formula)

    def _value(self, node):
        """The cell's value as far as the table logic needs it (text, or None for empty)."""
        kind = node.get("t", "n")
        formula = node.child("f")
        if formula is not None:
            return "=" + (formula.text or "")
        if kind == "inlineStr":
            inline = node.child("is")
            if inline is None:
                return None
            parts = [c.text or "" for c in inline.children if c.local == "t"]
            parts += [t.text or "" for r in inline.children if r.local == "r" for t in r.children if t.local == "t"]
            return "".join(parts) or None
        v = node.child("v")
        text = v.text if v is not None else None
        if text is None or text == "":
            return None
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                return None
        return text

    # --- what the table logic asks --------------------------------------------------------------------

    @property
    def max_row(self):
        return max((n for n, row in self.rows.items() if row.cells), default=0)

    def value(self, row, column):
        r = self.rows.get(row)
        cell = r.cells.get(column) if r else None
        return cell.value if cell else None

    def header_row(self, first_header, search_rows):
        for number in sorted(self.rows):
            if number > min(search_rows, self.max_row):
                break
            if str(self.value(number, 1)).strip() == first_header:
                return number
        return None

    def _base_style(self, row, column):
        r = self.rows.get(row)
        cell = r.cells.get(column) if r else None
        if cell is not None:
            return cell.style
        if r is not None and r.node is not None and r.node.get("customFormat") in ("1", "true"):
            s = r.node.get("s") or "0"
            return int(s) if s.isdigit() else 0
        style = self._column_style.get(column)
        if style is None:
            style = next((style for low, high, style in self.column_styles if low <= column <= high), 0)
            self._column_style[column] = style
        return style

    def _row(self, number):
        row = self.rows.get(number)
        if row is None:
            row = self.rows[number] = _Row()
        row.touched = True
        return row

    def set(self, row, column, value, fill=KEEP, number_format=None, bold=False):
        """Write a value (a new cell with the format of what was there, its fill and number format set).
        A date or time gets a date format unless its cell shows dates already (as openpyxl does)."""
        base = self._base_style(row, column)
        if number_format is None and isinstance(value, (datetime, date, time, timedelta)) and self.styles:
            codes = self.styles.number_format_codes()
            code = codes[base] if 0 <= base < len(codes) else None
            if not (code and is_date_format(code)):
                number_format = _DATE_FORMATS[type(value)] if type(value) in _DATE_FORMATS else "yyyy-mm-dd h:mm:ss"
        style = self.styles.derive(base, fill=fill, number_format=number_format,
                                   quote=is_text_formula_like(value), bold=bold) if self.styles else 0
        self._forget(row, column)
        self._row(row).cells[column] = _Cell(style=style, value=value, new=True)

    def clear(self, first_row, columns):
        """Empty the cells of `columns` from `first_row` down (their fill removed, other formats kept)."""
        for number in [n for n in self.rows if n >= first_row]:
            row = self.rows[number]
            for column in [c for c in row.cells if c in columns]:
                cell = row.cells[column]
                style = self.styles.derive(cell.style, fill=None) if self.styles else 0
                self._forget(number, column)
                row.touched = True
                if style:
                    row.cells[column] = _Cell(style=style, new=True)
                else:
                    del row.cells[column]

    def _forget(self, row, column):
        """A formula replaced: noted (calcChain); a shared formula others still use cannot be replaced."""
        r = self.rows.get(row)
        cell = r.cells.get(column) if r else None
        if cell is None or cell.formula is None or cell.new:
            return
        self.removed_formulas.append((row, column))
        f = cell.formula
        if f.get("t") == "shared" and f.get("ref"):
            si = f.get("si")
            for number, other_row in self.rows.items():
                for other_column, other in other_row.cells.items():
                    if other is cell or other.new or other.formula is None:
                        continue
                    if other.formula.get("t") == "shared" and other.formula.get("si") == si and not other.formula.get("ref"):
                        raise PartError(f"har i {get_column_letter(column)}{row} en delad formel som cellen "
                                        f"{get_column_letter(other_column)}{number} också använder; ta bort "
                                        "formlerna i utdatatabellen i Excel och försök igen")

    def replace_formulas(self, lookup):
        """Replace every formula by its value, `lookup("A1")` (None: empty), keeping each cell's format; the
        other cells of an array formula's range get their values too. Returns whether anything changed."""
        targets = []
        for number, row in self.rows.items():
            for column, cell in row.cells.items():
                if cell.new or cell.formula is None:
                    continue
                targets.append((number, column))
                f = cell.formula
                area = parse_range(f.get("ref")) if f.get("t") == "array" else None
                if area and (area[2] - area[0] + 1) * (area[3] - area[1] + 1) <= 100_000:
                    targets += [(r, c) for r in range(area[0], area[2] + 1) for c in range(area[1], area[3] + 1)
                                if (r, c) != (number, column)]
        for number, column in targets:
            value = lookup(f"{get_column_letter(column)}{number}")
            row = self._row(number)
            cell = row.cells.get(column)
            if cell is not None and cell.formula is not None and not cell.new:
                self.removed_formulas.append((number, column))
            elif value is None:
                continue  # an array's other cell the engine did not compute: kept as it was
            base = cell.style if cell is not None else self._base_style(number, column)
            style = self.styles.derive(base, quote=is_text_formula_like(value)) if self.styles else base
            row.cells[column] = _Cell(style=style, value=value, new=True)
        return bool(targets)

    def unmerge(self, first_row, last_row, columns, anchor_ok=False):
        """Merged ranges over the cells about to be written are split (and named in `notices`);
        `anchor_ok`: one cell that is a merged range's top-left cell may stay merged."""
        merges = self.root.child("mergeCells")
        if merges is None:
            return
        low, high = min(columns), max(columns)
        for merge in merges.all("mergeCell"):
            area = parse_range(merge.get("ref"))
            if anchor_ok and area and (area[0], area[1]) == (first_row, low) == (last_row, high):
                continue
            if area is None or (area[2] >= first_row and area[0] <= last_row and area[3] >= low and area[1] <= high):
                if merge not in self._unmerged:
                    self._unmerged.append(merge)
                    self.notices.append(quoted(merge.get("ref") or "?", 30))

    @property
    def keeps_formulas(self):
        """Whether a formula cell (a person's, beside the tables) stays on the sheet."""
        return any(cell.formula is not None and not cell.new for row in self.rows.values() for cell in row.cells.values())

    # --- the new part ----------------------------------------------------------------------------------

    def to_bytes(self):
        data, p = self.data, self.prefix
        rows_out = []
        bounds = [MAX_ROW + 1, MAX_COLUMN + 1, 0, 0]
        for number in sorted(self.rows):
            row = self.rows[number]
            if row.cells:
                bounds[0], bounds[2] = min(bounds[0], number), max(bounds[2], number)
                bounds[1], bounds[3] = min(bounds[1], min(row.cells)), max(bounds[3], max(row.cells))
            if not row.touched:
                rows_out.append(data[row.node.start:row.node.end])
                continue
            attrs = [(k, v) for k, v in row.attrs if k not in ("r", "spans")]
            meaningful = [k for k, _ in attrs if not k.startswith("xmlns")]
            if not row.cells and not meaningful:
                continue
            rows_out.append(start_tag(p + "row", [("r", str(number)), *attrs], empty=not row.cells))
            if not row.cells:
                continue
            for column in sorted(row.cells):
                cell = row.cells[column]
                ref = f"{get_column_letter(column)}{number}"
                if not cell.new:
                    node = cell.node
                    if node.get("r") is None:
                        at = node.start + 1 + len(node.name)
                        rows_out.append(data[node.start:at] + f' r="{ref}"'.encode() + data[at:node.end])
                    else:
                        rows_out.append(data[node.start:node.end])
                else:
                    rows_out.append(cell_xml(p, ref, cell.value, cell.style, self.epoch).encode("utf-8"))
            rows_out.append(f"</{p}row>".encode())
        sheet_data = self.sheet_data
        if sheet_data.inner is None:
            head = f"<{sheet_data.name}>".encode()
        else:
            head = data[sheet_data.start:tag_end(data, sheet_data)]
        edits = [(sheet_data.start, sheet_data.end, head + b"".join(rows_out) + f"</{sheet_data.name}>".encode())]
        dimension = self.root.child("dimension")
        if dimension is not None:
            ref = "A1" if not bounds[2] else (f"{get_column_letter(bounds[1])}{bounds[0]}:"
                                             f"{get_column_letter(bounds[3])}{bounds[2]}")
            edits.append((dimension.start, dimension.end, start_tag(dimension.name, [("ref", ref)], empty=True)))
        unmerged = self._unmerged
        if unmerged:
            merges = self.root.child("mergeCells")
            kept = [m for m in merges.all("mergeCell") if m not in unmerged]
            if kept:
                body = b"".join(data[m.start:m.end] for m in kept)
                new = start_tag(merges.name, set_attr(merges.attrs, "count", str(len(kept)))) + body \
                    + f"</{merges.name}>".encode()
            else:
                new = b""
            edits.append((merges.start, merges.end, new))
        return splice(data, edits)


def new_sheet_xml():
    """A new, empty worksheet part (for an output sheet the workbook lacks)."""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
            f'xmlns:r="{REL_NS}"><dimension ref="A1"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="8" width="16" customWidth="1"/></cols>'
            '<sheetData/><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            "</worksheet>").encode("utf-8")


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DATE_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: "yyyy-mm-dd", time: "h:mm:ss", timedelta: "[hh]:mm:ss"}


# --- the package ---------------------------------------------------------------------------------------

def add_sheet_parts(package, name, replaced, added=()):
    """Edits to the content types, the workbook and its relationships adding a worksheet called `name`;
    returns the new part's name. `replaced` holds parts already changed (name -> bytes), `added` the
    names of parts already added."""
    existing = {info.filename.lower() for info in package.zip.infolist()} | {p.lower() for p in [*replaced, *added]}
    number = 1
    while f"xl/worksheets/sheet{number}.xml" in existing:
        number += 1
    folder = package.workbook_part.rsplit("/", 1)[0] if "/" in package.workbook_part else ""
    part = (folder + "/" if folder else "") + f"worksheets/sheet{number}.xml"

    types = replaced.get("[Content_Types].xml", package.read("[Content_Types].xml"))
    root = span_tree(types)
    p = prefix_of(root)
    override = start_tag(p + "Override", [("PartName", "/" + part), ("ContentType", CT_WORKSHEET)], empty=True)
    replaced["[Content_Types].xml"] = splice(types, [(root.inner, root.inner, override)])

    rels_part = package.rels_part(package.workbook_part)
    rels = replaced.get(rels_part, package.read(rels_part))
    root = span_tree(rels)
    ids = {node.get("Id") for node in root.children}
    rid = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
    target = part[len(folder) + 1:] if folder else part
    relation = start_tag(prefix_of(root) + "Relationship", [("Type", REL_WORKSHEET), ("Target", target), ("Id", rid)],
                         empty=True)
    replaced[rels_part] = splice(rels, [(root.inner, root.inner, relation)])

    workbook = replaced.get(package.workbook_part, package.read(package.workbook_part))
    root = span_tree(workbook)
    sheets = root.child("sheets")
    if sheets is None:
        raise PartError("saknar bladlistan (sheets)")
    ids = [int(s.get("sheetId")) for s in sheets.all("sheet") if (s.get("sheetId") or "").isdigit()]
    r_prefix = next((k.split(":", 1)[1] for k, v in root.attrs if k.startswith("xmlns:") and v == REL_NS), None)
    attrs = [("name", name), ("sheetId", str(max(ids, default=0) + 1))]
    attrs += [(f"{r_prefix}:id", rid)] if r_prefix else [("xmlns:r", REL_NS), ("r:id", rid)]
    replaced[package.workbook_part] = splice(workbook, append_children(workbook, sheets,
                                                                         [start_tag(prefix_of(root) + "sheet", attrs,
                                                                                    empty=True)], count=False))
    return part


_AFTER_CALC_PR = ("oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                  "fileRecoveryPr", "webPublishObjects", "extLst")


def recalculate_on_open(package, replaced):
    """Make Excel recalculate the workbook when it is opened (calcPr fullCalcOnLoad="1"): needed when a
    formula elsewhere reads an output sheet, whose saved result would otherwise be stale."""
    data = replaced.get(package.workbook_part, package.read(package.workbook_part))
    root = span_tree(data)
    calc = root.child("calcPr")
    if calc is not None:
        if calc.get("fullCalcOnLoad") in ("1", "true"):
            return
        edit = (calc.start, tag_end(data, calc), start_tag(calc.name, set_attr(calc.attrs, "fullCalcOnLoad", "1"),
                                                          empty=calc.inner is None))
    else:
        follower = next((c for c in root.children if c.local in _AFTER_CALC_PR), None)
        at = follower.start if follower is not None else root.inner
        edit = (at, at, start_tag(prefix_of(root) + "calcPr", [("fullCalcOnLoad", "1")], empty=True))
    replaced[package.workbook_part] = splice(data, [edit])


def refers_to(package, sheets, skip_parts):
    """Whether a formula outside `skip_parts` (a cell or a defined name) may read one of `sheets`."""
    needles = [spelled + tail for n in sheets for spelled in _spellings(n) for tail in (b"!", b"'!")]
    candidates = [package.workbook_part] + [package.sheet_part(name) for name, part, _ in package.sheets
                                            if part and part not in skip_parts]  # a missing part is named
    for part in candidates:
        data = package.read(part)
        if part == package.workbook_part:  # a print area names a sheet but reads no value
            data = _PRINT_NAMES.sub(b"", data)
        if any(needle in data for needle in needles):
            return True
    return False


_PRINT_NAMES = re.compile(rb'<(\w+:)?definedName\b[^>]*\bname="_xlnm\.(?:Print_Area|Print_Titles)"[^>]*>.*?'
                          rb'</(\w+:)?definedName>', re.S)


def _spellings(name):
    """A name as XML may spell it: UTF-8, or its non-ASCII letters as character references."""
    decimal = "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in name)
    upper = "".join(c if ord(c) < 128 else f"&#x{ord(c):X};" for c in name)
    lower = "".join(c if ord(c) < 128 else f"&#x{ord(c):x};" for c in name)
    return {name.encode("utf-8"), decimal.encode(), upper.encode(), lower.encode()}


def drop_calc_chain(package, replaced, removed):
    """Remove calcChain.xml (Excel rebuilds it) when formulas it lists were replaced by values."""
    rels_part = package.rels_part(package.workbook_part)
    chain = [(rid, target) for rid, (kind, target, _) in package.workbook_rels.items() if kind.endswith("/calcChain")]
    if not chain:
        return
    rels = replaced.get(rels_part, package.read(rels_part))
    root = span_tree(rels)
    edits = [(n.start, n.end, b"") for n in root.children if n.get("Id") in {rid for rid, _ in chain}]
    replaced[rels_part] = splice(rels, edits)
    types = replaced.get("[Content_Types].xml", package.read("[Content_Types].xml"))
    root = span_tree(types)
    parts = {"/" + target.lower() for _, target in chain}
    edits = [(n.start, n.end, b"") for n in root.children
             if n.local == "Override" and (n.get("PartName") or "").lower() in parts]
    replaced["[Content_Types].xml"] = splice(types, edits)
    removed.update(target for _, target in chain)


def write_package(package, out, replaced, removed=(), added=()):
    """Write the package to the binary file `out`: every original part in its order, unchanged parts
    copied as they were, `replaced` parts (name -> bytes) with their new content, `removed` parts left
    out, `added` parts (name, bytes) at the end."""
    removed = {name.lower() for name in removed}
    replaced_lower = {name.lower(): data for name, data in replaced.items()}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        target.comment = package.zip.comment
        for info in package.zip.infolist():
            key = info.filename.lower()
            if key in removed:
                continue
            new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            new.compress_type = info.compress_type
            new.external_attr = info.external_attr
            new.create_system = info.create_system
            new.comment = info.comment
            if key in replaced_lower:
                target.writestr(new, replaced_lower[key])
                continue
            new.file_size = info.file_size
            try:
                with package.zip.open(info) as source, \
                        target.open(new, "w", force_zip64=info.file_size > 2**31) as sink:
                    while True:
                        chunk = source.read(1 << 20)
                        if not chunk:
                            break
                        sink.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
                package.refuse(f"delen {quoted(info.filename)} i paketet är skadad och går inte att packa upp; "
                               "ingenting sparades.")
        for name, data in added:
            new = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            new.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(new, data)


def package_bytes(package, replaced, removed=(), added=()):
    buffer = io.BytesIO()
    write_package(package, buffer, replaced, removed, added)
    return buffer.getvalue()
