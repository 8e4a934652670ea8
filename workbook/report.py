"""`vp report` and the Rapport button: the board's follow-up report for a period, as a Word document.

The report reads the workbook through an adapter and the refresh routine (`run_refresh(write=False)`:
the same assessment, budget adherence, findings and trends as `vp refresh`, R12 against the Historik
sheet) and the split inputs on the Fördelning sheet (decided by the same `rules.splits.split` as the
=VP_SPLIT_* formulas). It implements no rule: every status, colour, trend and sentence in it comes from
the rulebook through the engine. It never writes to the workbook.

Accessible (WCAG 2.1 AA, the board's documents are published): document language sv-SE, real
headings (Title, Heading 1–3), table header rows marked and repeated on every page, tables with a
caption, alt text on every picture, a status always as a symbol and a word (never colour alone;
the colours are the rulebook's light fills behind black text), dark text colours (>= 4.5:1).
"""

import copy
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from rules import values as v
from rules.assess import office_key
from rules.errors import VPError, VPInputError
from rules.periods import parse_period
from rules.records import Place
from rules.rulebook import load_rulebook
from rules.splits import split
from rules.text import render, sentence_of

from . import charts
from . import layout as L
from .followup import PeriodCell, PeriodMissing, months_recorded, read_labelled_cell
from .refresh import run_refresh
from .tables import NotAVPWorkbook, cell_value, column_letter

LANGUAGE = "sv-SE"
TEXT_COLOUR = "000000"
HEADING_COLOUR = "1F3864"   # 12,6:1 on white
HEADER_FILL = "D9D9D9"      # table header rows: black on light grey, 15:1
ERROR_MARK = "⚠"
NBSP = "\u00a0"
CELL_STYLE = "Tabelltext"
OFFICE_HEADING = "Kontorets indikatorer (indikativ)"  # RULES R4: the office's group is not a board goal
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")


class ReportRefused(VPError):
    """The report cannot be made as asked (a period that is not the workbook's, a bad output path)."""


# --- what the report says ---------------------------------------------------------------------------
@dataclass
class SplitLine:
    label: str
    basis: str
    parts: str
    rule: str
    error: str = ""


@dataclass
class ReportData:
    """Everything the document shows, taken from one refresh that does not write."""

    book: object
    result: object
    period: object
    previous: object
    kf_texts: dict
    splits: list
    workbook: str
    now: datetime
    dnr: object = None            # PeriodCell of the diary number (Översikt)
    proposal: object = None       # PeriodCell of the proposed decision (Översikt)
    with_rule_ids: bool = False   # the economist's own copy: rule ids after every explanation

    def said(self, explanation):
        """An explanation as the report prints it: the rule's sentence; with its id only on request."""
        return str(explanation) if self.with_rule_ids else sentence_of(explanation)

    def rule_note(self, rule_id):
        """" (regel X)" after a sentence the report writes itself, only in the economist's copy."""
        return f" (regel {rule_id})" if self.with_rule_ids and rule_id else ""


def _kf_texts(source):
    """KF goal number -> (area, text) from the KF-mål sheet (optional columns)."""
    try:
        table = source.read_table(L.KF_GOALS, [L.KF], [L.KF_AREA, L.KF_TEXT])
    except NotAVPWorkbook:
        return {}
    out = {}
    for row in table.frame.to_dict("records"):
        out[v.key(cell_value(row.get(L.KF)))] = (cell_value(row.get(L.KF_AREA)) or "", cell_value(row.get(L.KF_TEXT)) or "")
    return out


def _labelled(rows, label):
    """(value, place) of the cell right of `label` in column A (the Fördelning sheet's inputs)."""
    for number, cells in rows:
        if isinstance(cells.get(1), str) and cells[1].strip() == label:
            return cell_value(cells.get(2)), f"{L.SPLITS}!B{number}"
    return None, None


def _splits(source, book, engine):
    """R6 and R7 on the Fördelning sheet's inputs, as its =VP_SPLIT_* formulas compute them."""
    if L.SPLITS not in source.sheet_names():
        return [SplitLine("Fördelning", "", "", "", f"Bladet {L.SPLITS} saknas.")]
    rows = source.read_rows(L.SPLITS, 30)
    common, common_at = _labelled(rows, L.SPLIT_COMMON)
    hs, hs_at = _labelled(rows, L.SPLIT_HS)
    staff, staff_at = _labelled(rows, L.SPLIT_STAFF)
    shares = book.data["splits"]
    lines = []
    for label, kind, amount, amount_at, part, part_at, table in (
            (f"Gemensamma kostnader LSS/SoL exklusive HS ({_shares(shares['lss_sol'])})", "gemensam", common,
             common_at, hs, hs_at, "lss_sol"),
            (f"Stabens gemensamma kostnader ({_shares(shares['staff'])})", "stab", staff, staff_at, None, None,
             "staff")):
        if amount_at is None:
            lines.append(SplitLine(label, "", "", "", f"{L.SPLITS} saknar raden som börjar med ett belopp."))
            continue
        try:
            r = split(kind, amount, part, None, book, engine=engine,
                      where=(amount_at, part_at or "hs_del", "decimaler"))
        except VPInputError as exc:
            lines.append(SplitLine(label, "", "", exc.rule, str(exc)))
            continue
        a = v.parse_amount(amount, amount_at, book)
        h = v.parse_amount(part, part_at, book, allow_missing=True) if part_at else None
        basis = f"{_mnkr(a)} − HS {_mnkr(h or 0)} = {_mnkr(a - (h or 0))}" if kind == "gemensam" else _mnkr(a)
        lines.append(SplitLine(label, basis, "; ".join(f"{name} {_mnkr(x)}" for name, x in r.parts.items()), r.rule))
    return lines


def _shares(shares):
    return "/".join(v.format_number(s * 100) for s in shares.values())


def collect(source, book=None, period=None, now=None, engine=None, workbook="", progress=None):
    """One refresh that does not write, and what else the report shows; refuses without a period."""
    book = book or load_rulebook()
    now = now or datetime.now().replace(microsecond=0)
    result = run_refresh(source, book, now=now, progress=progress, write=False, engine=engine, period=period)
    follow = result.follow
    if follow.period is None:
        if follow.error is not None:
            raise follow.error
        raise PeriodMissing(follow.cell.place, follow.cell.labelled, book, command="report")
    if follow.explicit:
        try:
            typed = parse_period(follow.cell.raw, follow.cell.place, book)
        except VPInputError:
            typed = None
        if typed is not None and typed != follow.period:
            raise ReportRefused(
                f"--period säger {follow.period} men {follow.cell.place} säger {typed}: rapporten visar arbetsbokens "
                f"värden, som gäller {typed}. Ta bort --period, eller ändra perioden med vp refresh FIL --period "
                f"\"{follow.period}\" först.")
    return ReportData(book, result, follow.period, follow.previous, _kf_texts(source), _splits(source, book, engine),
                      workbook, now, _input_cell(source, L.DNR_LABEL, L.DNR_COLUMN + 1),
                      _input_cell(source, L.PROPOSAL_LABEL, L.PROPOSAL_COLUMN + 1))


def _input_cell(source, label, column):
    """A report input on Översikt (dnr, proposal): the cell right of its label, or where the builder puts
    it when the label is missing (then the report says where to type it)."""
    where = Place(L.OVERVIEW, f"{column_letter(column)}{L.PERIOD_ROW}")
    return read_labelled_cell(source, label) or PeriodCell(where, L.PERIOD_ROW, column, False)


# --- formatting --------------------------------------------------------------------------------------
# One number style everywhere (tables, text, the charts' labels): decimal comma, the minus sign, a
# no-break space before % and mnkr, the same decimals in a chart as in its table.
_mnkr = v.format_mnkr


def _amount(x):
    """112,0 mnkr."""
    return f"{_mnkr(x)}{NBSP}mnkr"


def _percent(x, decimals=1):
    """A percentage given in per cent (98,5 -> "98,5 %"), with the rulebook's decimals."""
    return f"{v.format_fixed(x, decimals)}{NBSP}%"


def _signed(x):
    """An amount with its sign written out: +1,2 (överskott), −12,85 (underskott), ±0,0."""
    if not x:
        return "±0,0"
    return ("+" if x > 0 else v.MINUS) + _mnkr(abs(x))


def _date(moment):
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def _mark(book, word):
    """A status or colour as symbol and word: '✔ Uppfyllt', '◐ Gul'."""
    return f"{book.data['symbols'].get(word, ERROR_MARK)} {word}"


def _shown(raw, book):
    """A value as typed, or as R1 reads a number Excel stored; empty says so."""
    raw = cell_value(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "saknas"
    if isinstance(raw, str):
        return v.typeset(raw.strip())
    try:
        return v.parse_value(raw, "", book).shown()
    except VPError:
        return str(raw)


def _plural(count, singular, plural):
    return singular if count == 1 else plural


def _is_office(goal, book):
    """The office's indicators of a KF goal without a board goal (RULES R4): not a board goal."""
    return v.key(goal.name) == office_key(book)


# --- the document's parts ------------------------------------------------------------------------------
def _set_language(doc):
    """sv-SE everywhere Word and screen readers look: the defaults, every style, the theme, the properties."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for element in [rpr] + [s.element.get_or_add_rPr() for s in doc.styles if s.type in (1, 2)]:
        lang = element.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            _insert_before(element, lang, ("w:eastAsianLayout", "w:specVanish", "w:oMath"))  # the schema's order
        lang.set(qn("w:val"), LANGUAGE)
    theme = doc.settings.element.find(qn("w:themeFontLang"))  # the template has it
    if theme is not None:
        theme.set(qn("w:val"), LANGUAGE)
    doc.core_properties.language = LANGUAGE


def _insert_before(parent, element, successors):
    """Add `element` before the first of `successors` present (Word rejects elements out of order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(element)
            return
    parent.append(element)


def _set_styles(doc):
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    normal.font.color.rgb = RGBColor.from_string(TEXT_COLOUR)
    for name, size in (("Title", 24), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11.5), ("Heading 4", 11),
                       ("Caption", 9)):
        style = doc.styles[name]
        style.font.color.rgb = RGBColor.from_string(HEADING_COLOUR if name != "Caption" else TEXT_COLOUR)
        style.font.size = Pt(size)
        style.font.name = "Calibri"
    doc.styles["Caption"].font.italic = True


def _page(doc):
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    return section


def _footer(section, text):
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run(f"{text} – sida ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    number = OxmlElement("w:t")
    number.text = "1"
    run.append(number)
    field.append(run)
    paragraph._p.append(field)


def _heading(doc, text, level, new_page=False):
    heading = doc.add_heading(text, level=level)
    heading.paragraph_format.page_break_before = new_page
    heading.paragraph_format.keep_with_next = True
    return heading


def _paragraph(doc, *parts, style=None):
    """A paragraph of runs: a str, or (text, "b"/"i") for bold or italic."""
    paragraph = doc.add_paragraph(style=style)
    for part in parts:
        text, how = (part, "") if isinstance(part, str) else part
        run = paragraph.add_run(text)
        run.bold = "b" in how
        run.italic = "i" in how
    return paragraph


def _shade(cell, fill):
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _table(doc, caption, headers, rows, widths, fills=None, bold_rows=()):
    """A table with a caption, its header row marked as such and repeated on every page; `fills` maps
    (row, column) to a background behind black text (decoration: the text says the status)."""
    _paragraph(doc, caption, style="Caption").paragraph_format.keep_with_next = True
    room = _text_width_cm(doc)
    if sum(widths) > room:  # inside the text width, whatever the page (a template's margins)
        widths = [w * room / sum(widths) for w in widths]
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)  # the grid: what LibreOffice and Word lay the table out by
    style = doc.styles[CELL_STYLE].style_id
    for index, values in enumerate([headers, *rows]):
        row = table.add_row()
        props = row._tr.get_or_add_trPr()
        props.append(OxmlElement("w:cantSplit"))
        if index == 0:
            props.append(OxmlElement("w:tblHeader"))  # "repeat as header row": marked, and on every page
        for column, (cell, text, width) in enumerate(zip(row.cells, values, widths)):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph._p.get_or_add_pPr().style = style  # by id: python-docx's lookup per cell is slow
            run = paragraph.add_run(str(text))
            run.bold = index == 0 or (index - 1) in bold_rows
            fill = HEADER_FILL if index == 0 else (fills or {}).get((index - 1, column))
            if fill:
                _shade(cell, fill)
    props = table._tbl.tblPr
    for tag, value in (("w:tblCaption", caption), ("w:tblDescription", f"{caption}. Kolumner: {', '.join(headers)}.")):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value[:250])
        props.append(element)
    doc.add_paragraph()
    return table


def _text_width_cm(doc):
    """The width between the margins of the last section, in cm."""
    section = doc.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / Cm(1)


def _picture(doc, chart, caption):
    """A chart with its alt text (what a screen reader says) and a visible caption."""
    doc.add_picture(io.BytesIO(chart.png), width=Cm(min(chart.width_cm, _text_width_cm(doc))))
    inline = doc.inline_shapes[-1]._inline
    inline.docPr.set("descr", chart.alt)
    inline.docPr.set("title", caption)
    for element in inline.iter(qn("pic:cNvPr")):
        element.set("descr", chart.alt)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(doc, caption, style="Caption")


# --- the report --------------------------------------------------------------------------------------
def _counts(items, key):
    out = {}
    for item in items:
        out[key(item)] = out.get(key(item), 0) + 1
    return out


# The statuses (the rulebook's order: Uppfyllt, Delvis uppfyllt, Ej uppfyllt, Ej bedömd) counted:
# "1 ej uppfyllt", "2 ej uppfyllda" (a mål is neuter: "1 ej bedömt").
_COUNTED = (("uppfyllt", "uppfyllda"), ("delvis uppfyllt", "delvis uppfyllda"), ("ej uppfyllt", "ej uppfyllda"),
            ("ej bedömt", "ej bedömda"))


def _counted(statuses):
    """(status, count) -> "uppfyllt" / "uppfyllda": the status word that goes with the count."""
    words = dict(zip(statuses, _COUNTED))

    def said(status, count):
        singular, plural = words.get(status, (status.lower(), status.lower()))
        return _plural(count, singular, plural)
    return said


def _status_line(label, counts, statuses, total):
    """"Nämndmål: 4 av 5 uppfyllda, 1 delvis uppfyllt." with singular and plural right."""
    said = _counted(statuses)
    first = f"{counts.get(statuses[0], 0)} av {total} {said(statuses[0], counts.get(statuses[0], 0))}"
    rest = [f"{counts[s]} {said(s, counts[s])}" for s in statuses[1:] if counts.get(s)]
    rest += [f"{n} med fel" for s, n in counts.items() if s not in statuses]
    return f"{label}: " + ", ".join([first, *rest]) + "."


def _summary(doc, data):
    book, result = data.book, data.result
    statuses = book.data["goal"]["statuses"]
    kf = [o for o in result.assessment.kf]
    kf_counts = _counts(kf, lambda o: o.result.status if o.result else "Fel")
    goals = [item for line, item in zip(result.overview, result.items)
             if line[0] == L.LEVEL_GOAL and item is not None and not _is_office(item, book)]
    goal_counts = _counts(goals, lambda g: g.result.status)
    graded = result.assessment.indicators
    colours = _counts(graded, lambda g: g.result.colour if g.result else "Fel")
    board = book.data["plan"].get("board", "")
    doc.add_heading(f"{board}: uppföljning {data.period}", level=0)
    _paragraph(doc, (f"{book.data['plan']['name']} – måluppfyllelse, indikatorer och ekonomi", "i"))
    for label, value in (("Nämnd", board), ("Plan", f"{book.data['plan']['name']} (planår {book.year})"),
                         ("Period", data.period.text),
                         ("Jämförs med", data.previous.text if data.previous else "ingen tidigare period är sparad"),
                         ("Datum", _date(data.now)), ("Diarienummer", _dnr(data)),
                         ("Arbetsbok", data.workbook or "–")):
        _paragraph(doc, (f"{label}: ", "b"), value).paragraph_format.space_after = Pt(2)
    _proposal(doc, data)
    _heading(doc, "Sammanfattning", 1)
    _paragraph(doc, _status_line("KF-mål", kf_counts, statuses, len(kf)))
    _paragraph(doc, _status_line("Nämndmål", goal_counts, statuses, len(goals)))
    verdicts = book.data["indicator"]["verdicts"]
    grades = {p["colour"]: v.format_number(p["grade"]) for p in verdicts.values() if "grade" in p}
    not_assessed = verdicts["not_assessed"]
    parts = [f"{_mark(book, c)} ({grades[c]}): {colours.get(c, 0)}" for c in grades]
    parts.append(f"{book.data['symbols'].get(not_assessed['colour'], '')} {not_assessed['label']}: "
                 f"{colours.get(not_assessed['colour'], 0)}")
    if colours.get("Fel"):
        parts.append(f"{ERROR_MARK} Fel: {colours['Fel']}")
    _paragraph(doc, f"Indikatorer ({len(graded)}): " + " · ".join(parts) + ".")
    trends = [t for t in data.result.follow.trends.values() if t]
    if trends:
        counts = _counts(trends, lambda t: t.trend)
        said = " · ".join(f"{p['arrow']} {p['label']}: {counts[k]}" for k, p in book.data["trend"]["verdicts"].items()
                          if counts.get(k))
        _paragraph(doc, f"Trend mot {data.previous or 'föregående period'}: {said}.")
    chart = charts.status_bars([("KF-mål", kf_counts), ("Nämndmål", goal_counts)], statuses, book.data["fills"],
                               book.data["symbols"], _counted(statuses))
    _picture(doc, chart, "Figur 1. KF-mål och nämndmål per status.")
    _budget_result(doc, data)


def _typed_text(cell):
    """What a person typed in an input cell, or "" (a number or date is shown as Excel holds it)."""
    raw = cell_value(cell.raw) if cell is not None else None
    return "" if raw is None else str(raw).strip()


def _dnr(data):
    return _typed_text(data.dnr) or f"saknas (skriv det i {data.dnr.place})"


def _proposal(doc, data):
    """Förslag till beslut as typed on Översikt, one numbered point per line; never made up."""
    _heading(doc, "Förslag till beslut", 1)
    lines = [line.strip() for line in _typed_text(data.proposal).splitlines() if line.strip()]
    if not lines:
        _paragraph(doc, (f"{ERROR_MARK} Förslaget till beslut saknas: skriv det i {data.proposal.place} "
                         f"({L.PROPOSAL_LABEL}), en punkt per rad.", "b"))
        return
    for number, line in enumerate(lines, start=1):
        paragraph = _paragraph(doc, f"{number}. {line}" if len(lines) > 1 else line)
        paragraph.paragraph_format.left_indent = Cm(0.6) if len(lines) > 1 else None
        paragraph.paragraph_format.space_after = Pt(3)


def missing_inputs(data):
    """The report's inputs a person has not typed yet, as lines for the command line and the pane."""
    return [f"{cell.place} ({label}) är tom; rapporten säger att den saknas."
            for cell, label in ((data.dnr, L.DNR_LABEL), (data.proposal, L.PROPOSAL_LABEL)) if not _typed_text(cell)]


def _budget_result(doc, data):
    summary, book = data.result.budget, data.book
    _heading(doc, "Budgetresultat", 2)
    if summary is None or summary.total is None:
        _paragraph(doc, "Inget utfall eller prognos är inskrivet i internbudgeten, så budgetföljsamheten kan inte "
                        "räknas.")
        return
    total = summary.total
    side = book.data["budget"]["surplus_label"] if total.deviation >= 0 else book.data["budget"]["deficit_label"]
    _paragraph(doc, ("Budgetföljsamhet: ", "b"),
               f"{_adherence(book, total)}, {_mark(book, total.colour)}. ",
               (f"{side.capitalize()} {_amount(abs(total.deviation))}", "b"),
               f" (budget {_amount(summary.total_budget)}, utfall/prognos {_amount(summary.total_actual)}, "
               f"avvikelse {_signed(total.deviation)}{NBSP}mnkr).")
    _paragraph(doc, data.said(total.explanation))
    for finding in data.result.findings:  # RULES R2, one budget truth: never two adherences without saying which
        rule = book.by_id.get(finding.rule)
        if rule is not None and rule.decision == "budgetsanning":
            _paragraph(doc, ("Två siffror för nämndens budget: ", "b"),
                       "följsamheten ovan räknas från internbudgetens rader med utfall/prognos (avvikelse "
                       f"{v.format_percent(summary.total_deviation, 2, signed=True)}); budgetföljsamhetens indikator "
                       f"({finding.where}) har {v.format_percent(finding.stated, 2, signed=True)} inskrivet och bedöms "
                       f"på det. Se bilaga A{data.rule_note(finding.rule)}.")
    if summary.without_actual:
        _paragraph(doc, f"Utan utfall/prognos (ingår inte): {', '.join(map(str, summary.without_actual))}.")


def _adherence(book, result):
    """Budget adherence with the rulebook's decimals (R5 rounds to them before banding)."""
    return _percent(result.adherence * 100, book.data["budget"]["round_decimals"])


def _kf_section(doc, data, outcome, goal_line, goal, members):
    book = data.book
    kf = v.shown_key(outcome.row.kf)
    status = outcome.result.status if outcome.result else "Fel"
    sources = book.data["kf"]["sources"]
    source = sources[outcome.result.source] if outcome.result else ""
    marked = f" ({source})" if outcome.result and outcome.result.source != "board_goal" else ""
    _heading(doc, f"KF-mål {kf}: {_mark(book, status)}{marked}", 2)
    area, text = data.kf_texts.get(v.key(kf), ("", ""))
    if text:
        _paragraph(doc, ((f"{area}: " if area else "") + str(text), "i"))
    before = data.result.follow.previous_values(L.LEVEL_KF).get(v.key(kf))
    if before:
        _paragraph(doc, f"Föregående period ({data.previous}): {_mark(book, before[0][12])}.")
    if outcome.result is None:
        _paragraph(doc, (f"{ERROR_MARK} Fel: ", "b"), str(outcome.error))
    elif outcome.result.source == "override":
        motivation = str(cell_value(outcome.row.motivation)).strip().rstrip(".")
        _paragraph(doc, ("Manuell bedömning: ", "b"), f"{_mark(book, outcome.result.status)}. ",
                   ("Motivering: ", "b"), f"{motivation}. ",
                   f"Beräknad status: {_mark(book, outcome.result.computed)}.{data.rule_note(outcome.result.rule)}")
    elif outcome.result.source == "indicative":
        _paragraph(doc, ("Indikativ status: ", "b"), "KF-målet har inget nämndmål; statusen räknas från kontorets "
                                                     f"indikatorer: {_mark(book, outcome.result.computed)}."
                                                     f"{data.rule_note(outcome.result.rule)}")
    else:
        _paragraph(doc, data.said(outcome.result.explanation))
    _analysis_part(doc, data, kf)
    if goal is None:
        return
    name = goal.name
    average = "ingen bedömd indikator" if goal.result.average is None else \
        f"medel {v.format_fixed(goal.result.average, book.data['goal']['round_decimals'])}"
    office = _is_office(goal, book)
    if office:  # RULES R4: the office's indicators are no board goal, and are not called one
        _heading(doc, f"{OFFICE_HEADING}: {_mark(book, goal.result.status)}", 3)
        _paragraph(doc, ("Indikatorernas bedömning: ", "b"), f"{average}, {_mark(book, goal.result.status)}.")
    else:
        _heading(doc, f"Nämndmål {name}: {_mark(book, goal.result.status)}", 3)
        if goal_line and goal_line[4]:
            _paragraph(doc, (str(goal_line[4]), "i"))
        _paragraph(doc, ("Nämndmålets bedömning: ", "b"), f"{average}, {_mark(book, goal.result.status)}.")
    if goal.result.rule.startswith("R3.cap."):
        _paragraph(doc, ("Tak från den dominerande indikatorn: ", "b"), data.said(goal.result.explanation))
    else:
        _paragraph(doc, data.said(goal.result.explanation))
    if members:
        caption = (f"Tabell: kontorets indikatorer (KF-mål {kf})." if office
                   else f"Tabell: indikatorer för nämndmål {name} (KF-mål {kf}).")
        _indicator_table(doc, data, members, caption)


def _state_header(section, data):
    """"Utkast" on every page until the period is fixed, then "Fastställd av … den … (beslut …)"."""
    state = data.result.state
    line = state.line(data.book) if state is not None else data.book.data["approval"]["draft"]
    paragraph = section.header.paragraphs[0]
    if paragraph.text.strip() or paragraph.runs:  # a template's header (logo, name): a line of its own below
        paragraph = section.header.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(f"{line} – {data.period}")
    run.bold = True


def _analysis_part(doc, data, kf):
    """The board's samlad bedömning for the KF goal and its actions (responsible, date), from Analys."""
    state = data.result.state
    rows = state.by_kf.get(v.key(kf), []) if state is not None else []
    judgements = [r for r in rows if _blank_cell(r.indicator) and not _blank_cell(r.text)]
    _heading(doc, f"Nämndens samlade bedömning, KF-mål {kf}", 3)
    if judgements:
        for row in judgements:
            goal = "" if _blank_cell(row.goal) else f"Nämndmål {cell_value(row.goal)}: "
            _paragraph(doc, goal + _typed(row.text))
    else:
        _paragraph(doc, (f"Ingen samlad bedömning är skriven för {data.period} (bladet {L.ANALYSIS}).", "i"))
    actions = [r for r in rows if not _blank_cell(r.action) or (not _blank_cell(r.indicator) and not _blank_cell(r.text))]
    if not actions:
        return
    table = []
    for row in actions:
        about = str(cell_value(row.indicator) or cell_value(row.goal) or f"KF-mål {kf}")
        what = _typed(row.action) or f"Ingen åtgärd: {_typed(row.text)}"
        why = "" if _blank_cell(row.text) or _blank_cell(row.action) else f" ({_typed(row.text)})"
        due = cell_value(row.due)
        table.append([about, what + why, str(cell_value(row.responsible) or "–"),
                      due.strftime("%Y-%m-%d") if hasattr(due, "strftime") else str(due or "–")])
    _table(doc, f"Tabell: åtgärder för KF-mål {kf} ({data.period}).", ["Gäller", "Åtgärd", "Ansvarig", "Klart senast"],
           table, [2.0, 9.0, 3.2, 2.4])


def _typed(value):
    """A text a person typed on Analys, in the report's number style ("99 %", "−0,3")."""
    return v.typeset(str(cell_value(value) or "").strip())


def _blank_cell(value):
    value = cell_value(value)
    return value is None or (isinstance(value, str) and not value.strip())


def _dominant(row, book):
    """Marked Dominant (its colour caps the goal); a mark that cannot be read is a finding, not shown."""
    try:
        return bool(v.read_yes_no(row.dominant, row.place("dominant"), book))
    except VPError:
        return False


def _indicator_table(doc, data, members, caption, level=4):
    book = data.book
    rows, fills = [], {}
    explanations = []
    for index, member in enumerate(members):
        r = member.row
        ident = v.shown_key(r.id)
        trend = data.result.follow.trends.get(v.key(r.id))
        if member.result is not None:
            res = member.result
            grade = res.status if res.score is None else f"{res.colour}, {v.format_number(res.score)}"
            judged = f"{book.data['symbols'].get(res.colour, ERROR_MARK)} {grade}"
            fill = book.data["fills"].get(res.colour)
            explanation = data.said(res.explanation)
        else:
            judged, fill, explanation = f"{ERROR_MARK} Fel", None, str(member.error)
        trend_text = trend.shown if trend else "– ingen trend (fel)" if member.result is None else "–"
        name = f"{ident} {cell_value(r.name) or ''}".strip() + (" (dominerande)" if _dominant(r, book) else "")
        rows.append([name, _shown(r.baseline, book), _shown(r.target, book), _shown(r.outcome, book), judged,
                     trend_text])
        if fill:
            fills[(index, 4)] = fill
        # without an earlier period every trend says so: the first page says it once instead
        said = data.said(trend.explanation) if trend and data.previous is not None else ""
        explanations.append((ident, explanation, said))
    _table(doc, caption, ["Indikator", "Ingående värde", "Riktvärde", "Utfall", "Bedömning", "Trend"], rows,
           [5.4, 2.3, 2.1, 1.9, 2.4, 2.5], fills)
    _heading(doc, "Förklaringar", level)
    for ident, explanation, trend in explanations:
        paragraph = _paragraph(doc, (f"{ident}: ", "b"), explanation)
        if trend:
            paragraph.add_run().add_break()
            paragraph.add_run("Trend: ").bold = True
            paragraph.add_run(trend)
        paragraph.paragraph_format.space_after = Pt(4)


def _goals(doc, data):
    result = data.result
    _heading(doc, "Måluppfyllelse per KF-mål", 1)
    _paragraph(doc, "Varje KF-mål med sitt nämndmål, nämndmålets indikatorer, deras bedömning och trend mot "
                    "föregående period. Reglerna som avgjorde står i bilaga B.")
    placed = set()
    rows = list(zip(result.overview, result.items))
    for index, (line, item) in enumerate(rows):
        if line[0] != L.LEVEL_KF or item is None:
            continue
        goal_line, goal, members = None, None, []
        if index + 1 < len(rows) and rows[index + 1][0][0] == L.LEVEL_GOAL and rows[index + 1][1] is not None:
            goal_line, goal = rows[index + 1]
            members = list(goal.members)
            placed.add(goal.group)
        elif item.goal.group in placed:
            _kf_section(doc, data, item, None, None, [])
            _paragraph(doc, f"Nämndmålet {item.goal.name} redovisas under ett tidigare KF-mål.")
            continue
        _kf_section(doc, data, item, goal_line, goal, members)
    unplaced = [g for g in result.assessment.indicators if g.group not in placed]
    if unplaced:
        _heading(doc, f"{ERROR_MARK} Indikatorer som inte hör till något KF-mål", 2)
        _paragraph(doc, "Deras nämndmål finns inte på något KF-mål; se bilaga A.")
        _indicator_table(doc, data, unplaced, "Tabell: indikatorer utan KF-mål.", level=3)


def _economy(doc, data):
    book, summary = data.book, data.result.budget
    _heading(doc, "Ekonomi", 1)
    _heading(doc, "Budgetföljsamhet per verksamhetsområde", 2)
    _paragraph(doc, f"Budget är förslaget till budget {book.year}. Avvikelse = budget − utfall/prognos: + är "
                    f"överskott, − är underskott. Följsamhet = 100{NBSP}% − |avvikelse| / budget, avrundad till en decimal"
                    f"{data.rule_note('R5')}.")
    rows, fills, chart_lines = [], {}, []
    for index, line in enumerate(summary.lines if summary else ()):
        r = line.result
        if r is None:
            rows.append([str(line.area), _mnkr(line.budget) if line.budget is not None else "–", "–", "–", "–",
                         f"{ERROR_MARK} Fel: {line.error}"])
            continue
        rows.append([str(line.area), _mnkr(line.budget), _mnkr(line.actual), _signed(r.deviation),
                     _adherence(book, r), _mark(book, r.colour)])
        fills[(index, 5)] = book.data["fills"].get(r.colour)
        chart_lines.append((line.area, float(line.budget), float(line.actual)))
    bold = ()
    if summary and summary.total is not None:
        t = summary.total
        rows.append(["Totalt (rader med utfall/prognos)", _mnkr(summary.total_budget), _mnkr(summary.total_actual),
                     _signed(t.deviation), _adherence(book, t), _mark(book, t.colour)])
        fills[(len(rows) - 1, 5)] = book.data["fills"].get(t.colour)
        bold = (len(rows) - 1,)
    if rows:
        _table(doc, "Tabell: budget, utfall/prognos, avvikelse och följsamhet per verksamhetsområde (mnkr).",
               ["Verksamhetsområde", "Budget", "Utfall/prognos", "Avvikelse", "Följsamhet", "Bedömning"], rows,
               [5.6, 2.0, 2.4, 2.1, 2.1, 2.4], fills, bold)
    else:
        _paragraph(doc, "Inget utfall eller prognos är inskrivet i internbudgeten.")
    if chart_lines:
        _picture(doc, charts.budget_bars(chart_lines), "Figur 2. Budget och utfall/prognos per verksamhetsområde, mnkr.")
    _months(doc, data)
    _heading(doc, "Fördelning av gemensamma kostnader", 2)
    _paragraph(doc, f"Som arbetsboken räknar dem på bladet {L.SPLITS} (plan 1.6.2); delarna summerar till det "
                    "avrundade beloppet.").paragraph_format.keep_with_next = True
    rows = [[s.label, s.basis or "–", s.parts or f"{ERROR_MARK} {data.said(s.error)}"] for s in data.splits]
    headers, widths = ["Fördelning", "Underlag", "Delar"], [5.6, 4.6, 6.4]
    if data.with_rule_ids:
        rows = [row + [s.rule or "–"] for row, s in zip(rows, data.splits)]
        headers, widths = headers + ["Regel"], [5.2, 4.0, 4.8, 3.0]
    _table(doc, "Tabell: fördelning av gemensamma kostnader (mnkr).", headers, rows, widths)
    _heading(doc, "Besparing", 2)
    rate = f"{v.format_number(book.data['saving']['rate'] * 100)}{NBSP}%"
    if summary is None or summary.saving is None:
        _paragraph(doc, f"Besparingen på {rate} kan inte räknas: markeringen Volymbaserad eller ett belopp i "
                        "internbudgeten går inte att läsa (se bilaga A).")
    else:
        difference = summary.saving_difference
        _paragraph(doc, f"Besparing {rate} på den ej volymbaserade verksamheten: bas {_amount(summary.saving_base)} "
                        f"(raderna med Volymbaserad = NEJ) ger {_signed(summary.saving)}{NBSP}mnkr"
                        f"{data.rule_note('R8.base.ej_volymbaserad')}. Planens angivna besparing är "
                        f"{_signed(summary.saving_stated)}{NBSP}mnkr (nämndens beslut)"
                        + (f"; skillnad {_signed(difference)}{NBSP}mnkr, se bilaga A." if difference
                           else "; de stämmer."))


def _months(doc, data):
    """The economy's monthly follow-up (item 4): utfall/prognos in total for each month stored in
    Historik, its change from the month before and its adherence as that month's refresh decided it."""
    book = data.book
    months = [m for m in months_recorded(data.result.follow.history, book.year) if m.actual is not None]
    if not months:
        return
    _heading(doc, "Prognos per månad", 2)
    first, last = months[0], months[-1]
    change = last.actual - first.actual
    moved = ("ökade med" if change > 0 else "minskade med") if change else "var oförändrad,"
    _paragraph(doc, f"Utfall/prognos för nämnden i sin helhet, som månadsuppföljningarna sparade dem på bladet "
                    f"{L.HISTORY} ({len(months)}{NBSP}{_plural(len(months), 'månad', 'månader')}). "
                    + (f"Prognosen {moved} {_amount(abs(change))} från {first.period.name.lower()} "
                       f"({_amount(first.actual)}) till {last.period.name.lower()} ({_amount(last.actual)})."
                       if len(months) > 1 else "")).paragraph_format.keep_with_next = True
    rows, fills, before = [], {}, None
    for index, month in enumerate(months):
        moved = "–" if before is None else _signed(month.actual - before)
        adherence = "–" if month.adherence is None else _percent(month.adherence * 100,
                                                                  book.data["budget"]["round_decimals"])
        rows.append([month.period.text, _mnkr(month.budget), _mnkr(month.actual), moved, adherence,
                     _mark(book, month.colour)])
        if book.data["fills"].get(month.colour):
            fills[(index, 5)] = book.data["fills"][month.colour]
        before = month.actual
    _table(doc, "Tabell: budget och utfall/prognos per månad, förändring mot månaden före (mnkr).",
           ["Månad", "Budget", "Utfall/prognos", "Förändring", "Följsamhet", "Bedömning"], rows,
           [3.6, 2.3, 2.6, 2.5, 2.4, 3.2], fills)
    if len(months) > 1:
        short = len(months) > 6  # twelve month names fit the page only shortened
        chart = charts.prognosis_line([(m.period.name[:3] if short else m.period.name, m.budget, m.actual)
                                       for m in months])
        _picture(doc, chart, "Figur 3. Utfall/prognos per månad mot budget, mnkr.")


def _appendix(doc, data):
    book, result = data.book, data.result
    _heading(doc, "Bilaga A. Kontrollens fynd", 1)
    _paragraph(doc, "Samma fynd som vp check och knappen Kontrollera listar: värden som inte går att läsa, summor "
                    "som inte stämmer och skillnader mot planens siffror.").paragraph_format.keep_with_next = True
    if result.findings:
        rows = [[f.where or "–", f.rule, f.message] for f in result.findings]
        _table(doc, "Tabell: kontrollens fynd.", ["Plats", "Regel", "Beskrivning"], rows, [2.8, 4.6, 9.2])
    else:
        _paragraph(doc, "Inga fynd.")
    _heading(doc, "Bilaga B. Regelbok", 1)
    digest = hashlib.sha256(book.path.read_bytes()).hexdigest()[:12]
    changed = datetime.fromtimestamp(book.path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    for label, value in (("Regelbok", book.path.name), ("Plan", f"{book.data['plan']['name']}, planår {book.year}"),
                         ("Version", f"SHA-256 {digest}, ändrad {changed}"), ("Program", _program_version())):
        _paragraph(doc, (f"{label}: ", "b"), value).paragraph_format.space_after = Pt(2)
    _paragraph(doc, "Reglerna som avgjorde något i rapporten, med vad de säger:")
    rows = []
    for rule_id in sorted(_rules_used(data), key=_rule_order(book)):
        rule = book.by_id.get(rule_id)
        if rule is not None:
            rows.append([rule.id, render(book, rule.about)])
    _table(doc, "Tabell: reglerna som avgjorde i rapporten.", ["Regel", "Vad regeln säger"], rows, [5.2, 11.4])


def _program_version():
    try:
        from importlib.metadata import version

        return f"vp-regelmotor {version('vp-regelmotor')}"
    except Exception:  # noqa: BLE001 - not installed as a package (a source checkout)
        return "vp-regelmotor"


def _rule_order(book):
    order = {rule_id: index for index, rule_id in enumerate(book.by_id)}
    return lambda rule_id: order.get(rule_id, len(order))


def _rules_used(data):
    result = data.result
    used = {line[8] for line in result.overview if line[8]}
    used |= {t.rule for t in result.follow.trends.values() if t}
    if result.budget:
        used |= {line.result.rule for line in result.budget.lines if line.result}
        if result.budget.total:
            used.add(result.budget.total.rule)
        if result.budget.saving is not None:
            used.add("R8.base.ej_volymbaserad")
    used |= {s.rule for s in data.splits if s.rule}
    used |= {f.rule for f in result.findings}
    return used


# --- the document as a whole: the built-in look or the municipality's template, its properties -----------
REPORT_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Caption", "Table Grid")
APP_PROPERTIES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                  'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                  '<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>'
                  '<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged></Properties>')
RT_THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
RT_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
TEMPLATE_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _open_template(path):
    """The municipality's Word template (.docx or .dotx) with its body emptied: its styles, page,
    header, footer and logo stay, the report's content goes in its heading styles."""
    path = Path(path)
    if path.suffix.lower() not in (".docx", ".dotx"):
        raise ReportRefused(f"--template {path.name}: mallen ska vara ett Word-dokument eller en Word-mall "
                            "(.docx eller .dotx).")
    if not path.is_file():
        raise ReportRefused(f"--template {path}: filen finns inte.")
    try:
        content = path.read_bytes()
        if path.suffix.lower() == ".dotx":  # the same package; Word opens a document made from it
            content = _as_document(content)
        doc = Document(io.BytesIO(content))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ReportRefused(f"--template {path.name}: filen går inte att läsa som en Word-mall "
                            f"({type(exc).__name__}). Spara mallen som .docx i Word och försök igen.") from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    built_in = Document()
    for name in REPORT_STYLES:  # a style the template lacks is taken from the built-in look
        try:
            doc.styles[name]
        except KeyError:
            doc.styles.element.append(copy.deepcopy(built_in.styles[name].element))
    return doc


def _as_document(content):
    """A .dotx package re-labelled as a .docx (only [Content_Types].xml differs)."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(TEMPLATE_TYPE.encode(), DOCUMENT_TYPE.encode())
            target.writestr(item, data)
    return out.getvalue()


def _cell_style(doc):
    """The table text style (smaller than the body text), added to the built-in look or the template."""
    try:
        return doc.styles[CELL_STYLE]
    except KeyError:
        cell = doc.styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = doc.styles["Normal"]
        cell.font.size = Pt(9.5)
        cell.paragraph_format.space_after = Pt(0)
        return cell


def _properties(doc, data):
    """The board's document: title, author and subject the board's; no program's name, no thumbnail
    (python-docx's template carries a blank one; a municipality's shows the template, not the report)."""
    board = data.book.data["plan"].get("board", "")
    props = doc.core_properties
    props.title = f"{board}: uppföljning {data.period}"
    props.subject = data.book.data["plan"]["name"]
    props.author = props.last_modified_by = board
    props.keywords = "verksamhetsplan, uppföljning"
    props.comments = props.category = props.content_status = ""
    props.identifier = _typed_text(data.dnr)
    props.created = props.modified = data.now
    props.revision = 1
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT_THUMBNAIL:
            package.rels.pop(rel_id)
        elif rel.reltype == RT_APP:
            rel.target_part._blob = APP_PROPERTIES.encode()  # no Application, template or page count


def render_document(data, with_rule_ids=False, template=None):
    """The report as .docx bytes: the built-in look, or the municipality's template (`template`, a
    path); rule ids after the explanations only `with_rule_ids` (the economist's own copy)."""
    data.with_rule_ids = with_rule_ids
    board = data.book.data["plan"].get("board", "")
    if template:
        doc = _open_template(template)
    else:
        doc = Document()
        _set_styles(doc)
        _footer(_page(doc), f"{board} – uppföljning {data.period}" + (f" – dnr {_typed_text(data.dnr)}"
                                                                      if _typed_text(data.dnr) else ""))
    for index, section in enumerate(doc.sections):  # every page: Utkast, or who fixed the period
        if index == 0 or not section.header.is_linked_to_previous:
            _state_header(section, data)
    _cell_style(doc)
    _set_language(doc)
    _properties(doc, data)
    _summary(doc, data)
    _goals(doc, data)
    _economy(doc, data)
    _appendix(doc, data)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_report(source, book=None, period=None, now=None, engine=None, workbook="", progress=None,
                 with_rule_ids=False, template=None):
    """(ReportData, .docx bytes) for a workbook read through an adapter; writes nothing. The CLI, the
    Rapport button and the server's download all make the report here."""
    data = collect(source, book, period, now, engine, workbook, progress)
    if progress:
        progress("Skriver rapporten …")
    return data, render_document(data, with_rule_ids=with_rule_ids, template=template)


# --- where it goes ------------------------------------------------------------------------------------
def default_path(workbook, period):
    """Beside the workbook: "VP2025 Rapport Delår 1 2025.docx"."""
    workbook = Path(workbook)
    return workbook.with_name(f"{workbook.stem} Rapport {period}.docx")


def write_report(path, data, suffix=".docx"):
    """Write the .docx (or the .pdf) through a temporary file beside it; only that kind of file (so never
    over the workbook); Swedish errors."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        kind = "ett Word-dokument" if suffix == ".docx" else "en PDF"
        raise ReportRefused(f"{path.name}: rapporten är {kind}; ge ett namn som slutar på {suffix}.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportRefused(f"Mappen {folder} finns inte; rapporten {path.name} kan inte skrivas där.")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".vp-rapport-", suffix=suffix, dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except PermissionError:
        raise ReportRefused(f"{path} går inte att skriva: är den öppen i Word, eller saknas behörighet till "
                            "mappen?") from None
    except OSError as exc:
        raise ReportRefused(f"{path} går inte att skriva ({exc.strerror or exc}).") from None
    return path


# --- the PDF, through LibreOffice -------------------------------------------------------------------------
# Tagged PDF/UA (structure tags, the title shown as the window's title, the document's language sv-SE),
# bookmarks from the headings; the options as LibreOffice 7.4+ reads them on the command line.
PDF_OPTIONS = {"UseTaggedPDF": True, "PDFUACompliance": True, "DisplayPDFDocumentTitle": True,
               "ExportBookmarks": True, "UseLosslessCompression": True}
PDF_TIMEOUT = 300
SOFFICE_PLACES = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                  r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
                  "/Applications/LibreOffice.app/Contents/MacOS/soffice")
PDF_INSTALL = ("PDF kräver LibreOffice, som inte är installerat på den här datorn. Installera det från "
               "https://sv.libreoffice.org (Windows, Mac) eller med sudo apt-get install libreoffice-writer-nogui "
               "(Debian, Ubuntu) och kör igen; eller öppna Word-rapporten och spara som PDF därifrån.")


def find_soffice():
    """LibreOffice's soffice: on the PATH, or where its installer puts it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    return found or next((place for place in SOFFICE_PLACES if Path(place).is_file()), None)


def write_pdf(docx_path, pdf_path=None, soffice=None, timeout=PDF_TIMEOUT):
    """The report as a tagged PDF beside it (or at `pdf_path`), made by LibreOffice headless with its own
    throwaway profile (a running LibreOffice is not disturbed); Swedish refusals."""
    docx_path = Path(docx_path)
    pdf_path = Path(pdf_path) if pdf_path else docx_path.with_suffix(".pdf")
    soffice = soffice or find_soffice()
    if not soffice:
        raise ReportRefused(PDF_INSTALL)
    options = json.dumps({name: {"type": "boolean", "value": "true" if on else "false"}
                          for name, on in PDF_OPTIONS.items()})
    with tempfile.TemporaryDirectory(prefix="vp-pdf-") as folder:
        folder = Path(folder)
        command = [soffice, f"-env:UserInstallation={(folder / 'profil').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", f"pdf:writer_pdf_Export:{options}", "--outdir", str(folder),
                   str(docx_path)]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ReportRefused(f"LibreOffice gjorde ingen PDF av {docx_path.name} på {timeout} sekunder; "
                                "Word-rapporten är skriven.") from None
        except OSError as exc:
            raise ReportRefused(f"LibreOffice ({soffice}) gick inte att starta ({exc.strerror or exc}). "
                                + PDF_INSTALL) from None
        made = folder / f"{docx_path.stem}.pdf"
        if not made.is_file():
            raise ReportRefused(f"LibreOffice gjorde ingen PDF av {docx_path.name}; Word-rapporten är skriven. "
                                "Öppna den i Word och spara som PDF.")
        return write_report(pdf_path, made.read_bytes(), suffix=".pdf")


def run_report_command(args, progress):
    """`vp report FIL [--period P] [--out RAPPORT.docx] [--template MALL.docx] [--with-rule-ids] [--pdf]`:
    read only, one line per outcome."""
    from .xlsx import XlsxBook

    path = Path(args.file)
    book = load_rulebook(args.rulebook) if args.rulebook else load_rulebook()
    if getattr(args, "template", None):
        _open_template(args.template)  # a template that cannot be used refuses before the work
    if getattr(args, "pdf", False) and not find_soffice():
        raise ReportRefused(PDF_INSTALL + " Ingen rapport skrevs.")
    source = XlsxBook(path, read_only=True)
    data, document = build_report(source, book, period=args.period, workbook=path.name, progress=progress,
                                  with_rule_ids=getattr(args, "with_rule_ids", False),
                                  template=getattr(args, "template", None))
    out = write_report(Path(args.out) if args.out else default_path(path, data.period), document)
    result = data.result
    print(f"Rapport för {data.period}: {out}")
    if getattr(args, "pdf", False):
        progress("Gör PDF med LibreOffice …")
        print(f"PDF (taggad, PDF/UA): {write_pdf(out)}")
    print(f"{len(result.assessment.kf)} KF-mål, {len(result.assessment.indicators)} indikatorer, "
          f"{len(result.findings)} fynd i bilaga A; trend mot {data.previous or 'ingen tidigare period'}.")
    for line in missing_inputs(data):
        print(f"Obs: {line}")
    return 0


__all__ = ["ReportData", "ReportRefused", "build_report", "collect", "default_path", "find_soffice",
           "missing_inputs", "render_document", "run_report_command", "write_pdf", "write_report"]
