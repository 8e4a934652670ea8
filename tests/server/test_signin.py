"""Sign-in against the real xlwings Server app (TestClient): Entra ID v2.0 tokens signed by a key
these tests make, the key set given as a file (VP_AUTH_JWKS_FILE) or an address on 127.0.0.1
(VP_AUTH_JWKS_URL), never Microsoft's; the role-protected buttons; the size, depth and time limits.

The in-process app runs in local mode for the other tests; here xlwings Server's own settings
object gets the Entra ID settings for the duration of a test (it reads them at every request).
"""

import asyncio
import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization

pytest.importorskip("xlwings_server", reason="xlwings-server saknas: kör ./setup.sh (installerar .[test,server])")
pytest.importorskip("jwt", reason="PyJWT saknas: kör ./setup.sh (installerar .[test,server])")

import tokens  # noqa: E402
from server_helpers import applied, body, table_below  # noqa: E402

from xl_addin.server import gate, signin  # noqa: E402

KID = "vp-test-key-1"
CALL = body("VP_INDICATORSCORE", ("61%", "Öka", "65%"))


@pytest.fixture(scope="module")
def key():
    return tokens.new_key()


@pytest.fixture
def signed_in(monkeypatch, tmp_path, key):
    """xlwings Server with Entra ID sign-in, its key set in a file. Yields the file."""
    from xlwings_server.config import settings

    path = tokens.write_key_set(tmp_path / "jwks.json", tokens.jwk(key, KID))
    monkeypatch.setattr(settings, "auth_providers", ["entraid"])
    monkeypatch.setattr(settings, "auth_entraid_client_id", tokens.CLIENT_ID)
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", tokens.TENANT_ID)
    monkeypatch.setenv(signin.JWKS_FILE, str(path))
    monkeypatch.delenv(signin.JWKS_URL, raising=False)
    yield path


def good(key, **changes):
    return tokens.header(tokens.mint(key, KID, **changes))


def test_a_valid_v2_token_gets_the_answer(client, signed_in, key):
    response = client.post("/xlwings/custom-functions-call", json=CALL, headers=good(key))
    assert response.status_code == 200, response.text
    assert response.json()["result"] == [[1]]  # 61 % towards 65 %, "Öka": the plan's score 1


def refused_requests(key):
    """(what is wrong, headers) for every kind of request the server must refuse with 401."""
    now = time.time()
    other_key = tokens.new_key()
    pem = key.public_key().public_bytes(encoding=serialization.Encoding.PEM,
                                        format=serialization.PublicFormat.SubjectPublicKeyInfo)
    valid = tokens.mint(key, KID)
    head, payload, signature = valid.split(".")
    tampered_claims = tokens.claims(name="Chefen", roles=["VP.Faststall"])
    forged_payload = base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode()
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"' + KID.encode() + b'"}').rstrip(b"=")
    return [
        ("expired", good(key, exp=int(now) - 10, iat=int(now) - 4000, nbf=int(now) - 4000)),
        ("not yet valid", good(key, nbf=int(now) + 600)),
        ("no exp", good(key, exp=None)),
        ("wrong audience", good(key, aud="api://some-other-resource")),
        ("another app's token", good(key, aud=tokens.OTHER_APP)),
        ("wrong tenant", good(key, iss=f"https://login.microsoftonline.com/{tokens.OTHER_TENANT}/v2.0",
                              tid=tokens.OTHER_TENANT)),
        ("v1 issuer in a v2 token", good(key, iss=f"https://sts.windows.net/{tokens.TENANT_ID}/")),
        ("unknown token version", good(key, ver="3.0")),
        ("no object id", good(key, oid=None)),
        ("alg none", tokens.header(f"{none_header.decode()}.{payload}.")),
        ("tampered claims", tokens.header(f"{head}.{forged_payload}.{signature}")),
        ("tampered signature", tokens.header(f"{head}.{payload}.{flipped}")),
        ("signed by another key", tokens.header(tokens.mint(other_key, KID))),
        ("HS256 with the public key as secret", tokens.header(_hs256(tokens.claims(), pem))),
        ("missing header", {}),
        ("empty bearer", {"Authorization": "Bearer "}),
        ("not bearer", {"Authorization": f"Token {valid}"}),
        ("two words after bearer", {"Authorization": f"Bearer {valid} extra"}),
        ("not a JWT", {"Authorization": "Bearer hello"}),
        ("garbage JWT", {"Authorization": "Bearer eyJhbGc.eyJzdWIi.abc"}),
        ("error from Office", {"Authorization": "Error: 13003 <script>alert(1)</script>"}),
    ]


def _hs256(claims, secret):
    """An HS256 token keyed with the RSA public key's PEM (the algorithm-confusion attack), signed
    with the standard library: PyJWT refuses to use a PEM as an HMAC secret."""
    import hashlib
    import hmac

    def part(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode()) + "." + part(
        json.dumps(claims).encode())
    return signing + "." + part(hmac.new(secret, signing.encode(), hashlib.sha256).digest())


def test_every_bad_token_gets_the_same_401_that_helps_no_attacker(client, signed_in, key):
    answers = {}
    for what, headers in refused_requests(key):
        response = client.post("/xlwings/custom-functions-call", json=CALL, headers=headers)
        assert response.status_code == 401, (what, response.text)
        assert response.headers["www-authenticate"] == "Bearer", what
        answers[what] = response.json()
    assert all(answer == {"detail": signin.REFUSED} for answer in answers.values()), answers
    # and the same request with a good token is answered: it is the token that was refused
    assert client.post("/xlwings/custom-functions-call", json=CALL, headers=good(key)).status_code == 200


def _api_routes(routes):
    """Every APIRoute, also inside included routers (FastAPI keeps those as one entry each; none of
    xlwings Server's or the VP's is included with an extra prefix)."""
    from fastapi.routing import APIRoute

    out = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += _api_routes(route.original_router.routes)
    return out


def test_every_route_that_is_not_declared_public_needs_sign_in(client, signed_in, app_module, example_payload):
    """Default deny: every route of the app (xlwings Server's and the VP's) without a token -> 401,
    unless it is in gate.PUBLIC_PATHS; the public ones answer without a token."""
    routes = [(method, route.path) for route in _api_routes(app_module.main_app.app.routes) for method in route.methods]
    assert ("POST", "/xlwings/custom-functions-call") in routes and ("POST", "/vp/rapport") in routes
    protected = [(m, p) for m, p in routes if not gate.is_public(m, p)]
    assert {p for _, p in protected} >= {"/xlwings/custom-functions-call", "/xlwings/custom-scripts-call/{script_name}",
                                         "/vp/rapport"}
    for method, path in protected:
        url = path.replace("{script_name}", "vp_panel")
        response = client.request(method, url, json=example_payload)
        assert response.status_code == 401, (method, path, response.status_code)
    for method, path in routes:
        if gate.is_public(method, path) and method == "GET" and "{" not in path:
            query = "?prompt=p&title=t&buttons=ok&mode=info&callback=c" if path.endswith("/alert") else ""
            assert client.get(path + query).status_code == 200, path
    assert client.get("/static/images/icons/vp-32.png").status_code == 200


def test_the_pane_the_buttons_and_the_report_answer_a_signed_in_user(client, signed_in, key, example_payload):
    panel = client.post("/xlwings/custom-scripts-call/vp_panel", json=example_payload, headers=good(key))
    assert panel.status_code == 200, panel.text
    assert any(a["func"] == "runMacro" for a in panel.json()["actions"])
    not_vp = dict(example_payload, sheets=[s for s in example_payload["sheets"] if s["name"] != "Indikatorer"])
    report = client.post("/vp/rapport", json=not_vp, headers=good(key))
    assert report.status_code == 400 and "Indikatorer" in report.text  # past the gate, answered by the report


def test_the_log_row_names_the_signed_in_user_with_object_id(client, signed_in, key, example_payload):
    response = client.post("/xlwings/custom-scripts-call/uppdatera", json=example_payload,
                           headers=good(key, name="Bertil Berg", oid="99999999-8888-4777-8666-555555555555"))
    assert response.status_code == 200, response.text
    log = table_below(applied(example_payload, response.json()["actions"])["Logg"], "Tid")
    assert log[-1][1] == "Bertil Berg (99999999-8888-4777-8666-555555555555)"


def test_a_token_that_expires_inside_xlwings_servers_cache_hour_is_refused_after_exp(client, signed_in, key):
    """xlwings Server keeps a validated token an hour; the VP check of `exp` runs before it."""
    from xlwings_server.auth import entraid

    expires = int(time.time()) + 2
    token = tokens.mint(key, KID, exp=expires)
    assert client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 200
    time.sleep(max(expires - time.time(), 0) + 0.2)
    # xlwings Server's own (cached) validation still accepts it after exp ...
    user = asyncio.run(entraid.validate_token(f"Bearer {token}"))
    assert user.id == tokens.USER_OID
    # ... the server does not
    response = client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token))
    assert response.status_code == 401 and response.json() == {"detail": signin.REFUSED}


def test_tokens_never_reach_the_log_even_at_debug_level(client, signed_in, key, caplog):
    """xlwings Server logs the whole token at debug level; the server's log takes it out."""
    token = tokens.mint(key, KID)
    expired = tokens.mint(key, KID, exp=int(time.time()) - 1)
    with caplog.at_level(logging.DEBUG):
        client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token))
        client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(expired))
        client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token + "x"))
        client.post("/xlwings/custom-functions-call", json=CALL,
                    headers={"Authorization": "Error 13003: User identity type not supported\nFAKE"})
    text = caplog.text + "".join(str(r.exc_text or "") for r in caplog.records)
    # Office's sign-in error reaches the log (IT needs the code), on one line
    assert "Excel kunde inte hämta någon token (Error 13003: User identity type not supported FAKE)" in text
    assert "Validating token: Bearer <token borttagen>" in text  # xlwings Server's debug line, without the token
    for secret in (token, expired, token.split(".")[1], token.split(".")[2]):
        assert secret not in text


def test_a_new_key_in_the_file_is_used_without_a_restart(client, signed_in, key):
    rotated = tokens.new_key()
    token = tokens.mint(rotated, "vp-test-key-2")
    assert client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 401
    tokens.write_key_set(signed_in, tokens.jwk(key, KID), tokens.jwk(rotated, "vp-test-key-2"))
    token = tokens.mint(rotated, "vp-test-key-2")
    assert client.post("/xlwings/custom-functions-call", json=CALL, headers=tokens.header(token)).status_code == 200


def test_an_unreadable_key_file_is_503_with_a_swedish_text_not_a_login_failure(client, signed_in, key):
    signed_in.write_text("{inte json", encoding="utf-8")
    response = client.post("/xlwings/custom-functions-call", json=CALL, headers=good(key))
    assert response.status_code == 503 and response.json() == {"detail": signin.NO_KEYS}


class _KeySetHandler(BaseHTTPRequestHandler):
    document = b""
    calls = 0

    def do_GET(self):  # noqa: N802
        type(self).calls += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.document)))
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args):
        pass


def test_the_key_set_from_an_internal_address(client, signed_in, key, monkeypatch):
    _KeySetHandler.document = json.dumps(tokens.key_set(tokens.jwk(key, KID))).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeySetHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        monkeypatch.delenv(signin.JWKS_FILE)
        monkeypatch.setenv(signin.JWKS_URL, url)
        monkeypatch.setattr(signin, "_url_cache", {})
        for _ in range(3):
            response = client.post("/xlwings/custom-functions-call", json=CALL, headers=good(key))
            assert response.status_code == 200, response.text
        assert _KeySetHandler.calls == 1  # kept for JWKS_URL_TTL
    finally:
        server.shutdown()
        server.server_close()


# --- roles ---------------------------------------------------------------------------------------
def test_the_shipped_role_file_protects_faststall_with_vp_faststall():
    protections = signin.protected_scripts(signin.ROLE_FILE)
    assert protections["faststall"].role == "VP.Faststall"


@pytest.fixture
def kontrollera_protected(tmp_path, monkeypatch):
    """A role file (the mechanism IT uses: VP_BEHORIGHET) that protects Kontrollera with VP.Test."""
    path = tmp_path / "behorighet.toml"
    path.write_text('[[skyddad]]\nroll = "VP.Test"\nknappar = ["kontrollera"]\n'
                    'meddelande = "Bara den som har rollen {roll} får kontrollera. {anvandare} har den inte."\n',
                    encoding="utf-8")
    monkeypatch.setenv(signin.ROLE_FILE_SETTING, str(path))
    return path


def test_a_protected_button_without_the_role_is_403_with_a_swedish_text(client, signed_in, key, example_payload,
                                                                         kontrollera_protected):
    response = client.post("/xlwings/custom-scripts-call/kontrollera", json=example_payload,
                           headers=good(key, roles=["VP.Ekonom"]))
    assert response.status_code == 403
    assert response.json()["detail"] == (f"Bara den som har rollen VP.Test får kontrollera. {tokens.USER_NAME} "
                                         "har den inte.")
    # refused before the body is read: a body that is no workbook at all gets the same answer
    garbage = client.post("/xlwings/custom-scripts-call/kontrollera", content=b"{not json",
                          headers=good(key))
    assert garbage.status_code == 403
    allowed = client.post("/xlwings/custom-scripts-call/kontrollera", json=example_payload,
                          headers=good(key, roles=["VP.Ekonom", "VP.Test"]))
    assert allowed.status_code == 200, allowed.text
    # other buttons are not protected
    other = client.post("/xlwings/custom-scripts-call/vp_panel", json=example_payload, headers=good(key))
    assert other.status_code == 200


def test_the_role_is_read_from_the_signed_token_not_from_a_tampered_one(client, signed_in, key, example_payload,
                                                                        kontrollera_protected):
    head, _, signature = tokens.mint(key, KID).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(tokens.claims(roles=["VP.Test"])).encode()).rstrip(b"=").decode()
    response = client.post("/xlwings/custom-scripts-call/kontrollera", json=example_payload,
                           headers=tokens.header(f"{head}.{forged}.{signature}"))
    assert response.status_code == 401


# --- limits --------------------------------------------------------------------------------------
def test_a_body_over_5_mb_is_413_in_swedish_before_it_is_read(client, signed_in, key):
    big = b'{"x": "' + b"a" * gate.MAX_BODY + b'"}'
    response = client.post("/xlwings/custom-functions-call", content=big,
                           headers={**good(key), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Begäran är för stor för VP-servern")
    assert str(len(big)) in response.json()["detail"]
    # without a declared length (chunked): counted while reading, refused at the limit
    chunks = (b"a" * 65536 for _ in range(gate.MAX_BODY // 65536 + 2))
    response = client.post("/xlwings/custom-functions-call", content=chunks, headers=good(key))
    assert response.status_code == 413 and "5 MB" in response.json()["detail"]


def test_a_body_over_5_mb_is_refused_without_sign_in_too(client, signed_in):
    response = client.post("/xlwings/custom-functions-call", content=b"a" * (gate.MAX_BODY + 1))
    assert response.status_code == 413


def test_json_nested_deeper_than_the_limit_is_refused(client, signed_in, key):
    deep = b"[" * (gate.MAX_DEPTH + 1) + b"]" * (gate.MAX_DEPTH + 1)
    response = client.post("/xlwings/custom-functions-call", content=deep,
                           headers={**good(key), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"Begäran har data i fler än {gate.MAX_DEPTH} nivåer")
    # Python's own parser fails far deeper, with a server error: the limit answers first
    very_deep = b"[" * 100000 + b"]" * 100000
    response = client.post("/xlwings/custom-functions-call", content=very_deep, headers=good(key))
    assert response.status_code == 400


def test_what_excel_sends_is_far_below_the_limits(example_payload):
    data = json.dumps(example_payload).encode()
    assert gate.json_depth(data) <= 6 < gate.MAX_DEPTH
    assert len(data) * 10 < gate.MAX_BODY


def _reference_depth(value):
    if isinstance(value, dict):
        return 1 + max((_reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_reference_depth(v) for v in value), default=0)
    return 0


def test_json_depth_agrees_with_a_recursive_count():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\,:ab ')
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(alphabet='[]{}"\\a', max_size=3), inner, max_size=3), max_leaves=30)

    @settings(max_examples=300, deadline=None)
    @given(values)
    def check(value):
        assert gate.json_depth(json.dumps(value).encode()) == _reference_depth(value)

    check()


def test_a_body_that_does_not_arrive_in_time_is_408():
    """A client that sends part of the body and stops: the gate answers 408 after its timeout."""
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def run():
        sent = []

        async def receive():
            if not sent:
                sent.append(1)
                return {"type": "http.request", "body": b'{"a": ', "more_body": True}
            await asyncio.sleep(30)

        answers = []

        async def send(message):
            answers.append(message)

        scope = {"type": "http", "method": "POST", "path": "/vp/health", "headers": [], "query_string": b""}
        started = time.monotonic()
        await gate.Gate(app, body_timeout=0.3)(scope, receive, send)
        return answers, time.monotonic() - started

    answers, took = asyncio.run(run())
    assert answers[0]["status"] == 408 and took < 2
    assert "inom 0.3 sekunder" in json.loads(answers[1]["body"])["detail"]
    assert reached == []


# --- the real approve action (Fastställ, issue 15) -----------------------------------------------
def test_faststall_needs_the_role_and_the_log_names_who_fixed_the_period(client, signed_in, key, example_payload):
    """Without VP.Faststall: 403 with the Swedish text and nothing written. With it: the period is
    fixed, and the Logg rows name the signed-in users (name and object id), not the server."""
    import getpass

    from server_helpers import payload_with, writes

    from workbook import layout as L

    refresh = client.post("/xlwings/custom-scripts-call/uppdatera", json=example_payload,
                          headers=good(key, name="Anna Andersson"))
    assert refresh.status_code == 200, refresh.text
    grids = applied(example_payload, refresh.json()["actions"])
    # the board's decision, and the reason to fix the period despite the example's findings, in the
    # cells right of their labels on Översikt, as the economist types them
    edits = {}
    for label, text in ((L.DECISION_LABEL, "VON 2025-05-20 § 41"), (L.DESPITE_LABEL, "Kända fynd, beslutat ändå")):
        row, column = next((r, c) for r, cells in enumerate(grids[L.OVERVIEW], 1) for c, v in enumerate(cells, 1)
                           if str(v).strip().rstrip(":") == label)
        edits[(L.OVERVIEW, row, column + 1)] = text
    refreshed = payload_with(example_payload, grids, edits=edits)

    refused = client.post("/xlwings/custom-scripts-call/faststall", json=refreshed,
                          headers=good(key, name="Bertil Berg", roles=["VP.Ekonom"]))
    assert refused.status_code == 403
    assert refused.json()["detail"] == signin.protected_scripts(signin.ROLE_FILE)["faststall"].message.format(
        roll="VP.Faststall", anvandare="Bertil Berg")
    assert "Faststall" in refused.json()["detail"] and "Bertil Berg" in refused.json()["detail"]

    chef = "22222222-3333-4444-8555-666666666666"
    fixed = client.post("/xlwings/custom-scripts-call/faststall", json=refreshed,
                        headers=good(key, name="Cecilia Chef", oid=chef, roles=["VP.Faststall"]))
    assert fixed.status_code == 200, fixed.text
    actions = fixed.json()["actions"]
    assert writes(refreshed, actions), "Fastställ wrote nothing"
    grids = applied(refreshed, actions)
    log = table_below(grids[L.LOG], "Tid")
    users = [row[1] for row in log]
    assert users[-1] == f"Cecilia Chef ({chef})"
    assert f"Anna Andersson ({tokens.USER_OID})" in users
    assert getpass.getuser() not in users
    approvals = [v for row in grids[L.APPROVALS] for v in row]
    assert f"Cecilia Chef ({chef})" in approvals and "Bertil Berg" not in str(approvals)


def test_the_start_refuses_other_login_providers_and_multitenant(monkeypatch, tmp_path, key):
    from xl_addin.server import ServerSetupError, check_environment

    monkeypatch.setenv("VP_SERVER_LOKAL", "0")
    monkeypatch.setenv("XLWINGS_AUTH_ENTRAID_CLIENT_ID", tokens.CLIENT_ID)
    monkeypatch.setenv("XLWINGS_AUTH_ENTRAID_TENANT_ID", tokens.TENANT_ID)
    monkeypatch.setenv(signin.JWKS_FILE, str(tokens.write_key_set(tmp_path / "jwks.json", tokens.jwk(key, KID))))
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["entraid"]')
    check_environment()  # these settings start
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["custom"]')
    with pytest.raises(ServerSetupError, match="bara in med Entra ID"):
        check_environment()
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["entraid"]')
    monkeypatch.setenv("XLWINGS_AUTH_ENTRAID_MULTITENANT", "true")
    with pytest.raises(ServerSetupError, match="XLWINGS_AUTH_ENTRAID_MULTITENANT"):
        check_environment()
    monkeypatch.delenv("XLWINGS_AUTH_ENTRAID_MULTITENANT")
    monkeypatch.setenv(signin.ROLE_FILE_SETTING, str(tmp_path / "saknas.toml"))
    with pytest.raises(ServerSetupError, match="Behörigheterna"):
        check_environment()


@pytest.mark.parametrize("claims, refused", [
    ({"exp": 1000}, True),                 # expires this very second
    ({"exp": 1001}, False),
    ({"exp": 999.5}, True),
    ({"exp": True}, True),                 # JSON true is no time
    ({"exp": "2000"}, True),
    ({}, True),                            # no exp at all
    ({"exp": 2000, "nbf": 1001}, True),    # not valid yet
    ({"exp": 2000, "nbf": 1000}, False),
    ({"exp": 2000, "nbf": "0"}, True),
])
def test_the_lifetime_check_at_its_edges(claims, refused):
    from fastapi import HTTPException

    if refused:
        with pytest.raises(HTTPException) as caught:
            signin.check_lifetime(claims, 1000)
        assert caught.value.status_code == 401 and caught.value.detail == signin.REFUSED
    else:
        signin.check_lifetime(claims, 1000)


@pytest.mark.parametrize("text, says", [
    ('[[skyddad]]\nroll = "VP.X"\nknappar = "faststall"\nmeddelande = "m"\n', "knappar (lista"),
    ('[[skyddad]]\nknappar = ["faststall"]\nmeddelande = "m"\n', "ska ha roll"),
    ('[[skyddad]]\nroll = "VP.X"\nknappar = ["faststall"]\nmeddelande = "Du {namn} får inte"\n', "{roll} och {anvandare}"),
    ('[[skyddad]\n', "går inte att läsa"),
])
def test_a_broken_role_file_is_refused_with_what_is_wrong(tmp_path, text, says):
    path = tmp_path / "behorighet.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(signin.RoleFileError) as caught:
        signin.protected_scripts(path)
    assert says in str(caught.value) and str(path) in str(caught.value)
