"""One real server with sign-in: `vp serve` (not local mode) in its own process with Entra ID
settings and its key set from VP_AUTH_JWKS_FILE (no internet), a role file (VP_BEHORIGHET) that
protects Kontrollera, a 1-second body timeout, and xlwings Server's log at DEBUG level (where it
writes whole tokens)."""

import json
import socket
import time

import pytest

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")
pytest.importorskip("jwt", reason="PyJWT saknas: kör ./setup.sh (installerar .[test,server])")

import httpx  # noqa: E402
import tokens  # noqa: E402
from server_helpers import body  # noqa: E402

from conftest import ROOT, running_server, server_env, vp_command  # noqa: E402
from xl_addin.server import signin  # noqa: E402

KID = "vp-real-key"
CALL = body("VP_INDICATORSCORE", ("61%", "Öka", "65%"))


def signin_env(jwks, **extra):
    return dict(XLWINGS_AUTH_PROVIDERS='["entraid"]', XLWINGS_AUTH_ENTRAID_CLIENT_ID=tokens.CLIENT_ID,
                XLWINGS_AUTH_ENTRAID_TENANT_ID=tokens.TENANT_ID, VP_AUTH_JWKS_FILE=str(jwks), **extra)


@pytest.fixture(scope="module")
def key():
    return tokens.new_key()


@pytest.fixture(scope="module")
def server(tmp_path_factory, key):
    folder = tmp_path_factory.mktemp("signin-server")
    jwks = tokens.write_key_set(folder / "jwks.json", tokens.jwk(key, KID))
    roles = folder / "behorighet.toml"
    roles.write_text('[[skyddad]]\nroll = "VP.Test"\nknappar = ["kontrollera"]\n'
                     'meddelande = "Bara rollen {roll} får kontrollera; {anvandare} har den inte."\n', encoding="utf-8")
    log = folder / "vp-serve.log"
    with running_server(log, **signin_env(jwks, VP_BEHORIGHET=str(roles), VP_BODY_TIMEOUT="1",
                                          XLWINGS_LOG_LEVEL="DEBUG")) as base:
        with httpx.Client(base_url=base, timeout=60) as http:
            yield http, log


def good(key, **changes):
    return tokens.header(tokens.mint(key, KID, **changes))


def test_a_signed_in_call_is_answered_and_bad_ones_get_401(server, key):
    http, _ = server
    response = http.post("/xlwings/custom-functions-call", json=CALL, headers=good(key))
    assert response.status_code == 200 and response.json()["result"] == [[1]]
    now = int(time.time())
    for headers in ({}, good(key, exp=now - 1), good(key, aud=tokens.OTHER_APP),
                    good(key, iss=f"https://login.microsoftonline.com/{tokens.OTHER_TENANT}/v2.0"),
                    tokens.header(tokens.mint(tokens.new_key(), KID))):
        response = http.post("/xlwings/custom-functions-call", json=CALL, headers=headers)
        assert response.status_code == 401 and response.json() == {"detail": signin.REFUSED}
    assert http.get("/manifest").status_code == 200 and http.get("/vp/health").status_code == 200


def test_a_token_expiring_after_its_first_use_is_refused_after_exp(server, key):
    http, _ = server
    expires = int(time.time()) + 2
    token = tokens.mint(key, KID, exp=expires)
    assert http.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 200
    time.sleep(max(expires - time.time(), 0) + 0.2)
    assert http.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 401


def test_the_protected_button_needs_the_role(server, key, example_payload):
    http, _ = server
    refused = http.post("/xlwings/custom-scripts-call/kontrollera", json=example_payload, headers=good(key))
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"Bara rollen VP.Test får kontrollera; {tokens.USER_NAME} har den inte."
    allowed = http.post("/xlwings/custom-scripts-call/kontrollera", json=example_payload,
                        headers=good(key, roles=["VP.Test"]))
    assert allowed.status_code == 200, allowed.text


def test_a_slow_body_is_cut_after_the_timeout(server, key):
    http, _ = server
    host, port = http.base_url.host, http.base_url.port
    with socket.create_connection((host, port), timeout=10) as sock:
        token = tokens.mint(key, KID)
        sock.sendall(f"POST /xlwings/custom-functions-call HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
                     f"{token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
                     + b'{"func_name": ')
        started = time.monotonic()
        first = sock.recv(65536)
        took = time.monotonic() - started
        received = [first]
        while received[-1]:  # the server closes the connection after the answer
            received.append(sock.recv(65536))
        answer = b"".join(received).decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 408"), answer
    assert 0.8 < took < 5
    assert "kom inte fram inom 1 sekunder" in json.loads(answer.split("\r\n\r\n", 1)[1])["detail"]


def test_no_token_in_the_servers_log_even_at_debug(server, key):
    http, log = server
    token = tokens.mint(key, KID)
    assert http.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 200
    text = log.read_text(errors="replace")
    assert "Validating token: Bearer <token borttagen>" in text  # xlwings Server's debug line was written
    assert token.split(".")[1] not in text and token.split(".")[2] not in text
    assert "eyJ" not in text


def test_serve_refuses_to_start_with_a_key_file_it_cannot_read(tmp_path):
    import subprocess

    done = subprocess.run([*vp_command(), "serve"], env=server_env(**signin_env(tmp_path / "saknas.json")),
                          capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert done.returncode == 2 and "VP_AUTH_JWKS_FILE" in done.stderr and "saknas.json" in done.stderr
    (tmp_path / "tom.json").write_text('{"keys": []}', encoding="utf-8")
    done = subprocess.run([*vp_command(), "serve"], env=server_env(**signin_env(tmp_path / "tom.json")),
                          capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert done.returncode == 2 and "tom lista" in done.stderr
