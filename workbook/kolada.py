"""`vp kolada`: the board's key figures from Kolada (RKA's open KPI database, CC BY 4.0).

The economist fills in the sheet Kolada (one row per indicator: KPI ids, municipality or unit, year,
gender, what to compare with, and the rule that makes the outcome); this module fetches the figures
through Kolada's API v3 and writes them to the output sheet Kolada-värden with a log row. It never
writes an input cell: an Utfall cell may look the outcome up (README). Everything is fetched before
anything is written, so an interrupted or failed run leaves the workbook as it was.

HTTP goes through requests with requests-cache (an SQLite cache on disk: a second run asks the server
only whether an answer changed) and urllib3's Retry (backoff on 429 and 5xx, Retry-After honoured).
Ids are sent comma-separated, at most `kolada.max_ids` per dimension; every `next_url` page is read.
Whether a value is above its comparison is the rulebook's decision (rules.kolada, R15).
"""

import getpass
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from rules import values as v
from rules.checks import check_finding
from rules.errors import VPError, VPInputError
from rules.kolada import count_above, unit_is_percent

from . import layout as L
from .tables import NotAVPWorkbook, cell_value

ENV_URL = "VP_KOLADA_URL"
ENV_CACHE = "VP_KOLADA_CACHE"
MAX_PAGES = 1000  # a server that keeps sending next_url (a loop) is stopped here
RETRY_STATUSES = (429, 500, 502, 503, 504)


class KoladaUnreachable(VPError):
    """Kolada cannot be reached at all (no network, unknown host, connection refused): nothing is written."""


class KoladaRequestError(Exception):
    """One request failed (400, 404, a timeout, an answer that is not Kolada's JSON): a finding for
    the rows that needed it; the rest is still fetched."""

    def __init__(self, problem, status=None, about_ids=None):
        super().__init__(problem)
        self.problem, self.status = problem, status
        # May one id of the request cause it (400, 404, an odd answer)? Then the batch is split to find
        # it; a timeout or a 5xx is about the server, and splitting would only multiply the wait.
        self.about_ids = status in (400, 404) if about_ids is None else about_ids


# ----------------------------------------------------------------------------- the HTTP client

def default_cache_path():
    """The on-disk HTTP cache: VP_KOLADA_CACHE, else the user's cache folder."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    import platformdirs

    return Path(platformdirs.user_cache_dir("vp-regelmotor")) / "kolada.sqlite"


def base_url(book, url=None):
    return (url or os.environ.get(ENV_URL) or book.data["kolada"]["base_url"]).rstrip("/")


class KoladaClient:
    """Kolada's API through a cached, retrying requests session; counts what went over the wire."""

    def __init__(self, book, url=None, cache_path=None, timeout=None, retries=None, backoff=None):
        import requests_cache
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        settings = book.data["kolada"]
        self.book = book
        self.base = base_url(book, url)
        self.timeout = settings["timeout_seconds"] if timeout is None else timeout
        self.retries = settings["retries"] if retries is None else retries
        path = Path(cache_path) if cache_path else default_cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.session = requests_cache.CachedSession(
            str(path), backend="sqlite", expire_after=timedelta(hours=settings["cache_hours"]),
            always_revalidate=True, allowable_codes=(200,), allowable_methods=("GET",))
        retry = Retry(total=None, connect=0, read=False, other=0, redirect=3, status=self.retries,
                      status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                      backoff_factor=settings["backoff_seconds"] if backoff is None else backoff,
                      respect_retry_after_header=True, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.sent = 0          # answers fetched in full from the server
        self.revalidated = 0   # answers the server confirmed unchanged (304)
        self.from_cache = 0    # answers taken from the cache without asking

    def close(self):
        self.session.close()

    def get(self, url):
        """One JSON page; KoladaUnreachable or KoladaRequestError on failure."""
        import requests

        try:
            response = self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
        except requests.exceptions.ReadTimeout:
            raise KoladaRequestError(f"Kolada svarade inte inom {v.format_number(self.timeout)} s") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
            raise KoladaUnreachable(check_message_unreachable(self.book, self.base, exc)) from None
        except requests.exceptions.RequestException as exc:
            raise KoladaRequestError(f"frågan till Kolada misslyckades ({type(exc).__name__})") from None
        if getattr(response, "from_cache", False):
            if getattr(response, "revalidated", False):
                self.revalidated += 1
            else:
                self.from_cache += 1
        else:
            self.sent += 1
        if response.status_code != 200:
            raise KoladaRequestError(_status_problem(response.status_code, self.retries), response.status_code)
        try:
            data = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "okänd typ").split(";")[0]
            raise KoladaRequestError(f"Koladas svar var inte JSON ({kind})", about_ids=True) from None
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise KoladaRequestError("Koladas svar hade inte den väntade formen (listan values saknas)", about_ids=True)
        return data

    def pages(self, url):
        """Every row of a paged answer: the first page and each `next_url` after it."""
        rows, seen = [], set()
        while url:
            if url in seen or len(seen) >= MAX_PAGES:
                raise KoladaRequestError("Koladas svar pekade tillbaka på en sida som redan lästs (next_url)")
            seen.add(url)
            data = self.get(url)
            rows.extend(data["values"])
            url = data.get("next_url") or None
        return rows

    def url(self, *parts, **query):
        path = "/".join(quote(str(p), safe=",") for p in parts)
        return f"{self.base}/{path}" + (f"?{urlencode(query)}" if query else "")


def check_message_unreachable(book, url, exc):
    from rules.checks import check_message

    return check_message(book, "R15.kolada.natverk", None, url=url, orsak=_network_reason(exc))


def _network_reason(exc):
    text = str(exc)
    if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text or \
            "Temporary failure in name resolution" in text:
        return "namnet gick inte att slå upp (DNS)"
    if "refused" in text.lower():
        return "anslutningen nekades"
    if "timed out" in text.lower() or "ConnectTimeout" in type(exc).__name__:
        return "anslutningen tog för lång tid"
    if "Invalid URL" in text or "No connection adapters" in text or "MissingSchema" in type(exc).__name__:
        return "adressen är ingen giltig http- eller https-adress"
    return "ingen nätverksförbindelse"


def _status_problem(status, retries):
    if status == 400:
        return "Kolada avvisade frågan (400): ett id finns inte eller är felskrivet"
    if status == 404:
        return "Kolada känner inte till det som frågades efter (404)"
    if status == 410:
        return "adressen är en API-version som Kolada inte längre har (410); använd v3"
    if status in RETRY_STATUSES:
        return f"Kolada svarade {status} även efter {retries} nya försök"
    return f"Kolada svarade {status}"


def chunks(items, size):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


# ----------------------------------------------------------------------------- the mapping

@dataclass
class MappingRow:
    """One row of the sheet Kolada, read and checked."""

    position: int
    row: int
    indicator: str
    kpis: list
    place_id: str
    year: int
    gender: str
    compare: str | None
    rule: str                     # "value" or "count_above"
    places: dict = field(default_factory=dict)

    @property
    def is_unit(self):
        """An organisational unit (OU, e.g. V15E018100101) rather than a municipality."""
        return not self.place_id.isdigit()


def _text(value):
    value = cell_value(value)
    return "" if value is None else str(value).strip()


def _row_finding(book, place, problem):
    return check_finding(book, "R15.kolada.rad", place, problem=problem)


def read_mapping(source, book, year=None, indicators=None):
    """The mapping rows that can be fetched, and a finding for every row that cannot (naming it).
    `indicators`: the indicator ids of the workbook (an unknown one is a finding); None: not checked."""
    settings = book.data["kolada"]
    required, optional = L.KOLADA_COLUMNS
    table = source.read_table(L.KOLADA, list(required), list(optional))
    rule_words = {v.fold(settings["rule_value"]): "value", v.fold(settings["rule_count_above"]): "count_above"}
    genders = {g.upper() for g in settings["genders"]}
    rows, findings = [], []
    for position in range(len(table.frame)):
        record = table.frame.iloc[position]

        def get(header):
            return record[header] if header in table.columns else None

        def place(header):
            return table.place(position, header) if header in table.columns else table.place(position, L.ID)

        ident = v.shown_key(cell_value(get(L.ID)))
        problems = []
        if not v.key(ident):
            problems.append((place(L.ID), "Id saknas; skriv indikatorns id (t.ex. I09)."))
        elif indicators is not None and v.key(ident) not in indicators:
            problems.append((place(L.ID), f"indikatorn '{ident}' finns inte på bladet {L.INDICATORS}."))
        kpis = [k.strip().upper() for k in _text(get(L.KOLADA_KPI)).replace(";", ",").split(",") if k.strip()]
        if not kpis:
            problems.append((place(L.KOLADA_KPI), "KPI-id saknas; sök med vp kolada --search \"ord\"."))
        bad = [k for k in kpis if not (k.isalnum() and k.isascii() and len(k) <= 20)]
        if bad:
            problems.append((place(L.KOLADA_KPI), f"'{bad[0]}' är inget KPI-id (t.ex. U28518)."))
        raw_place = cell_value(get(L.KOLADA_PLACE))
        if raw_place is None or _text(raw_place) == "":
            place_id = settings["municipality"]
        elif isinstance(raw_place, str):
            place_id = raw_place.strip().upper()
        else:
            place_id = None
            problems.append((place(L.KOLADA_PLACE), f"'{v.format_number(raw_place)}' är skrivet som tal; skriv "
                             f"kommunkoden som text med inledande nolla (t.ex. {settings['municipality']})."))
        if place_id is not None and not (place_id.isalnum() and place_id.isascii()):
            problems.append((place(L.KOLADA_PLACE), f"'{place_id}' är ingen kommunkod eller enhet (t.ex. "
                             f"{settings['municipality']})."))
        row_year = _read_year(cell_value(get(L.KOLADA_YEAR)), year, book, problems, place(L.KOLADA_YEAR))
        gender = _text(get(L.KOLADA_GENDER)).upper() or settings["gender"]
        if gender not in genders:
            problems.append((place(L.KOLADA_GENDER), f"'{gender}' är inget kön i Kolada; skriv "
                             f"{', '.join(settings['genders'])}."))
        compare = _text(get(L.KOLADA_COMPARE)).upper() or None
        if compare is not None and not (compare.isalnum() and compare.isascii()):
            problems.append((place(L.KOLADA_COMPARE), f"'{compare}' är ingen kommunkod eller grupp (riket = "
                             f"{settings['nation']})."))
        rule_text = _text(get(L.KOLADA_RULE))
        rule = rule_words.get(v.fold(rule_text)) if rule_text else "value"
        if rule is None:
            problems.append((place(L.KOLADA_RULE), f"'{rule_text}' är ingen regel; skriv "
                             f"\"{settings['rule_value']}\" eller \"{settings['rule_count_above']}\"."))
        elif rule == "value" and len(kpis) > 1:
            problems.append((place(L.KOLADA_KPI), f"regeln \"{settings['rule_value']}\" tar ett KPI-id, här står "
                             f"{len(kpis)}; skriv \"{settings['rule_count_above']}\" eller en rad per KPI."))
        elif rule == "count_above" and compare is None:
            problems.append((place(L.KOLADA_COMPARE), f"regeln \"{settings['rule_count_above']}\" behöver något "
                             f"att jämföra med; skriv t.ex. {settings['nation']} (riket)."))
        if problems:
            findings.extend(_row_finding(book, where, text) for where, text in problems)
            continue
        rows.append(MappingRow(position, table.rows[position], ident, kpis, place_id, row_year, gender, compare, rule,
                               {h: place(h) for h in (L.ID, L.KOLADA_KPI, L.KOLADA_PLACE, L.KOLADA_YEAR)}))
    return rows, findings


def _read_year(raw, default, book, problems, where):
    """The row's year; blank: --year, else the plan year. An unreadable year is a problem of the row."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default if default is not None else book.year
    try:
        return v.parse_whole(raw, where, 1990, 2100, "ett år (t.ex. 2024)", book)
    except VPInputError:
        problems.append((where, f"'{_text(raw)}' är inget år; skriv t.ex. {book.year - 1}."))
        return None


# ----------------------------------------------------------------------------- fetching

@dataclass
class Fetched:
    """What Kolada answered: KPI metadata, values, latest years, and errors per (kpi, place, year)."""

    meta: dict = field(default_factory=dict)          # kpi -> {"title", "unit"}
    unknown_kpis: dict = field(default_factory=dict)  # kpi -> problem
    values: dict = field(default_factory=dict)        # (kpi, place, year, gender) -> float | None
    errors: dict = field(default_factory=dict)        # (kpi, place, year) -> problem
    latest: dict = field(default_factory=dict)        # (kpi, place, gender) -> year | None
    urls: dict = field(default_factory=dict)          # (kpi, place, year) -> the URL it came from


def kpi_unit(title):
    """Kolada's metadata has no unit field: the unit is the title's last parenthesis ("(%)", "(kr)")."""
    title = title or ""
    if title.rstrip().endswith(")") and "(" in title:
        return title[title.rindex("(") + 1:title.rstrip().rindex(")")].strip()
    return ""


def fetch_metadata(client, kpis, fetched):
    size = client.book.data["kolada"]["max_ids"]
    for batch in chunks(sorted(kpis), size):
        try:
            rows = client.pages(client.url("kpi", ",".join(batch), per_page=client.book.data["kolada"]["per_page"]))
        except KoladaRequestError as exc:
            if len(batch) > 1 and exc.about_ids:
                for kpi in batch:  # one bad id spoils the batch: ask for each alone
                    fetch_metadata(client, [kpi], fetched)
                continue
            for kpi in batch:
                fetched.unknown_kpis[kpi] = exc.problem
            continue
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("id"), str):
                title = str(row.get("title") or "")
                fetched.meta[row["id"].upper()] = {"title": title, "unit": kpi_unit(title)}
        for kpi in batch:
            if kpi not in fetched.meta and kpi not in fetched.unknown_kpis:
                fetched.unknown_kpis[kpi] = f"KPI-id {kpi} finns inte i Kolada"


def _data_url(client, kpis, places, years, unit):
    settings = client.book.data["kolada"]
    route = ("oudata", "kpi", ",".join(kpis), "ou", ",".join(places)) if unit else \
        ("data", "kpi", ",".join(kpis), "municipality", ",".join(places))
    if years:
        route += ("year", ",".join(str(y) for y in years))
    return client.url(*route, per_page=settings["per_page"])


def fetch_values(client, kpis, places, years, unit, fetched):
    """Values for every kpi x place x year, in as few requests as the API allows; a 400/404 on a
    batch is split until the id it is about is found, so the other ids are still fetched."""
    url = _data_url(client, kpis, places, years, unit)
    try:
        rows = client.pages(url)
    except KoladaRequestError as exc:
        if exc.about_ids:
            for dimension in (kpis, places, years):
                if len(dimension) > 1:
                    half = len(dimension) // 2
                    for part in (dimension[:half], dimension[half:]):
                        args = [kpis, places, years]
                        args[[kpis, places, years].index(dimension)] = part
                        fetch_values(client, *args, unit, fetched)
                    return
        for kpi in kpis:
            for place in places:
                for year in years:
                    fetched.errors[(kpi, place, year)] = exc.problem
        return
    try:
        for row in rows:
            kpi = str(row["kpi"]).upper()
            place = str(row["ou"] if unit else row["municipality"]).upper()
            year = int(row["period"])
            for value in row["values"]:
                if value.get("isdeleted"):
                    continue
                number = value.get("value")
                fetched.values[(kpi, place, year, str(value.get("gender", "T")).upper())] = \
                    None if number is None else float(number)
    except (KeyError, TypeError, ValueError, AttributeError):
        for kpi in kpis:
            for place in places:
                for year in years:
                    fetched.errors[(kpi, place, year)] = ("Koladas svar hade inte den väntade formen "
                                                          "(kpi, municipality, period, values)")
        return
    for kpi in kpis:
        for place in places:
            for year in years:
                fetched.urls[(kpi, place, year)] = url


def fetch_latest(client, kpis, places, unit, fetched):
    """The latest year with a value, for figures missing in the year asked for (all years, one batch)."""
    settings = client.book.data["kolada"]
    for kpi_batch in chunks(sorted(kpis), settings["max_ids"]):
        for place_batch in chunks(sorted(places), settings["max_ids"]):
            try:
                rows = client.pages(_data_url(client, kpi_batch, place_batch, None, unit))
            except KoladaRequestError:
                continue  # the latest year is a courtesy; the figure's finding stands without it
            for row in rows:
                try:
                    kpi = str(row["kpi"]).upper()
                    place = str(row["ou"] if unit else row["municipality"]).upper()
                    year = int(row["period"])
                    for value in row["values"]:
                        if value.get("value") is not None and not value.get("isdeleted"):
                            key = (kpi, place, str(value.get("gender", "T")).upper())
                            fetched.latest[key] = max(year, fetched.latest.get(key) or 0)
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue


def fetch(client, rows, progress=None):
    """Everything the mapping rows need, batched: metadata, values (municipalities and units apart),
    then the latest year for the figures that are missing."""
    progress = progress or (lambda message: None)
    settings = client.book.data["kolada"]
    size = settings["max_ids"]
    fetched = Fetched()
    kpis = {k for r in rows for k in r.kpis}
    progress(f"Hämtar beskrivningar för {len(kpis)} KPI:er från {client.base} …")
    fetch_metadata(client, kpis, fetched)
    known = {k for k in kpis if k in fetched.meta}
    for unit in (False, True):
        wanted = {}  # year -> (kpis, places)
        for r in rows:
            if r.is_unit != unit:
                continue
            entry = wanted.setdefault(r.year, (set(), set()))
            entry[0].update(k for k in r.kpis if k in known)
            entry[1].add(r.place_id)
            if r.compare and not unit:
                entry[1].add(r.compare)
        compares = {r.compare for r in rows if r.is_unit and r.compare}
        for year, (year_kpis, places) in sorted(wanted.items()):
            progress(f"Hämtar {len(year_kpis)} KPI:er för {len(places)} kommuner/enheter år {year} …")
            for kpi_batch in chunks(sorted(year_kpis), size):
                for place_batch in chunks(sorted(places), size):
                    if kpi_batch and place_batch:
                        fetch_values(client, kpi_batch, place_batch, [year], unit, fetched)
            if unit and compares:  # a unit's row compared with a municipality or the nation
                for kpi_batch in chunks(sorted(year_kpis), size):
                    for place_batch in chunks(sorted(compares), size):
                        if kpi_batch:
                            fetch_values(client, kpi_batch, place_batch, [year], False, fetched)
    missing = {}
    for r in rows:
        for kpi in r.kpis:
            for place in [r.place_id] + ([r.compare] if r.compare else []):
                key = (kpi, place, r.year)
                if kpi in known and key not in fetched.errors and fetched.values.get((*key, r.gender)) is None:
                    is_unit = place == r.place_id and r.is_unit
                    missing.setdefault(is_unit, (set(), set()))
                    missing[is_unit][0].add(kpi)
                    missing[is_unit][1].add(place)
    for is_unit, (missing_kpis, places) in missing.items():
        progress(f"Söker senaste år med värde för {len(missing_kpis)} KPI:er …")
        fetch_latest(client, missing_kpis, places, is_unit, fetched)
    return fetched


# ----------------------------------------------------------------------------- outcomes and the sheet

@dataclass
class KoladaResult:
    rows: list                     # rows of layout.KOLADA_VALUES_HEADERS
    findings: list
    log_row: list
    fetched_rows: int = 0
    client_stats: dict = field(default_factory=dict)


def _shown(value, unit, book):
    if value is None:
        return ""
    if unit_is_percent(unit, book):
        return f"{v.format_number(value, 1)}\u00a0%"
    return v.format_number(value, 1)


def outcomes(rows, fetched, book, now, engine=None):
    """The Kolada-värden rows (one per mapping row and KPI) and the findings of the fetch."""
    settings = book.data["kolada"]
    out, findings = [], []
    for r in rows:
        lines, pairs = [], []
        for kpi in r.kpis:
            meta = fetched.meta.get(kpi, {})
            key = (kpi, r.place_id, r.year)
            value = fetched.values.get((*key, r.gender))
            compare_value = fetched.values.get((kpi, r.compare, r.year, r.gender)) if r.compare else None
            problem = fetched.unknown_kpis.get(kpi) or fetched.errors.get(key) or \
                (fetched.errors.get((kpi, r.compare, r.year)) if r.compare else None)
            latest = None
            if problem:
                findings.append(_row_finding(book, r.places[L.KOLADA_KPI], f"{kpi} ({r.place_id}, {r.year}): {problem}."))
            elif value is None:
                latest = fetched.latest.get((kpi, r.place_id, r.gender))
                findings.append(check_finding(book, "R15.kolada.saknas", r.places[L.KOLADA_YEAR], kpi=kpi,
                                              kommun=r.place_id, kon=r.gender, ar=r.year,
                                              senaste=latest or "inget år"))
            elif r.compare and compare_value is None:
                latest = fetched.latest.get((kpi, r.compare, r.gender))
                findings.append(check_finding(book, "R15.kolada.saknas", r.places[L.KOLADA_YEAR], kpi=kpi,
                                              kommun=r.compare, kon=r.gender, ar=r.year,
                                              senaste=latest or "inget år"))
            if value is not None and compare_value is not None:
                pairs.append((kpi, value, compare_value))
            lines.append([r.indicator, kpi, meta.get("title", ""), meta.get("unit", ""), r.place_id, r.year, r.gender,
                          value, compare_value, None, None, latest, problem or "", now,
                          fetched.urls.get(key, ""), settings["source"]])
        if r.rule == "value":
            outcome = _shown(lines[0][7], lines[0][3], book) if lines else ""
        else:
            above, of, results = count_above(pairs, book, engine)
            by_kpi = {res_kpi: res for (res_kpi, _, _), res in zip(pairs, results)}
            for line in lines:
                result = by_kpi.get(line[1])
                line[9] = None if result is None else ("Ja" if result.above else "Nej")
            outcome = f"{above}/{of}" if of else ""  # over the KPIs compared (the others are findings)
        for line in lines:
            if r.rule == "value" and r.compare and line[7] is not None and line[8] is not None:
                (_, _, [result]) = count_above([(line[1], line[7], line[8])], book, engine)
                line[9] = "Ja" if result.above else "Nej"
            line[10] = outcome or None
        out.extend(lines)
    return out, findings


def run_kolada(source, book, client, year=None, progress=None, write=True, now=None, user=None, engine=None):
    """Read the mapping, fetch, and (unless write=False) write Kolada-värden and a log row through
    an adapter. Returns a KoladaResult. KoladaUnreachable propagates before anything is written."""
    progress = progress or (lambda message: None)
    if L.KOLADA not in source.sheet_names():
        raise NotAVPWorkbook(f"Bladet {L.KOLADA} finns inte; lägg till det (vp new bygger det) med kolumnerna "
                             f"{', '.join([*L.KOLADA_COLUMNS[0], *L.KOLADA_COLUMNS[1]])}.")
    progress(f"Läser bladet {L.KOLADA} …")
    rows, findings = read_mapping(source, book, year, _indicator_ids(source, book))
    fetched = fetch(client, rows, progress)
    now = now or datetime.now().replace(microsecond=0)
    lines, fetch_findings = outcomes(rows, fetched, book, now, engine)
    findings += fetch_findings
    findings += compare_findings(source, book, lines)
    got = sum(1 for line in lines if line[7] is not None)
    event = (f"Kolada: {got} av {len(lines)} värden hämtade från {client.base}"
             + (f", {len(findings)} fynd" if findings else ""))
    log_row = [now, user or _user(), event, ""]
    if write:
        progress(f"Skriver bladet {L.KOLADA_VALUES} och loggen …")
        source.write_table(L.KOLADA_VALUES, L.KOLADA_VALUES_HEADERS, lines)
        source.append_row(L.LOG, L.LOG_HEADERS, log_row)
    stats = {"hämtade": client.sent, "omvaliderade": client.revalidated, "från cachen": client.from_cache}
    return KoladaResult(lines, findings, log_row, got, stats)


def _user():
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "okänd"


def _indicator_ids(source, book, table=None):
    """The indicator table's ids; `table`: the table a refresh has already read (a large sheet is read once)."""
    if table is None:
        try:
            table = source.read_table(L.INDICATORS, [L.ID], [])
        except (NotAVPWorkbook, VPError):
            return None
    return {v.key(cell_value(x)) for x in table.frame[L.ID] if v.key(cell_value(x))}


# ----------------------------------------------------------------------------- the check

def _outputs_by_indicator(lines):
    """Id -> (outcome, year, kpis, units, rule-kind) from Kolada-värden rows."""
    out = {}
    for line in lines:
        ident = v.key(cell_value(line[0]))
        if not ident:
            continue
        entry = out.setdefault(ident, {"outcome": None, "year": line[5], "kpis": [], "units": [], "titles": []})
        if cell_value(line[10]) not in (None, "") and entry["outcome"] is None:
            entry["outcome"] = cell_value(line[10])
        entry["kpis"].append(_text(line[1]))
        entry["units"].append(_text(line[3]))
        entry["titles"].append(_text(line[2]))
    return out


def compare_findings(source, book, lines=None, indicators=None):
    """R15 checks against the indicator table: a typed Utfall that differs from the fetched outcome,
    and a KPI whose unit does not fit the indicator's. `lines`: Kolada-värden rows (None: read the
    sheet; no sheet or no rows: nothing to compare); `indicators`: the indicator table already read."""
    if lines is None:
        lines = read_values_sheet(source)
        if not lines:
            return []
    table = indicators
    if table is None:
        try:
            table = source.read_table(L.INDICATORS, [L.ID, L.OUTCOME], [L.BASELINE])
        except (NotAVPWorkbook, VPError):
            return []
    fetched = _outputs_by_indicator(lines)
    findings = []
    for position in range(len(table.frame)):
        ident = v.key(cell_value(table.frame.iloc[position][L.ID]))
        entry = fetched.get(ident)
        if not entry:
            continue
        place = table.place(position, L.OUTCOME)
        typed = _read_value(table.frame.iloc[position][L.OUTCOME], place, book)
        baseline = _read_value(table.frame.iloc[position].get(L.BASELINE), place, book) \
            if L.BASELINE in table.columns else None
        units = [u for u in entry["units"]]
        share_rule = entry["outcome"] is not None and v.parse_value(str(entry["outcome"]), place, book).kind == v.SHARE
        reference = typed if typed is not None and not typed.missing else baseline
        if not share_rule and reference is not None and not reference.missing and \
                reference.kind in (v.PERCENT, v.NUMBER) and units:
            indicator_percent = reference.kind == v.PERCENT
            kpi_percent = unit_is_percent(units[0], book)
            if indicator_percent != kpi_percent:
                findings.append(check_finding(
                    book, "R15.kolada.enhet", place, indikatorns="procent" if indicator_percent else "tal",
                    kpi=entry["kpis"][0], titel=entry["titles"][0], enhet=units[0] or "utan enhet"))
                continue
        if typed is None or typed.missing or entry["outcome"] is None:
            continue
        fetched_value = v.parse_value(str(entry["outcome"]), place, book)
        if not _same(typed, fetched_value):
            findings.append(check_finding(book, "R15.kolada.utfall_skiljer", place, skrivet=typed.text or typed.shown(),
                                          hamtat=str(entry["outcome"]), ar=entry["year"],
                                          kpi=", ".join(entry["kpis"]), blad=L.KOLADA_VALUES))
    return findings


def _read_value(raw, place, book):
    raw = cell_value(raw)
    if raw is None:
        return None
    try:
        return v.parse_value(raw, place, book)
    except VPInputError:
        return None  # an unreadable Utfall is the indicator check's finding already


def _same(typed, fetched):
    """A typed value equal to the fetched one in the fetched value's precision ("Samtliga" = n/n)."""
    if fetched.kind == v.SHARE:
        k, n = fetched.share
        if typed.kind == v.ALL:
            return k == n
        if typed.kind == v.SHARE:
            return tuple(typed.share) == (k, n)
        return False
    if typed.number is None or fetched.number is None:
        return False
    if typed.kind != fetched.kind and v.PERCENT in (typed.kind, fetched.kind):
        return False
    return round(typed.number, 6) == round(fetched.number, 6) or \
        round(typed.number, 3) == round(fetched.number, 3)


def read_values_sheet(source):
    """The Kolada-värden rows as lists in layout order, or [] when the sheet is absent or empty."""
    if L.KOLADA_VALUES not in source.sheet_names():
        return []
    try:
        table = source.read_table(L.KOLADA_VALUES, [L.ID, L.KOLADA_KPI], L.KOLADA_VALUES_HEADERS[2:])
    except NotAVPWorkbook:
        return []
    headers = L.KOLADA_VALUES_HEADERS
    return [[record.get(h) if h in table.columns else None for h in headers]
            for record in table.frame.to_dict("records")]


def missing_findings(source, book):
    """The check's view of figures missing for their year (from Kolada-värden)."""
    findings = []
    if L.KOLADA_VALUES not in source.sheet_names():
        return findings
    try:
        table = source.read_table(L.KOLADA_VALUES, [L.ID, L.KOLADA_KPI], L.KOLADA_VALUES_HEADERS[2:])
    except NotAVPWorkbook:
        return findings
    for position, record in enumerate(table.frame.to_dict("records")):
        if cell_value(record.get(L.KOLADA_VALUE)) is None and not _text(record.get("Anmärkning")):
            latest = cell_value(record.get(L.KOLADA_LATEST))
            findings.append(check_finding(book, "R15.kolada.saknas", table.place(position, L.KOLADA_VALUE),
                                          kpi=_text(record.get(L.KOLADA_KPI)),
                                          kommun=_text(record.get(L.KOLADA_PLACE)), kon=_text(record.get(L.KOLADA_GENDER)),
                                          ar=_text(record.get(L.KOLADA_YEAR)),
                                          senaste=v.shown_key(latest) if latest is not None else "inget år"))
    return findings


def check_findings(source, book, indicators=None):
    """All R15 findings `vp check` and a refresh add: the mapping's rows, missing figures, typed
    outcomes that differ and units that do not fit (nothing is fetched). `indicators`: the indicator
    table the refresh has already read."""
    if L.KOLADA not in source.sheet_names() and L.KOLADA_VALUES not in source.sheet_names():
        return []
    findings = []
    if L.KOLADA in source.sheet_names():
        try:
            _, findings = read_mapping(source, book, None, _indicator_ids(source, book, indicators))
        except NotAVPWorkbook:
            findings = []
    return findings + missing_findings(source, book) + compare_findings(source, book, indicators=indicators)


# ----------------------------------------------------------------------------- search

def search(client, text):
    """KPI metadata whose title matches `text`: (id, title, unit) rows."""
    rows = client.pages(client.url("kpi", title=text, per_page=client.book.data["kolada"]["per_page"]))
    out = []
    for row in rows:
        if isinstance(row, dict) and row.get("id"):
            title = str(row.get("title") or "")
            out.append((str(row["id"]), title, kpi_unit(title)))
    return out

