"""Whole-workbook fidelity: `vp refresh` rewrites only the output sheets (and appends to styles.xml);
every other part of the package comes back byte for byte, and inside an output sheet everything but
its cells stays as it was. The workbook under test is the bundled example with hand-made OOXML parts
added the way Excel writes them: a picture, a shape and a chart (drawing), a threaded comment with its
persons part, custom XML, defined names, a hidden sheet, custom document properties, sheet protection,
conditional formats and data validation on an output sheet, markup-compatibility namespaces."""

import base64
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from workbook import layout as L
from workbook.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def rezip(source, target, replace=None, add=None, drop=()):
    """A copy of the package `source` with parts replaced, added or dropped (names as in the zip)."""
    replace, add = dict(replace or {}), dict(add or {})
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.pop(info.filename, None)
            zout.writestr(info, data if data is not None else zin.read(info))
        for name, data in {**replace, **add}.items():
            zout.writestr(name, data)
    return target


def parts(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def sheet_part(path, name):
    """The part of a sheet, through the workbook's relationships (as a reader would find it)."""
    members = parts(path)
    workbook = ET.fromstring(members["xl/workbook.xml"])
    rid = next(s.get(f"{{{R}}}id") for s in workbook.iter() if s.tag.endswith("}sheet") and s.get("name") == name)
    rels = ET.fromstring(members["xl/_rels/workbook.xml.rels"])
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def insert_before(xml, marker, text):
    assert marker in xml, marker
    return xml.replace(marker, text + marker, 1)


DRAWING_NS = ('xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
              'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
              f'xmlns:r="{R}" xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"')


def anchor(col, row, body):
    return (f"<xdr:twoCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>"
            f"<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{col + 3}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row + 5}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>{body}<xdr:clientData/></xdr:twoCellAnchor>")


def picture(ident, rid):
    return (f'<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="{ident}" name="Bild {ident}" descr="Ekonomens logga"/><xdr:cNvPicPr>'
            f'<a:picLocks noChangeAspect="1"/></xdr:cNvPicPr></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="{rid}"/>'
            '<a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:xfrm><a:off x="0" y="0"/>'
            '<a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>')


SHAPE = ('<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="3" name="Rektangel 2"/><xdr:cNvSpPr/></xdr:nvSpPr>'
         '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1905000" cy="476250"/></a:xfrm><a:prstGeom prst="rect">'
         '<a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFEB9C"/></a:solidFill></xdr:spPr><xdr:txBody>'
         '<a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="sv-SE"/><a:t>Kolla I13 före nämndmötet!</a:t></a:r></a:p>'
         '</xdr:txBody></xdr:sp>')

CHART_FRAME = ('<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="4" name="Diagram 3"/>'
               '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
               '</xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
               '<c:chart r:id="rId2"/></a:graphicData></a:graphic></xdr:graphicFrame>')

CHART = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace '
         'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
         f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{R}"><c:chart><c:plotArea>'
         '<c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/><c:ser>'
         '<c:idx val="0"/><c:order val="0"/><c:val><c:numRef><c:f>Internbudget!$G$5:$G$7</c:f><c:numCache>'
         '<c:formatCode>General</c:formatCode><c:ptCount val="3"/><c:pt idx="0"><c:v>1</c:v></c:pt><c:pt idx="1">'
         '<c:v>2</c:v></c:pt><c:pt idx="2"><c:v>3</c:v></c:pt></c:numCache></c:numRef></c:val></c:ser>'
         '<c:axId val="1"/><c:axId val="2"/></c:barChart><c:catAx><c:axId val="1"/><c:scaling><c:orientation '
         'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/><c:crossAx val="2"/></c:catAx><c:valAx>'
         '<c:axId val="2"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
         '<c:crossAx val="1"/></c:valAx></c:plotArea><c:plotVisOnly val="1"/></c:chart></c:chartSpace>')

PERSONS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList '
           'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
           'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><person displayName="Eva Ekonom" '
           'id="{0A1B2C3D-0000-4000-8000-000000000001}" userId="eva.ekonom@kommun.se" providerId="AD"/></personList>')

THREADED = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments '
            'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
            'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><threadedComment ref="{ref}" '
            'dT="2025-03-01T09:30:00.00" personId="{{0A1B2C3D-0000-4000-8000-000000000001}}" '
            'id="{{5E6F7A8B-0000-4000-8000-00000000000{n}}}"><text>{text}</text></threadedComment></ThreadedComments>')

CUSTOM_XML = '<?xml version="1.0" encoding="UTF-8"?><vp:arende xmlns:vp="urn:kommun:vp">Dnr ON 2024/117</vp:arende>'
CUSTOM_XML_PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem '
                    'ds:itemID="{11111111-2222-3333-4444-555555555555}" '
                    'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/>'
                    '</ds:datastoreItem>')
CUSTOM_PROPS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
                'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property '
                'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Diarienummer"><vt:lpwstr>ON 2024/117'
                '</vt:lpwstr></property></Properties>')


def rich_workbook(path):
    """The example workbook with every kind of part a person may have added, on input and output sheets."""
    members = parts(EXAMPLE)
    overview, indicators = sheet_part(EXAMPLE, L.OVERVIEW), sheet_part(EXAMPLE, L.INDICATORS)
    replace, add = {}, {}

    types = members["[Content_Types].xml"].decode()
    overrides = [("/xl/drawings/drawing1.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"),
                 ("/xl/drawings/drawing2.xml", "application/vnd.openxmlformats-officedocument.drawing+xml"),
                 ("/xl/charts/chart1.xml", "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"),
                 ("/xl/persons/person.xml", "application/vnd.ms-excel.person+xml"),
                 ("/xl/threadedComments/threadedComment1.xml", "application/vnd.ms-excel.threadedcomments+xml"),
                 ("/xl/threadedComments/threadedComment2.xml", "application/vnd.ms-excel.threadedcomments+xml"),
                 ("/customXml/itemProps1.xml", "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"),
                 ("/docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml")]
    text = '<Default Extension="png" ContentType="image/png" />' + "".join(
        f'<Override PartName="{name}" ContentType="{kind}" />' for name, kind in overrides)
    replace["[Content_Types].xml"] = insert_before(types, "</Types>", text).encode()

    rels = members["_rels/.rels"].decode()
    replace["_rels/.rels"] = insert_before(rels, "</Relationships>", (
        '<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'custom-properties" Target="docProps/custom.xml"/>')).encode()
    add["docProps/custom.xml"] = CUSTOM_PROPS.encode()

    wb_rels = members["xl/_rels/workbook.xml.rels"].decode()
    replace["xl/_rels/workbook.xml.rels"] = insert_before(wb_rels, "</Relationships>", (
        '<Relationship Id="rIdPersons" Type="http://schemas.microsoft.com/office/2017/10/relationships/person" '
        'Target="persons/person.xml"/><Relationship Id="rIdCustomXml" '
        f'Type="{R}/customXml" Target="../customXml/item1.xml"/>')).encode()
    add["xl/persons/person.xml"] = PERSONS.encode()
    add["customXml/item1.xml"] = CUSTOM_XML.encode()
    add["customXml/itemProps1.xml"] = CUSTOM_XML_PROPS.encode()
    add["customXml/_rels/item1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{R}/customXmlProps" Target="itemProps1.xml"/></Relationships>').encode()

    workbook = members["xl/workbook.xml"].decode()
    names = ('<definedName name="Utfallen">Indikatorer!$K$5:$K$28</definedName>'
             '<definedName name="_xlnm.Print_Area" localSheetId="0">Översikt!$A$1:$H$60</definedName>')
    if "<definedNames />" in workbook:
        workbook = workbook.replace("<definedNames />", f"<definedNames>{names}</definedNames>")
    elif "</definedNames>" in workbook:
        workbook = insert_before(workbook, "</definedNames>", names)
    else:
        workbook = insert_before(workbook, "<calcPr", f"<definedNames>{names}</definedNames>")
    workbook = re.sub(r'(<sheet [^>]*name="Regelbok"[^>]*?)state="visible"', r'\1state="hidden"', workbook)
    assert 'state="hidden"' in workbook and "Utfallen" in workbook
    replace["xl/workbook.xml"] = workbook.encode()

    # Indikatorer: a picture, a shape and a chart; a threaded comment; protection.
    add["xl/media/image1.png"] = PNG
    add["xl/drawings/drawing1.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr {DRAWING_NS}>'
                                       + anchor(16, 4, picture(2, "rId1")) + anchor(16, 12, SHAPE)
                                       + anchor(16, 20, CHART_FRAME) + "</xdr:wsDr>").encode()
    add["xl/drawings/_rels/drawing1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R}/image" Target="../media/image1.png"/>'
        f'<Relationship Id="rId2" Type="{R}/chart" Target="../charts/chart1.xml"/></Relationships>').encode()
    add["xl/charts/chart1.xml"] = CHART.encode()
    add["xl/threadedComments/threadedComment1.xml"] = THREADED.format(
        ref="D6", n=1, text="Stämmer siffran? /Eva").encode()
    sheet = members[indicators].decode()
    sheet = insert_before(sheet, "<pageMargins", '<sheetProtection sheet="1" objects="1" scenarios="1" />')
    sheet = insert_before(sheet, "<legacyDrawing", '<drawing r:id="rIdDrawing" />')
    if 'xmlns:r=' not in sheet.split(">", 1)[0]:
        sheet = sheet.replace("<worksheet ", f'<worksheet xmlns:r="{R}" ', 1)
    replace[indicators] = sheet.encode()
    rels_name = indicators.replace("worksheets/", "worksheets/_rels/") + ".rels"
    replace[rels_name] = insert_before(members[rels_name].decode(), "</Relationships>", (
        f'<Relationship Id="rIdDrawing" Type="{R}/drawing" Target="/xl/drawings/drawing1.xml"/>'
        '<Relationship Id="rIdThreaded" Type="http://schemas.microsoft.com/office/2017/10/relationships/'
        'threadedComment" Target="/xl/threadedComments/threadedComment1.xml"/>')).encode()

    # Översikt (an output sheet): a picture, a threaded comment, protection, a merged title, conditional
    # formatting, validation, Excel's markup-compatibility attributes, a note beside the table.
    add["xl/drawings/drawing2.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr '
                                       f'{DRAWING_NS}>' + anchor(10, 0, picture(2, "rId1")) + "</xdr:wsDr>").encode()
    add["xl/drawings/_rels/drawing2.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R}/image" Target="../media/image1.png"/></Relationships>').encode()
    add["xl/threadedComments/threadedComment2.xml"] = THREADED.format(ref="H4", n=2, text="Förklaringen läses upp").encode()
    add[overview.replace("worksheets/", "worksheets/_rels/") + ".rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId9" Type="{R}/drawing" Target="../drawings/drawing2.xml"/>'
        '<Relationship Id="rId8" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" '
        'Target="../threadedComments/threadedComment2.xml"/></Relationships>').encode()
    sheet = members[overview].decode()
    sheet = sheet.replace("<worksheet ", (
        f'<worksheet xmlns:r="{R}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac" '), 1)
    sheet = sheet.replace('<row r="4">', '<row r="4" x14ac:dyDescent="0.25">')
    sheet = insert_before(sheet, "</sheetData>", '<row r="5"><c r="J5" t="inlineStr"><is><t>Min anteckning</t></is></c></row>')
    sheet = insert_before(sheet, "<pageMargins", (
        '<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" />'
        '<mergeCells count="1"><mergeCell ref="A1:H1" /></mergeCells>'
        '<conditionalFormatting sqref="G5:G200"><cfRule type="containsText" dxfId="0" priority="1" operator="containsText" '
        'text="Röd"><formula>NOT(ISERROR(SEARCH("Röd",G5)))</formula></cfRule></conditionalFormatting>'
        '<dataValidations count="1"><dataValidation type="list" allowBlank="1" sqref="J5:J20"><formula1>"OK,Kolla"'
        '</formula1></dataValidation></dataValidations>'))
    sheet = sheet.replace("</worksheet>", '<drawing r:id="rId9" /></worksheet>')
    replace[overview] = sheet.encode()
    return rezip(EXAMPLE, path, replace, add)


def without_cells(xml):
    """A sheet's XML without its cells and dimension (what a refresh may change in an output sheet)."""
    xml = re.sub(rb"<sheetData\b.*?</sheetData>|<sheetData\s*/>", b"<sheetData/>", xml, flags=re.S)
    return re.sub(rb"<dimension\b[^>]*/>", b"", xml)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fidelity")
    original = rich_workbook(folder / "original.xlsx")
    path = folder / "VP2025.xlsx"
    shutil.copy(original, path)
    assert main(["refresh", str(path)]) == 0
    assert main(["refresh", str(path)]) == 0  # the second reads what the first wrote
    return original, path


def test_every_part_but_the_output_sheets_is_byte_identical(refreshed):
    original, path = refreshed
    before, after = parts(original), parts(path)
    outputs = {sheet_part(original, name) for name in L.OUTPUT_SHEETS}
    assert list(after) == list(before)  # the same parts, in the same order
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= outputs | {"xl/styles.xml"}
    for kept in ("xl/media/image1.png", "xl/drawings/drawing1.xml", "xl/charts/chart1.xml", "xl/persons/person.xml",
                 "xl/threadedComments/threadedComment1.xml", "xl/threadedComments/threadedComment2.xml",
                 "customXml/item1.xml", "customXml/itemProps1.xml", "docProps/custom.xml", "xl/workbook.xml",
                 "[Content_Types].xml", sheet_part(original, L.INDICATORS)):
        assert after[kept] == before[kept], kept


def test_inside_the_output_sheets_only_the_cells_change(refreshed):
    original, path = refreshed
    before, after = parts(original), parts(path)
    for name in L.OUTPUT_SHEETS:
        part = sheet_part(original, name)
        assert without_cells(after[part]) == without_cells(before[part]), name
        assert b"<f>" not in after[part] and b"<f " not in after[part]  # values, never formulas
        for row in re.findall(rb'<row r="[1-4]".*?</row>', before[part], flags=re.S):  # title, text, headers
            assert row in after[part], (name, row[:60])
    overview = after[sheet_part(original, L.OVERVIEW)]
    assert b'x14ac:dyDescent="0.25"' in overview  # a row Excel annotated keeps its attributes
    assert b"Min anteckning" in overview


def test_styles_are_only_appended_to(refreshed):
    original, path = refreshed
    before = ET.fromstring(parts(original)["xl/styles.xml"])
    after = ET.fromstring(parts(path)["xl/styles.xml"])
    assert [e.tag for e in after] == [e.tag for e in before] or [e.tag for e in after][1:] == [e.tag for e in before]
    old = {e.tag: e for e in before}
    for element in after:
        if element.tag not in old:
            assert element.tag.endswith("numFmts")  # a number format list added for the log's times
            continue
        was = old[element.tag]
        assert [ET.tostring(c) for c in element][:len(was)] == [ET.tostring(c) for c in was], element.tag
        if not element.tag.endswith(("numFmts", "fonts", "fills", "cellXfs")):
            assert ET.tostring(element) == ET.tostring(was), element.tag
        if element.get("count") is not None:
            assert int(element.get("count")) == len(element)


def test_the_refreshed_workbook_reads_as_before_in_openpyxl(refreshed):
    original, path = refreshed
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == openpyxl.load_workbook(original).sheetnames
    assert wb["Regelbok"].sheet_state == "hidden"
    assert "Utfallen" in wb.defined_names
    assert wb[L.INDICATORS].protection.sheet and wb[L.OVERVIEW].protection.sheet
    overview = wb[L.OVERVIEW]
    assert "A1:H1" in {str(r) for r in overview.merged_cells.ranges}
    assert overview["J5"].value == "Min anteckning"
    rows = [r for r in overview.iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in rows].count("Indikator") == 24
    log = [r for r in wb[L.LOG].iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(log) == 2


def test_libreoffice_opens_the_refreshed_workbook(refreshed, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice finns inte på den här datorn")
    original, path = refreshed
    result = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profil", "--convert-to",
                             "xlsx", "--outdir", str(tmp_path / "ut"), str(path)], capture_output=True, timeout=120)
    converted = tmp_path / "ut" / path.name
    assert result.returncode == 0 and converted.exists(), result.stderr.decode(errors="replace")
    wb = openpyxl.load_workbook(converted)
    rows = [r for r in wb[L.OVERVIEW].iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in rows].count("Indikator") == 24
    assert wb[L.OVERVIEW]["J5"].value == "Min anteckning"
    assert any(name.startswith("xl/media/") for name in parts(converted))  # the pictures came through


@pytest.mark.parametrize("dashboard", ["\xd6versikt".encode(), b"&#214;versikt", None], ids=["utf8", "teckenref", "ingen"])
def test_excel_recalculates_on_open_only_when_a_formula_reads_an_output_sheet(tmp_path, dashboard):
    """The input sheets keep the results Excel saved; a formula elsewhere that reads Översikt would show a
    stale one, so then (and only then) the workbook asks Excel to recalculate when it is opened."""
    members = parts(EXAMPLE)
    workbook = members["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
    budget = sheet_part(EXAMPLE, L.BUDGET)
    sheet = members[budget]
    if dashboard:
        sheet = sheet.replace(b"</sheetData>", b'<row r="900"><c r="A900"><f>COUNTIF(' + dashboard
                              + b'!G:G,"R\xc3\xb6d")</f><v>0</v></c></row></sheetData>')
    path = rezip(EXAMPLE, tmp_path / "VP2025.xlsx", {"xl/workbook.xml": workbook, budget: sheet})
    assert main(["refresh", str(path)]) == 0
    after = parts(path)["xl/workbook.xml"]
    calc = re.compile(rb"<calcPr\b[^>]*>")
    if dashboard:
        assert calc.sub(b"", after) == calc.sub(b"", workbook)  # everything else byte for byte
        attributes = ET.fromstring(after).find(f"{{{ET.fromstring(after).tag[1:].split('}')[0]}}}calcPr").attrib
        assert attributes == {"calcId": "124519", "fullCalcOnLoad": "1"}
    else:
        assert after == workbook
    assert parts(path)[budget] == sheet


def test_an_output_sheet_written_with_a_namespace_prefix_is_patched_in_its_own_prefix(tmp_path):
    """Some programs write <x:worksheet xmlns:x="…">: new cells must use the same prefix."""
    part = sheet_part(EXAMPLE, L.OVERVIEW)
    xml = parts(EXAMPLE)[part].decode()
    main_ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    assert main_ns in xml
    xml = re.sub(r"<(/?)([A-Za-z]\w*)([\s>/])", r"<\1x:\2\3", xml).replace(main_ns, main_ns.replace("xmlns=", "xmlns:x="))
    path = rezip(EXAMPLE, tmp_path / "VP2025.xlsx", {part: xml.encode()})
    assert main(["refresh", str(path)]) == 0
    written = parts(path)[part]
    assert b"<c " not in written and b"<x:c " in written
    rows = [r for r in openpyxl.load_workbook(path)[L.OVERVIEW].iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in rows].count("Indikator") == 24
