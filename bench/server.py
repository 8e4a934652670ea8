"""Benchmark: the VP functions and the Uppdatera button served by xlwings Server, on loopback.

Each client recalculates the example workbook as Excel does after a change: one POST
/xlwings/custom-functions-call per VP formula on the sheets Indikatorer and Nämndmål (the
indicators' score, colour and explanation, and the goals' average and status), one after the other,
with the arguments those formulas get. The arguments are recorded once by calculating the two
sheets with the `formulas` package (an independent Excel engine) and the catalogue; every answer is
compared with the catalogue called directly, and a wrong answer counts as an error.

Printed per number of worker processes (`vp serve --workers N`) and concurrent clients:
requests/s, p50/p95/p99 latency (measured by the clients, which share the machine with the server),
errors; and the same for xlwings Server serving only its trivial example function `hello`, the same
number of calls in the same run, as the yardstick of what the machine gives. Then one Uppdatera
script call (the example workbook as Office.js sends it) against
`vp refresh` on a copy of the same file. Bounded: --recalcs per client and --max-seconds per run.

Run: python bench/server.py [--clients 20 50] [--workers 1 2] [--recalcs 2] [--max-seconds 30]
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "server"))  # the Office.js call encoding the tests use

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import openpyxl  # noqa: E402

EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"
RECALC_SHEETS = ("Indikatorer", "Nämndmål")


# --- what Excel sends on a recalculation ----------------------------------------------------------
def _plain(x):
    import schedula as sh

    if isinstance(x, np.ndarray):
        return [[_plain(v) for v in row] for row in np.atleast_2d(x).tolist()]
    if x is sh.EMPTY or x is None:
        return None
    if isinstance(x, np.generic):
        return x.item()
    return x


def record_recalculation(path, trim_tables=False):
    """[(function name, arguments)] of every VP call when the recalculated sheets are calculated.

    `trim_tables`: a named range used there (Indikatortabell, A4:O2000) shrunk to the rows in use, to
    show what the size of that range costs: Office.js sends every cell of it with every goal call."""
    import formulas
    from formulas.functions import wrap_func

    from xl_addin import udfs

    wb = openpyxl.load_workbook(path)
    texts = [getattr(cell.value, "text", cell.value) for name in RECALC_SHEETS for row in wb[name].iter_rows()
             for cell in row]
    texts = [t.replace("'", "") for t in texts if isinstance(t, str) and t.startswith("=")]
    for defined in list(wb.defined_names.values()):  # a named range used there (Indikatortabell) reads its sheet
        if any(defined.name in text for text in texts):
            texts.append(str(defined.attr_text).replace("'", ""))
            if trim_tables:
                sheet, area = str(defined.attr_text).rsplit("!", 1)
                last = wb[sheet.strip("'")].max_row
                defined.attr_text = f"{sheet}!{re.sub(r'[0-9]+$', str(last), area)}"
        else:
            del wb.defined_names[defined.name]  # one the recalculated sheets do not use
    referenced = set(RECALC_SHEETS) | {ws.title for ws in wb.worksheets if any(f"{ws.title}!" in t for t in texts)}
    for ws in list(wb.worksheets):
        if ws.title not in referenced:
            wb.remove(ws)
    calls = []
    functions = formulas.get_functions()
    saved = {f.__name__: functions.get(f.__name__) for f in udfs.CATALOGUE}
    for func in udfs.CATALOGUE:
        def run(*args, _func=func):
            values = [_plain(a) for a in args]
            values = [v[0][0] if isinstance(v, list) and len(v) == 1 and len(v[0]) == 1 else v for v in values]
            calls.append((_func.__name__, tuple(values)))
            try:
                result = _func(*values)
            except Exception as exc:  # the cell shows an error; the recording goes on
                result = f"#VP-FEL: {exc}"
            if isinstance(result, list):
                return np.asarray(result if result and isinstance(result[0], list) else [result], object)
            return result

        functions[func.__name__] = wrap_func(run)
    try:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "omrakning.xlsx"
            wb.save(copy)
            formulas.ExcelModel().loads(str(copy)).finish().calculate()
    finally:
        for name, previous in saved.items():
            if previous is None:
                functions.pop(name, None)
            else:
                functions[name] = previous
    return calls


# --- the server ----------------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_server(workers, log, baseline=None, signin=None):
    """Start `vp serve --lokal`, or with `signin` (environment: Entra ID settings and key file) `vp serve`
    with sign-in, or (baseline = an empty folder) xlwings Server with only its own example
    functions, started the way its docs start it: uvicorn xlwings_server.main:main_app.
    Returns (process, base URL, health path) without waiting."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLWINGS_", "VP_SERVER"))}
    env.update(XLWINGS_LICENSE_KEY=os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial"), XLWINGS_ON_SERVER="true")
    if baseline:
        env.update(XLWINGS_PROJECT_DIR=str(baseline), XLWINGS_ENABLE_EXAMPLES="true", XLWINGS_ENABLE_SOCKETIO="false")
        command = [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app", "--workers", str(workers)]
        health = "/"
    else:
        vp = Path(sys.executable).with_name("vp")
        command = [str(vp)] if vp.exists() else [sys.executable, "-m", "workbook.cli"]
        command += ["serve", *([] if signin else ["--lokal"]), "--workers", str(workers)]
        env.update(signin or {})
        health = "/vp/health"
    process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=str(baseline or ROOT))
    return process, f"http://127.0.0.1:{port}", health


def wait_for_server(process, base, health, log):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            # every worker must be up: ask a few times (the kernel spreads connections over them)
            if all(urllib.request.urlopen(f"{base}{health}", timeout=2).status == 200 for _ in range(4)):
                return process, base
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit(f"servern startade inte (se {log.name})")


def start_server(workers, log, baseline=None, signin=None):
    process, base, health = launch_server(workers, log, baseline, signin)
    return wait_for_server(process, base, health, log)


def stop_server(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the load ------------------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection, as one Excel client holds one. A few lines of asyncio
    instead of an HTTP library: the load generator shares the machine with the server, and a
    library client cost more CPU per request here than the server's whole answer. `base` may be
    https:// (`tls` = the ssl context that trusts the proxy's certificate); `token` is sent as
    `Authorization: Bearer` (a server with sign-in)."""

    def __init__(self, base, tls=None, token=None):
        scheme, address = base.split("://")
        host, port = address.split(":")
        self.host, self.port = host, int(port)
        self.tls = tls if scheme == "https" else None
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.reader = self.writer = None

    async def post(self, path, data):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=self.tls)
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.auth}"
                          f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                          + data)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        length = next(int(line.split(":", 1)[1]) for line in head[1:] if line.lower().startswith("content-length:"))
        return int(head[0].split()[1]), await self.reader.readexactly(length)

    def close(self):
        if self.writer is not None:
            self.writer.close()


# What Excel's custom-functions client (xlwings Server's JavaScript) does with a failed call: up to
# 3 attempts, again on these HTTP codes and on a network error (no answer, or a cut one).
EXCEL_ATTEMPTS = 3
EXCEL_RETRY_CODES = (500, 502, 503, 504)


async def load(base, calls, clients, recalcs, max_seconds, tls=None, token=None, attempts=1, retried=None):
    """(latencies in s, errors, elapsed s): `clients` connections, each recalculating `recalcs` times.
    `attempts` > 1: a call is tried again as Excel's client does (EXCEL_RETRY_CODES, network errors);
    each retry is appended to `retried`, an error counts only when the last attempt fails."""
    from server_helpers import body

    latencies, errors = [], []
    deadline = time.perf_counter() + max_seconds

    async def client(number):
        connection = Connection(base, tls, token)
        requests = [(name, json.dumps(body(name, args, address=f"[VP{number}.xlsx]Blad!A{i + 1}")).encode(),
                     expected) for i, (name, args, expected) in enumerate(calls)]
        try:
            for _ in range(recalcs):
                for name, data, expected in requests:
                    if time.perf_counter() > deadline:
                        return
                    start = time.perf_counter()
                    for attempt in range(1, attempts + 1):
                        try:
                            status, answer = await connection.post("/xlwings/custom-functions-call", data)
                            failure = None if status == 200 else f"{name}: HTTP {status}"
                            again = status in EXCEL_RETRY_CODES
                            if failure is None and json.loads(answer)["result"] != expected:
                                failure, again = f"{name}: fel svar", False
                        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                            failure, again = f"{name}: {type(exc).__name__}", True
                            connection.close()
                            connection = Connection(base, tls, token)
                        if failure and again and attempt < attempts:
                            if retried is not None:
                                retried.append(failure)
                            continue
                        break
                    latencies.append(time.perf_counter() - start)
                    if failure:
                        errors.append(failure)
        finally:
            connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies, errors, time.perf_counter() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_refresh_script(base, rounds):
    import xlwings

    from xl_addin.server.payload import book_payload

    payload = book_payload(EXAMPLE, xlwings.__version__, active_sheet="Indikatorer", selection="A1")
    timings = []
    with httpx.Client(base_url=base, timeout=120) as session:
        for _ in range(rounds):
            start = time.perf_counter()
            response = session.post("/xlwings/custom-scripts-call/uppdatera", json=payload)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    return timings


def time_vp_refresh(rounds):
    """`vp refresh` on a fresh copy: the whole command (start included), and the routine in-process."""
    from rules.engine import get_engine
    from workbook.refresh import run_refresh
    from workbook.xlsx import XlsxBook

    vp = Path(sys.executable).with_name("vp")
    command = [str(vp)] if vp.exists() else [sys.executable, "-m", "workbook.cli"]
    whole, routine = [], []
    get_engine()
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            path = Path(folder) / "VP2025.xlsx"
            shutil.copy(EXAMPLE, path)
            start = time.perf_counter()
            subprocess.run([*command, "refresh", str(path)], check=True, capture_output=True)
            whole.append(time.perf_counter() - start)
            shutil.copy(EXAMPLE, path)
            start = time.perf_counter()
            source = XlsxBook(path)
            run_refresh(source)
            source.save()
            routine.append(time.perf_counter() - start)
    return whole, routine


# --- HTTPS proxy (nginx) in front of two replicas: --proxy ------------------------------------------
LOCATIONS = ROOT / "deploy" / "nginx" / "vp-locations.conf"


def nginx_binary():
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()),
                                         None)


def self_signed_certificate(folder):
    """A certificate for 127.0.0.1 (and its key), as IT's certificate would be for the server's name."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert, private = Path(folder) / "vp.crt", Path(folder) / "vp.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


def signin_settings(folder):
    """(environment for `vp serve` with sign-in and a key file, a token it accepts): a key made here."""
    import tokens

    key = tokens.new_key()
    jwks = tokens.write_key_set(Path(folder) / "jwks.json", tokens.jwk(key, "bench"))
    env = dict(XLWINGS_AUTH_PROVIDERS='["entraid"]', XLWINGS_AUTH_ENTRAID_CLIENT_ID=tokens.CLIENT_ID,
               XLWINGS_AUTH_ENTRAID_TENANT_ID=tokens.TENANT_ID, VP_AUTH_JWKS_FILE=str(jwks),
               XLWINGS_LOG_LEVEL="WARNING")
    return env, tokens.mint(key, "bench")


def nginx_config(folder, upstreams, port, cert, key, max_fails=1):
    """nginx.conf for 127.0.0.1:`port` (TLS) in front of `upstreams`, with the production locations
    (deploy/nginx/vp-locations.conf) and the production upstream settings (deploy/nginx/nginx.conf)."""
    folder = Path(folder)
    servers = "\n".join(f"        server {u.removeprefix('http://')} max_fails={max_fails} fail_timeout=10s;"
                        for u in upstreams)
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'nginx-error.log'} warn;
events {{
    worker_connections 2048;
}}
http {{
    access_log off;
{temp}
    upstream vp_replicas {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        include {LOCATIONS};
    }}
}}
"""
    path = folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def start_nginx(folder, upstreams, cert, key, max_fails=1):
    """nginx in front of `upstreams` on a free loopback port: (process, https base)."""
    binary = nginx_binary()
    if binary is None:
        raise SystemExit("nginx saknas (apt-get install nginx-light)")
    port = free_port()
    config = nginx_config(folder, upstreams, port, cert, key, max_fails)
    command = [binary, "-e", str(Path(folder) / "nginx-error.log"), "-p", str(folder), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise SystemExit(f"nginx -t: {checked.stderr}")
    process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"https://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"nginx startade inte: {(Path(folder) / 'nginx-error.log').read_text(errors='replace')}")


async def load_with_kill(base, calls, clients, recalcs, max_seconds, tls, token, replica, after, retried):
    """The load as Excel's clients make it (their retries), with `replica` (a process) killed (SIGKILL)
    `after` seconds into it: (result of load(), when the kill happened)."""
    killed = {}

    async def kill():
        await asyncio.sleep(after)
        replica.kill()
        killed["at"] = time.perf_counter()

    latencies, errors, elapsed = (await asyncio.gather(
        load(base, calls, clients, recalcs, max_seconds, tls, token, EXCEL_ATTEMPTS, retried), kill()))[0]
    return (latencies, errors, elapsed), killed.get("at")


def proxy_run(args, calls_factory):
    """Two `vp serve` replicas with sign-in behind nginx (TLS, deploy/nginx/vp-locations.conf) on
    127.0.0.1: the recalculation at each client count through the proxy, the same straight to one
    replica (http, the baseline), and one replica killed during a run. Returns a dict of figures."""
    import ssl

    results = {"rows": [], "kill": None}
    with tempfile.TemporaryDirectory(prefix="vp-proxy-") as folder, \
            open(Path(folder) / "vp-serve.log", "wb") as log:
        signin, token = signin_settings(folder)
        cert, key = self_signed_certificate(folder)
        launched = [launch_server(args.workers[0], log, signin=signin) for _ in range(args.replicas)]
        calls = calls_factory()  # recorded while the replicas start
        replicas = [wait_for_server(process, base, health, log) for process, base, health in launched]
        nginx = None
        try:
            nginx, proxy = start_nginx(folder, [base for _, base in replicas], cert, key)
            tls = ssl.create_default_context(cafile=str(cert))
            asyncio.run(load(proxy, calls, 2, 1, args.max_seconds, tls, token))  # warm-up, both replicas
            some = calls[:args.max_calls] if args.max_calls else calls
            for clients in args.clients:
                targets = [("proxy", proxy)] + ([] if args.no_baseline else [("direkt", replicas[0][1])])
                for label, base in targets:
                    latencies, errors, elapsed = asyncio.run(
                        load(base, some, clients, args.recalcs, args.max_seconds, tls, token))
                    results["rows"].append(dict(
                        target=label, clients=clients, calls=len(latencies), rate=len(latencies) / elapsed,
                        p50=percentile(latencies, 50), p95=percentile(latencies, 95), p99=percentile(latencies, 99),
                        errors=errors))
            if args.kill_replica:
                victim = replicas[-1][0]
                retried = []
                (latencies, errors, elapsed), killed_at = asyncio.run(load_with_kill(
                    proxy, calls, args.kill_clients, args.recalcs, args.kill_seconds or args.max_seconds, tls, token,
                    victim, args.kill_after, retried))
                nginx_log = (Path(folder) / "nginx-error.log").read_text(errors="replace").splitlines()
                results["kill"] = dict(clients=args.kill_clients, calls=len(latencies), errors=errors, retried=retried,
                                       killed=killed_at is not None, p95=percentile(latencies, 95),
                                       exit_code=victim.wait(timeout=10),
                                       nginx=[line for line in nginx_log if "upstream" in line])
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait(timeout=10)
            for process, _ in replicas:
                if process.poll() is None:
                    stop_server(process)
    return results


def proxy_main(args):
    from server_helpers import expected

    from xl_addin import udfs

    by_name = {f.__name__: f for f in udfs.CATALOGUE}

    def calls():
        recorded = record_recalculation(EXAMPLE, trim_tables=args.kort_tabell)
        return [(name, values, expected(by_name[name], values)) for name, values in recorded]

    results = proxy_run(args, calls)
    print(f"nginx (TLS, {LOCATIONS.relative_to(ROOT)}) framför {args.replicas} kopior av vp serve med inloggning "
          f"({args.workers[0]} arbetsprocess var), 127.0.0.1; direkt = samma anrop till en kopia utan proxy (http)")
    print(f"{'väg':>7} {'klienter':>8} {'anrop':>6} {'anrop/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fel':>4}")
    for row in results["rows"]:
        print(f"{row['target']:>7} {row['clients']:>8} {row['calls']:>6} {row['rate']:>8.0f} {row['p50'] * 1000:>7.1f} "
              f"{row['p95'] * 1000:>7.1f} {row['p99'] * 1000:>7.1f} {len(row['errors']):>4}")
        for error in sorted(set(row["errors"]))[:5]:
            print(f"{'':>17}{error}")
    direct = {r["clients"]: r for r in results["rows"] if r["target"] == "direkt"}
    for row in results["rows"]:
        if row["target"] == "proxy" and row["clients"] in direct and direct[row["clients"]]["p95"]:
            print(f"p95 genom proxyn / direkt, {row['clients']} klienter: "
                  f"{row['p95'] / direct[row['clients']]['p95']:.2f}")
    kill = results["kill"]
    if kill:
        print(f"En kopia dödad (SIGKILL) efter {args.kill_after:g} s med {kill['clients']} klienter: {kill['calls']} anrop, "
              f"{len(kill['errors'])} fel, p95 {kill['p95'] * 1000:.1f} ms; klienterna gjorde om "
              f"{len(kill['retried'])} anrop som Excel gör ({', '.join(sorted(set(kill['retried']))[:3]) or '–'}).")
        for error in sorted(set(kill["errors"]))[:5]:
            print(f"{'':>17}{error}")
        retried = sum("while reading response header" in line and "[error]" in line for line in kill["nginx"])
        print(f"nginx: {sum('[error]' in line for line in kill['nginx'])} anrop avbrutna av den dödade kopian, "
              f"{retried} av dem innan svarets huvud (de görs om på den andra kopian).")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--recalcs", type=int, default=2, help="omräkningar per klient")
    parser.add_argument("--max-seconds", type=float, default=30, help="längsta tid per körning")
    parser.add_argument("--rounds", type=int, default=5, help="mätningar av Uppdatera och vp refresh")
    parser.add_argument("--kort-tabell", action="store_true",
                        help="namngivna områden (Indikatortabell) bara över de använda raderna")
    parser.add_argument("--proxy", action="store_true",
                        help="nginx med TLS framför --replicas kopior med inloggning (kräver nginx)")
    parser.add_argument("--replicas", type=int, default=2, help="kopior bakom proxyn (--proxy)")
    parser.add_argument("--kill-replica", action="store_true", help="döda en kopia mitt i en körning (--proxy)")
    parser.add_argument("--kill-clients", type=int, default=20, help="klienter när en kopia dödas")
    parser.add_argument("--kill-after", type=float, default=1.0, help="sekunder in i körningen")
    parser.add_argument("--kill-seconds", type=float, help="längsta tid för körningen där en kopia dödas "
                        "(standard: --max-seconds)")
    parser.add_argument("--max-calls", type=int,
                        help="bara de första N anropen av omräkningen per klient (--proxy, utom när en kopia dödas)")
    parser.add_argument("--no-baseline", action="store_true", help="hoppa över direkt-körningen (--proxy)")
    parser.add_argument("--json", help="skriv siffrorna (--proxy) som JSON hit")
    args = parser.parse_args()
    if args.proxy:
        if args.workers == parser.get_default("workers"):
            args.workers = [1]
        return proxy_main(args)

    from server_helpers import expected

    from xl_addin import udfs

    started = time.perf_counter()
    recorded = record_recalculation(EXAMPLE, trim_tables=args.kort_tabell)
    by_name = {f.__name__: f for f in udfs.CATALOGUE}
    calls = [(name, values, expected(by_name[name], values)) for name, values in recorded]
    counts = {name: sum(1 for n, _ in recorded if n == name) for name in dict.fromkeys(n for n, _ in recorded)}
    cells = max(sum(len(a) * len(a[0]) for a in values if isinstance(a, list)) for _, values in recorded)
    print(f"Omräkning av {', '.join(RECALC_SHEETS)}: {len(calls)} anrop per klient och omräkning "
          f"({', '.join(f'{n} {c}' for n, c in counts.items())}), högst {cells} celler i ett anrop"
          f"{' (kort tabell)' if args.kort_tabell else ''}; inspelad på {time.perf_counter() - started:.1f} s.")

    trivial = [("hello", ("VP",), [["Hello VP!"]])] * len(calls)  # same count, a function that does nothing
    rows, scripts = [], {}
    with tempfile.NamedTemporaryFile("wb", prefix="vp-serve-", suffix=".log", delete=False) as log, \
            tempfile.TemporaryDirectory() as empty:
        for workers in args.workers:
            for label, baseline, work in (("VP", None, calls), ("trivial", Path(empty), trivial)):
                process, base = start_server(workers, log, baseline)
                try:
                    asyncio.run(load(base, work, 2, 1, args.max_seconds))  # warm-up: engines, caches
                    for clients in args.clients:
                        latencies, errors, elapsed = asyncio.run(
                            load(base, work, clients, args.recalcs, args.max_seconds))
                        rows.append((label, workers, clients, len(latencies), len(latencies) / elapsed,
                                     percentile(latencies, 50), percentile(latencies, 95),
                                     percentile(latencies, 99), errors))
                    if label == "VP":
                        scripts[workers] = time_refresh_script(base, args.rounds)
                finally:
                    stop_server(process)
    whole, routine = time_vp_refresh(args.rounds)

    print()
    print("server: VP = vp serve med VP-funktionerna; trivial = xlwings Server med bara sin exempelfunktion "
          "hello (samma antal anrop, samma maskin, samma körning)")
    print(f"{'server':>8} {'arbetsprocesser':>15} {'klienter':>8} {'anrop':>6} {'anrop/s':>8} {'p50 ms':>7} "
          f"{'p95 ms':>7} {'p99 ms':>7} {'fel':>4}")
    for label, workers, clients, count, rate, p50, p95, p99, errors in rows:
        print(f"{label:>8} {workers:>15} {clients:>8} {count:>6} {rate:>8.0f} {p50 * 1000:>7.1f} {p95 * 1000:>7.1f} "
              f"{p99 * 1000:>7.1f} {len(errors):>4}")
        for error in sorted(set(errors))[:5]:
            print(f"{'':>26}{error}")
    print()
    for workers, timings in scripts.items():
        print(f"Uppdatera (skript över HTTP, {workers} arbetsprocess(er)): median {statistics.median(timings) * 1000:.0f} ms, "
              f"bäst {min(timings) * 1000:.0f} ms ({len(timings)} anrop)")
    print(f"vp refresh (hela kommandot, med start av Python): median {statistics.median(whole) * 1000:.0f} ms")
    print(f"vp refresh (rutinen i en varm process, läs+räkna+spara): median {statistics.median(routine) * 1000:.0f} ms")
    ours = [r for r in rows if r[0] == "VP"]
    print(f"Mål: p95 < 100 ms vid 20 klienter: "
          f"{', '.join(f'{r[6] * 1000:.0f} ms ({r[1]} proc.)' for r in ours if r[2] == 20)}; "
          f"0 fel vid 50: {', '.join(f'{len(r[8])} ({r[1]} proc.)' for r in ours if r[2] == 50)}.")
    print(f"Serverns logg: {log.name}")


if __name__ == "__main__":
    main()
