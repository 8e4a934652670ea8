"""Headless Chromium (Debian's `chromium`) against the real server, with office.js replaced by
office_host_stub.js through a small proxy on loopback.

Also makes the screenshot in docs/ (once, by hand, not in the test suite):
    python tests/server/browser.py docs/server-panel.png
and, with a refusal in the pane's error box (the 403 of a button that needs a role):
    python tests/server/browser.py docs/server-panel-403.png --fel
"""

import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

STUB = Path(__file__).resolve().parent / "office_host_stub.js"
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def proxy(upstream, panel_data=None, workbook=None, panel_error=None):
    """(base URL, stop) of a loopback proxy to `upstream` that serves the stub for office.js (with
    `workbook` as the open workbook the stub's Excel.run shows, see office_host_stub.js).
    `panel_error`: a server's refusal, shown in the pane's error box as xlwings shows it."""
    stub = STUB.read_text(encoding="utf-8").replace("/*VP_PANEL_DATA*/ null", json.dumps(panel_data))
    stub = stub.replace("/*VP_WORKBOOK*/ null", json.dumps(workbook))
    stub = stub.replace("/*VP_PANEL_ERROR*/ null", json.dumps(panel_error))

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            if self.path.split("?")[0].endswith("/office.js"):
                data = stub.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self._forward()

        def do_POST(self):  # noqa: N802 - the pane's own routes (/vp/formler)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._forward(body)

        def _forward(self, body=None):
            request = urllib.request.Request(upstream + self.path, data=body, method="POST" if body is not None else "GET")
            for name in ("Content-Type", "Authorization", "Auth-Provider"):
                if self.headers.get(name) is not None:
                    request.add_header(name, self.headers[name])
            try:
                response = urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as error:
                response = error
            data = response.read()
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", stop


CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] \"(.*)\", source: (.*)$")


def render(url, screenshot=None, width=420, height=900):
    """(DOM after the scripts ran, console messages) of the page in headless Chromium."""
    with tempfile.TemporaryDirectory() as profile:
        args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=8000", f"--window-size={width},{height}"]
        args += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
        done = subprocess.run(args + [url], capture_output=True, text=True, timeout=120)
    console = [m.group(1) + " @ " + m.group(2) for m in map(CONSOLE.search, done.stderr.splitlines()) if m]
    return done.stdout, console


def console_errors(console):
    bad = ("VP-KONSOL-FEL", "VP-KONSOL-VARNING", "Uncaught", "Failed to load resource", "Error")
    return [line for line in console if any(word in line for word in bad)]


if __name__ == "__main__":
    # by hand: a local server must run (vp serve --lokal --port 8000); the panel gets the example's data
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import xlwings

    from xl_addin.server.payload import book_payload

    upstream = "http://127.0.0.1:8000"
    root = Path(__file__).resolve().parents[2]
    payload = book_payload(root / "workbook" / "VP2025-exempel.xlsx", xlwings.__version__,
                           active_sheet="Indikatorer", selection="D7",
                           edits={("Indikatorer", "K9"): "sextio", ("Internbudget", "G6"): 113})
    request = urllib.request.Request(f"{upstream}/xlwings/custom-scripts-call/vp_panel",
                                     data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    actions = json.load(urllib.request.urlopen(request))["actions"]
    data = next(a["args"][1] for a in actions if a["func"] == "runMacro")
    data.update(knapp="Kontrollera", meddelande=f"Kontrollen är klar: {len(data['fynd'])} fynd, se bladet Kontroll.")
    refusal = None
    if "--fel" in sys.argv:
        from xl_addin.server import signin

        protection = signin.protected_scripts(signin.ROLE_FILE)["faststall"]
        refusal = protection.message.format(roll=protection.role, anvandare="Bertil Berg")
    base, stop = proxy(upstream, data, panel_error=refusal)
    try:
        _, console = render(f"{base}/taskpane.html", screenshot=sys.argv[1], height=1000)
    finally:
        stop()
    print("\n".join(console_errors(console)) or "inga konsolfel")
