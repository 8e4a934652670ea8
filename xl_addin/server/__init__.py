"""The VP functions and ribbon buttons served by xlwings Server, for Excel without Python on the PC.

This folder is an `xlwings-server init` project used as a library: `custom_functions/`,
`custom_scripts/`, `templates/`, `static/` and `routers/` are found by xlwings Server through
`XLWINGS_PROJECT_DIR` (this folder) and imported as top-level modules. Nothing here computes:
the functions are the catalogue of `xl_addin.udfs`, the scripts are the ribbon actions of
`xl_addin.ribbon`, both adapted in `adapters.py`.

`vp serve` calls `serve()`. The settings are xlwings Server's own environment variables
(`XLWINGS_...`); `prepare_environment()` fills in the VP defaults and `check_environment()` refuses
a production start without a licence key or a login provider. Local mode (`vp serve --lokal`)
is for development and tests only: no login, environment "dev".
"""

import ipaddress
import json
import logging
import os
import re
import sys
from pathlib import Path

from rules.errors import VPError

PROJECT_DIR = Path(__file__).resolve().parent

# The add-in's identity in Excel: one fixed id per environment, so a new deployment of the same
# environment replaces the add-in instead of installing a second one. IT may override them.
MANIFEST_IDS = {
    "dev": "fac09ba0-8336-42ed-92f7-2fa80d7aea95",
    "qa": "b1e1f721-1d0b-4f6a-8a36-a612ccd17cfa",
    "uat": "fff97b6e-69a1-4927-8734-bc8c376706e2",
    "staging": "d6a3d674-2cff-4bb5-9f2b-26295f5d19fb",
    "prod": "e9e3dbb9-5ecd-4518-b12b-b425a9f50537",
}

DEFAULTS = {
    "XLWINGS_FUNCTIONS_NAMESPACE": "VP",
    "XLWINGS_PROJECT_NAME": "VP",
    # No streaming functions: without socket.io several workers need no shared message queue.
    "XLWINGS_ENABLE_SOCKETIO": "false",
    "XLWINGS_ENABLE_EXAMPLES": "false",
    **{f"XLWINGS_MANIFEST_ID_{env.upper()}": uuid for env, uuid in MANIFEST_IDS.items()},
}

LOCAL_FLAG = "VP_SERVER_LOKAL"  # set by prepare_environment(local=True); read by the workers


class ServerSetupError(VPError):
    """The server cannot start with these settings (Swedish, says which variable to set)."""


def prepare_environment(local=None):
    """Set the VP defaults (only where IT has not set a value) before xlwings is imported.

    `local=True`: local mode, no login, environment "dev" unless set. `None`: keep what the
    environment says (a worker process started by uvicorn inherits the parent's choice).
    """
    if local is not None:
        os.environ[LOCAL_FLAG] = "1" if local else "0"
    local = is_local()
    os.environ["XLWINGS_PROJECT_DIR"] = str(PROJECT_DIR)
    os.environ["XLWINGS_ON_SERVER"] = "true"  # xlwings Server's own config sets it too
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if local:
        os.environ.setdefault("XLWINGS_ENVIRONMENT", "dev")
        os.environ["XLWINGS_AUTH_PROVIDERS"] = "[]"
    else:
        os.environ.setdefault("XLWINGS_ENVIRONMENT", "prod")
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))


def _not_jsnull(value):
    return False


def skip_pyodide_lookup():
    """xlwings 0.37.8 asks, for every argument and every cell of it, whether it is Pyodide's JsNull,
    by trying `from pyodide.ffi import JsNull` each time. Outside Pyodide that is a failed import
    that searches sys.path every time: about 0.7 ms a cell here, 130 ms for a 496-row column, most
    of a call's time. Where Pyodide does not exist: "pyodide" is recorded as absent in sys.modules
    (the import then fails at once), and the per-cell check gets its answer outside Pyodide, False
    (as its docstring says). Call after prepare_environment() (it imports xlwings)."""
    import importlib.util

    import xlwings.utils

    if "pyodide" in sys.modules or importlib.util.find_spec("pyodide") is not None:
        return
    sys.modules["pyodide"] = None
    if hasattr(xlwings.utils, "is_jsnull"):
        xlwings.utils.is_jsnull = _not_jsnull


def is_local():
    return os.environ.get(LOCAL_FLAG) == "1"


def _list_setting(name):
    """An xlwings list setting as pydantic reads it (JSON), or a comma list as people write it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw.split(",")
    if isinstance(value, str):
        value = [value]
    return [str(v).strip() for v in value if str(v).strip()]


def check_environment():
    """Refuse settings that would run a server nobody may use or everybody may use unnoticed."""
    if not os.environ.get("XLWINGS_LICENSE_KEY", "").strip():
        raise ServerSetupError(
            "XLWINGS_LICENSE_KEY saknas. xlwings Server får användas med licensen PolyForm "
            "Noncommercial (sätt XLWINGS_LICENSE_KEY=noncommercial; licensen nämner offentliga "
            "myndigheter som tillåtna användare) eller med en betald nyckel. Se docs/server-drift.md.")
    environment = os.environ.get("XLWINGS_ENVIRONMENT", "prod")
    if environment not in MANIFEST_IDS:
        raise ServerSetupError(f"XLWINGS_ENVIRONMENT: '{environment}' finns inte; välj en av "
                               f"{', '.join(MANIFEST_IDS)}.")
    if is_local():
        return
    from . import signin

    providers = _list_setting("XLWINGS_AUTH_PROVIDERS")
    if not providers:
        raise ServerSetupError(
            "Ingen inloggning är inställd. Sätt XLWINGS_AUTH_PROVIDERS='[\"entraid\"]' med "
            "XLWINGS_AUTH_ENTRAID_CLIENT_ID och XLWINGS_AUTH_ENTRAID_TENANT_ID (se "
            "docs/server-drift.md), eller starta i lokalt läge utan inloggning för utveckling: "
            "vp serve --lokal.")
    if providers != ["entraid"]:
        raise ServerSetupError(f"XLWINGS_AUTH_PROVIDERS: {providers} – VP-servern loggar bara in med Entra ID; "
                               "sätt XLWINGS_AUTH_PROVIDERS='[\"entraid\"]'.")
    if "entraid" in providers:
        missing = [name for name in ("XLWINGS_AUTH_ENTRAID_CLIENT_ID", "XLWINGS_AUTH_ENTRAID_TENANT_ID")
                   if not os.environ.get(name, "").strip()]
        if missing:
            raise ServerSetupError(f"Inloggning med Entra ID kräver {' och '.join(missing)}.")
        if os.environ.get("XLWINGS_AUTH_ENTRAID_MULTITENANT", "").strip().lower() in ("1", "true", "yes", "on"):
            # xlwings Server 1.20 checks no issuer at all in multitenant mode (its pattern is matched
            # against the configured issuer, not the token's): any tenant's token would pass.
            raise ServerSetupError("XLWINGS_AUTH_ENTRAID_MULTITENANT: VP-servern tar bara emot inloggningar från "
                                   "den egna organisationen; ta bort inställningen.")
        try:
            signin.check_key_settings()
        except signin.KeySetError as exc:
            raise ServerSetupError(f"Inloggningens nycklar: {exc}") from None
    try:
        signin.protected_scripts(signin.role_file())
    except signin.RoleFileError as exc:
        raise ServerSetupError(f"Behörigheterna ({signin.ROLE_FILE_SETTING}): {exc}") from None


_TOKEN_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
REDACTED = "<token borttagen>"


def redact_tokens_in_logs():
    """Every log record of this process with a token-like text (a JWT) gets it replaced, whatever
    logger and level wrote it: xlwings Server logs the whole token at debug level."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "vp_redacts", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a broken format: leave it to the handler to report
            return record
        if "eyJ" in text:
            record.msg, record.args = _TOKEN_LIKE.sub(REDACTED, text), None
        return record

    factory.vp_redacts = True
    logging.setLogRecordFactory(factory)


# How long uvicorn keeps an idle connection open (the proxy's upstream keepalive_timeout must be
# shorter: deploy/nginx/nginx.conf), and how long a stop waits for running requests.
# A slow request body is cut by the gate (gate.BODY_TIMEOUT, VP_BODY_TIMEOUT); slow headers and
# slow readers by the reverse proxy (deploy/nginx/vp-locations.conf). See docs/server-drift.md.
UVICORN_TIMEOUTS = {"timeout_keep_alive": 5, "timeout_graceful_shutdown": 30}


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host="127.0.0.1", port=8000, workers=1, local=False, ssl_certfile=None, ssl_keyfile=None,
          log_level="info"):
    """Start the server with uvicorn (blocks). Each worker process imports the app and owns its engine."""
    prepare_environment(local=local)
    check_environment()
    if workers < 1:
        raise ServerSetupError(f"--workers: '{workers}' ska vara 1 eller fler.")
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ServerSetupError("HTTPS kräver både --ssl-certfile och --ssl-keyfile.")
    import uvicorn

    scheme = "https" if ssl_certfile else "http"
    mode = "LOKALT LÄGE utan inloggning (bara för utveckling och test)" if local else "med inloggning"
    print(f"VP-servern startar på {scheme}://{host}:{port} – {mode}, miljö "
          f"{os.environ['XLWINGS_ENVIRONMENT']}, {workers} arbetsprocess(er).", file=sys.stderr, flush=True)
    if local and not _is_loopback(host):
        print(f"Varning: lokalt läge utan inloggning lyssnar på {host}, inte bara på den här datorn.",
              file=sys.stderr, flush=True)
    if not local:
        from . import signin

        print(f"Inloggning med Entra ID: {signin.check_key_settings()}.", file=sys.stderr, flush=True)
    if os.environ.get("XLWINGS_LOG_LEVEL", "INFO").strip().upper() == "DEBUG" and not local:
        print("Varning: XLWINGS_LOG_LEVEL=DEBUG loggar mycket mer (xlwings Server skriver då hela inloggningstoken; "
              "VP-servern tar bort dem ur loggen). Använd INFO eller WARNING i drift.", file=sys.stderr, flush=True)
    if scheme == "http":
        print("Obs: Excel kräver HTTPS för tillägget; http räcker bara för test på den här datorn "
              "eller bakom en omvänd proxy som har certifikatet.", file=sys.stderr, flush=True)
    uvicorn.run("xl_addin.server.asgi:app", host=host, port=port, workers=workers,
                ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, log_level=log_level,
                proxy_headers=True, **UVICORN_TIMEOUTS)
    return 0
