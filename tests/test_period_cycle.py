"""The follow-up cycle (R13, R14): the board's analysis per period, fixing a period, refusing to change
it, reopening it, and the report's analyses and state line — through `vp` on copies of the example.

The example's outcomes are Delår 1 2025 and its Analys sheet holds Delår 1's samlad bedömning per KF
goal and an action for each red indicator (I09, I13, I21, I24: red in `vp refresh` of the example);
its one standing finding is the plan's saving (R8), fixed despite with a reason.
"""

import hashlib
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from test_followup import set_outcomes
from workbook import layout as L
from workbook.cli import main
from workbook.refresh import run_refresh
from workbook.xlsx import XlsxBook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
D1, D2 = "Delår 1 2025", "Delår 2 2025"
SAVING = "Besparingen: planens siffra är nämndens beslut"
# Delår 2's outcomes that change (Id -> Utfall): I03, I12 and I22 get worse, the rest better.
DELAR_2 = {"I02": "Samtliga", "I03": "60%", "I05": "30%", "I12": "NEJ", "I13": "99,5 %", "I22": "12%"}


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "VP2025.xlsx"
    shutil.copy(EXAMPLE, path)
    return path


def vp(capsys, *args):
    """(exit status, stdout, stderr) of one `vp` command."""
    status = main([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def analysis_sheet(path):
    wb = openpyxl.load_workbook(path)
    return wb, wb[L.ANALYSIS]


def clear_analysis(path):
    wb, ws = analysis_sheet(path)
    for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW):
        for cell in row:
            cell.value = None
    wb.save(path)


def add_analysis(path, rows):
    """Append rows (lists in L.ANALYSIS_HEADERS order) below the table, as a person types them."""
    wb, ws = analysis_sheet(path)
    last = max((c.row for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW) for c in row if c.value is not None),
               default=L.HEADER_ROW)
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            ws.cell(row=last + offset, column=column, value=value)
    wb.save(path)
    return [last + offset for offset in range(1, len(rows) + 1)]


def docx_text(path):
    doc = Document(path)
    body = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        body += [" | ".join(c.text for c in row.cells) for row in table.rows]
    headers = [p.text for s in doc.sections for p in s.header.paragraphs]
    return doc, body, headers


# Delår 1 as the board writes it (Period, KF-mål, Nämndmål, Indikator, Analys, Åtgärd, Ansvarig, Klart senast)
ANALYSES = [[D1, kf, goal, None, f"Samlad bedömning av KF-mål {kf} i delår 1.", None, None, None]
            for kf, goal in ((1, "N1"), (2, "N2"), (3, "N3"), (4, "N4"), (5, "N5"), (6, None))] + [
    [D1, 2, "N2", "I09", "Två insatser under rikets resultat.", "Brukarråd i två insatser.", "Verksamhetschef LSS",
     date(2025, 9, 30)],
    [D1, 4, "N4", "I13", None, "Genomgång av inköpsrutinen.", "Ekonomichef", date(2025, 10, 31)],
    [D1, 6, None, "I21", None, "Arbetsplatsträffar om delaktighet.", "HR-chef", date(2025, 11, 30)],
    [D1, 6, None, "I24", "Korttidsfrånvaron har ökat; ingen ny åtgärd, den i delår 1 fortsätter.", None, None, None],
]


def test_the_whole_cycle(example, tmp_path, capsys):
    clear_analysis(example)
    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0

    # without analyses: the findings name each KF goal and each red indicator, and fixing is refused
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Anna Andersson")
    assert status == 2
    for kf in range(1, 7):
        assert f"KF-mål {kf} saknar samlad bedömning för {D1}" in err
    for ident in ("I09", "I13", "I21", "I24"):
        assert f"Indikator {ident} (" in err and f"är röd i {D1} men saknar åtgärd" in err
    assert "kan inte fastställas: 12 fynd återstår" in err  # 6 KF goals + 4 red indicators + the saving (R8) + I16 vs the budget total (R5.sanning)

    add_analysis(example, ANALYSES)
    assert vp(capsys, "refresh", example)[0] == 0
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Anna Andersson")
    # the example's standing findings remain: the plan's saving (R8) and I16 against the budget total (R5.sanning)
    assert status == 2 and "kan inte fastställas: 2 fynd återstår" in err and "planens besparing" in err
    before = digest(example)
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Anna Andersson",
                          "--decision", "ON 2025/123 § 45", "--despite-findings", SAVING)
    assert status == 0, err
    assert f"{D1}: Fastställd av Anna Andersson den " in out and "(beslut ON 2025/123 § 45)" in out
    assert digest(example) != before
    wb = openpyxl.load_workbook(example)
    approvals = [r for r in wb[L.APPROVALS].iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True) if r[0]]
    assert len(approvals) == 1
    period, event, by, when, decision, reason, rulebook, checksum, rows = approvals[0][:9]
    assert (period, event, by, decision) == (D1, "Fastställd", "Anna Andersson", "ON 2025/123 § 45")
    assert SAVING in reason and rows == 48  # 6 KF + 6 goals + 24 indicators + 11 budget rows + the total
    assert rulebook == hashlib.sha256((ROOT / "rules" / "rulebook" / "vp2025.toml").read_bytes()).hexdigest()
    assert len(checksum) == 64
    log = [r for r in wb[L.LOG].iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True) if r[0]]
    assert log[-1][2] == f"Fastställd {D1} av Anna Andersson (beslut ON 2025/123 § 45)" and SAVING in log[-1][3]

    # the fixed period's report: the state line on every page, the analyses under their KF goals
    report = tmp_path / "d1.docx"
    assert vp(capsys, "report", example, "--out", report)[0] == 0
    doc, body, headers = docx_text(report)
    assert headers and all(h.startswith("Fastställd av Anna Andersson den ") and "(beslut ON 2025/123 § 45)" in h
                           for h in headers)

    # a refresh of the fixed period: one Swedish line, exit 2, the file byte for byte as it was
    fixed = digest(example)
    status, out, err = vp(capsys, "refresh", example, "--period", D1)
    assert status == 2 and digest(example) == fixed
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"Fel: {D1} är fastställd av Anna Andersson den ") and "ingenting ändrades" in line
    status, out, err = vp(capsys, "refresh", example)  # the period cell still says Delår 1
    assert status == 2 and digest(example) == fixed

    # Delår 2: new outcomes, a refresh, the report is a draft with Delår 1's history untouched
    set_outcomes(example, DELAR_2)
    status, out, err = vp(capsys, "refresh", example, "--period", D2)
    assert status == 0, err
    result = run_refresh(XlsxBook(example, read_only=True), write=False)
    assert not [f for f in result.findings if f.rule == "R14.historik.andrad"]
    def named(rule):
        return {f.message.split(" (")[0] for f in result.findings if f.rule == rule}
    # I22 (Minska/Bibehålla, activities: Gul) 11 % -> 12 %: worse, not red; I03 (Öka, 65 % -> 60 %, under 61 %)
    # and I12 (JA -> NEJ) are red now, and red is decided first; no action is written for Delår 2
    assert named("R13.indikator.samre_utan_atgard") == {"Indikator I22"}
    assert {"Indikator I03", "Indikator I12"} <= named("R13.indikator.rod_utan_atgard")
    report = tmp_path / "d2.docx"
    assert vp(capsys, "report", example, "--out", report)[0] == 0
    doc, body, headers = docx_text(report)
    assert headers and all(h == f"Utkast – {D2}" for h in headers)
    assert any(f"Ingen samlad bedömning är skriven för {D2}" in p for p in body)


def test_the_report_puts_each_analysis_and_action_under_its_kf_goal(example, tmp_path, capsys):
    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    report = tmp_path / "d1.docx"
    assert vp(capsys, "report", example, "--out", report)[0] == 0
    doc = Document(report)
    blocks = []  # (the KF goal heading above, text) in document order, tables included
    current = None
    for element in doc.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        text = "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t"))
        if tag == "p" and text.startswith("KF-mål ") and ":" in text[:10]:
            current = text.split(":")[0]
        blocks.append((current, text))
    where = {text: kf for kf, text in blocks}
    found = {kf for kf, text in blocks if "Brukarråd i de två insatserna" in text}
    assert found == {"KF-mål 2"}
    assert {kf for kf, text in blocks if "Genomgång av inköpsrutinen" in text and "Ekonomichef" in text
            and "2025-10-31" in text} == {"KF-mål 4"}
    assert {kf for kf, text in blocks if "Tidiga samtal vid upprepad korttidsfrånvaro" in text} == {"KF-mål 6"}
    assert any(kf == "KF-mål 1" and text.startswith("Nämndmål N1: Nämndmålet bedöms uppfyllt") for text, kf in where.items())
    headers = [p.text for s in doc.sections for p in s.header.paragraphs]
    assert headers == [f"Utkast – {D1}"]


# --- bad input ---------------------------------------------------------------------------------------------

LONG = "TEXT-SOM-BYTS-UT"


def long_text(path, placeholder, text):
    """Replace a shared string in the saved package (as a program other than Excel could write it)."""
    import zipfile

    parts = {}
    with zipfile.ZipFile(path) as source:
        for info in source.infolist():
            parts[info] = source.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename.startswith("xl/") and info.filename.endswith(".xml"):
                data = data.replace(placeholder.encode(), text.encode())
            target.writestr(info, data)


def test_bad_analysis_rows_are_findings_naming_the_cell(example):
    rows = add_analysis(example, [
        [D1, 9, None, None, "Ett KF-mål som inte finns.", None, None, None],
        ["Delår 7 2025", 1, None, None, "En period som inte finns.", None, None, None],
        [D1, 2, "N2", "I99", "En indikator som inte finns.", None, None, None],
        [D1, 2, "N2", "I01", "I01 hör till KF-mål 1.", None, None, None],
        [D1, 2, "N2", "I09", "Samma som exemplets rad.", "Ny åtgärd.", "Någon", date(2025, 12, 1)],
        [D1, 3, "N3", "I11", None, "Uppföljning.", "Kvalitetschef", "30 sept"],
        [D1, 5, "N5", "I19", LONG, "Åtgärd utan ansvarig.", None, None],
    ])
    long_text(example, LONG, "x" * 40_000)  # written by a program other than Excel (openpyxl cuts at 32 767)
    result = run_refresh(XlsxBook(example, read_only=True), write=False)
    found = {(f.rule, f.where): f.message for f in result.findings if f.sheet == L.ANALYSIS}
    a, b, c, d, e, f, g = rows

    assert found[("R13.analys.okant_kf", f"Analys!B{a}")].startswith(f"Analys!B{a}: KF-mål '9' finns inte")
    assert "'Delår 7 2025' är ingen uppföljningsperiod" in found[("R13.analys.okand_period", f"Analys!A{b}")]
    assert "indikatorn 'I99' finns inte under KF-mål 2" in found[("R13.analys.okand_indikator", f"Analys!D{c}")]
    assert "indikatorn 'I01' finns inte under KF-mål 2" in found[("R13.analys.okand_indikator", f"Analys!D{d}")]
    duplicate = found[("R13.analys.dubblett", f"Analys!A{e}")]
    assert "samma period, KF-mål, nämndmål och indikator som rad 7" in duplicate  # the example's I09 row
    assert "'30 sept' är text, inget datum" in found[("R13.analys.datum_text", f"Analys!H{f}")]
    too_long = found[("R13.analys.for_lang", f"Analys!E{g}")]
    assert "texten är 40\u00a0000 tecken" in too_long and "högst 32\u00a0767 tecken" in too_long  # no-break spaces
    assert "saknar Ansvarig och Klart senast" in found[("R13.atgard.ofullstandig", f"Analys!F{g}")]
    # nothing typed is lost: a check writes nothing, and the table still holds every row
    wb, ws = analysis_sheet(example)
    assert len(ws.cell(row=g, column=5).value) == 40_000 and ws.cell(row=f, column=8).value == "30 sept"


def test_a_period_fixed_twice_out_of_order_or_reopened(example, capsys):
    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    set_outcomes(example, DELAR_2)
    assert vp(capsys, "refresh", example, "--period", D2)[0] == 0
    before = digest(example)
    status, out, err = vp(capsys, "approve", example, "--period", D2, "--by", "Anna", "--despite-findings", "test")
    assert status == 2 and digest(example) == before
    assert f"{D1} är inte fastställd: perioderna fastställs i ordning" in err
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Anna", "--despite-findings", "test")
    assert status == 2 and f"säger {D2}, inte {D1}" in err and digest(example) == before

    # back to Delår 1's cell, fix it; fixing it again is refused
    wb = openpyxl.load_workbook(example)
    wb[L.OVERVIEW][f"B{L.PERIOD_ROW}"] = D1
    wb.save(example)
    set_outcomes(example, {"I02": "4/5", "I03": "65%", "I05": "25%", "I12": "JA", "I13": "98%", "I22": "11%"})
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Anna", "--despite-findings", "test")
    assert status == 2 and "äldre än arbetsbokens värden" in err  # Översikt still shows Delår 2's statuses
    assert vp(capsys, "refresh", example)[0] == 0
    assert vp(capsys, "approve", example, "--period", D1, "--by", "Anna", "--despite-findings", "test")[0] == 0
    fixed = digest(example)
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "Bo", "--despite-findings", "test")
    assert status == 2 and f"{D1} är redan fastställd (av Anna den " in err and digest(example) == fixed

    # reopening: a reason is needed; then a refresh of Delår 1 works again, and both are logged
    status, out, err = vp(capsys, "approve", example, "--reopen", D1)
    assert status == 2 and "--reason saknas" in err and digest(example) == fixed
    status, out, err = vp(capsys, "approve", example, "--reopen", D1, "--reason", "Fel utfall för I03")
    assert status == 0 and f"{D1}: Utkast." in out
    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    wb = openpyxl.load_workbook(example)
    events = [r[:3] for r in wb[L.APPROVALS].iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True) if r[0]]
    assert [e[1] for e in events] == ["Fastställd", "Återöppnad"]
    log = [r[2] for r in wb[L.LOG].iter_rows(min_row=L.FIRST_DATA_ROW, values_only=True) if r[0]]
    assert f"Fastställd {D1} av Anna" in log and any(e.startswith(f"Återöppnad {D1}") for e in log)


def test_historik_edited_by_hand_under_a_fixed_period_is_a_finding_and_stays(example, capsys):
    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    assert vp(capsys, "approve", example, "--period", D1, "--by", "Anna", "--despite-findings", SAVING)[0] == 0
    wb = openpyxl.load_workbook(example)
    ws = wb[L.HISTORY]
    column = L.HISTORY_HEADERS.index("Status/färg") + 1
    row = next(r for r in range(L.FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(row=r, column=5).value == "I09")
    ws.cell(row=row, column=column, value="Grön")  # I09 was Röd
    wb.save(example)
    result = run_refresh(XlsxBook(example, read_only=True), write=False)
    changed = [f for f in result.findings if f.rule == "R14.historik.andrad"]
    assert len(changed) == 1 and changed[0].sheet == L.HISTORY
    assert f"raderna för {D1} har ändrats sedan perioden fastställdes av Anna" in changed[0].message
    # a refresh of the next period keeps the edited row as it is (never silently rewritten) and says so
    set_outcomes(example, DELAR_2)
    assert vp(capsys, "refresh", example, "--period", D2)[0] == 0
    ws = openpyxl.load_workbook(example)[L.HISTORY]
    assert ws.cell(row=row, column=column).value == "Grön"
    kontroll = [r[1] for r in openpyxl.load_workbook(example)[L.FINDINGS].iter_rows(values_only=True)]
    assert "R14.historik.andrad" in kontroll


# --- the ribbon's Fastställ (the classic add-in and the server run this action) ---------------------------

def test_faststall_refuses_with_the_cli_words_then_fixes_and_uppdatera_is_refused(example, capsys):
    from tests.remote import alerts, applied, payload_after, remote_book, table_below_header, touched
    import xlwings as xw

    from xl_addin import ribbon

    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    status, out, err = vp(capsys, "approve", example, "--period", D1, "--by", "anna@kommun.se")
    assert status == 2
    book = remote_book(example)
    message = ribbon.run("faststall", book=book, user="anna@kommun.se")
    assert message == f"VP kunde inte fastställa perioden:\n\n{err.strip().removeprefix('Fel: ')}"
    assert touched(book) == []  # nothing written

    # the reason typed in the cell beside the period: fixed, written to Fastställelser and Logg only
    despite = (L.OVERVIEW, "H3")
    assert openpyxl.load_workbook(example)[L.OVERVIEW]["G3"].value == L.DESPITE_LABEL
    book = remote_book(example, edits={despite: SAVING, (L.OVERVIEW, "E3"): "ON 2025/123 § 45"})
    message = ribbon.run("faststall", book=book, user="anna@kommun.se")
    assert message.startswith(f"{D1}: Fastställd av anna@kommun.se den ") and "(beslut ON 2025/123 § 45)" in message
    assert {sheet for sheet, _, _ in touched(book)} == {L.APPROVALS, L.LOG}
    rows = table_below_header(applied(book)[L.APPROVALS])
    assert [r[:3] for r in rows] == [[D1, "Fastställd", "anna@kommun.se"]] and SAVING in rows[0][5]

    # Uppdatera of the fixed period, pressed next: the refresh's refusal, nothing written
    after = xw.Book(json=payload_after(book))
    message = ribbon.run("uppdatera", book=after, user="anna@kommun.se")
    assert f"{D1} är fastställd av anna@kommun.se den " in message and "ingenting ändrades" in message
    assert touched(after) == [] and alerts(after)[0][3] == "critical"


def test_the_checksum_reads_the_same_through_excel_as_from_the_file(example, capsys):
    """Fixed with `vp approve` (the file adapter), checked through xlwings (the add-in, the server)."""
    from tests.remote import remote_book
    from xl_addin.book_adapter import XlwingsBook

    assert vp(capsys, "refresh", example, "--period", D1)[0] == 0
    assert vp(capsys, "approve", example, "--period", D1, "--by", "Anna", "--despite-findings", SAVING)[0] == 0
    result = run_refresh(XlwingsBook(remote_book(example)), write=False)
    assert result.state.line(_rulebook()).startswith("Fastställd av Anna den ")
    assert [f.rule for f in result.findings if f.rule.startswith("R14")] == []


def _rulebook():
    from rules.rulebook import load_rulebook

    return load_rulebook()
