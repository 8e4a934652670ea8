"""The report as the board takes it (issue 15): counts that are right, one number style, no rule id in
the body, the board's document properties, tables inside the text width, Förslag till beslut and the
dnr typed on Översikt, the municipality's template, and the tagged PDF through LibreOffice.

The .docx is read back with python-docx, the PDF with pypdf; the expected statuses come from what
`vp refresh` stored in Historik and the typed inputs from the workbook's cells (openpyxl), not from the
report's own code."""

import io
import re
import zipfile

import docx
import openpyxl
import pytest
from docx.shared import Cm, RGBColor
from PIL import Image

from rules.rulebook import load_rulebook
from tests.test_followup import copy
from tests.test_report import EMPTY, EXAMPLE, all_texts, body_texts, headings, reports, stored  # noqa: F401
from workbook import layout as L
from workbook import report as R
from workbook.cli import main

RULE_ID = re.compile(r"\bR\d{1,2}\b|\(regel ")
WORDS = {"Uppfyllt": ("uppfyllt", "uppfyllda"), "Delvis uppfyllt": ("delvis uppfyllt", "delvis uppfyllda"),
         "Ej uppfyllt": ("ej uppfyllt", "ej uppfyllda"), "Ej bedömd": ("ej bedömt", "ej bedömda")}


def counted_by_hand(label, statuses):
    """The summary's line, written from the stored statuses with Swedish singular and plural."""
    order = list(WORDS)
    counts = {s: statuses.count(s) for s in order}
    first = f"{counts[order[0]]} av {len(statuses)} {WORDS[order[0]][counts[order[0]] != 1]}"
    rest = [f"{counts[s]} {WORDS[s][counts[s] != 1]}" for s in order[1:] if counts[s]]
    return f"{label}: " + ", ".join([first, *rest]) + "."


@pytest.mark.parametrize("which, period", [(2, "Delår 1 2025"), (3, "Delår 2 2025")])
def test_the_counts_leave_the_office_out_and_say_singular_and_plural(reports, which, period):
    rows, document = reports[1], reports[which]
    office = load_rulebook().data["goal"]["office"]
    goals = stored(rows, period, L.LEVEL_GOAL, 3)
    assert office in goals  # Historik keeps the office's row; it is just not a board goal
    board_goals = [status for name, status in goals.items() if name != office]
    kf = list(stored(rows, period, L.LEVEL_KF, 2).values())
    texts = [p.text for p in document.paragraphs]
    assert counted_by_hand("Nämndmål", board_goals) in texts
    assert counted_by_hand("KF-mål", kf) in texts
    assert len(board_goals) == 5 and len(kf) == 6


def test_one_goal_not_met_is_said_in_the_singular(reports):
    """Delår 1: N3's I12 (JA) is met, KF 6's office is red: exactly one of each level is not met."""
    texts = [p.text for p in reports[2].paragraphs]
    assert any(t.startswith("Nämndmål: ") and t.endswith(", 1 ej uppfyllt.") for t in texts), texts[:30]


def test_the_office_indicators_are_titled_as_such(reports):
    for document in reports[2:4]:
        level3 = headings(document, 3)
        assert sum(h.startswith("Kontorets indikatorer (indikativ): ") for h in level3) == 1
        assert not any("Kontoret" in h for h in headings(document, 3) + headings(document, 2) if "Kontorets" not in h)
        assert not any("nämndmål Kontoret" in t for t in all_texts(document))


@pytest.mark.parametrize("which", [2, 3])
def test_no_rule_id_in_the_body_and_the_appendix_lists_them(reports, which):
    document = reports[which]
    body = body_texts(document)
    assert len(body) > 200
    assert [t for t in body if RULE_ID.search(t)] == []
    appendix = next(t for t in document.tables if t.rows[0].cells[0].text == "Regel")
    listed = [row.cells[0].text for row in appendix.rows[1:]]
    assert len(listed) > 15 and all(rule in load_rulebook().by_id for rule in listed)


@pytest.mark.parametrize("which", [2, 3, 4])
def test_one_number_style_everywhere(reports, which):
    """Every percentage "12,5 %" and amount "12,5 mnkr" with a no-break space; the minus sign, never a
    hyphen, before a negative number (the tables, the text, the captions, the footer)."""
    texts = all_texts(reports[which])
    percentages = [m for t in texts for m in re.findall(r"\d\s?%", t)]
    assert len(percentages) > 30
    assert [t for t in texts if re.search(r"\d(?:[ \u202f]?)(?:%|mnkr\b)", t)] == []
    assert [t for t in texts if re.search(r"(?<![\w/+])-\d", t)] == []
    assert any("\u2212" in t for t in texts)


def test_improved_only_where_the_value_improved(reports):
    """I02 (Öka) went up from its baseline: "förbättrat"; I06 (target 4) and I01 (Samtliga) are met at
    the target: "uppfyllt", never "förbättrat"."""
    texts = {p.text.split(":", 1)[0]: p.text for p in reports[3].paragraphs if re.match(r"I\d\d: ", p.text)}
    assert "): förbättrat, 1." in texts["I02"]
    assert "): uppfyllt, 1." in texts["I06"] and "): uppfyllt, 1." in texts["I01"]
    assert not any("): förbättrat" in texts[i] for i in ("I01", "I05", "I06", "I13", "I18", "I20", "I23", "I24"))


def test_the_board_owns_the_document_properties(reports):
    path = reports[0]
    out = path.with_name("egenskaper.docx")
    assert main(["report", str(path), "--out", str(out)]) == 0
    board = load_rulebook().data["plan"]["board"]
    props = docx.Document(out).core_properties
    assert props.author == board and props.last_modified_by == board
    assert props.title == f"{board}: uppföljning Delår 2 2025" and props.comments == ""
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        assert not any("thumbnail" in name for name in names)
        assert b"thumbnail" not in package.read("_rels/.rels")
        app = package.read("docProps/app.xml")
        core = package.read("docProps/core.xml")
    assert b"Application" not in app and b"python-docx" not in core and b"VP-regelmotorn" not in core


def grid_width_cm(table):
    return sum(int(col.get(docx.oxml.ns.qn("w:w"))) for col in table._tbl.tblGrid.iterchildren()) / 567


@pytest.mark.parametrize("which", [3, 4])
def test_every_table_fits_inside_the_text_width(reports, which):
    document = reports[which]
    section = document.sections[0]
    room = (section.page_width - section.left_margin - section.right_margin) / Cm(1)
    widths = [grid_width_cm(t) for t in document.tables]
    assert len(widths) >= 10 and max(widths) <= room + 0.01, (room, widths)


def test_the_proposal_and_the_dnr_come_from_the_overview_and_survive_a_refresh(reports):
    path, document = reports[0], reports[3]
    sheet = openpyxl.load_workbook(path)[L.OVERVIEW]  # after two refreshes
    labels = {sheet.cell(L.PERIOD_ROW, c).value: sheet.cell(L.PERIOD_ROW, c + 1).value for c in range(1, 16)}
    dnr, proposal = labels[L.DNR_LABEL], labels[L.PROPOSAL_LABEL]
    assert dnr and proposal and "\n" in proposal  # the example's inputs, kept by both refreshes
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Förslag till beslut")
    typed = [line.strip() for line in proposal.splitlines()]
    assert texts[start + 1:start + 1 + len(typed)] == [f"{n}. {line}" for n, line in enumerate(typed, start=1)]
    assert f"Diarienummer: {dnr}" in texts
    assert f"dnr {dnr}" in document.sections[0].footer.paragraphs[0].text


def test_an_empty_proposal_is_said_not_made_up(tmp_path, capsys):
    path = copy(EMPTY, tmp_path)
    out = tmp_path / "tom.docx"
    assert main(["report", str(path), "--period", "Delår 1 2025", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Obs: Översikt!M3 (Förslag till beslut) är tom" in printed
    assert "Obs: Översikt!K3 (Diarienummer) är tom" in printed
    texts = [p.text for p in docx.Document(out).paragraphs]
    start = texts.index("Förslag till beslut")
    assert texts[start + 1].startswith("⚠ Förslaget till beslut saknas: skriv det i Översikt!M3")
    assert "Diarienummer: saknas (skriv det i Översikt!K3)" in texts


# --- the municipality's template ----------------------------------------------------------------------
def make_template(folder):
    """A municipality's template as Word would keep it: its own heading colour and font, a header with a
    logo and the municipality's name, a footer, wide margins, and some body text that is not the report."""
    template = docx.Document()
    section = template.sections[0]
    section.left_margin = section.right_margin = Cm(3.2)
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), (0, 112, 60)).save(logo, format="PNG")
    header = section.header.paragraphs[0]
    header.add_run().add_picture(io.BytesIO(logo.getvalue()), width=Cm(2.5))
    header.add_run(" Södertälje kommun – Omsorgskontoret")
    section.footer.paragraphs[0].text = "Mallens sidfot: www.sodertalje.se"
    heading = template.styles["Heading 1"]
    heading.font.color.rgb = RGBColor(0x00, 0x70, 0x3C)
    heading.font.name = "Georgia"
    template.add_paragraph("Mallens exempeltext som inte ska med i rapporten.")
    path = folder / "MALL.docx"
    template.save(path)
    return path


def test_the_template_gives_its_styles_header_footer_and_logo(reports):
    path = reports[0]
    template = make_template(path.parent)
    out = path.with_name("mall-rapport.docx")
    assert main(["report", str(path), "--out", str(out), "--template", str(template)]) == 0
    document = docx.Document(out)
    section = document.sections[0]
    assert "Södertälje kommun – Omsorgskontoret" in section.header.paragraphs[0].text
    assert section.header.part.package is not None and any(
        "image" in rel.reltype for rel in section.header.part.rels.values())  # the logo
    assert section.footer.paragraphs[0].text == "Mallens sidfot: www.sodertalje.se"
    assert round(section.left_margin / Cm(1), 1) == 3.2
    heading = document.styles["Heading 1"]
    assert heading.font.color.rgb == RGBColor(0x00, 0x70, 0x3C) and heading.font.name == "Georgia"
    assert "Förslag till beslut" in headings(document, 1) and len(headings(document, 2)) >= 6
    texts = [p.text for p in document.paragraphs]
    assert not any("Mallens exempeltext" in t for t in texts)
    room = (section.page_width - section.left_margin - section.right_margin) / Cm(1)
    assert max(grid_width_cm(t) for t in document.tables) <= room + 0.01
    assert document.core_properties.author == load_rulebook().data["plan"]["board"]


def test_without_a_template_the_built_in_look_stays(reports):
    document = reports[3]
    assert "Omsorgsnämnden – uppföljning Delår 2 2025" in document.sections[0].footer.paragraphs[0].text
    assert str(document.styles["Heading 1"].font.color.rgb) == R.HEADING_COLOUR


@pytest.mark.parametrize("name, content, says", [
    ("MALL.txt", b"text", "mallen ska vara ett Word-dokument eller en Word-mall (.docx eller .dotx)"),
    ("MALL.docx", b"inte en zip", "går inte att läsa som en Word-mall"),
    ("SAKNAS.docx", None, "filen finns inte"),
])
def test_a_template_that_cannot_be_used_is_one_swedish_line(tmp_path, capsys, name, content, says):
    path = copy(EXAMPLE, tmp_path)
    template = tmp_path / name
    if content is not None:
        template.write_bytes(content)
    assert main(["report", str(path), "--template", str(template)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Fel: --template ") and says in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({path.name} | ({name} if content else set()))


# --- the PDF ---------------------------------------------------------------------------------------------
def test_pdf_without_libreoffice_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(R, "find_soffice", lambda: None)
    path = copy(EXAMPLE, tmp_path)
    assert main(["report", str(path), "--pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PDF kräver LibreOffice" in err[0]
    assert "apt-get install libreoffice-writer-nogui" in err[0]
    assert "https://sv.libreoffice.org" in err[0] and "Ingen rapport skrevs" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.skipif(R.find_soffice() is None,
                    reason="LibreOffice (soffice) saknas: apt-get install libreoffice-writer-nogui (.ci/apt.txt)")
def test_pdf_is_tagged_pdf_ua_swedish_with_its_title_and_no_near_empty_page(reports):
    pypdf = pytest.importorskip("pypdf")
    path = reports[0]
    out = path.with_name("pdf-rapport.docx")
    assert main(["report", str(path), "--out", str(out), "--pdf"]) == 0
    reader = pypdf.PdfReader(out.with_suffix(".pdf"))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True and root["/Lang"] == "sv-SE"  # noqa: E712 - a PDF boolean
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    board = load_rulebook().data["plan"]["board"]
    assert reader.metadata.title == f"{board}: uppföljning Delår 2 2025" and reader.metadata.author == board
    tags = set()

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                tags.add(str(node["/S"]))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(root["/StructTreeRoot"])
    assert {"/Title", "/H1", "/H2", "/Table", "/TH", "/Figure"} <= tags, tags
    pages = [page.extract_text() for page in reader.pages]
    footer = len(f"{board} – uppföljning Delår 2 2025 – dnr ON 2025/0123 – sida 10")
    assert all(len(text) > footer + 600 for text in pages[:-1]), [len(t) for t in pages]  # no near-empty page


def test_a_word_template_dotx_is_used_like_a_docx(reports):
    """Word saves a municipality's template as .dotx: the same package with another content type."""
    path = reports[0]
    source = make_template(path.parent)
    template = path.with_name("MALL.dotx")
    with zipfile.ZipFile(source) as docx_package, zipfile.ZipFile(template, "w") as dotx_package:
        for item in docx_package.infolist():
            data = docx_package.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
            dotx_package.writestr(item, data)
    with pytest.raises(ValueError):
        docx.Document(template)  # python-docx alone refuses a template
    out = path.with_name("dotx-rapport.docx")
    assert main(["report", str(path), "--out", str(out), "--template", str(template)]) == 0
    document = docx.Document(out)
    assert "Södertälje kommun – Omsorgskontoret" in document.sections[0].header.paragraphs[0].text
    assert "Förslag till beslut" in headings(document, 1)
