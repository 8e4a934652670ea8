"""`vp report` and the Rapport button: the Word document read back with python-docx. The statuses it
must show are what `vp refresh` stored in Historik (another path through the code), the trends are
worked out by hand (tests/test_followup.py), the accessibility checks recompute WCAG's contrast."""

import hashlib
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from rules.rulebook import load_rulebook
from tests.test_followup import DELAR_2, TRENDS_DELAR_2, copy, history, one_error_line, set_outcomes
from workbook import layout as L
from workbook.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
EMPTY = ROOT / "workbook" / "VP2025.xlsx"
INDICATOR_HEADERS = ["Indikator", "Ingående värde", "Riktvärde", "Utfall", "Bedömning", "Trend"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The example refreshed as Delår 1 and reported, then Delår 2 with changed outcomes, refreshed and
    reported, and once more as the economist's copy with rule ids: (workbook, Historik after Delår 2, report 1,
    report 2, report 2 --with-rule-ids)."""
    folder = tmp_path_factory.mktemp("rapport")
    path = copy(EXAMPLE, folder)
    assert main(["refresh", str(path)]) == 0
    first = folder / "delar1.docx"
    assert main(["report", str(path), "--out", str(first)]) == 0
    set_outcomes(path, DELAR_2)
    assert main(["refresh", str(path), "--period", "Delår 2 2025"]) == 0
    second = folder / "delar2.docx"
    assert main(["report", str(path), "--out", str(second)]) == 0
    own = folder / "delar2-regler.docx"
    assert main(["report", str(path), "--out", str(own), "--with-rule-ids"]) == 0
    return path, history(path), docx.Document(first), docx.Document(second), docx.Document(own)


def stored(rows, period, level, column):
    """{key: status} of one level as `vp refresh` stored it for `period` (key in `column`)."""
    return {str(row[column]): row[12] for row in rows if row[0] == period and row[1] == level}


def body_texts(document):
    """Every paragraph's and table cell's text in the body, in order, up to the appendices."""
    out = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = docx.text.paragraph.Paragraph(element, document)
            if paragraph.style.name == "Heading 1" and paragraph.text.startswith("Bilaga"):
                break
            out.append(paragraph.text)
        elif element.tag == qn("w:tbl"):
            out.extend(cell.text for row in docx.table.Table(element, document).rows for cell in row.cells)
    return out


def all_texts(document):
    """Every text of the document: paragraphs, table cells, header and footer."""
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return texts


def text_of(paragraph):
    return paragraph.text.replace("\xa0", " ")  # the rules write "60 %" with a no-break space


def headings(document, level):
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def indicator_rows(document):
    rows = {}
    for table in document.tables:
        cells = [[c.text for c in row.cells] for row in table.rows]
        if cells and cells[0] == INDICATOR_HEADERS:
            for line in cells[1:]:
                rows[line[0].split(" ", 1)[0]] = line
    return rows


def luminance(hex_colour):
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- structure and content -------------------------------------------------------------------------------
@pytest.mark.parametrize("which, period", [(2, "Delår 1 2025"), (3, "Delår 2 2025")])
def test_one_heading_per_kf_goal_with_the_status_the_refresh_stored(reports, which, period):
    rows, document = reports[1], reports[which]
    symbols = load_rulebook().data["symbols"]
    expected = stored(rows, period, L.LEVEL_KF, 2)
    found = {}
    for text in headings(document, 2):
        match = re.fullmatch(r"KF-mål (\d+): (\S) (.+?)(?: \((?:manuell bedömning|indikativ)\))?", text)
        if match:
            number, symbol, status = match.groups()
            assert number not in found, text
            assert symbol == symbols[status], text  # a shape and a word, never the colour alone
            found[number] = status
    assert found == expected and len(found) == 6
    assert document.paragraphs[0].style.name == "Title" and period in document.paragraphs[0].text


def test_the_kf_statuses_by_hand(reports):
    """KF 5 (N5): Delår 1 the dominant I16 is yellow (+0,8 %: 99,2 %) and caps 0,8 at Delvis uppfyllt;
    Delår 2 I16 is green (-0,3 %: 99,7 %) and the average 4,5/5 = 0,90 gives Uppfyllt. KF 4 is the
    manual judgement, Delvis uppfyllt, in both."""
    first, second = reports[2], reports[3]
    assert "KF-mål 5: ◐ Delvis uppfyllt" in headings(first, 2)
    assert "KF-mål 5: ✔ Uppfyllt" in headings(second, 2)
    assert "KF-mål 4: ◐ Delvis uppfyllt (manuell bedömning)" in headings(second, 2)
    texts = [p.text for p in first.paragraphs]
    assert any(t.startswith("Tak från den dominerande indikatorn: ") and "den dominerande indikatorn är gul" in t
               for t in texts)
    assert any(t.startswith("Manuell bedömning: ◐ Delvis uppfyllt. Motivering: Arbetet med källsortering") for t in texts)


@pytest.mark.parametrize("which, period", [(2, "Delår 1 2025"), (3, "Delår 2 2025")])
def test_every_indicator_row_shows_the_grade_the_refresh_stored(reports, which, period):
    rows, document = reports[1], reports[which]
    expected = stored(rows, period, L.LEVEL_INDICATOR, 4)
    shown = indicator_rows(document)
    assert sorted(shown) == sorted(expected) and len(shown) == 24
    symbols = load_rulebook().data["symbols"]
    for ident, line in shown.items():
        colour = expected[ident]
        judged = line[4]
        assert judged.startswith(f"{symbols[colour]} "), (ident, judged)
        assert (colour in judged) if colour != "Grå" else judged == "– Ej bedömd", (ident, judged)


def test_the_second_period_shows_the_trends_worked_out_by_hand(reports):
    shown = indicator_rows(reports[3])
    assert {ident: line[5] for ident, line in shown.items()} == TRENDS_DELAR_2
    # values as typed ("-0,3%", "61%"), in the report's number style: the minus sign, a no-break space before %
    assert shown["I16"][3] == "\u22120,3\u00a0%" and shown["I03"][1:4] == ["61\u00a0%", "Öka", "60\u00a0%"]


def test_the_first_period_has_no_previous_value(reports):
    shown = indicator_rows(reports[2])
    # I04 and I15 have no outcome (that rule comes first); every other indicator has nothing to compare with
    expected = {ident: "– inget tidigare värde" for ident in shown}
    expected.update({"I04": "– inget utfall", "I15": "– inget utfall"})
    assert {ident: line[5] for ident, line in shown.items()} == expected


def test_the_economists_copy_names_the_rule_after_every_explanation(reports):
    document = reports[4]
    book = load_rulebook()
    explanations = [text_of(p) for p in document.paragraphs if re.match(r"I\d\d: ", p.text)]
    assert len(explanations) == 24
    for text in explanations:
        ids = re.findall(r"\(regel ([A-Za-z0-9_.]+)\)", text)
        assert ids and all(rule in book.by_id for rule in ids), text
        assert "Trend: " in text  # the trend's own sentence and rule
    assert "Utfall 60 % är lägre än 65 % i Delår 1 2025; högre är bättre (riktvärde Öka): sämre. " \
           "(regel R12.hogre.samre)" in "\n".join(explanations)


def test_the_budget_the_splits_and_the_saving_as_the_workbook_computes_them(reports):
    document = reports[3]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    budget = next(t for t in tables if t[0][0] == "Verksamhetsområde")
    daily = next(row for row in budget if row[0] == "Daglig verksamhet")
    assert daily[1:] == ["170,3", "176,0", "−5,7", "96,7\u00a0%", "✖ Röd"]  # 170,3 - 176: deficit; 96,7 %
    total = budget[-1]
    assert total[1:] == ["874,3", "887,15", "−12,85", "98,5\u00a0%", "◐ Gul"]
    splits = next(t for t in tables if t[0][0] == "Fördelning")
    # Fördelning B4 46,2 minus HS 2,6 = 43,6 split 80/20: 34,88 and 8,72 -> 34,9 and 8,7; staff 17,6 60/40
    assert splits[1][1:] == ["46,2 − HS 2,6 = 43,6", "LSS 34,9; SoL 8,7"]
    assert splits[2][1:] == ["17,6", "Äldreomsorgsnämnden 10,6; Omsorgsnämnden 7,0"]
    own = [[[c.text for c in row.cells] for row in t.rows] for t in reports[4].tables]
    assert next(t for t in own if t[0][0] == "Fördelning")[1][3] == "R6.split.gemensam"  # the economist's copy
    saving = next(p.text for p in document.paragraphs if p.text.startswith("Besparing 3\u00a0%"))
    # the NEJ rows' proposals: 0,0 + 7,7 + 40,1 + 4,8 + 18,9 + 17,6 + 1,3 = 90,4; 3 % = 2,712 -> -2,7
    assert "bas 90,4\u00a0mnkr" in saving and "ger −2,7\u00a0mnkr" in saving and "−1,7\u00a0mnkr" in saving
    first_page = "\n".join(text_of(p) for p in document.paragraphs[:30])
    assert "Underskott 12,85 mnkr" in first_page and "98,5 %, ◐ Gul" in first_page
    # Delår 2 by hand: N1 4/5 = 0,80 U; N2 (0,5 + 1 + 0 + 0,5)/4 = 0,50 D; N3 (1 + 0)/2 D; KF 4 manual D;
    # N5 4,5/5 = 0,90 U; Kontoret 2,5/4 = 0,63 D (KF 6's office indicators: no board goal, RULES R4).
    # N4 1/1 U (KF 4 is manual).
    assert "KF-mål: 2 av 6 uppfyllda, 4 delvis uppfyllda." in first_page
    assert "Nämndmål: 3 av 5 uppfyllda, 2 delvis uppfyllda." in first_page


def test_the_appendix_lists_the_findings_and_the_rulebook(reports):
    document = reports[3]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    findings = next(t for t in tables if t[0] == ["Plats", "Regel", "Beskrivning"])
    found = [row[1] for row in findings[1:]]
    # what vp check finds in the example: the plan's saving, I16 against the budget's total
    assert [r for r in found if not r.startswith("R13.")] == ["R8.besparing.skillnad", "R5.sanning.avviker"]
    assert found.count("R13.kf.bedomning_saknas") == 6  # Delår 2 has no analysis written yet (the example's is Delår 1)
    rules_table = next(t for t in tables if t[0] == ["Regel", "Vad regeln säger"])
    listed = {row[0] for row in rules_table[1:]}
    assert {"R2.oka.met", "R4.override", "R5.band.gul", "R12.hogre.samre", "R6.split.gemensam"} <= listed
    assert "R3.cap.gul" not in listed  # Delår 2's dominant indicator is green: no cap decided anything
    texts = [p.text for p in document.paragraphs]
    assert "Regelbok: vp2025.toml" in texts
    assert any(re.fullmatch(r"Version: SHA-256 [0-9a-f]{12}, ändrad .+", t) for t in texts)


# --- accessibility ---------------------------------------------------------------------------------------
def test_the_document_language_is_swedish(reports):
    document = reports[3]
    assert document.core_properties.language == "sv-SE"
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:val")) == "sv-SE"
    langs = {e.get(qn("w:val")) for e in document.styles.element.iter(qn("w:lang"))}
    assert langs == {"sv-SE"}


def test_every_picture_has_alt_text_that_says_its_numbers(reports):
    document = reports[3]
    pictures = document.inline_shapes
    assert len(pictures) == 2
    alts = [shape._inline.docPr.get("descr") for shape in pictures]
    assert all(alt and len(alt) > 40 for alt in alts)
    assert "KF-mål: 2 uppfyllda, 4 delvis uppfyllda. Nämndmål: 3 uppfyllda, 2 delvis uppfyllda." in alts[0]  # above
    assert "Daglig verksamhet: budget 170,3, utfall/prognos 176,0" in alts[1]  # the table's decimals


def test_tables_have_marked_repeated_header_rows_and_captions(reports):
    document = reports[3]
    assert len(document.tables) >= 9
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr is None or r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
        assert table._tbl.tblPr.find(qn("w:tblCaption")).get(qn("w:val"))


def test_headings_are_real_and_text_has_enough_contrast(reports):
    document = reports[3]
    assert headings(document, 1)[:5] == ["Förslag till beslut", "Sammanfattning", "Måluppfyllelse per KF-mål",
                                         "Ekonomi", "Bilaga A. Kontrollens fynd"]
    assert len(headings(document, 3)) >= 6
    levels = [int(p.style.name[-1]) for p in document.paragraphs if p.style.name.startswith("Heading ")]
    assert all(b <= a + 1 for a, b in zip([1] + levels, levels)), "a heading level is skipped"
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Caption"):
        colour = str(document.styles[name].font.color.rgb)
        assert contrast(colour, "FFFFFF") >= 4.5, (name, colour)
    fills = set(re.findall(r'w:fill="([0-9A-F]{6})"', document.element.xml))
    assert fills and all(contrast(fill, "000000") >= 4.5 for fill in fills), fills  # black text on every fill


def test_a_status_is_never_colour_alone(reports):
    """Every shaded cell says its status in words next to a symbol."""
    document = reports[3]
    symbols = set(load_rulebook().data["symbols"].values())
    for table in document.tables:
        for row in table.rows[1:]:
            for cell in row.cells:
                if cell._tc.tcPr is not None and cell._tc.tcPr.find(qn("w:shd")) is not None:
                    text = cell.text
                    assert text[:1] in symbols and re.search(r"[A-Za-zÅÄÖåäö]{3,}", text), text


# --- the workbook is read, never written; errors are one Swedish line -----------------------------------
def test_vp_report_never_changes_the_workbook(tmp_path, capsys):
    path = copy(EXAMPLE, tmp_path)
    before = (hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mtime_ns)
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "VP2025 Rapport Delår 1 2025.docx"
    assert written.exists() and str(written) in out
    assert (hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["VP2025 Rapport Delår 1 2025.docx", "VP2025.xlsx"]


@pytest.mark.parametrize("case, says", [
    ("missing", "finns inte"),
    ("foreign", "inte en VP-arbetsbok"),
    ("no period", 'Översikt!B3 (Uppföljningsperiod) är tom: ange perioden, t.ex. vp report FIL --period "Delår 1 2025"'),
    ("other period", "--period säger Delår 2 2025 men Översikt!B3 säger Delår 1 2025"),
    ("bad period", "--period: 'Tertial 1 2025' är ingen uppföljningsperiod"),
    ("not docx", "rapporten är ett Word-dokument; ge ett namn som slutar på .docx"),
    ("no folder", "finns inte; rapporten rapport.docx kan inte skrivas där"),
    ("over the workbook", "VP2025.xlsx: rapporten är ett Word-dokument"),
])
def test_bad_input_is_one_swedish_line_and_exit_2(tmp_path, capsys, case, says):
    path = copy(EMPTY if case == "no period" else EXAMPLE, tmp_path)
    args = ["report", str(path)]
    if case == "missing":
        args = ["report", str(tmp_path / "saknas.xlsx")]
    elif case == "foreign":
        wb = openpyxl.Workbook()
        wb.active["A1"] = "inget här"
        wb.save(path)
    elif case == "other period":
        args += ["--period", "Delår 2 2025"]
    elif case == "bad period":
        args += ["--period", "Tertial 1 2025"]
    elif case == "not docx":
        args += ["--out", str(tmp_path / "rapport.txt")]
    elif case == "no folder":
        args += ["--out", str(tmp_path / "finns-inte" / "rapport.docx")]
    elif case == "over the workbook":
        args += ["--out", str(path)]
    before = path.read_bytes() if path.exists() else None
    assert main(args) == 2
    line = one_error_line(capsys.readouterr().err)
    assert says in line, line
    if before is not None:
        assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.docx"))


# --- the Rapport button ----------------------------------------------------------------------------------
def test_the_rapport_button_writes_the_same_report_from_live_excel(tmp_path):
    from tests.remote import remote_book
    from xl_addin import ribbon

    book = remote_book()
    out = tmp_path / "rapport.docx"
    message = ribbon.rapport(book, out=out)
    assert message.startswith("Rapporten för Delår 1 2025 är skriven:") and "Arbetsboken är inte ändrad" in message
    assert [a["func"] for a in book.json()["actions"]] == ["alert"]  # nothing written to the workbook
    document = docx.Document(out)
    assert len([h for h in headings(document, 2) if h.startswith("KF-mål ")]) == 6
    assert len(indicator_rows(document)) == 24
    # the proposed decision typed on Översikt, read through xlwings as through the file
    proposal = openpyxl.load_workbook(EXAMPLE)[L.OVERVIEW].cell(L.PERIOD_ROW, L.PROPOSAL_COLUMN + 1).value
    texts = [p.text for p in document.paragraphs]
    assert texts[texts.index("Förslag till beslut") + 1] == f"1. {proposal.splitlines()[0]}" and "Obs:" not in message
    # a workbook that is not saved in a folder (the remote engine's, a new book) has no place beside it
    text = ribbon.run("rapport", book=remote_book())
    assert text.startswith("VP kunde inte skriva rapporten") and "Spara arbetsboken" in text


def test_an_unreadable_value_and_an_unknown_goal_are_shown_not_dropped(tmp_path):
    """A bad outcome is '⚠ Fel' with its message (naming the cell); an indicator whose Nämndmål is on no
    KF goal gets its own section; both are findings in the appendix."""
    from workbook.report import build_report
    from workbook.xlsx import XlsxBook

    path = copy(EXAMPLE, tmp_path)
    set_outcomes(path, {"I03": "sextiofem"})
    table = XlsxBook(path).read_table(L.INDICATORS, [L.ID, L.GOAL])
    wb = openpyxl.load_workbook(path)
    wb[L.INDICATORS][table.place(list(table.frame[L.ID]).index("I05"), L.GOAL).cell] = "N9"
    wb.save(path)
    data, document = build_report(XlsxBook(path, read_only=True))
    out = tmp_path / "r.docx"
    out.write_bytes(document)
    document = docx.Document(out)
    rows = indicator_rows(document)
    assert rows["I03"][4] == "⚠ Fel" and rows["I03"][5] == "– ingen trend (fel)"
    assert any(p.text.startswith("I03: Indikatorer!K7: 'sextiofem' går inte att läsa") for p in document.paragraphs)
    assert "⚠ Indikatorer som inte hör till något KF-mål" in headings(document, 2) and "I05" in rows
    findings = next([[c.text for c in r.cells] for r in t.rows] for t in document.tables
                    if t.rows[0].cells[0].text == "Plats")
    assert {"Indikatorer!K7", "Indikatorer!C9"} <= {row[0] for row in findings[1:]}


@pytest.mark.parametrize("which, typed", [(2, "+0,8 %"), (3, "\u22120,3 %")])
def test_two_adherences_for_the_board_are_never_shown_without_saying_which_is_which(reports, which, typed):
    """RULES R2 (one budget truth): the budget result is the Internbudget's (-1,47 % for the rows with a
    prognosis) while the budget-adherence indicator I16 is graded on what is typed in its Utfall; the
    report says which figure is which, next to the board's adherence."""
    texts = [text_of(p) for p in reports[which].paragraphs]
    board = next(i for i, t in enumerate(texts) if t.startswith("Budgetföljsamhet: "))
    note = next(t for t in texts[board:board + 4] if t.startswith("Två siffror för nämndens budget: "))
    assert "internbudgetens rader med utfall/prognos (avvikelse \u22121,47 %)" in note
    assert f"({L.INDICATORS}!" in note and f"har {typed} inskrivet" in note
