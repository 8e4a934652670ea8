"""Set-up for the xlwings Server tests: the settings a server process has, for these tests only.

XLWINGS_LICENSE_KEY=noncommercial (xlwings Server and its remote engine are xlwings PRO parts,
PolyForm Noncommercial) is set before xlwings is imported, so the remote engine is registered.
xlwings itself is imported before XLWINGS_ON_SERVER=true is set: that variable is read once, at
xlwings' import, and would turn `xw.func`/`xw.arg` into xlwings Server's decorators for the whole
test process, i.e. for the classic add-in's tests too (they check that the catalogue functions stay
plain callables on Linux). The server adapters do not depend on it; the real-server test starts
`vp serve` in its own process, where it is set before xlwings is imported, as in production.

The in-process app runs in local mode (no login) with XLWINGS_ENVIRONMENT=prod, so its manifest
and names are the ones economists get (=VP.INDICATORSCORE); the real server runs in the local
mode's default environment, dev (=VP_DEV.INDICATORSCORE).
"""

import contextlib
import os
import sys
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings as xw  # noqa: E402  (see the docstring: imported before XLWINGS_ON_SERVER is set)

if "remote" not in [engine.name for engine in xw.engines]:
    # xlwings was imported by another test module before the key was set
    from xlwings.pro import _xlremote

    xw.engines.add(xw.main.Engine(impl=_xlremote.engine))

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_ENVIRONMENT"] = "prod"
os.environ.setdefault("XLWINGS_LOG_LEVEL", "WARNING")

from xl_addin.server import prepare_environment  # noqa: E402

# The VP project and defaults, before any test module imports xlwings Server (which reads them once).
prepare_environment(local=True)

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # server_helpers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workbook" / "VP2025-exempel.xlsx"


@pytest.fixture(scope="session")
def app_module():
    """xl_addin.server.asgi, imported once: the VP project inside xlwings Server."""
    from xl_addin.server import asgi

    return asgi


@pytest.fixture(scope="session")
def client(app_module):
    from fastapi.testclient import TestClient

    with TestClient(app_module.app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def example_payload():
    """The example workbook as Office.js sends it (selection on indicator I03's row)."""
    from xl_addin.server.payload import book_payload

    return book_payload(EXAMPLE, xw.__version__, active_sheet="Indikatorer", selection="C7")


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vp_command():
    """`vp` of this environment (the console script), or the same entry point through -m."""
    script = Path(sys.executable).with_name("vp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbook.cli"]


def server_env(**extra):
    """The environment of a real server process: set before xlwings is imported there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLWINGS_", "VP_SERVER"))}
    env.update(XLWINGS_LICENSE_KEY="noncommercial", XLWINGS_ON_SERVER="true", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@contextlib.contextmanager
def running_server(log, *args, **env):
    """`vp serve ARGS` on 127.0.0.1 and a free port, in its own process (output to `log`): the base URL."""
    import subprocess
    import time
    import urllib.request

    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([*vp_command(), "serve", *args, "--host", "127.0.0.1", "--port", str(port)],
                                   env=server_env(**env), stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/vp/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"vp serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`vp serve --lokal` on 127.0.0.1 and a free port, in its own process: the base URL."""
    with running_server(tmp_path_factory.mktemp("server") / "vp-serve.log", "--lokal") as base:
        yield base
