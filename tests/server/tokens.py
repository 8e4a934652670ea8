"""Entra ID-like tokens for the sign-in tests, signed by a key the tests make (PyJWT, not the
server's joserfc), and the key set (JWKS) the server is given instead of Microsoft's.

The claims are those of an Entra ID v2.0 access token for an Office add-in's SSO (aud = the app's
client id, iss = login.microsoftonline.com/<tenant>/v2.0, oid, name, preferred_username, scp).
"""

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "6f1c1d2e-0000-4000-8000-00000000a001"
TENANT_ID = "0181aaaa-0000-4000-8000-00000000b001"
OTHER_APP = "6f1c1d2e-0000-4000-8000-00000000a999"
OTHER_TENANT = "9999bbbb-0000-4000-8000-00000000b999"
USER_OID = "11111111-2222-4333-8444-555555555555"
USER_NAME = "Anna Andersson"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key, kid):
    """The public half of `key` as a JWKS entry (as Microsoft publishes them: kty, use, kid, n, e)."""
    entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    entry.update(kid=kid, use="sig")
    return entry


def key_set(*entries):
    return {"keys": list(entries)}


def write_key_set(path, *entries):
    path.write_text(json.dumps(key_set(*entries)), encoding="utf-8")
    return path


def claims(now=None, **changes):
    now = time.time() if now is None else now
    out = {
        "aud": CLIENT_ID, "iss": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0", "iat": int(now) - 5,
        "nbf": int(now) - 5, "exp": int(now) + 3600, "ver": "2.0", "tid": TENANT_ID, "oid": USER_OID,
        "sub": "sub-" + USER_OID, "name": USER_NAME, "preferred_username": "anna.andersson@kommun.se",
        "scp": "access_as_user", "azp": "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e", "uti": uuid.uuid4().hex,
    }
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def mint(key, kid, algorithm="RS256", **changes):
    """A signed token (a new `uti` each time, so xlwings Server's cache never has it yet)."""
    return jwt.encode(claims(**changes), key, algorithm=algorithm, headers={"kid": kid})


def header(token):
    return {"Authorization": f"Bearer {token}"}
