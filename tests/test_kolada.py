"""`vp kolada` against a local stand-in for Kolada's API v3 (tests/kolada_server.py, 127.0.0.1 only):
paging, gender split, null values, 404, 400, 429 then 200, 503, a slow answer, non-JSON and changed
answers, no network, an interrupted run, the cache, and the check against typed outcomes."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from kolada_server import FIXTURE, KoladaReplay
from rules.rulebook import load_rulebook
from workbook import layout as L
from workbook.build import make_workbook, workbook_bytes
from workbook.cli import main
from workbook.kolada import KoladaClient, read_values_sheet, run_kolada
from workbook.xlsx import XlsxBook

BOOK = load_rulebook()
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))
I09 = ["U28518", "U28525", "U28532", "U26413", "U26420", "U26427", "U28616"]


def fixture_value(kpi, muni, year, gender="T"):
    for row in DATA["data"]:
        if (row["kpi"], row["municipality"], row["period"]) == (kpi, muni, year):
            for value in row["values"]:
                if value["gender"] == gender:
                    return value["value"]
    return None


def workbook_with(path, mapping=None, outcomes=None):
    """The example workbook, its Kolada sheet replaced by `mapping` rows (header order of the sheet)
    and Utfall cells set from `outcomes` {indicator id: value}."""
    wb = make_workbook(example=True)
    if mapping is not None:
        ws = wb[L.KOLADA]
        for row in ws.iter_rows(min_row=L.FIRST_DATA_ROW):
            for cell in row:
                cell.value = None
        for offset, values in enumerate(mapping):
            for column, value in enumerate(values, start=1):
                ws.cell(row=L.FIRST_DATA_ROW + offset, column=column, value=value)
    if outcomes:
        ws = wb[L.INDICATORS]
        headers = {c.value: c.column for c in ws[L.HEADER_ROW]}
        for row in range(L.FIRST_DATA_ROW, ws.max_row + 1):
            ident = ws.cell(row=row, column=headers[L.ID]).value
            if ident in outcomes:
                ws.cell(row=row, column=headers[L.OUTCOME], value=outcomes[ident])
    path.write_bytes(workbook_bytes(wb))
    return path


def fetch(path, server, tmp_path, write=True, **client_args):
    client = KoladaClient(BOOK, url=server.url, cache_path=tmp_path / "cache.sqlite",
                          **{"timeout": 2, "backoff": 0.01, **client_args})
    try:
        source = XlsxBook(path)
        result = run_kolada(source, BOOK, client, write=write)
        if write:
            source.save()
        return result, client
    finally:
        client.close()


def by_kpi(result):
    return {(row[0], row[1]): row for row in result.rows}


def rules_of(result):
    return [f.rule for f in result.findings]


def input_parts(path):
    """Every part of the file but the output sheets' and the parts a save must touch."""
    with zipfile.ZipFile(path) as archive:
        return {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}


# ----------------------------------------------------------------------------- the example

def test_example_workbook_fetches_the_plans_indicators(tmp_path, monkeypatch, capsys):
    path = tmp_path / "VP2025-exempel.xlsx"
    path.write_bytes((Path(__file__).parents[1] / "workbook" / "VP2025-exempel.xlsx").read_bytes())
    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    with KoladaReplay() as server:
        assert main(["kolada", "--url", server.url, str(path)]) == 0
        out = capsys.readouterr().out
        first = len(server.requests)
        assert any("page=2" in p for p in server.requests)  # pages were followed
        assert main(["kolada", "--url", server.url, str(path)]) == 0
        assert server.not_modified == len(server.requests) - first  # the second run only revalidated
        assert "0 hämtade" in capsys.readouterr().out
    lines = read_values_sheet(XlsxBook(path, read_only=True))
    rows = {(line[0], line[1]): line for line in lines}
    above = sum(1 for k in I09 if fixture_value(k, "0181", 2025) > fixture_value(k, "0000", 2025))
    assert rows[("I09", "U28518")][10] == f"{above}/{len(I09)}"
    assert rows[("I17", "U28900")][7] == fixture_value("U28900", "0181", 2025)
    assert rows[("I17", "U28900")][15] == "Källa: Kolada (RKA), CC BY 4.0"
    assert rows[("I11", "N00535")][7] is None and rows[("I11", "N00535")][11] == 2023
    assert "R15.kolada.utfall_skiljer" in out and "Indikatorer!K21" in out  # I17 typed 69, Kolada 70
    assert "senaste år med värde: 2023" in out
    log = XlsxBook(path, read_only=True).read_table(L.LOG, L.LOG_HEADERS[:1], L.LOG_HEADERS[1:]).frame
    assert sum(str(e).startswith("Kolada:") for e in log["Händelse"]) == 2


def test_check_reports_a_typed_outcome_that_differs(tmp_path, capsys):
    path = workbook_with(tmp_path / "vp.xlsx", outcomes={"I17": 66})
    with KoladaReplay() as server:
        fetch(path, server, tmp_path)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    expected = str(fixture_value("U28900", "0181", 2025))
    line = next(x for x in out.splitlines() if "R15.kolada.utfall_skiljer" in x and "K21" in x)
    assert "'66'" in line and expected in line and "2025" in line


def test_typed_outcome_equal_to_kolada_is_no_finding(tmp_path):
    own = fixture_value("U28900", "0181", 2025)
    path = workbook_with(tmp_path / "vp.xlsx", [["I17", "U28900", "0181", 2025, "T", None, "värde"]], {"I17": own})
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
    assert result.findings == []


# ----------------------------------------------------------------------------- the API's shapes

def test_gender_split_and_pages(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx", [["I24", "N00090", "0181", 2025, "K", None, "värde"],
                                                ["I23", "N00090", "0181", 2025, "M", None, "värde"]],
                         {"I24": None, "I23": None})
    with KoladaReplay(page_size=1) as server:
        result, _ = fetch(path, server, tmp_path)
    rows = by_kpi(result)
    assert rows[("I24", "N00090")][7] == fixture_value("N00090", "0181", 2025, "K")
    assert rows[("I23", "N00090")][7] == fixture_value("N00090", "0181", 2025, "M")


def test_ids_are_batched_at_most_25_per_request(tmp_path):
    mapping = [[f"I{n % 24 + 1:02d}", f"X{n:05d}", "0181", 2025, "T", "0000", "värde"] for n in range(60)]
    path = workbook_with(tmp_path / "vp.xlsx", mapping)
    with KoladaReplay(page_size=5000, extra_kpis=60) as server:
        result, client = fetch(path, server, tmp_path)
    data = [p for p in server.requests if p.startswith("/v3/data/")]
    assert len(data) == 3  # ceil(60 / 25) KPI batches, one year, both municipalities in one request
    assert all(p.split("/kpi/")[1].split("/")[0].count(",") < 25 for p in data)
    assert sum(1 for r in result.rows if r[7] is not None) == 60


def test_null_value_says_the_latest_year(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx", [["I11", "N00535", "0181", 2025, "T", None, "värde"]])
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
    finding = next(f for f in result.findings if f.rule == "R15.kolada.saknas")
    assert "2025" in finding.message and "senaste år med värde: 2023" in finding.message
    assert finding.where == "Kolada!D5"


# ----------------------------------------------------------------------------- bad answers, rest fetched

GOOD = ["I17", "U28900", "0181", 2025, "T", None, "värde"]


@pytest.mark.parametrize("bad, words", [
    (["I09", "ZZ1", "0181", 2025, "T", None, "värde"], "400"),                  # a bad KPI id
    (["I09", "U28518", "9999", 2025, "T", None, "värde"], "404"),               # an unknown municipality
    (["I09", "U99TXT", "0181", 2025, "T", None, "värde"], "inte JSON"),
    (["I09", "U99CHG", "0181", 2025, "T", None, "värde"], "väntade formen"),
    (["I09", "U99503", "0181", 2024, "T", None, "värde"], "503"),  # another year: another request
    (["I99", "U28518", "0181", 2025, "T", None, "värde"], "I99"),               # an unknown indicator
    (["I09", "X00001", "0181", 2025, "T", None, "värde"], "finns inte i Kolada"),
])
def test_a_bad_row_is_a_finding_and_the_rest_is_fetched(tmp_path, bad, words):
    path = workbook_with(tmp_path / "vp.xlsx", [bad, GOOD])
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
    problems = [f for f in result.findings if f.rule == "R15.kolada.rad"]
    assert len(problems) == 1 and words in problems[0].message
    assert problems[0].sheet == L.KOLADA and problems[0].cell.endswith("5")  # the bad row, not the good one
    assert by_kpi(result)[("I17", "U28900")][7] == fixture_value("U28900", "0181", 2025)


def test_429_is_retried(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx", [["I09", "U99429", "0181", 2025, "T", None, "värde"], GOOD])
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
        assert server.requests[0] == server.requests[1]  # the same request again after the 429
    assert [r[7] for r in result.rows] == [50, fixture_value("U28900", "0181", 2025)]
    assert "R15.kolada.rad" not in rules_of(result)


def test_a_slow_answer_times_out_as_a_finding(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx", [["I09", "U99SLW", "0181", 2024, "T", None, "värde"], GOOD])
    with KoladaReplay(slow_seconds=2.5) as server:
        result, _ = fetch(path, server, tmp_path, timeout=0.5)
    assert "svarade inte inom 0,5 s" in result.findings[0].message
    assert by_kpi(result)[("I17", "U28900")][7] == fixture_value("U28900", "0181", 2025)


def test_count_above_the_nation(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx", [["I09", ",".join(I09), None, None, None, "0000",
                                                 "antal över jämförelsen"]])
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
    flags = {row[1]: row[9] for row in result.rows}
    for kpi in I09:
        own, nation = fixture_value(kpi, "0181", 2025), fixture_value(kpi, "0000", 2025)
        assert flags[kpi] == ("Ja" if own > nation else "Nej")  # equal is not above (U26427: 88 = 88)
    assert {row[10] for row in result.rows} == {f"{list(flags.values()).count('Ja')}/{len(I09)}"}


# ----------------------------------------------------------------------------- nothing written

def test_no_network_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys):
    path = workbook_with(tmp_path / "vp.xlsx")
    before = path.read_bytes()
    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    with KoladaReplay() as server:
        port = server.server.server_address[1]
    assert main(["kolada", "--url", f"http://127.0.0.1:{port}/v3", str(path)]) == 2  # nobody listens now
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("Fel: Kolada (http://127.0.0.1") and "anslutningen nekades" in err[-1]
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.glob("*.xlsx")) == ["vp.xlsx"]


def test_interrupted_run_leaves_the_workbook_unchanged(tmp_path, monkeypatch, capsys):
    path = workbook_with(tmp_path / "vp.xlsx")
    before = path.read_bytes()
    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    calls = []
    original = KoladaClient.get

    def interrupted(self, url):
        calls.append(url)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, url)

    monkeypatch.setattr(KoladaClient, "get", interrupted)
    with KoladaReplay() as server:
        assert main(["kolada", "--url", server.url, str(path)]) == 130
    assert path.read_bytes() == before
    assert "oförändrad" in capsys.readouterr().err


def test_only_output_sheets_change(tmp_path):
    path = workbook_with(tmp_path / "vp.xlsx")
    before = input_parts(path)
    with KoladaReplay() as server:
        fetch(path, server, tmp_path)
    after = input_parts(path)
    book = XlsxBook(path, read_only=True)
    outputs = {book.package.sheet_part(name) for name in (L.KOLADA_VALUES, L.LOG)}
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed and changed <= outputs | {"xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
                                              "xl/calcChain.xml"}


def test_search_lists_ids_titles_units(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    with KoladaReplay() as server:
        assert main(["kolada", "--url", server.url, "--search", "sjukfrånvaro"]) == 0
    out = capsys.readouterr().out
    assert "N00090\t%\tSjukfrånvaro totalt" in out


# ----------------------------------------------------------------------------- the button

def test_ribbon_button_fetches_into_kolada_values_only(tmp_path, monkeypatch):
    """Hämta från Kolada on a real xw.Book of xlwings' remote engine (as the server runs it)."""
    from tests.remote import applied, remote_book, table_below_header, touched
    from xl_addin import ribbon

    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    with KoladaReplay() as server:
        monkeypatch.setenv("VP_KOLADA_URL", server.url)
        book = remote_book()
        message = ribbon.run("kolada", book=book)
    assert {sheet for sheet, _, _ in touched(book)} == {L.KOLADA_VALUES, L.LOG}
    rows = table_below_header(applied(book)[L.KOLADA_VALUES])
    i17 = next(r for r in rows if r[0] == "I17")
    assert i17[7] == fixture_value("U28900", "0181", 2025) and i17[15] == "Källa: Kolada (RKA), CC BY 4.0"
    assert "15 av 16 värden" in message and L.KOLADA_VALUES in message.split("\n")[0]


def test_ribbon_button_without_network_shows_one_message_and_writes_nothing(tmp_path, monkeypatch):
    from tests.remote import alerts, remote_book, touched
    from xl_addin import ribbon

    monkeypatch.setenv("VP_KOLADA_CACHE", str(tmp_path / "cache.sqlite"))
    with KoladaReplay() as server:
        url = server.url
    monkeypatch.setenv("VP_KOLADA_URL", url)
    book = remote_book()
    message = ribbon.run("kolada", book=book)
    assert "gick inte att nå" in message and "Ingenting skrevs" in message
    assert touched(book) == [] and alerts(book)[0][0] == message


# ----------------------------------------------------------------------------- live (opt-in)

@pytest.mark.skipif(not __import__("os").environ.get("VP_KOLADA_LIVE"),
                    reason="mot Kolada självt bara med VP_KOLADA_LIVE=1 (nätverk)")
def test_live_kolada_answers_in_the_shape_the_client_reads(tmp_path):
    """The real API: metadata for the plan's KPIs, and data rows in the documented shape."""
    from workbook.kolada import Fetched, fetch_metadata, fetch_values

    client = KoladaClient(BOOK, url=BOOK.data["kolada"]["base_url"], cache_path=tmp_path / "live.sqlite")
    try:
        fetched = Fetched()
        kpis = ["U28900", "N00535", *I09]
        fetch_metadata(client, kpis, fetched)
        assert set(kpis) <= set(fetched.meta), fetched.unknown_kpis
        fetch_values(client, kpis, ["0181", "0000"], [2023], False, fetched)
        assert not fetched.errors and fetched.values
    finally:
        client.close()


def test_no_dns_one_swedish_line(tmp_path, monkeypatch, capsys):
    """A name that cannot be looked up (socket.getaddrinfo fails here, so nothing leaves the machine)."""
    import socket

    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    path = workbook_with(tmp_path / "vp.xlsx")
    before = path.read_bytes()
    assert main(["kolada", "--url", "http://kolada.example.invalid/v3", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and err[-1].startswith("Fel: Kolada (http://kolada.example.invalid/v3) gick inte att nå")
    assert "DNS" in err[-1] and path.read_bytes() == before


def test_a_unit_row_is_fetched_from_oudata(tmp_path):
    """An organisational unit (OU id) is asked for through /oudata/…/ou/…, not /data/…/municipality/…."""
    path = workbook_with(tmp_path / "vp.xlsx", [["I07", "U28112", "V15E018100101", 2025, "T", None, "värde"], GOOD],
                         {"I07": None})
    with KoladaReplay() as server:
        result, _ = fetch(path, server, tmp_path)
        assert any(p.startswith("/v3/oudata/kpi/U28112/ou/V15E018100101/year/2025") for p in server.requests)
    ou = next(row for row in result.rows if row[1] == "U28112")
    expected = next(r for r in DATA["ou_data"] if r["ou"] == "V15E018100101")["values"][0]["value"]
    assert ou[4] == "V15E018100101" and ou[7] == expected and ou[10] == "86\u00a0%"


def test_vp_kolada_follows_the_rulebook_the_workbook_records(tmp_path, monkeypatch, capsys):
    """The workbook's recorded rulebook (Regelbok!B3) decides where Kolada is, as it decides every other
    command's rules: a rulebook whose `kolada.base_url` is the local replay server is the one used."""
    import openpyxl

    from rules.rulebook import rulebook_path
    from workbook import rulebook_record

    folder = tmp_path / "regelbocker"
    folder.mkdir()
    default = rulebook_path().read_text(encoding="utf-8")
    monkeypatch.setattr(rulebook_record, "RULEBOOK_DIR", folder)
    monkeypatch.delenv("VP_KOLADA_URL")  # only the rulebook names the server now
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):  # were the default rulebook used, nothing leaves the machine
        if host not in ("127.0.0.1", "localhost"):
            raise socket.gaierror(f"{host}: bara 127.0.0.1 i testet")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    path = tmp_path / "VP2025-exempel.xlsx"
    path.write_bytes((Path(__file__).parents[1] / "workbook" / "VP2025-exempel.xlsx").read_bytes())
    with KoladaReplay() as server:
        own = default.replace('base_url = "https://api.kolada.se/v3"', f'base_url = "{server.url}"', 1)
        assert own != default
        (folder / "vp2025-lokal.toml").write_text(own, encoding="utf-8")
        wb = openpyxl.load_workbook(path)
        wb[L.RULEBOOK][f"B{L.RULEBOOK_RECORD_ROW}"] = "vp2025-lokal.toml"
        wb[L.RULEBOOK][f"C{L.RULEBOOK_RECORD_ROW}"] = hashlib.sha256(own.encode("utf-8")).hexdigest()
        wb.save(path)
        assert main(["kolada", str(path)]) == 0, capsys.readouterr().err
        assert server.requests  # fetched from the server the recorded rulebook names
    assert read_values_sheet(XlsxBook(path, read_only=True))
