"""The .xlsx file as a package of parts (a zip of XML files), read safely and without loading it all.

`Package` opens a workbook from its bytes, checks the zip and the parts it needs, and reads a sheet
row by row up to its last stored cell (never over the sheet's "used range"). Every XML part it parses
is parsed with DTDs and entities forbidden (defusedxml; expat with the DTD handlers refusing; or, for
the streamed sheets, a check of the prolog, the only place a DTD can stand), so a billion-laughs or
XXE payload is refused, never expanded or fetched. Cell values are read as openpyxl reads them
(numbers, dates by their number format, shared and inline texts, booleans, errors, a formula's text),
and Excel's _xHHHH_ escapes as Excel shows them.

Every problem is a `FileRefused` with one Swedish sentence naming the file and what is wrong.
The writing side (patching output sheets into the same package) is `workbook/patch.py`.
"""

import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import ParseError, XMLPullParser
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from rules.errors import VPError

# Limits: a VP workbook is a few MB; these only stop a zip bomb or a runaway file from eating the machine.
MAX_PART_BYTES = 512 * 1024 * 1024      # one part, uncompressed
MAX_PACKAGE_BYTES = 2 * 1024 * 1024 * 1024  # all parts, uncompressed
MAX_PARTS = 20_000
QUOTE = 100                              # at most this many characters of the file's own text in a message

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

REL_WORKSHEET = REL_NS + "/worksheet"
REL_STYLES = REL_NS + "/styles"
REL_STRINGS = REL_NS + "/sharedStrings"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class FileRefused(VPError):
    """The file cannot be used (missing, open elsewhere, not an Excel workbook, damaged, hostile)."""


def quoted(text, limit=QUOTE):
    """At most `limit` characters of a text from the file, for a message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} tecken)"


def local(name):
    """'x:row' or '{ns}row' -> 'row'."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _xml_problem(exc):
    """A parse error as Swedish words (no English library text)."""
    if isinstance(exc, (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
                        defusedxml.ExternalReferenceForbidden, DTDForbidden)):
        return ("innehåller en DTD eller entitetsdeklaration (som i en XML-bomb eller XXE-attack); "
                "en Excel-fil har aldrig det, så filen läses inte")
    position = getattr(exc, "position", None)
    if position is None and isinstance(exc, expat.ExpatError):
        position = (exc.lineno, exc.offset)
    where = f" (rad {position[0]}, kolumn {position[1] + 1})" if position else ""
    return f"är inte giltig XML{where}"


class DTDForbidden(ValueError):
    """A DTD in a part parsed with expat (see `expat_parser`)."""


def expat_parser():
    """A non-namespace expat parser that refuses any DTD (and so any entity declaration)."""
    parser = expat.ParserCreate()

    def refuse(*_):
        raise DTDForbidden()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


class Package:
    """A workbook's parts, read from a snapshot of its bytes (the file may change on disk meanwhile;
    what is saved is built from exactly what was read)."""

    def __init__(self, path, data=None):
        self.path = Path(path)
        self.name = self.path.name
        if data is None:
            try:
                if self.path.stat().st_size > MAX_PACKAGE_BYTES:
                    raise FileRefused(f"{self.name} är större än {MAX_PACKAGE_BYTES // 2**30} GB; det är ingen "
                                      "VP-arbetsbok som går att läsa här.")
                data = self.path.read_bytes()
            except FileNotFoundError:
                raise FileRefused(f"Filen {self.path} finns inte.") from None
            except IsADirectoryError:
                raise FileRefused(f"{self.path} är en mapp, inte en Excel-fil.") from None
            except OSError as exc:
                raise FileRefused(f"{self.name} går inte att läsa ({_os_reason(exc)}).") from None
        self.data = data
        self._open_zip()
        self._parts = {}          # part name -> bytes, for the parts read
        self._strings = None
        self._styles = None
        self._read_structure()

    # --- the zip --------------------------------------------------------------------------------------

    def refuse(self, what):
        raise FileRefused(f"{self.name}: {what}")

    def _open_zip(self):
        if self.data[:8] == OLE_MAGIC:
            self.refuse(_ole_reason(self.data))
        if not self.data:
            self.refuse("filen är tom, inte en Excel-arbetsbok (.xlsx).")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
            raise FileRefused(f"{self.name} är inte en Excel-arbetsbok (.xlsx) som går att läsa: filen är "
                              "inte ett giltigt zip-paket (kanske en annan sorts fil med fel ändelse, eller "
                              "avbruten vid kopiering).") from None
        if len(infos) > MAX_PARTS:
            self.refuse(f"paketet har {len(infos)} delar, orimligt många för en arbetsbok; filen läses inte.")
        self.members = {}
        total = 0
        for info in infos:
            key = info.filename.lower()
            if key in self.members:
                self.refuse(f"paketet innehåller delen {quoted(info.filename)} två gånger; filen är skadad "
                            "eller manipulerad.")
            if info.flag_bits & 0x1:
                self.refuse("delarna i paketet är krypterade (lösenordsskyddat zip-paket); spara filen "
                            "i Excel utan lösenord.")
            if info.file_size > MAX_PART_BYTES:
                self.refuse(f"delen {quoted(info.filename)} är {info.file_size // 2**20} MB uppackad, mer än "
                            f"{MAX_PART_BYTES // 2**20} MB; filen läses inte (en zip-bomb?).")
            total += info.file_size
            self.members[key] = info
        if total > MAX_PACKAGE_BYTES:
            self.refuse(f"paketet är {total // 2**20} MB uppackat, mer än {MAX_PACKAGE_BYTES // 2**20} MB; "
                        "filen läses inte.")

    def has(self, part):
        return part.lower() in self.members

    def info(self, part):
        return self.members[part.lower()]

    def read(self, part):
        """A part's bytes (checked against its CRC); a damaged member is named."""
        if part in self._parts:
            return self._parts[part]
        info = self.members.get(part.lower())
        if info is None:
            self.refuse(f"delen {quoted(part)} saknas i paketet; filen är skadad.")
        try:
            data = self.zip.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
            self.refuse(f"delen {quoted(info.filename)} i paketet är skadad och går inte att packa upp.")
        self._parts[part] = data
        return data

    def open(self, part):
        return self.zip.open(self.info(part))

    # --- XML ---------------------------------------------------------------------------------------

    def xml(self, part, what=None):
        """A part parsed into an ElementTree element, DTDs and entities forbidden."""
        data = self.read(part)
        try:
            return SafeET.fromstring(data, forbid_dtd=True)
        except (ParseError, ValueError, defusedxml.DefusedXmlException) as exc:
            self.refuse(f"{what or 'delen ' + part} {_xml_problem(exc)}.")

    def _read_structure(self):
        if not self.has("[Content_Types].xml"):
            self.refuse("paketet saknar [Content_Types].xml och är ingen Excel-arbetsbok (.xlsx).")
        types = self.xml("[Content_Types].xml")
        self.overrides = {e.get("PartName", "").lstrip("/").lower(): e.get("ContentType", "")
                          for e in types if local(e.tag) == "Override"}
        root_rels = self.rels("")
        office = [target for kind, target, _ in root_rels.values() if kind.endswith("/officeDocument")]
        if not office or not self.has(office[0]):
            self.refuse("paketet har ingen arbetsbok (xl/workbook.xml saknas); det är ingen Excel-arbetsbok.")
        self.workbook_part = office[0]
        workbook = self.xml(self.workbook_part, "arbetsbokens del " + self.workbook_part)
        self.main_ns = workbook.tag[1:].split("}")[0] if workbook.tag.startswith("{") else ""
        if self.main_ns == STRICT_MAIN_NS:
            self.refuse("arbetsboken är sparad som Strict Open XML; spara den som vanlig Excel-arbetsbok (.xlsx).")
        self.workbook_rels = self.rels(self.workbook_part)
        properties = next((e for e in workbook if local(e.tag) == "workbookPr"), None)
        date1904 = properties is not None and properties.get("date1904", "0").lower() in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.sheets = []  # (name, part or None, state)
        self.unlinked = set()  # sheets whose relationship is missing (a damaged file)
        sheets = next((e for e in workbook if local(e.tag) == "sheets"), None)
        for sheet in (sheets if sheets is not None else []):
            rid = sheet.get(f"{{{REL_NS}}}id")
            relation = self.workbook_rels.get(rid)
            part = relation[1] if relation and relation[0] == REL_WORKSHEET else None
            if relation is None:
                self.unlinked.add(sheet.get("name", ""))
            self.sheets.append((sheet.get("name", ""), part, sheet.get("state", "visible")))
        self.styles_part = self._related(REL_STYLES)
        self.strings_part = self._related(REL_STRINGS)

    def defined_names(self):
        """The workbook-wide defined names: {name: reference as written}."""
        workbook = self.xml(self.workbook_part, "arbetsbokens del " + self.workbook_part)
        names = next((e for e in workbook if local(e.tag) == "definedNames"), None)
        return {e.get("name", ""): (e.text or "") for e in (names if names is not None else [])
                if local(e.tag) == "definedName" and e.get("localSheetId") is None}

    def _related(self, kind):
        for rel_kind, target, _ in self.workbook_rels.values():
            if rel_kind == kind and self.has(target):
                return target
        return None

    def rels(self, part):
        """{Id: (Type, target part, TargetMode)} of a part ('' for the package)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        if not self.has(rels_part):
            return {}
        out = {}
        for e in self.xml(rels_part):
            if local(e.tag) != "Relationship":
                continue
            target, mode = e.get("Target", ""), e.get("TargetMode", "Internal")
            if mode != "External":
                target = resolve(folder, target)
            out[e.get("Id")] = (e.get("Type", ""), target, mode)
        return out

    def rels_part(self, part):
        folder, name = posixpath.split(part)
        return posixpath.join(folder, "_rels", name + ".rels")

    # --- sheets ------------------------------------------------------------------------------------

    def sheet_names(self):
        return [name for name, _, _ in self.sheets]

    def sheet_part(self, sheet):
        for name, part, _ in self.sheets:
            if name == sheet:
                if name in self.unlinked:
                    rels = self.rels_part(self.workbook_part)
                    self.refuse(f"bladet {quoted(sheet)} saknar sin koppling i {rels}"
                                f"{'' if self.has(rels) else ', som saknas'}; filen är skadad.")
                if part is None:
                    self.refuse(f"bladet {quoted(sheet)} är inget kalkylblad (ett diagramblad eller makroblad?) "
                                "och kan inte läsas som en tabell.")
                if not self.has(part):
                    self.refuse(f"bladet {quoted(sheet)} saknar sin del {part} i paketet; filen är skadad.")
                return part
        raise KeyError(sheet)

    @property
    def shared_strings(self):
        """The shared string table (read as openpyxl reads it), loaded once."""
        if self._strings is None:
            strings = []
            if self.strings_part:
                where = f"de delade texterna ({self.strings_part})"
                try:
                    for si in self._elements(self.strings_part, where, "si"):
                        plain = si.findtext(_T)
                        text = (plain or "") + "".join(r.findtext(_T) or "" for r in si.findall(_R))
                        strings.append(unescape(text))
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
                    self.refuse(f"{where} är skadade i paketet och går inte att packa upp.")
            self._strings = strings
        return self._strings

    @property
    def styles(self):
        """The styles part as a span model (see patch.Styles), or None if the workbook has none."""
        if self._styles is None and self.styles_part:
            from .patch import Styles

            self._styles = Styles(self, self.styles_part)
        return self._styles

    def date_styles(self):
        """(cell styles that show dates, those that show durations), as openpyxl decides."""
        styles = self.styles
        if styles is None:
            return set(), set()
        dates, durations = set(), set()
        for index, code in enumerate(styles.number_format_codes()):
            if code and is_date_format(code):
                dates.add(index)
                if is_timedelta_format(code):
                    durations.add(index)
        return dates, durations

    def iter_rows(self, sheet):
        """(row number, {column number: value}, {column number: saved result}) for each stored row with
        a value, in order, up to the sheet's last stored cell. A formula's value is its text ("=...");
        the third dict holds, for each formula cell of the row, the result Excel saved with it (None if
        there is none, e.g. after a save by openpyxl). Values are read as openpyxl reads them."""
        part = self.sheet_part(sheet)
        dates, durations = self.date_styles()
        cells = _CellReader(self.shared_strings, self.epoch, dates, durations)
        where = f"bladet {quoted(sheet)} ({part})"
        number = 0
        try:
            for element in self._elements(part, where, "row"):
                number, values, formulas = cells.row(element, number)
                if values:
                    yield number, values, formulas
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
            self.refuse(f"{where} är skadat i paketet och går inte att packa upp.")
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, AttributeError):
            self.refuse(f"bladet {quoted(sheet)} har en cell som inte går att läsa på rad {number + 1} eller strax "
                        "efter (ogiltig celladress, ett tal som inte är ett tal eller en saknad delad text).")

    def _elements(self, part, where, wanted):
        """The `wanted` elements of a part, streamed (C-speed expat) and dropped from memory once yielded.
        A DTD can only stand before the root element: the prolog is checked first, so no entity can
        ever be declared, expanded or fetched."""
        parser = XMLPullParser(events=("start", "end"))
        stack = []
        with self.open(part) as source:
            head = source.read(1 << 16)
            if _has_dtd(head):
                self.refuse(f"{where} {_xml_problem(DTDForbidden())}.")
            chunk = head
            while chunk:
                try:
                    parser.feed(chunk)
                    for event, element in parser.read_events():
                        if event == "start":
                            stack.append(element)
                            continue
                        stack.pop()
                        if element.tag.rsplit("}", 1)[-1] == wanted:
                            yield element
                            if stack:
                                stack[-1].clear()  # what was read is dropped: memory follows one element
                except ParseError as exc:
                    self.refuse(f"{where} {_xml_problem(exc)}.")
                chunk = source.read(1 << 20)
            try:
                parser.close()
            except ParseError as exc:
                self.refuse(f"{where} {_xml_problem(exc)}.")


_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def unescape(text):
    """Excel's _xHHHH_ escapes in cell text (a control character, or _x005F_ for a literal underscore)
    read as Excel shows them."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _has_dtd(head):
    """Whether the prolog (what comes before the root element) holds a <!DOCTYPE."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] in (b"\x00<", b"<\x00"):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf")
    at = 0
    while True:
        while at < len(text) and text[at:at + 1].isspace():
            at += 1
        if text.startswith(b"<?", at):
            end = text.find(b"?>", at)
        elif text.startswith(b"<!--", at):
            end = text.find(b"-->", at)
        else:
            return text.startswith(b"<!", at) or at >= len(text)  # a DTD, or a prolog longer than we read
        if end < 0:
            return True
        at = end + 2


class _CellReader:
    """Cell values as openpyxl's reader gives them (numbers, dates by number format, shared and inline
    texts, booleans, errors), with a formula's text and the result Excel saved with it."""

    def __init__(self, strings, epoch, dates, durations):
        self.strings, self.epoch, self.dates, self.durations = strings, epoch, dates, durations
        self.shared = {}  # shared formulas: si -> Translator from the first cell

    def row(self, element, previous):
        r = element.get("r")
        number = int(r) if r else previous + 1
        values, formulas = {}, {}
        column = 0
        for c in element:
            if not c.tag.endswith("}c") and c.tag != "c":
                continue
            ref = c.get("r")
            if ref:
                _, column = coordinate_to_tuple(ref)
            else:
                column += 1
            f = c.find(_F)
            if f is not None:
                values[column] = self.formula(f, ref)
                formulas[column] = self.value(c, saved=True)
                continue
            value = self.value(c)
            if value is not None:
                values[column] = value
        return number, values, formulas

    def formula(self, f, ref):
        kind = f.get("t")
        text = "=" + (f.text or "")
        if kind == "shared":
            si = f.get("si")
            if si in self.shared and ref:
                return self.shared[si].translate_formula(ref)
            if text != "=" and ref:
                self.shared[si] = Translator(text, ref)
        elif kind == "dataTable":
            return "=TABLE()"
        return text

    def value(self, c, saved=False):
        kind = c.get("t", "n")
        if kind == "inlineStr":
            inline = c.find(_IS)
            if inline is None:
                return None
            plain = inline.findtext(_T)
            return unescape((plain or "") + "".join(r.findtext(_T) or "" for r in inline.findall(_R)))
        text = c.findtext(_V)
        if not text:
            return None
        if kind == "n":
            number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
            style = int(c.get("s") or 0)
            if style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return from_ISO8601(text)
        return unescape(text) if kind == "str" else text  # a formula's text result; an error such as #N/A


_F, _V, _IS, _T, _R = (f"{{{MAIN_NS}}}{name}" for name in ("f", "v", "is", "t", "r"))


def resolve(folder, target):
    """A relationship's target as a part name (no leading slash)."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def _ole_reason(data):
    """An OLE compound file: an encrypted (password-protected) workbook, or an old .xls."""
    try:
        import olefile

        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            encrypted = ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo")
            old_excel = ole.exists("Workbook") or ole.exists("Book")
        finally:
            ole.close()
    except Exception:  # noqa: BLE001 - a damaged OLE file is still not an .xlsx
        encrypted, old_excel = "EncryptedPackage".encode("utf-16-le") in data, False
    if encrypted:
        return ("arbetsboken är lösenordsskyddad (krypterad) och kan inte läsas utan Excel. Ta bort lösenordet "
                "(Arkiv > Info > Skydda arbetsbok) eller använd knappen Uppdatera i Excel.")
    if old_excel:
        return "filen är en äldre Excel-fil (.xls); spara den som Excel-arbetsbok (.xlsx) i Excel först."
    return "filen är ett annat Office-format (OLE), inte en Excel-arbetsbok (.xlsx)."


def _os_reason(exc):
    import errno

    reasons = {errno.EACCES: "åtkomst nekad", errno.EPERM: "åtkomst nekad", errno.ENOSPC: "disken är full",
               errno.EROFS: "skrivskyddad disk", errno.ENOENT: "finns inte", errno.EIO: "läsfel på disken"}
    return reasons.get(exc.errno, f"fel {exc.errno}" if exc.errno else "okänt fel")

