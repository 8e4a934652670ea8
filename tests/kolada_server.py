"""A local stand-in for Kolada's API v3 on 127.0.0.1, replaying tests/fixtures/kolada_v3.json.

Routes as v3 documents them: /v3/kpi/{ids}, /v3/kpi?title=, /v3/data/kpi/{ids}/municipality/{ids}
[/year/{years}], /v3/oudata/kpi/{ids}/ou/{ids}[/year/{years}] (rows keyed "ou"). Answers are {"values", "count", "next_url"}; a page holds
at most `page_size` rows (small, to make the client follow next_url). Answers carry an ETag and a
matching If-None-Match gets 304. Special KPI ids (known to the metadata) misbehave on purpose in data answers:
  U99429  answers 429 (Retry-After: 0) the first time (any route), then normally
  U99503  always answers 503
  U99SLW  answers after `slow_seconds` (past the client's timeout)
  U99TXT  answers an HTML page (not JSON)
  U99CHG  answers JSON in another shape (no values list)
A KPI id that is not a letter and five digits is refused with 400; a municipality that is not in
the fixture with 404 (as the tests record the API's answers to bad ids).
"""

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, unquote

FIXTURE = Path(__file__).parent / "fixtures" / "kolada_v3.json"
KPI_ID = re.compile(r"[A-Z]\d{5}|U99(429|503|SLW|TXT|CHG)")


class KoladaReplay:
    def __init__(self, page_size=3, slow_seconds=3.0, extra_kpis=0):
        fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
        self.kpi = {k["id"]: k for k in fixture["kpi"]}
        self.municipalities = {m["id"] for m in fixture["municipalities"]}
        self.data = list(fixture["data"])
        self.unit_data = list(fixture.get("ou_data", []))
        for n in range(extra_kpis):  # for the benchmark: many KPIs with one value each
            kpi = f"X{n:05d}"
            self.kpi[kpi] = {"id": kpi, "title": f"Testnyckeltal {n}, andel (%)"}
            for muni, value in (("0181", 50 + n % 40), ("0000", 60)):
                self.data.append({"kpi": kpi, "municipality": muni, "period": 2025,
                                  "values": [{"gender": "T", "status": "", "value": value, "count": 1, "isdeleted": False}]})
        for special in ("U99429", "U99503", "U99SLW", "U99TXT", "U99CHG"):  # known KPIs whose data misbehaves
            self.kpi[special] = {"id": special, "title": f"Testnyckeltal {special}, andel (%)"}
            for muni in ("0181", "0000"):
                self.data.append({"kpi": special, "municipality": muni, "period": 2025,
                                  "values": [{"gender": "T", "status": "", "value": 50, "count": 1, "isdeleted": False}]})
        self.page_size = page_size
        self.slow_seconds = slow_seconds
        self.requests = []          # paths asked, in order
        self.not_modified = 0
        self.seen_429 = False
        self.lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                replay.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- answering -----------------------------------------------------------------------------
    def handle(self, request):
        with self.lock:
            self.requests.append(request.path)
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        if not segments or segments[0] != "v3":
            return self.send(request, 404, {"error": "not found"})
        route = segments[1:]
        ids = ",".join(route)
        if "U99429" in ids:
            with self.lock:
                first, self.seen_429 = not self.seen_429, True
            if first:
                return self.send(request, 429, {"error": "too many requests"}, {"Retry-After": "0"})
        if route[:1] == ["kpi"]:
            return self.kpis(request, route, query)
        if "U99SLW" in ids:
            time.sleep(self.slow_seconds)
        if "U99503" in ids:
            return self.send(request, 503, {"error": "unavailable"})
        if "U99TXT" in ids:
            return self.send_raw(request, 200, b"<html><body>Underhall</body></html>", "text/html")
        if "U99CHG" in ids:
            return self.send(request, 200, {"result": []})
        if route[:1] == ["data"] and len(route) >= 4 and route[1] == "kpi" and route[3] == "municipality":
            return self.values(request, route, query)
        if route[:1] == ["oudata"] and len(route) >= 4 and route[1] == "kpi" and route[3] == "ou":
            return self.unit_values(request, route, query)
        return self.send(request, 404, {"error": "unknown route"})

    def kpis(self, request, route, query):
        if len(route) > 1:
            ids = route[1].split(",")
            if any(not KPI_ID.fullmatch(i) for i in ids):
                return self.send(request, 400, {"error": "bad kpi id"})
            rows = [self.kpi[i] for i in ids if i in self.kpi]
        else:
            title = query.get("title", "").casefold()
            rows = [k for k in self.kpi.values() if title in k["title"].casefold()]
        return self.page(request, rows, query)

    def values(self, request, route, query):
        kpis, munis = route[2].split(","), route[4].split(",")
        years = route[6].split(",") if len(route) >= 7 and route[5] == "year" else None
        if any(not KPI_ID.fullmatch(i) for i in kpis) or len(kpis) > 25 or len(munis) > 25:
            return self.send(request, 400, {"error": "bad id"})
        if any(m not in self.municipalities for m in munis):
            return self.send(request, 404, {"error": "municipality not found"})
        rows = [r for r in self.data if r["kpi"] in kpis and r["municipality"] in munis
                and (years is None or str(r["period"]) in years)]
        return self.page(request, rows, query)

    def unit_values(self, request, route, query):
        kpis, units = route[2].split(","), route[4].split(",")
        years = route[6].split(",") if len(route) >= 7 and route[5] == "year" else None
        rows = [r for r in self.unit_data if r["kpi"] in kpis and r["ou"] in units
                and (years is None or str(r["period"]) in years)]
        return self.page(request, rows, query)

    def page(self, request, rows, query):
        size = min(int(query.get("per_page", 5000)), self.page_size)
        number = int(query.get("page", 1))
        chunk = rows[(number - 1) * size:number * size]
        body = {"values": chunk, "count": len(chunk)}
        if number * size < len(rows):
            base = urlsplit(request.path)
            body["next_url"] = (f"http://127.0.0.1:{self.server.server_address[1]}{base.path}?"
                                + urlencode({**query, "page": number + 1}))
        return self.send(request, 200, body)

    def send(self, request, status, body, headers=None):
        return self.send_raw(request, status, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                             "application/json; charset=utf-8", headers)

    def send_raw(self, request, status, data, content_type, headers=None):
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if status == 200 and request.headers.get("If-None-Match") == etag:
            with self.lock:
                self.not_modified += 1
            request.send_response(304)
            request.send_header("ETag", etag)
            request.end_headers()
            return
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            if status == 200:
                request.send_header("ETag", etag)
            for key, value in (headers or {}).items():
                request.send_header(key, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)
