"""Unreadable, damaged and hostile files: `vp refresh`, `check`, `export` and `report` each answer with one
Swedish line naming the file and what is wrong (exit status 2), never a traceback or a library's English,
and leave the file exactly as it was. Merged cells over an output table are split and said."""

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from test_file_fidelity import parts, rezip, sheet_part
from workbook import layout as L
from workbook.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
ENGLISH = re.compile(r"\b(the|not|file|error|invalid|line|column|entity|entities|forbidden|unexpected|mismatched|"
                     r"token|Bad|CRC|Traceback|object|attribute)\b", re.I)


def indicators_part():
    return sheet_part(EXAMPLE, L.INDICATORS)


def with_sheet(path, transform, sheet=L.INDICATORS):
    part = sheet_part(EXAMPLE, sheet)
    return rezip(EXAMPLE, path, {part: transform(parts(EXAMPLE)[part])})


def malformed(path):
    return with_sheet(path, lambda xml: xml[: len(xml) // 2])  # cut in the middle of a tag


def malformed_output(path):
    return with_sheet(path, lambda xml: xml.replace(b"</sheetData>", b"<row></sheetData>"), sheet=L.OVERVIEW)


def bad_member(path, part=None):
    """A member's compressed bytes damaged (a zlib error or a CRC mismatch on unpacking); by default
    the Indikatorer sheet's."""
    shutil.copy(EXAMPLE, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(EXAMPLE) as z:
        info = z.getinfo(part or indicators_part())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 20, start + info.compress_size - 20, 97):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>')


def billion_laughs(path):
    def bomb(xml):
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        return BOMB + body.replace(b"<t>Id</t>", b"<t>&lol4;</t>", 1)
    return with_sheet(path, bomb)


def xxe(path):
    workbook = parts(EXAMPLE)["xl/workbook.xml"]
    body = workbook.split(b"?>", 1)[1] if workbook.startswith(b"<?xml") else workbook
    evil = b'<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body.replace(
        b'name="Logg"', b'name="&x;"')
    return rezip(EXAMPLE, path, {"xl/workbook.xml": evil})


def control_character(path):
    """A raw control character in a cell's text: not XML (Excel writes _x0001_)."""
    return with_sheet(path, lambda xml: xml.replace(b"<t>Indikator</t>", b"<t>Indi\x01kator</t>", 1))


def bad_cell_address(path):
    return with_sheet(path, lambda xml: xml.replace(b'r="K5"', b'r="K5X"', 1))


def bad_number(path):
    return with_sheet(path, lambda xml: re.sub(rb"<v>[0-9.]+</v>", b"<v>tolv</v>", xml, count=1))


def encrypted(path):
    office = pytest.importorskip("msoffcrypto.format.ooxml")
    out = io.BytesIO()
    with open(EXAMPLE, "rb") as source:
        office.OOXMLFile(source).encrypt("hemligt", out)
    path.write_bytes(out.getvalue())
    return path


def not_a_zip(path):
    path.write_text("Det här är ingen arbetsbok")
    return path


def empty(path):
    path.write_bytes(b"")
    return path


def duplicate_member(path):
    shutil.copy(EXAMPLE, path)
    with zipfile.ZipFile(path, "a") as z, pytest.warns(UserWarning):
        z.writestr(indicators_part(), b"<worksheet/>")
    return path


def no_workbook(path):
    return rezip(EXAMPLE, path, drop=("xl/workbook.xml",))


CASES = {
    "trasig XML i ett blad": (malformed, "är inte giltig XML"),
    "trasig XML i Översikt": (malformed_output, "är inte giltig XML"),
    "skadad zip-del": (bad_member, "går inte att packa upp"),
    "XML-bomb": (billion_laughs, "XML-bomb"),
    "XXE": (xxe, "XXE"),
    "styrtecken i text": (control_character, "är inte giltig XML"),
    "ogiltig celladress": (bad_cell_address, "cell som inte går att läsa"),
    "ogiltigt tal": (bad_number, "cell som inte går att läsa"),
    "lösenordsskyddad": (encrypted, "lösenordsskyddad"),
    "ingen zip-fil": (not_a_zip, "inte en Excel-arbetsbok"),
    "tom fil": (empty, "tom"),
    "dubbel del": (duplicate_member, "två gånger"),
    "ingen workbook.xml": (no_workbook, "arbetsbok"),
}


@pytest.mark.parametrize("command", ["refresh", "check", "export", "report"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_gets_one_swedish_line_and_stays_untouched(case, command, tmp_path, capsys):
    make, expected = CASES[case]
    path = make(tmp_path / "VP2025.xlsx")
    before = path.read_bytes()
    out = {"export": ["--out", str(tmp_path / "kopia.xlsx")], "report": ["--out", str(tmp_path / "rapport.docx")]}
    argv = [command, str(path)] + out.get(command, [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip() and not line.endswith("…")]  # not progress
    assert len(lines) == 1 and not captured.out, captured.err
    line = lines[0]
    assert line.startswith("Fel: ") and path.name in line and expected in line, line
    assert not ENGLISH.search(line.replace(path.name, "")), line
    assert len(line) < 400
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no backup, temporary file or copy


def test_the_entity_bomb_is_never_expanded(tmp_path):
    """The refusal comes before any expansion: reading the bomb takes no time and no memory."""
    from workbook.package import FileRefused, Package

    package = Package(billion_laughs(tmp_path / "bomb.xlsx"))
    with pytest.raises(FileRefused, match="XML-bomb"):
        list(package.iter_rows(L.INDICATORS))


def test_a_message_quotes_at_most_a_hundred_characters_of_the_file(tmp_path, capsys):
    long_name = "Ö" * 5000
    workbook = parts(EXAMPLE)["xl/workbook.xml"].replace(b'name="Indikatorer"', f'name="{long_name}"'.encode())
    path = rezip(EXAMPLE, tmp_path / "VP2025.xlsx", {"xl/workbook.xml": workbook})
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bladet Indikatorer saknas" in err and len(err) < 400


def merged_in_table(path):
    """Merged cells where the overview is written (A6:C7) and over the title (A1:H1, kept)."""
    def merge(xml):
        return xml.replace(b"<pageMargins", b'<mergeCells count="2"><mergeCell ref="A1:H1"/><mergeCell ref="A6:C7"/>'
                                            b"</mergeCells><pageMargins", 1)
    return with_sheet(path, merge, sheet=L.OVERVIEW)


def test_merged_cells_over_the_overview_are_split_and_said(tmp_path, capsys):
    path = merged_in_table(tmp_path / "VP2025.xlsx")
    assert main(["refresh", str(path)]) == 0
    err = capsys.readouterr().err
    assert "Obs: sammanfogade celler Översikt!A6:C7 delades upp" in err
    wb = openpyxl.load_workbook(path)
    assert {str(r) for r in wb[L.OVERVIEW].merged_cells.ranges} == {"A1:H1"}
    assert wb[L.OVERVIEW]["A6"].value and wb[L.OVERVIEW]["B7"].value is not None
    log = [r for r in wb[L.LOG].iter_rows(min_row=5, values_only=True) if r[0]]
    assert "sammanfogade celler Översikt!A6:C7 delades upp" in log[0][2]


def test_a_missing_output_sheet_is_created(tmp_path):
    """A workbook without Kontroll and Logg: the refresh adds them (content types, workbook, relationships)."""
    source = openpyxl.load_workbook(EXAMPLE)
    del source[L.FINDINGS]
    del source[L.LOG]
    path = tmp_path / "VP2025.xlsx"
    source.save(path)
    assert main(["refresh", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-2:] == [L.FINDINGS, L.LOG]
    assert [c.value for c in wb[L.LOG][L.HEADER_ROW]][:4] == L.LOG_HEADERS
    assert wb[L.LOG][f"A{L.HEADER_ROW}"].font.b
    assert wb[L.LOG][f"C{L.HEADER_ROW + 1}"].value.startswith("Uppdatering")
    assert main(["refresh", str(path)]) == 0  # and the next refresh finds them
    assert len([r for r in openpyxl.load_workbook(path)[L.LOG].iter_rows(min_row=5, values_only=True) if r[0]]) == 2


def test_a_damaged_part_that_is_only_copied_stops_the_save(tmp_path, capsys):
    """The refresh does not read the comments' drawing, but it would copy it: damaged, nothing is saved."""
    path = bad_member(tmp_path / "VP2025.xlsx", "xl/drawings/commentsDrawing1.vml")
    before = path.read_bytes()
    assert main(["refresh", str(path)]) == 2
    err = capsys.readouterr().err
    assert "delen xl/drawings/commentsDrawing1.vml i paketet är skadad och går inte att packa upp" in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
