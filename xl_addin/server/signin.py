"""Sign-in for the VP server: Entra ID tokens checked by xlwings Server's own code, plus what it lacks.

xlwings Server (`xlwings_server.auth.entraid.validate_token`) checks the signature against the
key set (JWKS), the audience, the issuer and the token's times, and caches a validated token for an
hour per token string. Around it, this module:

* gives it the key set without internet: `VP_AUTH_JWKS_FILE` (a JSON file IT keeps up to date) or
  `VP_AUTH_JWKS_URL` (an internal address), through the project's `auth/entraid/jwks.py`;
* checks `exp` and `nbf` itself on every request, before the cached validation: a token that
  expires inside the cache hour is refused after its `exp`;
* refuses every failure with one Swedish sentence and `WWW-Authenticate: Bearer`, never the reason
  (the reason is logged, never the token);
* requires the user's object id (`oid`), so that the log names a person, never the server's account.

Role-protected buttons (`behorighet.toml`): `script_refusal()` says why a signed-in user may not
press one.
"""

import base64
import binascii
import json
import logging
import os
import re
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import httpx
from fastapi import HTTPException, status

logger = logging.getLogger("vp.server.inloggning")

JWKS_FILE = "VP_AUTH_JWKS_FILE"
JWKS_URL = "VP_AUTH_JWKS_URL"
JWKS_URL_TTL = 60 * 60  # seconds: Microsoft publishes a new signing key weeks before it is used
JWKS_URL_TIMEOUT = 10
# No clock leeway: the same as xlwings Server's own (joserfc) check on an uncached token. The
# server's clock must be set by NTP.
LEEWAY = 0

REFUSED = ("Inloggningen godkändes inte. Logga in i Excel på nytt (fliken VP, Visa panelen) och försök igen; "
           "hjälper det inte, kontakta IT.")
NO_KEYS = ("VP-servern kan inte kontrollera inloggningar just nu (nyckelmängden för Entra ID går inte att läsa). "
           "Kontakta IT och ange tidpunkten.")

ROLE_FILE = Path(__file__).resolve().parent / "behorighet.toml"
ROLE_FILE_SETTING = "VP_BEHORIGHET"  # IT's own copy of behorighet.toml, if any

clock = time.time  # replaced by tests that move time forward


def refused(reason):
    """The one 401 every refused sign-in gets; `reason` goes to the log only (never the token)."""
    logger.info("Inloggning nekad: %s", reason)
    return HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=REFUSED,
                         headers={"WWW-Authenticate": "Bearer"})


_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def bearer_token(authorization):
    """The token of an `Authorization: Bearer <token>` header."""
    parts = (authorization or "").split()
    if parts and parts[0].lower() == "error":
        # xlwings' Office.js client sends Office's SSO error instead of a token (e.g. "Error 13003:
        # ..."): the code tells IT why Excel could not sign the user in; it is no secret.
        said = " ".join(parts)[:200].replace("\r", " ").replace("\n", " ")
        raise refused(f"Excel kunde inte hämta någon token ({said})")
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise refused("huvudet Authorization saknas eller är inte 'Bearer <token>'")
    if not _JWT.match(parts[1]):
        raise refused("token är inte en JWT (tre base64url-delar)")
    return parts[1]


def _segment(text):
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def unverified_claims(token):
    """The token's claims, read without checking the signature (only to refuse it early)."""
    try:
        claims = _segment(token.split(".")[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refused("token går inte att läsa") from None
    if not isinstance(claims, dict):
        raise refused("tokens anspråk är inte ett JSON-objekt")
    return claims


def check_lifetime(claims, now):
    """Refuse a token whose `exp` has passed or whose `nbf` has not come yet (before any cache)."""
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise refused("token saknar giltig exp")
    if now >= exp + LEEWAY:
        raise refused("token har gått ut")
    if nbf is not None and (isinstance(nbf, bool) or not isinstance(nbf, (int, float)) or now < nbf - LEEWAY):
        raise refused("token gäller inte ännu (nbf)")


def _xlwings_entraid():
    # Imported when first needed: the package imports the project's auth/entraid/jwks.py, whose
    # package imports this module.
    from xlwings_server.auth import entraid

    return entraid


async def validate_token(authorization):
    """The signed-in user of an `Authorization` header (xlwings Server's User), or HTTP 401."""
    token = bearer_token(authorization)
    check_lifetime(unverified_claims(token), clock())
    try:
        user = await _xlwings_entraid().validate_token(f"Bearer {token}")
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise refused("xlwings Server godkände inte token (signatur, utfärdare, målgrupp eller tider)") from None
        raise
    if not user.id:
        raise refused("token saknar oid (användarens objekt-id)")
    return user


def log_name(user):
    """Who did it, as the log row names them: name and object id from the token. None without
    sign-in (local mode), where the log names the person at this PC."""
    if user is None or not getattr(user, "id", None) or user.id == "n/a":
        return None
    return f"{user.name or user.email or 'okänt namn'} ({user.id})"


# --- the key set without internet --------------------------------------------------------------
class KeySetError(Exception):
    pass


def read_key_set(text, source):
    """A JWKS document, checked enough to say what is wrong with it (Swedish, names the source)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise KeySetError(f"{source}: ingen JSON ({exc})") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise KeySetError(f"{source}: ingen nyckelmängd (JWKS med en lista 'keys') eller en tom lista")
    return data


_file_cache = {}
_url_cache = {}


def jwks_from_file(path):
    """The key set in IT's file, read again when the file changes (key rotation without a restart)."""
    path = Path(path)
    try:
        stat = path.stat()
        stamp = (str(path), stat.st_mtime_ns, stat.st_size)
        if _file_cache.get("stamp") != stamp:
            _file_cache.update(stamp=stamp, data=read_key_set(path.read_text(encoding="utf-8"), f"{JWKS_FILE}={path}"))
    except (OSError, KeySetError) as exc:
        logger.error("Nyckelmängden för Entra ID går inte att läsa: %s", exc)
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail=NO_KEYS) from None
    return _file_cache["data"]


async def jwks_from_url(url):
    """The key set from an internal address, kept an hour; the last good one while the address fails."""
    cached = _url_cache.get(url)
    if cached and clock() - cached[0] < JWKS_URL_TTL:
        return cached[1]
    try:
        async with httpx.AsyncClient(timeout=JWKS_URL_TIMEOUT) as client:
            response = await client.get(url)
        response.raise_for_status()
        data = read_key_set(response.text, f"{JWKS_URL}={url}")
    except (httpx.HTTPError, KeySetError) as exc:
        if cached:
            logger.warning("Nyckelmängden kunde inte hämtas från %s (%s); den senaste används.", url, exc)
            return cached[1]
        logger.error("Nyckelmängden för Entra ID kunde inte hämtas från %s: %s", url, exc)
        raise HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail=NO_KEYS) from None
    _url_cache[url] = (clock(), data)
    return data


async def jwks_json():
    """For xlwings Server's `auth/entraid/jwks.py`: the key set IT gave, or None (Microsoft's, online)."""
    path = os.environ.get(JWKS_FILE, "").strip()
    if path:
        return jwks_from_file(path)
    url = os.environ.get(JWKS_URL, "").strip()
    if url:
        return await jwks_from_url(url)
    return None


def check_key_settings():
    """At start: a key file that cannot be read stops the server (Swedish, names the variable)."""
    path = os.environ.get(JWKS_FILE, "").strip()
    if path:
        try:
            read_key_set(Path(path).read_text(encoding="utf-8"), f"{JWKS_FILE}={path}")
        except OSError as exc:
            raise KeySetError(f"{JWKS_FILE}={path}: filen går inte att läsa ({exc.strerror})") from None
        return f"nycklarna för inloggningen läses från filen {path}"
    url = os.environ.get(JWKS_URL, "").strip()
    if url:
        if not url.startswith(("https://", "http://")):
            raise KeySetError(f"{JWKS_URL}={url}: ska vara en adress som börjar med https://")
        return f"nycklarna för inloggningen hämtas från {url}"
    return "nycklarna för inloggningen hämtas från Microsoft (login.microsoftonline.com, kräver internet)"


# --- buttons only some may press ---------------------------------------------------------------
@dataclass(frozen=True)
class Protection:
    tag: str
    role: str
    message: str


def role_file():
    return Path(os.environ.get(ROLE_FILE_SETTING, "").strip() or ROLE_FILE)


class RoleFileError(Exception):
    pass


@lru_cache(maxsize=None)
def protected_scripts(path=None):
    """{script tag: Protection} from behorighet.toml (or the file VP_BEHORIGHET names)."""
    path = Path(path or role_file())
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RoleFileError(f"{path}: går inte att läsa ({exc})") from None
    out = {}
    for number, entry in enumerate(data.get("skyddad", []), 1):
        role, tags, message = entry.get("roll"), entry.get("knappar"), entry.get("meddelande")
        if not (isinstance(role, str) and role.strip() and isinstance(tags, list) and tags
                and all(isinstance(t, str) for t in tags) and isinstance(message, str)):
            raise RoleFileError(f"{path}: [[skyddad]] nummer {number} ska ha roll (text), knappar (lista med "
                                "knapparnas namn) och meddelande (text)")
        try:
            message.format(roll=role, anvandare="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise RoleFileError(f"{path}: meddelandet för {role} får bara ha {{roll}} och {{anvandare}} ({exc})") \
                from None
        for tag in tags:
            out[tag] = Protection(tag=tag, role=role, message=message)
    return out


def script_refusal(tag, user, protections=None):
    """The Swedish reason a signed-in user may not run the script `tag`, or None."""
    protection = (protected_scripts(role_file()) if protections is None else protections).get(tag)
    if protection is None or protection.role in (getattr(user, "roles", None) or []):
        return None
    return protection.message.format(roll=protection.role, anvandare=getattr(user, "name", None) or "okänd")
